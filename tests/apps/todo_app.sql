-- A to-do app: lists, items with priorities and due dates, completion tracking.
PRAGMA foreign_keys = ON;
CREATE TABLE lists (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)));
CREATE TABLE todos (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  done BOOLEAN NOT NULL DEFAULT FALSE,
  priority INTEGER DEFAULT 2,
  due TEXT,
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  completed_at TEXT
);
CREATE INDEX todos_list ON todos(list_id, done);
INSERT INTO lists (title) VALUES ('home'), ('work');
INSERT INTO todos (list_id, text, priority, due) VALUES (1, 'milk', 1, '2024-05-01'), (1, 'bread', 3, NULL), (2, 'report', 1, '2024-04-30'), (2, 'email', 2, '2024-05-02');
UPDATE todos SET done = TRUE, completed_at = '2024-04-29 10:00:00' WHERE id IN (1, 3);
SELECT id, text, done, typeof(done) FROM todos ORDER BY id;
SELECT l.title, count(t.id) AS total, sum(t.done) AS finished, sum(NOT t.done) AS open FROM lists l LEFT JOIN todos t ON t.list_id = l.id GROUP BY l.id ORDER BY l.title;
SELECT text FROM todos WHERE NOT done ORDER BY priority, due IS NULL, due;
SELECT text, CASE priority WHEN 1 THEN 'high' WHEN 2 THEN 'normal' ELSE 'low' END AS p FROM todos ORDER BY id;
SELECT text, iif(done, 'x', ' ') AS mark FROM todos ORDER BY id;
SELECT typeof(created_at), length(created_at) FROM todos WHERE id = 1;
SELECT text FROM todos WHERE due < '2024-05-01' AND done = 0;
SELECT text FROM todos WHERE done IS TRUE ORDER BY id;
SELECT text FROM todos WHERE done IS NOT FALSE ORDER BY id;
SELECT round(100.0 * sum(done) / count(*), 1) AS pct FROM todos;
SELECT 100 * sum(done) / count(*) FROM todos;
UPDATE lists SET archived = 2 WHERE id = 1;
UPDATE lists SET archived = 1 WHERE id = 1;
DELETE FROM lists WHERE archived;
SELECT count(*) FROM todos;
SELECT id, text FROM todos ORDER BY id;
INSERT INTO todos (list_id, text) VALUES (1, 'orphan');
INSERT INTO lists (title) VALUES ('again');
SELECT id, title FROM lists ORDER BY id;
SELECT seq FROM sqlite_sequence WHERE name = 'lists';
UPDATE todos SET text = upper(substr(text, 1, 1)) || substr(text, 2);
SELECT text FROM todos ORDER BY text;
SELECT true, false, TRUE + 1, typeof(true);
