-- An event log storing JSON payloads: extraction with -> and ->>, json_each fan-out, json_set updates, generated columns over JSON.
CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL CHECK (json_valid(payload)), user_id INTEGER GENERATED ALWAYS AS (payload ->> '$.user') VIRTUAL);
CREATE INDEX events_user ON events(user_id);
INSERT INTO events (kind, payload) VALUES ('login', '{"user": 1, "ip": "10.0.0.1"}'), ('purchase', '{"user": 2, "items": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], "total": 19.5}'),
 ('purchase', '{"user": 1, "items": [{"sku": "A", "qty": 1}], "total": 5}'), ('logout', '{"user": 1}'), ('error', '{"code": 500, "msg": "boom", "tags": ["db", "timeout"]}');
INSERT INTO events (kind, payload) VALUES ('bad', '{not json');
SELECT id, kind, user_id, payload -> '$.total', payload ->> '$.total', json_type(payload, '$.total') FROM events ORDER BY id;
SELECT e.id, i.value ->> '$.sku' AS sku, i.value ->> '$.qty' AS qty FROM events e, json_each(e.payload, '$.items') i WHERE e.kind = 'purchase' ORDER BY e.id, i.key;
SELECT i.value ->> '$.sku' AS sku, sum(i.value ->> '$.qty') FROM events e, json_each(e.payload, '$.items') i GROUP BY sku ORDER BY sku;
SELECT user_id, count(*), sum(payload ->> '$.total') FROM events WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY user_id;
UPDATE events SET payload = json_set(payload, '$.seen', json('true'), '$.tags[#]', 'new') WHERE kind = 'error';
SELECT payload FROM events WHERE kind = 'error';
SELECT json_group_array(kind) FROM (SELECT kind FROM events ORDER BY id);
SELECT json_object('n', count(*), 'kinds', json_group_array(DISTINCT kind)) FROM events;
SELECT id FROM events WHERE payload ->> '$.ip' LIKE '10.%';
SELECT json_extract(payload, '$.items[0].sku', '$.total') FROM events WHERE id = 2;
SELECT key, value, type FROM json_each('{"a": 1, "b": [2, 3], "c": null}') ORDER BY key;
SELECT json_remove(payload, '$.ip'), json_patch(payload, '{"ip": null, "x": 1}') FROM events WHERE id = 1;
SELECT count(*) FROM events WHERE json_array_length(payload, '$.items') > 1;
