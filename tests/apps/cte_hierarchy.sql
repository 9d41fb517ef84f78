-- Categories as a tree, walked with recursive CTEs.
CREATE TABLE categories (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES categories(id), name TEXT NOT NULL);
INSERT INTO categories VALUES (1, NULL, 'root'), (2, 1, 'books'), (3, 1, 'music'), (4, 2, 'fiction'), (5, 2, 'science'), (6, 4, 'fantasy'), (7, 3, 'jazz');
WITH RECURSIVE tree(id, name, depth, path) AS (
  SELECT id, name, 0, name FROM categories WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.name, t.depth + 1, t.path || '/' || c.name FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id, depth, path FROM tree ORDER BY path;
WITH RECURSIVE ancestors(id, parent_id, name) AS (
  SELECT id, parent_id, name FROM categories WHERE id = 6
  UNION
  SELECT c.id, c.parent_id, c.name FROM categories c JOIN ancestors a ON c.id = a.parent_id
)
SELECT group_concat(name, ' < ') FROM ancestors;
WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt WHERE x < 10) SELECT sum(x), count(*) FROM cnt;
WITH RECURSIVE days(d) AS (SELECT date('2024-02-26') UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < '2024-03-02') SELECT d FROM days;
WITH RECURSIVE fib(a, b, n) AS (SELECT 0, 1, 1 UNION ALL SELECT b, a + b, n + 1 FROM fib WHERE n < 90) SELECT a FROM fib WHERE n = 90;
WITH counts AS (SELECT parent_id, count(*) AS kids FROM categories GROUP BY parent_id)
SELECT c.name, coalesce(k.kids, 0) AS kids FROM categories c LEFT JOIN counts k ON k.parent_id = c.id ORDER BY kids DESC, c.name;
WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM a, b;
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 5) SELECT n FROM r;
WITH RECURSIVE sub(id) AS (SELECT 2 UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) DELETE FROM categories WHERE id IN sub;
SELECT id, name FROM categories ORDER BY id;
WITH x(a, b) AS (VALUES (1, 'one'), (2, 'two')) SELECT b FROM x WHERE a = 2;
WITH RECURSIVE split(word, rest) AS (
  SELECT '', 'red,green,blue' || ','
  UNION ALL
  SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> ''
)
SELECT word FROM split WHERE word <> '';
WITH m AS MATERIALIZED (SELECT id FROM categories) SELECT count(*) FROM m;
