-- A clinic's schedule: practitioners' working hours, appointments guarded against
-- overlaps and past-hours booking by triggers, free-slot search and no-show rates.
CREATE TABLE practitioners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, specialty TEXT NOT NULL, day_start TEXT NOT NULL DEFAULT '09:00', day_end TEXT NOT NULL DEFAULT '17:00');
CREATE TABLE appointments (id INTEGER PRIMARY KEY, practitioner_id INTEGER NOT NULL REFERENCES practitioners (id), patient TEXT NOT NULL, starts TEXT NOT NULL, minutes INTEGER NOT NULL CHECK (minutes BETWEEN 10 AND 120), status TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'done', 'no_show', 'cancelled')));
CREATE INDEX appointments_by_day ON appointments (practitioner_id, starts);
CREATE TRIGGER no_overlap BEFORE INSERT ON appointments WHEN EXISTS (SELECT 1 FROM appointments a WHERE a.practitioner_id = NEW.practitioner_id AND a.status = 'booked' AND a.starts < datetime(NEW.starts, '+' || NEW.minutes || ' minutes') AND datetime(a.starts, '+' || a.minutes || ' minutes') > NEW.starts) BEGIN SELECT RAISE(ABORT, 'slot taken'); END;
CREATE TRIGGER within_hours BEFORE INSERT ON appointments BEGIN SELECT RAISE(ABORT, 'outside working hours') FROM practitioners p WHERE p.id = NEW.practitioner_id AND (time(NEW.starts) < p.day_start OR time(NEW.starts, '+' || NEW.minutes || ' minutes') > p.day_end); END;
CREATE TRIGGER final_status BEFORE UPDATE OF status ON appointments WHEN OLD.status <> 'booked' BEGIN SELECT RAISE(ABORT, 'appointment already closed'); END;
INSERT INTO practitioners (name, specialty, day_start, day_end) VALUES ('Dr. Aalto', 'general', '08:00', '16:00'), ('Dr. Berg', 'dermatology', '10:00', '18:00');
INSERT INTO appointments (practitioner_id, patient, starts, minutes) VALUES (1, 'Ana', '2024-06-03 08:00:00', 30), (1, 'Ben', '2024-06-03 08:30:00', 20), (1, 'Cai', '2024-06-03 10:00:00', 45), (2, 'Dee', '2024-06-03 10:00:00', 60), (2, 'Eli', '2024-06-03 13:15:00', 30);
INSERT INTO appointments (practitioner_id, patient, starts, minutes) VALUES (1, 'Fay', '2024-06-03 08:15:00', 30);
INSERT INTO appointments (practitioner_id, patient, starts, minutes) VALUES (2, 'Gus', '2024-06-03 17:45:00', 30);
INSERT INTO appointments (practitioner_id, patient, starts, minutes) VALUES (1, 'Hal', '2024-06-03 08:50:00', 10);
INSERT INTO appointments (practitioner_id, patient, starts, minutes) VALUES (1, 'Ivy', '2024-06-03 11:00:00', 5);
SELECT id, patient, starts, time(starts, '+' || minutes || ' minutes') AS ends FROM appointments ORDER BY practitioner_id, starts;
SELECT p.name, a.patient, a.starts, lead(a.starts) OVER (PARTITION BY a.practitioner_id ORDER BY a.starts) AS next_start FROM appointments a JOIN practitioners p ON p.id = a.practitioner_id ORDER BY p.name, a.starts;
WITH ordered AS (SELECT practitioner_id, starts, datetime(starts, '+' || minutes || ' minutes') AS ends, lead(starts) OVER (PARTITION BY practitioner_id ORDER BY starts) AS next_start FROM appointments WHERE status = 'booked') SELECT practitioner_id, ends AS gap_from, next_start AS gap_to, CAST(round((julianday(next_start) - julianday(ends)) * 1440) AS INTEGER) AS gap_minutes FROM ordered WHERE next_start > ends ORDER BY practitioner_id, gap_from;
WITH RECURSIVE slots(t) AS (SELECT '2024-06-03 10:00:00' UNION ALL SELECT datetime(t, '+30 minutes') FROM slots WHERE t < '2024-06-03 15:30:00') SELECT time(t) FROM slots s WHERE NOT EXISTS (SELECT 1 FROM appointments a WHERE a.practitioner_id = 2 AND a.starts < datetime(s.t, '+30 minutes') AND datetime(a.starts, '+' || a.minutes || ' minutes') > s.t) ORDER BY t LIMIT 4;
UPDATE appointments SET status = 'done' WHERE patient IN ('Ana', 'Cai', 'Dee');
UPDATE appointments SET status = 'no_show' WHERE patient = 'Ben';
UPDATE appointments SET status = 'cancelled' WHERE patient = 'Ana';
SELECT patient, status FROM appointments ORDER BY id;
SELECT p.name, count(*) AS total, sum(a.status = 'no_show') AS no_shows, round(100.0 * sum(a.status = 'no_show') / count(*), 1) AS no_show_pct FROM practitioners p JOIN appointments a ON a.practitioner_id = p.id GROUP BY p.id ORDER BY p.name;
SELECT p.specialty, sum(a.minutes) AS booked_minutes, printf('%.1f h', sum(a.minutes) / 60.0) AS hours FROM practitioners p LEFT JOIN appointments a ON a.practitioner_id = p.id AND a.status <> 'cancelled' GROUP BY p.specialty ORDER BY p.specialty;
SELECT strftime('%H', starts) AS hour, count(*) FROM appointments GROUP BY hour ORDER BY hour;
SELECT patient, strftime('%w', starts) AS weekday, strftime('%d/%m/%Y %H:%M', starts) AS shown FROM appointments ORDER BY starts, patient;
DELETE FROM appointments WHERE status = 'booked' AND starts < '2024-06-03 12:00:00';
SELECT count(*) FROM appointments;
