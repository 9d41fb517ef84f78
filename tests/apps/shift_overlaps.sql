-- Staff shifts: overlapping intervals found by self-joins, free slots between shifts, NULL-safe comparisons, NOT IN over a subquery that holds NULL, scalar min/max.
CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL, manager_id INTEGER);
CREATE TABLE shifts (id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff(id), starts TEXT NOT NULL, ends TEXT, CHECK (ends IS NULL OR ends > starts));
INSERT INTO staff VALUES (1, 'ann', NULL), (2, 'bo', 1), (3, 'cy', 1), (4, 'di', NULL);
INSERT INTO shifts (staff_id, starts, ends) VALUES (1, '2024-05-01 08:00', '2024-05-01 12:00'), (1, '2024-05-01 11:00', '2024-05-01 15:00'), (2, '2024-05-01 09:00', '2024-05-01 17:00'), (2, '2024-05-01 17:00', '2024-05-01 21:00'), (3, '2024-05-01 06:00', NULL), (NULL, '2024-05-01 10:00', '2024-05-01 11:00');
INSERT INTO shifts (staff_id, starts, ends) VALUES (4, '2024-05-01 12:00', '2024-05-01 12:00');
SELECT a.id, b.id FROM shifts a JOIN shifts b ON a.id < b.id AND a.starts < coalesce(b.ends, '9999') AND b.starts < coalesce(a.ends, '9999') ORDER BY a.id, b.id;
SELECT a.id, b.id FROM shifts a JOIN shifts b ON a.id < b.id AND a.staff_id IS b.staff_id AND a.starts < b.ends AND b.starts < a.ends ORDER BY a.id, b.id;
SELECT id, max(starts, '2024-05-01 10:00') AS clipped_start, min(ends, '2024-05-01 16:00') AS clipped_end, min(coalesce(ends, '2024-05-01 23:59'), '2024-05-01 16:00') AS clipped_open FROM shifts ORDER BY id;
SELECT name FROM staff WHERE id NOT IN (SELECT staff_id FROM shifts) ORDER BY name;
SELECT name FROM staff WHERE id NOT IN (SELECT staff_id FROM shifts WHERE staff_id IS NOT NULL) ORDER BY name;
SELECT name FROM staff s WHERE NOT EXISTS (SELECT 1 FROM shifts WHERE staff_id = s.id) ORDER BY name;
SELECT name, id IN (SELECT staff_id FROM shifts) AS has_shift, 99 IN (SELECT staff_id FROM shifts) AS unknown FROM staff ORDER BY id;
SELECT name, manager_id = NULL, manager_id IS NULL, manager_id IS NOT 1, NULL IN (1, 2), 1 IN (NULL, 1) FROM staff ORDER BY id;
SELECT s.name, m.name AS manager FROM staff s LEFT JOIN staff m ON m.id = s.manager_id ORDER BY s.name;
SELECT id, round((julianday(ends) - julianday(starts)) * 24, 2) AS hours FROM shifts ORDER BY hours IS NULL, hours DESC, id;
SELECT staff_id, sum((julianday(coalesce(ends, '2024-05-01 23:00')) - julianday(starts)) * 24) AS hours FROM shifts GROUP BY staff_id ORDER BY staff_id NULLS LAST;
SELECT staff_id, count(*) FROM shifts GROUP BY staff_id ORDER BY staff_id NULLS FIRST;
WITH ordered AS (SELECT starts, ends, lag(ends) OVER (ORDER BY starts) AS prev_end FROM shifts WHERE staff_id IN (1, 2) AND ends IS NOT NULL)
SELECT prev_end AS free_from, starts AS free_to FROM ordered WHERE prev_end < starts ORDER BY starts;
SELECT id FROM shifts WHERE '2024-05-01 11:30' BETWEEN starts AND ends ORDER BY id;
SELECT id FROM shifts WHERE '2024-05-01 11:30' NOT BETWEEN starts AND ends ORDER BY id;
UPDATE shifts SET ends = '2024-05-01 05:00' WHERE id = 5;
UPDATE shifts SET ends = '2024-05-01 14:00' WHERE ends IS NULL;
SELECT id, staff_id, ends FROM shifts ORDER BY id;
DELETE FROM shifts WHERE staff_id NOT IN (SELECT id FROM staff WHERE manager_id IS NOT NULL) RETURNING id;
SELECT id, staff_id FROM shifts ORDER BY id;
SELECT count(*) FILTER (WHERE staff_id IS NULL), count(staff_id), count(DISTINCT staff_id) FROM shifts;
SELECT CASE WHEN NULL THEN 'yes' WHEN NOT NULL THEN 'no' ELSE 'unknown' END, iif(NULL, 1, 2), nullif(1, 1), nullif('a', 'b'), coalesce(NULL, NULL), ifnull(NULL, 0);
