-- A feed paginated by offset and by keyset, with the total count.
CREATE TABLE items (id INTEGER PRIMARY KEY, created TEXT NOT NULL, score INTEGER, title TEXT);
CREATE INDEX items_created ON items(created DESC, id DESC);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 57)
INSERT INTO items SELECT i, date('2024-01-01', '+' || (i % 20) || ' days'), (i * 37) % 11, 'item ' || i FROM n;
SELECT count(*) FROM items;
SELECT id, created FROM items ORDER BY created DESC, id DESC LIMIT 10;
SELECT id, created FROM items ORDER BY created DESC, id DESC LIMIT 10 OFFSET 10;
SELECT id, created FROM items WHERE (created, id) < ('2024-01-17', 37) ORDER BY created DESC, id DESC LIMIT 5;
SELECT id FROM items WHERE created < '2024-01-05' OR (created = '2024-01-05' AND id < 40) ORDER BY created DESC, id DESC LIMIT 5;
SELECT id, score FROM items ORDER BY score DESC, id LIMIT 5 OFFSET 50;
SELECT id FROM items ORDER BY id LIMIT 3 OFFSET 56;
SELECT (SELECT count(*) FROM items) AS total, id FROM items ORDER BY id LIMIT 2;
SELECT count(*) OVER () AS total, id FROM items ORDER BY id DESC LIMIT 3;
SELECT score, count(*) FROM items GROUP BY score ORDER BY count(*) DESC, score LIMIT 4;
SELECT id FROM items WHERE title LIKE 'item 1%' ORDER BY length(title), title LIMIT 5;
SELECT id FROM items ORDER BY id LIMIT 0;
SELECT id FROM items ORDER BY id LIMIT '3';
SELECT id FROM items ORDER BY id LIMIT 2, 3;
SELECT id FROM items ORDER BY id LIMIT 2.5;
SELECT id FROM items ORDER BY id LIMIT (SELECT 2) OFFSET (SELECT 1);
SELECT score, min(id), max(id) FROM items GROUP BY score HAVING count(*) >= 6 ORDER BY score;
DELETE FROM items WHERE id > 50;
SELECT max(id), count(*) FROM items;
DELETE FROM items;
SELECT count(*), max(id) FROM items;
INSERT INTO items (created, score, title) VALUES ('2024-02-01', 1, 'after');
SELECT id, title FROM items;
