-- A document store on JSON text columns: documents edited with json_set / json_insert /
-- json_replace / json_remove / json_patch, read with -> and ->>, walked with json_each and
-- json_tree, validated with json_valid and json_type, grouped by a field.
CREATE TABLE docs (id INTEGER PRIMARY KEY, collection TEXT NOT NULL, body TEXT NOT NULL CHECK (json_valid(body)));
CREATE INDEX docs_status ON docs(collection, body ->> '$.status');
INSERT INTO docs (collection, body) VALUES
 ('orders', '{"customer":"ana","status":"paid","items":[{"sku":"A1","qty":2,"price":4.5},{"sku":"B2","qty":1,"price":10}],"tags":["gift","rush"]}'),
 ('orders', '{"customer":"ben","status":"open","items":[{"sku":"A1","qty":1,"price":4.5}],"tags":[]}'),
 ('orders', '{"customer":"cy","status":"paid","items":[{"sku":"C3","qty":3,"price":2.25}],"note":null}'),
 ('profiles', '{"name":"ana","address":{"city":"Lyon","zip":"69001"},"langs":["fr","en"]}'),
 ('profiles', '{"name":"ben","address":{"city":"Oslo"},"langs":["no"]}');
INSERT INTO docs (collection, body) VALUES ('orders', '{"customer": "broken"');
SELECT id, body -> '$.status', body ->> '$.status', typeof(body ->> '$.status') FROM docs WHERE collection = 'orders' ORDER BY id;
SELECT id, body -> 'items' -> 0 -> 'qty', body ->> '$.items[0].qty', body ->> '$.items[#-1].sku' FROM docs WHERE collection = 'orders' ORDER BY id;
SELECT id, json_type(body, '$.note'), json_type(body, '$.tags'), json_type(body, '$.missing'), body ->> '$.note' IS NULL FROM docs WHERE collection = 'orders' ORDER BY id;
SELECT id, json_array_length(body, '$.items'), json_array_length(body -> 'tags') FROM docs WHERE collection = 'orders' ORDER BY id;
-- Totals per order from the items array.
SELECT d.id, sum(i.value ->> 'qty' * (i.value ->> 'price')) AS total, count(*) AS lines FROM docs d, json_each(d.body, '$.items') i WHERE d.collection = 'orders' GROUP BY d.id ORDER BY d.id;
SELECT i.value ->> 'sku' AS sku, sum(i.value ->> 'qty') AS units FROM docs d, json_each(d.body -> 'items') i GROUP BY sku ORDER BY units DESC, sku;
SELECT body ->> 'status' AS status, count(*), group_concat(body ->> 'customer', '|') FROM (SELECT body FROM docs WHERE collection = 'orders' ORDER BY id) GROUP BY status ORDER BY status;
SELECT d.id, t.value FROM docs d, json_each(d.body, '$.tags') t ORDER BY d.id, t.key;
SELECT t.fullkey, t.type, t.atom FROM docs d, json_tree(d.body) t WHERE d.id = 4 ORDER BY t.fullkey;
SELECT count(*) FROM docs d, json_tree(d.body) t WHERE t.type = 'text';
-- Edits.
UPDATE docs SET body = json_set(body, '$.status', 'shipped', '$.shipped_at', '2024-07-01') WHERE id = 1;
UPDATE docs SET body = json_insert(body, '$.status', 'ignored', '$.priority', 2) WHERE id = 2;
UPDATE docs SET body = json_replace(body, '$.customer', 'cyril', '$.absent', 1) WHERE id = 3;
UPDATE docs SET body = json_remove(body, '$.note', '$.items[0].price') WHERE id = 3;
UPDATE docs SET body = json_set(body, '$.tags[#]', 'vip') WHERE id = 2;
UPDATE docs SET body = json_patch(body, '{"address":{"zip":null,"country":"NO"},"langs":["no","en"]}') WHERE id = 5;
SELECT id, body FROM docs ORDER BY id;
SELECT json_patch('{"a":1,"b":{"c":2}}', '{"b":{"d":3},"e":[1,2]}'), json_set('{}', '$.x.y', 1), json_insert('[1,2]', '$[5]', 9), json_remove('[1,2,3]', '$[1]');
SELECT json('  {"b":1, "a" : [1 , 2]} '), json_valid('{"a":}'), json_valid('[1,2]'), json_valid(''), json_quote('it''s'), json_array(1, 'x', NULL, 2.5), json_object('k', json_array(1, 2));
SELECT id FROM docs WHERE collection = 'orders' AND body ->> '$.status' = 'paid' ORDER BY id;
SELECT id FROM docs WHERE EXISTS (SELECT 1 FROM json_each(docs.body, '$.langs') WHERE value = 'en') ORDER BY id;
SELECT body ->> '$.address.city' AS city, count(*) FROM docs WHERE collection = 'profiles' GROUP BY city ORDER BY city;
SELECT json_group_array(body ->> 'customer') FROM (SELECT body FROM docs WHERE collection = 'orders' ORDER BY id);
SELECT json_group_object(body ->> 'name', body ->> '$.address.city') FROM (SELECT body FROM docs WHERE collection = 'profiles' ORDER BY id);
SELECT '{"a":[1,2,{"b":true}]}' -> '$.a[2].b', '{"a":[1,2,{"b":true}]}' ->> '$.a[2].b', '[10,20]' ->> 1, '{"x":"1"}' -> 'x';
DELETE FROM docs WHERE json_array_length(body, '$.items') = 1 RETURNING id;
SELECT count(*), sum(json_valid(body)) FROM docs;
