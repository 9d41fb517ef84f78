-- A parking garage: levels with spaces, entry and exit sessions by plate, fees by
-- started hour with a daily cap, occupancy per hour from a generated timeline, and
-- monthly permits checked at the gate.
CREATE TABLE levels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, spaces INTEGER NOT NULL CHECK (spaces > 0), ev_spaces INTEGER NOT NULL DEFAULT 0 CHECK (ev_spaces <= spaces));
CREATE TABLE permits (plate TEXT PRIMARY KEY COLLATE NOCASE, holder TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, CHECK (valid_to >= valid_from));
CREATE TABLE sessions (id INTEGER PRIMARY KEY, plate TEXT NOT NULL COLLATE NOCASE, level_id INTEGER NOT NULL REFERENCES levels (id), entered TEXT NOT NULL, exited TEXT, CHECK (exited IS NULL OR exited > entered));
CREATE UNIQUE INDEX one_open_session ON sessions (plate) WHERE exited IS NULL;
INSERT INTO levels (name, spaces, ev_spaces) VALUES ('P1', 40, 4), ('P2', 60, 0), ('Roof', 25, 2);
INSERT INTO permits VALUES ('ab-123-cd', 'Nora Lind', '2024-09-01', '2024-09-30'), ('XY-987-ZZ', 'Omar Haddad', '2024-08-01', '2024-08-31');
INSERT INTO sessions (plate, level_id, entered, exited) VALUES ('AB-123-CD', 1, '2024-09-10 07:55:00', '2024-09-10 17:40:00'), ('QQ-111-AA', 1, '2024-09-10 08:10:00', '2024-09-10 09:05:00'), ('XY-987-ZZ', 2, '2024-09-10 08:30:00', '2024-09-10 12:30:00'), ('LM-555-OP', 3, '2024-09-10 09:00:00', '2024-09-11 10:15:00'), ('QQ-111-AA', 2, '2024-09-10 13:00:00', NULL), ('RS-222-TU', 2, '2024-09-10 14:45:00', '2024-09-10 15:00:00');
INSERT INTO sessions (plate, level_id, entered) VALUES ('qq-111-aa', 1, '2024-09-10 16:00:00');
INSERT INTO sessions (plate, level_id, entered, exited) VALUES ('ZZ-000-ZZ', 1, '2024-09-10 10:00:00', '2024-09-10 09:00:00');
SELECT id, plate, CAST(round((julianday(exited) - julianday(entered)) * 1440) AS INTEGER) AS minutes FROM sessions ORDER BY id;
SELECT s.id, s.plate, p.holder IS NOT NULL AS has_permit FROM sessions s LEFT JOIN permits p ON p.plate = s.plate AND date(s.entered) BETWEEN p.valid_from AND p.valid_to ORDER BY s.id;
WITH stays AS (SELECT id, plate, (julianday(exited) - julianday(entered)) * 24 AS hours FROM sessions WHERE exited IS NOT NULL) SELECT id, plate, printf('%.2f', hours) AS hours, CASE WHEN hours <= 0.25 THEN 0 ELSE min(CAST(hours AS INTEGER) + (hours > CAST(hours AS INTEGER)), 10) * 250 END AS fee_cents FROM stays ORDER BY id;
WITH stays AS (SELECT s.id, (julianday(s.exited) - julianday(s.entered)) * 24 AS hours, EXISTS (SELECT 1 FROM permits p WHERE p.plate = s.plate AND date(s.entered) BETWEEN p.valid_from AND p.valid_to) AS permit FROM sessions s WHERE s.exited IS NOT NULL) SELECT sum(CASE WHEN permit THEN 0 WHEN hours <= 0.25 THEN 0 ELSE min(CAST(hours AS INTEGER) + (hours > CAST(hours AS INTEGER)), 10) * 250 END) / 100.0 AS revenue FROM stays;
WITH RECURSIVE hours(h) AS (SELECT '2024-09-10 07:00:00' UNION ALL SELECT datetime(h, '+1 hour') FROM hours WHERE h < '2024-09-10 18:00:00') SELECT strftime('%H:%M', h) AS hour, count(s.id) AS occupied FROM hours LEFT JOIN sessions s ON s.entered <= h AND coalesce(s.exited, '9999-12-31') > h GROUP BY h ORDER BY h;
SELECT l.name, l.spaces, count(s.id) AS in_use, l.spaces - count(s.id) AS free, round(100.0 * count(s.id) / l.spaces, 1) AS pct FROM levels l LEFT JOIN sessions s ON s.level_id = l.id AND s.exited IS NULL GROUP BY l.id ORDER BY l.name;
SELECT upper(plate), count(*) AS visits, min(entered) AS first_seen, max(coalesce(exited, entered)) AS last_seen FROM sessions GROUP BY plate COLLATE NOCASE HAVING count(*) > 1 ORDER BY visits DESC, 1;
SELECT plate FROM sessions WHERE plate = 'ab-123-cd' ORDER BY id;
SELECT plate, substr(plate, 1, 2) AS region, substr(plate, -2) AS suffix, replace(plate, '-', '') AS compact FROM sessions ORDER BY id LIMIT 3;
SELECT p.holder, p.valid_to, CAST(julianday(p.valid_to) - julianday('2024-09-10') AS INTEGER) AS days_left, iif(p.valid_to < '2024-09-10', 'expired', 'valid') AS status FROM permits p ORDER BY p.valid_to;
UPDATE sessions SET exited = '2024-09-10 18:20:00' WHERE plate = 'QQ-111-AA' AND exited IS NULL RETURNING id, plate, exited;
INSERT INTO sessions (plate, level_id, entered) VALUES ('qq-111-aa', 3, '2024-09-10 18:30:00');
SELECT count(*) FROM sessions WHERE exited IS NULL;
SELECT strftime('%Y-%m-%d', entered) AS day, strftime('%w', entered) AS weekday, count(*) FROM sessions GROUP BY day ORDER BY day;
SELECT l.name, sum(CAST(round((julianday(coalesce(s.exited, '2024-09-10 20:00:00')) - julianday(s.entered)) * 1440) AS INTEGER)) AS space_minutes FROM levels l JOIN sessions s ON s.level_id = l.id GROUP BY l.id ORDER BY space_minutes DESC;
SELECT id, plate, entered, rank() OVER (PARTITION BY level_id ORDER BY entered) AS arrival_order FROM sessions ORDER BY level_id, arrival_order;
DELETE FROM permits WHERE valid_to < '2024-09-01';
SELECT plate, holder FROM permits ORDER BY plate;
