-- Room bookings: overlap checks, availability, date ranges.
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, capacity INTEGER);
CREATE TABLE bookings (id INTEGER PRIMARY KEY, room_id INTEGER, guest TEXT, check_in TEXT, check_out TEXT, CHECK (check_out > check_in));
INSERT INTO rooms VALUES (1, 'Oak', 2), (2, 'Pine', 4), (3, 'Elm', 1);
INSERT INTO bookings (room_id, guest, check_in, check_out) VALUES (1, 'ann', '2024-07-01', '2024-07-05'), (1, 'bob', '2024-07-05', '2024-07-07'), (2, 'cy', '2024-07-03', '2024-07-04');
INSERT INTO bookings (room_id, guest, check_in, check_out) VALUES (3, 'bad', '2024-07-05', '2024-07-01');
SELECT r.name FROM rooms r WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.room_id = r.id AND b.check_in < '2024-07-06' AND b.check_out > '2024-07-04') ORDER BY r.name;
SELECT guest, julianday(check_out) - julianday(check_in) AS nights FROM bookings ORDER BY id;
SELECT guest, CAST(julianday(check_out) - julianday(check_in) AS INTEGER) * 100 AS cost FROM bookings ORDER BY cost DESC, guest;
SELECT a.guest, b.guest FROM bookings a JOIN bookings b ON a.room_id = b.room_id AND a.id < b.id AND a.check_in < b.check_out AND b.check_in < a.check_out;
WITH RECURSIVE d(day) AS (SELECT '2024-07-01' UNION ALL SELECT date(day, '+1 day') FROM d WHERE day < '2024-07-07')
SELECT d.day, count(b.id) FROM d LEFT JOIN bookings b ON d.day >= b.check_in AND d.day < b.check_out GROUP BY d.day ORDER BY d.day;
SELECT r.name, coalesce(sum(julianday(b.check_out) - julianday(b.check_in)), 0) FROM rooms r LEFT JOIN bookings b ON b.room_id = r.id GROUP BY r.id ORDER BY r.id;
SELECT strftime('%w', check_in) AS dow, count(*) FROM bookings GROUP BY dow ORDER BY dow;
SELECT guest, date(check_in, '-7 days') AS remind FROM bookings ORDER BY remind;
SELECT guest FROM bookings WHERE check_in BETWEEN date('2024-07-01') AND date('2024-07-01', '+3 days') ORDER BY guest;
SELECT max(check_out), min(check_in) FROM bookings;
SELECT room_id, group_concat(guest, ',' ORDER BY check_in) FROM bookings GROUP BY room_id ORDER BY room_id;
UPDATE bookings SET check_out = date(check_out, '+1 day') WHERE guest = 'bob' RETURNING check_out;
SELECT timediff('2024-07-07', '2024-07-01');
SELECT datetime('2024-07-01 10:00:00+02:00'), datetime('2024-07-01T10:00:00Z'), datetime('2024-07-01 10:00:00.123456');
