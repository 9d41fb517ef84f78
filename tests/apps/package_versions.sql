-- A package registry: releases with semantic versions split into numbers for ordering,
-- dependency ranges, the newest release matching a range, and a dependency tree walked
-- with a recursive CTE.
CREATE TABLE packages (name TEXT PRIMARY KEY, license TEXT, yanked_count INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE releases (id INTEGER PRIMARY KEY, package TEXT NOT NULL REFERENCES packages (name), version TEXT NOT NULL, released TEXT NOT NULL, yanked INTEGER NOT NULL DEFAULT 0 CHECK (yanked IN (0, 1)), major INTEGER GENERATED ALWAYS AS (CAST(substr(version, 1, instr(version, '.') - 1) AS INTEGER)) VIRTUAL, UNIQUE (package, version));
CREATE TABLE deps (release_id INTEGER NOT NULL REFERENCES releases (id), needs TEXT NOT NULL, min_version TEXT NOT NULL, PRIMARY KEY (release_id, needs));
CREATE TRIGGER count_yanks AFTER UPDATE OF yanked ON releases WHEN NEW.yanked = 1 AND OLD.yanked = 0 BEGIN UPDATE packages SET yanked_count = yanked_count + 1 WHERE name = NEW.package; END;
INSERT INTO packages (name, license) VALUES ('core', 'MIT'), ('http', 'Apache-2.0'), ('json', 'MIT'), ('cli', NULL), ('log', 'MIT');
INSERT INTO releases (package, version, released) VALUES ('core', '1.0.0', '2023-01-10'), ('core', '1.2.0', '2023-06-01'), ('core', '1.10.1', '2024-02-01'), ('core', '2.0.0', '2024-05-01'), ('json', '0.9.3', '2023-03-03'), ('json', '1.0.0', '2023-09-09'), ('http', '0.4.0', '2023-04-04'), ('http', '0.5.2', '2024-01-20'), ('log', '3.1.4', '2022-12-12'), ('cli', '0.1.0', '2024-04-30');
INSERT INTO releases (package, version, released) VALUES ('core', '1.2.0', '2024-06-01');
INSERT INTO deps VALUES (8, 'core', '1.2.0'), (8, 'json', '1.0.0'), (6, 'core', '1.0.0'), (10, 'http', '0.5.0'), (10, 'log', '3.0.0'), (3, 'log', '3.1.0');
WITH v AS (SELECT id, package, version, CAST(substr(version, 1, instr(version, '.') - 1) AS INTEGER) AS maj, substr(version, instr(version, '.') + 1) AS rest FROM releases) SELECT package, version, maj, CAST(substr(rest, 1, instr(rest, '.') - 1) AS INTEGER) AS min, CAST(substr(rest, instr(rest, '.') + 1) AS INTEGER) AS patch FROM v ORDER BY package, maj, min, patch;
SELECT package, version FROM releases ORDER BY package, version;
SELECT package, major, count(*) FROM releases GROUP BY package, major ORDER BY package, major;
SELECT package, version FROM releases WHERE package = 'core' ORDER BY major, CAST(substr(version, instr(version, '.') + 1) AS INTEGER), CAST(substr(version, length(rtrim(version, '0123456789')) + 1) AS INTEGER);
UPDATE releases SET yanked = 1 WHERE package = 'core' AND version = '1.10.1';
UPDATE releases SET yanked = 1 WHERE package = 'core' AND version = '1.10.1';
SELECT name, yanked_count FROM packages ORDER BY name;
SELECT package, version FROM releases r WHERE yanked = 0 AND released = (SELECT max(released) FROM releases WHERE package = r.package AND yanked = 0) ORDER BY package;
WITH RECURSIVE tree(pkg, depth, path) AS (SELECT 'cli', 0, 'cli' UNION ALL SELECT d.needs, t.depth + 1, t.path || ' > ' || d.needs FROM tree t JOIN releases r ON r.package = t.pkg AND r.released = (SELECT max(released) FROM releases WHERE package = t.pkg AND yanked = 0) JOIN deps d ON d.release_id = r.id WHERE t.depth < 5) SELECT depth, pkg, path FROM tree ORDER BY path;
SELECT d.needs, count(DISTINCT r.package) AS dependents FROM deps d JOIN releases r ON r.id = d.release_id GROUP BY d.needs ORDER BY dependents DESC, d.needs;
SELECT p.name FROM packages p WHERE p.name NOT IN (SELECT needs FROM deps) ORDER BY p.name;
SELECT coalesce(license, 'unknown') AS license, group_concat(name, ', ' ORDER BY name) FROM packages GROUP BY license ORDER BY license;
SELECT package, version, released, julianday(released) - julianday(lag(released) OVER (PARTITION BY package ORDER BY released)) AS days_since_previous FROM releases WHERE package IN ('core', 'http') ORDER BY package, released;
SELECT package, count(*) FILTER (WHERE yanked = 0) AS live, count(*) FILTER (WHERE yanked = 1) AS yanked FROM releases GROUP BY package ORDER BY package;
SELECT r.package, r.version, d.needs, d.min_version, (SELECT max(version) FROM releases x WHERE x.package = d.needs AND x.yanked = 0 AND x.version >= d.min_version) AS best_text_order FROM deps d JOIN releases r ON r.id = d.release_id ORDER BY r.package, d.needs;
DELETE FROM releases WHERE package = 'log';
SELECT count(*) FROM releases;
