-- Settings and documents stored as JSON text.
CREATE TABLE settings (user_id INTEGER PRIMARY KEY, prefs TEXT NOT NULL DEFAULT '{}');
INSERT INTO settings VALUES (1, '{"theme":"dark","langs":["en","fr"],"n":3}'),
  (2, '{"theme":"light","langs":[],"n":null}'), (3, '{}');
SELECT user_id, json_extract(prefs, '$.theme') FROM settings ORDER BY user_id;
SELECT user_id, prefs ->> '$.theme', prefs -> '$.langs' FROM settings ORDER BY user_id;
SELECT user_id, json_array_length(prefs, '$.langs') FROM settings ORDER BY user_id;
SELECT json_type(prefs, '$.n'), typeof(json_extract(prefs, '$.n')) FROM settings ORDER BY user_id;
UPDATE settings SET prefs = json_set(prefs, '$.theme', 'blue') WHERE user_id = 3;
UPDATE settings SET prefs = json_insert(prefs, '$.langs[#]', 'de') WHERE user_id = 1;
SELECT prefs FROM settings ORDER BY user_id;
SELECT s.user_id, j.key, j.value, j.type FROM settings s, json_each(s.prefs, '$.langs') j ORDER BY s.user_id, j.key;
SELECT j.key, j.value FROM settings, json_each(prefs) j WHERE user_id = 1 ORDER BY j.key;
SELECT json_group_array(user_id) FROM settings;
SELECT json_group_object(user_id, prefs ->> 'theme') FROM settings;
SELECT json_object('a', 1, 'b', 'two', 'c', json('[1,2]'), 'd', NULL);
SELECT json_array(1, 2.5, 'x', NULL, json_object());
SELECT json_remove('{"a":1,"b":2}', '$.a'), json_replace('{"a":1}', '$.a', 2, '$.b', 3);
SELECT json_valid('{"a":'), json_valid('[1]'), json('  { "a" : 1 } ');
SELECT json_patch('{"a":1,"b":{"c":2}}', '{"b":{"c":null,"d":4},"e":5}');
SELECT value FROM json_each('[3,1,2]') ORDER BY value;
SELECT key, value, type, atom, fullkey, path FROM json_tree('{"a":{"b":[1,2]}}') ORDER BY id;
SELECT json_extract('{"a":1.0}', '$.a'), json_extract('{"a":1e3}', '$.a'), json_extract('[true,false]', '$[0]');
SELECT json_quote('he said "hi"'), json_quote(3.0), json_quote(NULL);
SELECT user_id FROM settings WHERE json_extract(prefs, '$.n') IS NULL ORDER BY user_id;
SELECT json_extract(prefs, '$.langs[0]', '$.theme') FROM settings WHERE user_id = 1;
SELECT '{"x": 1}' -> 'x', '{"x": "s"}' ->> 'x', '[10,20]' -> 1;
