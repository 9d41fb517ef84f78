-- Keyset pagination and cursors: row-value comparisons, ties on a non-unique sort key, LIMIT/OFFSET pages, totals beside a page.
CREATE TABLE articles (id INTEGER PRIMARY KEY, published TEXT NOT NULL, score REAL, title TEXT NOT NULL);
CREATE INDEX articles_pub ON articles(published DESC, id DESC);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
 INSERT INTO articles SELECT i, date('2024-01-01', '+' || (i / 3) || ' days'), CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END, 'Article ' || i FROM n;
SELECT id, published FROM articles ORDER BY published DESC, id DESC LIMIT 5;
SELECT id, published FROM articles WHERE (published, id) < ('2024-01-07', 21) ORDER BY published DESC, id DESC LIMIT 5;
SELECT id FROM articles WHERE published < '2024-01-07' OR (published = '2024-01-07' AND id < 21) ORDER BY published DESC, id DESC LIMIT 5;
SELECT id, score FROM articles ORDER BY score DESC NULLS LAST, id LIMIT 4 OFFSET 20;
SELECT id, score FROM articles ORDER BY score, id LIMIT 3;
SELECT count(*) OVER (), id, title FROM articles ORDER BY id DESC LIMIT 3;
SELECT (SELECT count(*) FROM articles) AS total, id FROM articles ORDER BY id LIMIT 2 OFFSET 23;
SELECT id FROM articles ORDER BY id LIMIT -1 OFFSET 23;
SELECT id FROM articles ORDER BY id LIMIT 2, 3;
SELECT min(id), max(id) FROM (SELECT id FROM articles ORDER BY published DESC, id DESC LIMIT 10 OFFSET 10);
SELECT published, count(*), group_concat(id) FROM articles GROUP BY published HAVING count(*) > 2 ORDER BY published DESC LIMIT 3;
SELECT id FROM articles WHERE (score, id) > (30, 0) ORDER BY score, id LIMIT 3;
SELECT id FROM articles WHERE id IN (SELECT id FROM articles ORDER BY random() LIMIT 0);
