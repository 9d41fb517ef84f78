-- Audit log, updated_at maintenance and counters kept by triggers.
CREATE TABLE posts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  body TEXT DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT
);
CREATE TABLE post_log (id INTEGER PRIMARY KEY, post_id INTEGER, action TEXT, old_title TEXT, new_title TEXT);
CREATE TABLE stats (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO stats VALUES ('posts', 0);
CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
  INSERT INTO post_log (post_id, action, new_title) VALUES (NEW.id, 'insert', NEW.title);
  UPDATE stats SET n = n + 1 WHERE name = 'posts';
END;
CREATE TRIGGER posts_au AFTER UPDATE OF title ON posts
WHEN OLD.title IS NOT NEW.title
BEGIN
  INSERT INTO post_log (post_id, action, old_title, new_title) VALUES (OLD.id, 'update', OLD.title, NEW.title);
  UPDATE posts SET version = version + 1, updated_at = '2024-01-01' WHERE id = NEW.id;
END;
CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN
  INSERT INTO post_log (post_id, action, old_title) VALUES (OLD.id, 'delete', OLD.title);
  UPDATE stats SET n = n - 1 WHERE name = 'posts';
END;
CREATE TRIGGER posts_bi BEFORE INSERT ON posts WHEN NEW.title = '' BEGIN
  SELECT RAISE(ABORT, 'title must not be empty');
END;
INSERT INTO posts (title) VALUES ('Hello'), ('World');
INSERT INTO posts (title) VALUES ('');
UPDATE posts SET title = 'Hello!' WHERE id = 1;
UPDATE posts SET title = 'Hello!' WHERE id = 1;
UPDATE posts SET body = 'text' WHERE id = 2;
DELETE FROM posts WHERE id = 2;
SELECT id, title, body, version, updated_at FROM posts ORDER BY id;
SELECT post_id, action, old_title, new_title FROM post_log ORDER BY id;
SELECT * FROM stats;
SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name;
DROP TRIGGER posts_bi;
INSERT INTO posts (title) VALUES ('');
SELECT count(*) FROM posts;
CREATE TRIGGER posts_bu BEFORE UPDATE ON posts BEGIN
  SELECT CASE WHEN NEW.version < OLD.version THEN RAISE(FAIL, 'version went back') END;
END;
UPDATE posts SET version = 0 WHERE id = 1;
SELECT version FROM posts WHERE id = 1;
DROP TRIGGER IF EXISTS no_such_trigger;
