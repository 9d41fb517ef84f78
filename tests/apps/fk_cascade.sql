-- Foreign keys: cascades, SET NULL, RESTRICT, deferred checks and their errors.
PRAGMA foreign_keys = ON;
PRAGMA foreign_keys;
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL ON UPDATE CASCADE,
  name TEXT
);
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  member_id INTEGER NOT NULL,
  title TEXT,
  FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE
);
CREATE TABLE badges (id INTEGER PRIMARY KEY, team_name TEXT REFERENCES teams(name) ON DELETE RESTRICT);
INSERT INTO teams VALUES (1, 'red'), (2, 'blue');
INSERT INTO members VALUES (10, 1, 'a'), (11, 1, 'b'), (12, 2, 'c');
INSERT INTO tasks VALUES (100, 10, 't1'), (101, 10, 't2'), (102, 12, 't3');
INSERT INTO tasks VALUES (103, 99, 'orphan');
INSERT INTO badges VALUES (1, 'blue');
UPDATE teams SET id = 5 WHERE id = 1;
SELECT id, team_id FROM members ORDER BY id;
DELETE FROM members WHERE id = 10;
SELECT id, member_id FROM tasks ORDER BY id;
DELETE FROM teams WHERE name = 'blue';
DELETE FROM teams WHERE name = 'red';
SELECT id, team_id FROM members ORDER BY id;
DELETE FROM badges;
DELETE FROM teams WHERE name = 'blue';
SELECT count(*) FROM teams;
PRAGMA foreign_key_check;
PRAGMA foreign_key_list(tasks);
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
BEGIN;
INSERT INTO child VALUES (1, 7);
INSERT INTO parent VALUES (7);
COMMIT;
BEGIN;
INSERT INTO child VALUES (2, 8);
COMMIT;
ROLLBACK;
SELECT * FROM child ORDER BY id;
PRAGMA foreign_keys = OFF;
INSERT INTO tasks VALUES (104, 999, 'unchecked');
PRAGMA foreign_key_check(tasks);
SELECT count(*) FROM tasks;
PRAGMA defer_foreign_keys;
