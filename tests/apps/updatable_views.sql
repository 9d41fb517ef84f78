-- Views written through INSTEAD OF triggers: an address book joined over two tables, inserts routed by a view, DEFAULT VALUES rows and _rowid_/oid aliases.
CREATE TABLE persons (id INTEGER PRIMARY KEY, first TEXT NOT NULL DEFAULT '', last TEXT NOT NULL DEFAULT '', created TEXT DEFAULT '2024-01-01');
CREATE TABLE emails (person_id INTEGER NOT NULL REFERENCES persons(id), email TEXT NOT NULL UNIQUE, is_primary INTEGER NOT NULL DEFAULT 0);
CREATE VIEW contacts AS SELECT p.id, p.first || ' ' || p.last AS full_name, p.first, p.last, e.email FROM persons p LEFT JOIN emails e ON e.person_id = p.id AND e.is_primary;
CREATE TRIGGER contacts_insert INSTEAD OF INSERT ON contacts FOR EACH ROW BEGIN
  INSERT INTO persons (id, first, last) VALUES (NEW.id, NEW.first, NEW.last);
  INSERT INTO emails (person_id, email, is_primary) SELECT coalesce(NEW.id, last_insert_rowid()), lower(NEW.email), 1 WHERE NEW.email IS NOT NULL;
END;
CREATE TRIGGER contacts_update INSTEAD OF UPDATE OF email ON contacts FOR EACH ROW WHEN NEW.email IS NOT OLD.email BEGIN
  UPDATE emails SET is_primary = 0 WHERE person_id = OLD.id;
  INSERT INTO emails (person_id, email, is_primary) VALUES (OLD.id, lower(NEW.email), 1) ON CONFLICT (email) DO UPDATE SET is_primary = 1;
END;
CREATE TRIGGER contacts_rename INSTEAD OF UPDATE OF first, last ON contacts BEGIN
  UPDATE persons SET first = NEW.first, last = NEW.last WHERE id = OLD.id;
END;
CREATE TRIGGER contacts_delete INSTEAD OF DELETE ON contacts BEGIN
  DELETE FROM emails WHERE person_id = OLD.id;
  DELETE FROM persons WHERE id = OLD.id;
END;
INSERT INTO contacts (first, last, email) VALUES ('Ada', 'Lovelace', 'ADA@Example.org');
INSERT INTO contacts (id, first, last, email) VALUES (10, 'Alan', 'Turing', NULL), (11, 'Grace', 'Hopper', 'grace@navy.mil');
SELECT id, full_name, email FROM contacts ORDER BY id;
SELECT changes(), last_insert_rowid();
UPDATE contacts SET email = 'alan@bletchley.uk' WHERE id = 10;
UPDATE contacts SET email = 'Ada.L@example.org' WHERE first = 'Ada';
UPDATE contacts SET email = 'ada@example.org' WHERE first = 'Ada';
SELECT person_id, email, is_primary FROM emails ORDER BY person_id, email;
UPDATE contacts SET last = upper(last) WHERE id > 1;
SELECT id, full_name, email FROM contacts ORDER BY full_name;
DELETE FROM contacts WHERE email LIKE '%.mil';
SELECT count(*) FROM persons;
SELECT count(*) FROM emails;
INSERT INTO persons DEFAULT VALUES;
INSERT INTO persons (first, last) VALUES ('Edsger', 'Dijkstra');
SELECT rowid, _rowid_, oid, id, first, last, created FROM persons WHERE last <> '' ORDER BY _rowid_;
UPDATE persons SET created = '2024-02-02' WHERE oid = 12;
SELECT id, created FROM persons WHERE _rowid_ >= 11 ORDER BY oid DESC;
CREATE TABLE audit (n INTEGER PRIMARY KEY, what TEXT, at TEXT DEFAULT 'x');
INSERT INTO audit DEFAULT VALUES;
INSERT INTO audit (what) VALUES ('second');
SELECT n, what, at FROM audit ORDER BY n;
INSERT INTO contacts (first, last, email) VALUES ('Edsger', 'Dijkstra', 'ewd@utexas.edu');
SELECT id, full_name, email FROM contacts WHERE first = 'Edsger' ORDER BY id;
INSERT INTO contacts (first, last, email) VALUES ('Dup', 'User', 'alan@bletchley.uk');
SELECT count(*) FROM persons WHERE first = 'Dup';
CREATE VIEW name_counts AS SELECT last, count(*) AS n FROM persons GROUP BY last;
SELECT last, n FROM name_counts WHERE n > 1 ORDER BY last;
UPDATE name_counts SET n = 0;
DELETE FROM name_counts;
SELECT name, type FROM sqlite_schema WHERE type = 'trigger' ORDER BY name;
DROP VIEW contacts;
SELECT count(*) FROM sqlite_schema WHERE type = 'trigger';
