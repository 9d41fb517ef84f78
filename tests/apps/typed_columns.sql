-- Values an INTEGER, REAL or TEXT column of an ordinary table cannot hold losslessly:
-- SQLite stores them as they are, EmberDB refuses (see docs/sql.md and
-- known_differences.txt). A table keyed by something other than an INTEGER PRIMARY KEY has
-- a rowid and allows NULL keys in both.
CREATE TABLE t (i INTEGER, r REAL, s TEXT);
INSERT INTO t VALUES ('abc', 1, 'x');
INSERT INTO t VALUES (1, '', 'x');
INSERT INTO t VALUES (1e20, 1, 'x');
INSERT INTO t VALUES (1, 1, x'00');
SELECT count(*) FROM t;
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);
INSERT INTO kv VALUES (NULL, 1);
INSERT INTO kv VALUES ('a', 2) RETURNING rowid;
SELECT last_insert_rowid();
SELECT count(*) FROM kv;
