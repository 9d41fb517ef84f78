-- Timestamps stored as Unix epochs and ISO text side by side: conversions, modifiers, day boundaries, durations.
CREATE TABLE visits (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, started INTEGER NOT NULL, ended INTEGER, iso TEXT);
INSERT INTO visits (user_id, started, ended) VALUES (1, 1700000000, 1700003600), (1, 1700086400, NULL), (2, 1699999999, 1700000001), (2, 1704067199, 1704067260), (3, 0, 86399);
UPDATE visits SET iso = strftime('%Y-%m-%dT%H:%M:%SZ', started, 'unixepoch');
SELECT id, iso, datetime(started, 'unixepoch'), date(started, 'unixepoch', 'localtime') IS NOT NULL FROM visits ORDER BY id;
SELECT id, unixepoch(iso), strftime('%s', iso) - started, julianday(iso) FROM visits ORDER BY id;
SELECT id, ended - started AS secs, printf('%02d:%02d', (ended - started) / 60, (ended - started) % 60) FROM visits WHERE ended IS NOT NULL ORDER BY id;
SELECT user_id, date(started, 'unixepoch') AS day, count(*) FROM visits GROUP BY user_id, day ORDER BY user_id, day;
SELECT id, datetime(started, 'unixepoch', 'start of month'), datetime(started, 'unixepoch', '+1 month', 'start of day'), date(started, 'unixepoch', 'weekday 0') FROM visits ORDER BY id;
SELECT id, strftime('%Y', started, 'unixepoch') = '2023' AS in_2023 FROM visits ORDER BY id;
SELECT id FROM visits WHERE started >= unixepoch('2023-11-15') AND started < unixepoch('2023-11-16') ORDER BY id;
SELECT time(ended, 'unixepoch'), strftime('%H:%M', ended, 'unixepoch', '+30 minutes') FROM visits WHERE ended IS NOT NULL ORDER BY id;
SELECT max(started) - min(started), datetime(avg(started), 'unixepoch') FROM visits;
SELECT id, coalesce(ended, started + 1800) - started AS assumed FROM visits ORDER BY id;
SELECT datetime('2024-02-29 12:00:00', '+1 year'), date('2024-01-31', '+1 month'), datetime('2024-03-10 01:30', '-90 minutes'), julianday('2024-03-01') - julianday('2024-02-01');
SELECT strftime('%W %j %w %u %m/%d', iso), strftime('%f', '2024-01-01 00:00:01.250') FROM visits ORDER BY id;
SELECT unixepoch('2024-01-01 00:00:00'), datetime(1704067200, 'unixepoch'), datetime('1704067200', 'unixepoch');
SELECT date('not a date'), datetime(NULL), strftime('%Y', '2024-13-01');
