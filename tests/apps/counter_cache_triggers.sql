-- A forum keeping counter caches with triggers: post counts per thread, last-post pointers, soft deletes, recount checks.
CREATE TABLE threads (id INTEGER PRIMARY KEY, title TEXT NOT NULL, posts INTEGER NOT NULL DEFAULT 0, last_post INTEGER);
CREATE TABLE posts (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL REFERENCES threads(id), body TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN UPDATE threads SET posts = posts + 1, last_post = NEW.id WHERE id = NEW.thread_id; END;
CREATE TRIGGER posts_soft_delete AFTER UPDATE OF deleted ON posts WHEN NEW.deleted = 1 AND OLD.deleted = 0 BEGIN
  UPDATE threads SET posts = posts - 1, last_post = (SELECT max(id) FROM posts WHERE thread_id = NEW.thread_id AND deleted = 0) WHERE id = NEW.thread_id;
END;
CREATE TRIGGER posts_bd BEFORE DELETE ON posts BEGIN SELECT RAISE(ABORT, 'posts are soft-deleted') WHERE OLD.deleted = 0; END;
INSERT INTO threads (title) VALUES ('Welcome'), ('Help');
INSERT INTO posts (thread_id, body) VALUES (1, 'hi'), (1, 'hello'), (2, 'q?'), (1, 'bye');
SELECT id, title, posts, last_post FROM threads ORDER BY id;
UPDATE posts SET deleted = 1 WHERE id = 4;
UPDATE posts SET deleted = 1 WHERE id = 4;
SELECT id, posts, last_post FROM threads ORDER BY id;
DELETE FROM posts WHERE id = 1;
DELETE FROM posts WHERE id = 4;
SELECT count(*) FROM posts;
SELECT t.id, t.posts = (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND p.deleted = 0) AS consistent FROM threads t ORDER BY t.id;
INSERT INTO posts (thread_id, body) SELECT 2, 'copy of ' || body FROM posts WHERE thread_id = 1 AND deleted = 0 ORDER BY id;
SELECT id, posts, last_post FROM threads ORDER BY id;
SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name;
DROP TRIGGER posts_bd;
DELETE FROM posts WHERE thread_id = 2 AND body LIKE 'copy%';
SELECT changes(), count(*) FROM posts;
PRAGMA integrity_check;
