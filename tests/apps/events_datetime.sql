-- An event log with date and time arithmetic.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  at TEXT NOT NULL,
  payload TEXT
);
INSERT INTO events (kind, at, payload) VALUES
  ('login', '2024-01-31 08:15:00', '{"user": 1}'),
  ('click', '2024-02-29 12:00:00', '{"user": 1, "x": 10}'),
  ('login', '2024-03-01T23:59:59', '{"user": 2}'),
  ('logout', '2023-12-31 23:59:59.500', NULL),
  ('click', '2024-02-29', '{"user": 2, "x": 3.5}');
SELECT date(at), time(at), datetime(at) FROM events ORDER BY id;
SELECT date(at, '+1 month'), date(at, '-1 day'), date(at, 'start of month') FROM events ORDER BY id;
SELECT date(at, 'start of year', '+1 year', '-1 day') FROM events ORDER BY id;
SELECT datetime(at, '+90 minutes'), datetime(at, '+1.5 hours') FROM events ORDER BY id;
SELECT strftime('%Y-%m', at) AS month, count(*) FROM events GROUP BY month ORDER BY month;
SELECT strftime('%w %j %H:%M:%S %s', at) FROM events ORDER BY id;
SELECT strftime('%f', at), strftime('%W', at), strftime('%u', at) FROM events ORDER BY id;
SELECT julianday(at) - julianday('2024-01-01') FROM events ORDER BY id;
SELECT CAST(julianday('2024-03-01') - julianday('2024-02-01') AS INTEGER);
SELECT unixepoch('2024-01-01 00:00:00'), unixepoch('2024-01-01', '+1 day');
SELECT datetime(1700000000, 'unixepoch'), datetime(1700000000.5, 'unixepoch');
SELECT date('2024-01-31', '+1 month'), date('2023-01-31', '+1 month');
SELECT date('2024-05-15', 'weekday 0'), date('2024-05-15', 'weekday 3');
SELECT date('not a date'), date(NULL), datetime('2024-13-01');
SELECT typeof(CURRENT_TIMESTAMP), length(CURRENT_TIMESTAMP), length(CURRENT_DATE), length(CURRENT_TIME);
SELECT typeof(date('now')), length(datetime('now', 'localtime')) > 0;
SELECT kind, max(at) FROM events GROUP BY kind ORDER BY kind;
SELECT kind, count(*) FROM events WHERE at >= '2024-02-01' GROUP BY kind HAVING count(*) > 1;
SELECT id FROM events WHERE date(at) BETWEEN '2024-02-01' AND '2024-02-29' ORDER BY id;
SELECT strftime('%Y-%m-%d %H:%M', '2024-06-01 10:30:45', '+30 seconds');
SELECT time('12:30'), time('12:30', '+45 minutes'), datetime('2024-01-01 00:00', '-1 second');
SELECT date('2024-02-29', '+1 year'), date('2024-02-29', '-1 year');
SELECT datetime('2024-01-01 12:00:00', 'start of day'), date('2024-03-15', 'start of month', '-1 day');
SELECT strftime('%d/%m/%Y', at) FROM events ORDER BY at;
SELECT strftime('%e|%F|%G|%g|%k|%I|%l|%p|%P|%R|%T|%U|%V|%u', at) FROM events ORDER BY id;
SELECT strftime('%G-W%V-%u', d), strftime('%U %W %j', d) FROM (SELECT '2021-01-01' AS d UNION ALL SELECT '2020-12-31' UNION ALL SELECT '2024-12-30' UNION ALL SELECT '2027-01-03' UNION ALL SELECT '2024-06-09 00:30') ORDER BY d;
SELECT strftime('%I:%M %p', '2024-01-01 00:05'), strftime('%l %P', '2024-01-01 12:00'), strftime('%I %p', '2024-01-01 13:00');
