-- A document store on JSONB columns: documents written with jsonb() and jsonb_object(),
-- edited in place with jsonb_set / jsonb_insert / jsonb_replace / jsonb_remove /
-- jsonb_patch, read with -> and ->> and the json_* functions, walked with json_each and
-- json_tree, checked with json_valid(doc, 8), built back into documents by
-- jsonb_group_array / jsonb_group_object.
CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, doc BLOB NOT NULL CHECK (json_valid(doc, 8)));
CREATE INDEX events_user ON events(doc ->> '$.user');
INSERT INTO events (kind, doc) VALUES
 ('login', jsonb('{"user":"ana","at":"2024-07-01T09:00","device":{"os":"linux","ver":6.1},"tags":["web"]}')),
 ('login', jsonb('{"user":"ben","at":"2024-07-01T09:05","device":{"os":"ios"},"tags":[]}')),
 ('order', jsonb_object('user', 'ana', 'total', 19.5, 'items', jsonb_array(jsonb_object('sku', 'A1', 'qty', 2), jsonb_object('sku', 'B2', 'qty', 1)))),
 ('order', jsonb_object('user', 'cy', 'total', 7.25, 'items', json('[{"sku":"C3","qty":3}]'))),
 ('logout', jsonb_object('user', 'ana', 'reason', NULL));
INSERT INTO events (kind, doc) VALUES ('broken', x'2b2331');
INSERT INTO events (kind, doc) VALUES ('text', '{"user":"dan"}');
SELECT id, kind, typeof(doc), length(doc), json(doc) FROM events ORDER BY id;
SELECT id, hex(doc) FROM events WHERE kind = 'order' ORDER BY id;
SELECT id, doc -> '$.device', doc ->> '$.device.os', doc ->> 'user', typeof(doc ->> '$.device.ver') FROM events WHERE kind = 'login' ORDER BY id;
SELECT id, json_type(doc, '$.items'), json_array_length(doc, '$.items'), json_extract(doc, '$.items[0].sku', '$.total') FROM events WHERE kind = 'order' ORDER BY id;
SELECT doc ->> 'user' AS user, count(*) FROM events GROUP BY user ORDER BY user;
SELECT id FROM events WHERE doc ->> '$.user' = 'ana' ORDER BY id;
-- Line items through json_each over the blobs.
SELECT e.id, i.value ->> 'sku', i.value ->> 'qty', i.id, i.type FROM events e, json_each(e.doc, '$.items') i ORDER BY e.id, i.key;
SELECT i.value ->> 'sku' AS sku, sum(i.value ->> 'qty') FROM events e, json_each(e.doc -> 'items') i GROUP BY sku ORDER BY sku;
SELECT t.fullkey, t.type, t.atom, t.id, t.parent FROM events e, json_tree(e.doc) t WHERE e.id = 1 ORDER BY t.id;
-- Edits keep the column JSONB.
UPDATE events SET doc = jsonb_set(doc, '$.device.ver', 6.2, '$.seen', 1) WHERE id = 1;
UPDATE events SET doc = jsonb_insert(doc, '$.tags[#]', 'mobile', '$.user', 'ignored') WHERE id = 2;
UPDATE events SET doc = jsonb_replace(doc, '$.total', 21, '$.absent', 0) WHERE id = 3;
UPDATE events SET doc = jsonb_remove(doc, '$.reason') WHERE id = 5;
UPDATE events SET doc = jsonb_patch(doc, '{"items":null,"status":"void"}') WHERE id = 4;
UPDATE events SET doc = jsonb(doc) WHERE kind = 'text';
SELECT id, typeof(doc), json(doc) FROM events ORDER BY id;
SELECT id, json_valid(doc), json_valid(doc, 4), json_valid(doc, 8), json_error_position(doc) FROM events ORDER BY id;
-- Documents built from rows.
SELECT kind, hex(jsonb_group_array(doc ->> 'user')), json(jsonb_group_array(doc -> '$.user')) FROM (SELECT * FROM events ORDER BY id) GROUP BY kind ORDER BY kind;
SELECT json(jsonb_group_object(kind || id, doc -> 'user')) FROM events;
SELECT kind, id, json_group_array(doc ->> 'user') OVER (PARTITION BY kind ORDER BY id) FROM events ORDER BY kind, id;
SELECT hex(jsonb_group_object(doc ->> 'user', id)) FROM (SELECT * FROM events ORDER BY id) WHERE kind = 'login';
SELECT id, json(jsonb_group_array(id) OVER (ORDER BY id)) FROM events ORDER BY id;
