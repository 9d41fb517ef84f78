-- Constraint errors an app reports: UNIQUE, NOT NULL, CHECK, PRIMARY KEY, and OR clauses.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  handle TEXT UNIQUE,
  age INTEGER CHECK (age >= 13),
  CONSTRAINT handle_len CHECK (length(handle) <= 8)
);
INSERT INTO users VALUES (1, 'a@x.io', 'ann', 30);
INSERT INTO users VALUES (2, 'A@X.IO', 'ann2', 20);
INSERT INTO users VALUES (1, 'b@x.io', 'bee', 20);
INSERT INTO users VALUES (3, NULL, 'cee', 20);
INSERT INTO users VALUES (4, 'd@x.io', 'dee', 12);
INSERT INTO users VALUES (5, 'e@x.io', 'waytoolonghandle', 40);
INSERT INTO users VALUES (6, 'f@x.io', NULL, NULL), (7, 'g@x.io', NULL, NULL);
INSERT OR IGNORE INTO users VALUES (8, 'a@x.io', 'h', 50);
INSERT OR REPLACE INTO users VALUES (9, 'a@x.io', 'ann', 31);
SELECT id, email, handle, age FROM users ORDER BY id;
UPDATE users SET email = 'g@x.io' WHERE id = 6;
UPDATE OR IGNORE users SET email = 'g@x.io' WHERE id = 6;
UPDATE OR REPLACE users SET email = 'G@x.io' WHERE id = 6;
SELECT id, email FROM users ORDER BY id;
INSERT INTO users (email, age) VALUES ('h@x.io', '14'), ('i@x.io', '15.0');
SELECT id, email, age, typeof(age) FROM users ORDER BY id;
CREATE TABLE pairs (a INTEGER, b INTEGER, UNIQUE (a, b));
INSERT INTO pairs VALUES (1, 1), (1, 2), (1, NULL), (1, NULL);
INSERT INTO pairs VALUES (1, 2);
SELECT count(*) FROM pairs;
CREATE TABLE bad (id INTEGER PRIMARY KEY, x INTEGER NOT NULL DEFAULT 5);
INSERT INTO bad (id) VALUES (1);
INSERT INTO bad VALUES (2, NULL);
INSERT OR IGNORE INTO bad VALUES (3, NULL);
INSERT OR REPLACE INTO bad VALUES (4, NULL);
SELECT * FROM bad ORDER BY id;
INSERT INTO bad VALUES ('abc', 1);
INSERT INTO bad VALUES (2.0, 1);
INSERT INTO bad VALUES ('5', 1);
SELECT id, typeof(id) FROM bad ORDER BY id;
