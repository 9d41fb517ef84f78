-- Calendar views: months, weeks, day arithmetic and formatting an app shows users.
CREATE TABLE appointments (id INTEGER PRIMARY KEY, starts_at TEXT NOT NULL, minutes INTEGER NOT NULL DEFAULT 30, title TEXT);
INSERT INTO appointments (starts_at, minutes, title) VALUES
 ('2024-02-28 23:30:00', 60, 'late'), ('2024-02-29 09:00:00', 30, 'leap'), ('2024-03-10 14:15:00', 45, 'sunday'),
 ('2024-12-31 23:59:59', 1, 'nye'), ('2025-01-01 00:00:00', 120, 'new year');
SELECT id, datetime(starts_at, '+' || minutes || ' minutes') AS ends_at FROM appointments ORDER BY id;
SELECT id, date(starts_at, 'weekday 1') AS next_monday, date(starts_at, '-6 days', 'weekday 1') AS this_monday FROM appointments ORDER BY id;
SELECT strftime('%Y-%m', starts_at) AS month, count(*), sum(minutes) FROM appointments GROUP BY month ORDER BY month;
SELECT id, CASE CAST(strftime('%w', starts_at) AS INTEGER) WHEN 0 THEN 'Sun' WHEN 6 THEN 'Sat' ELSE 'weekday' END FROM appointments ORDER BY id;
SELECT id, strftime('%d.%m.%Y %H:%M', starts_at) FROM appointments ORDER BY starts_at;
SELECT date('2024-01-31', '+1 month', 'start of month'), date('2024-03-31', '-1 month'), date('2024-01-15', 'start of month', '+1 month', '-1 day');
SELECT datetime('2024-03-10 14:15:00', '+0.5 days'), datetime('2024-03-10', '+36 hours'), datetime('2024-03-10', '-90 seconds');
SELECT date('2024-03-10', '+1 years'), date('2024-03-10', '+12 months'), date('2024-03-10', '+1.5 months');
SELECT julianday('2024-03-10 12:00:00'), julianday('2000-01-01'), typeof(julianday('2000-01-01'));
SELECT unixepoch('2024-03-10 14:15:00'), datetime(unixepoch('2024-03-10 14:15:00'), 'unixepoch'), strftime('%s', '2024-03-10 14:15:00');
SELECT datetime(1710080100, 'unixepoch', 'start of day'), date(1710080100, 'unixepoch', 'start of month');
SELECT datetime(2460380.5), date(2460380.5), datetime('2460380.5'), datetime(2460380.5, 'julianday');
SELECT time('14:15'), time('14:15:30.25'), time('25:00'), datetime('2024-03-10 14:15', '+1 hour', '+30 minutes');
SELECT date('2024-03-10', '+7 days', 'weekday 0'), date('2024-02-29', '+1 day'), date('2023-02-28', '+1 day');
SELECT id FROM appointments WHERE starts_at >= date('2024-02-29') AND starts_at < date('2024-02-29', '+1 day') ORDER BY id;
SELECT id, (strftime('%s', '2025-01-01') - strftime('%s', starts_at)) / 86400 AS days_left FROM appointments ORDER BY id;
SELECT date('now') = date('now', 'localtime'), date('now') IS NOT NULL, length(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
SELECT datetime('2024-03-10T14:15:00.000Z'), datetime('2024-03-10 14:15:00-05:00'), date('20240310');
SELECT strftime('%j', '2024-12-31'), strftime('%W', '2024-01-01'), strftime('%W', '2023-01-01'), strftime('%U', '2024-01-07');
SELECT max(starts_at), min(date(starts_at)) FROM appointments;
SELECT count(*) FROM appointments WHERE strftime('%Y', starts_at) = '2024';
SELECT date(starts_at) AS d, group_concat(title, '+' ORDER BY starts_at) FROM appointments GROUP BY d ORDER BY d;
