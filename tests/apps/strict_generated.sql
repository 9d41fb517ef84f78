-- STRICT tables and generated columns in a pricing app.
CREATE TABLE prices (
  id INTEGER PRIMARY KEY,
  net INTEGER NOT NULL,
  rate REAL NOT NULL DEFAULT 0.2,
  gross REAL GENERATED ALWAYS AS (net * (1 + rate)) VIRTUAL,
  label TEXT AS ('P' || printf('%04d', id)) STORED
) STRICT;
INSERT INTO prices (id, net) VALUES (1, 100), (2, 250);
INSERT INTO prices (id, net, rate) VALUES (3, 10, 0.075);
INSERT INTO prices (id, net) VALUES (4, '12');
INSERT INTO prices (id, net) VALUES (5, 'twelve');
INSERT INTO prices (id, net) VALUES (6, 1.5);
INSERT INTO prices (id, net, gross) VALUES (7, 1, 2);
SELECT id, net, rate, gross, label, typeof(gross) FROM prices ORDER BY id;
UPDATE prices SET rate = 0.5 WHERE id = 2;
SELECT id, gross FROM prices WHERE gross > 100 ORDER BY gross;
CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY) STRICT;
INSERT INTO kv VALUES ('a', 1), ('b', 'two'), ('c', 3.5), ('d', x'04'), ('e', NULL);
SELECT k, v, typeof(v) FROM kv ORDER BY k;
CREATE TABLE bad_strict (x VARCHAR(10)) STRICT;
CREATE TABLE people (first TEXT, last TEXT, full TEXT AS (first || ' ' || last), initials TEXT AS (substr(first, 1, 1) || substr(last, 1, 1)));
INSERT INTO people (first, last) VALUES ('Grace', 'Hopper'), ('Alan', 'Turing');
SELECT full, initials FROM people ORDER BY full;
CREATE INDEX people_full ON people(full);
SELECT first FROM people WHERE full = 'Alan Turing';
PRAGMA table_xinfo(people);
SELECT * FROM people ORDER BY first;
