-- A support-ticket SLA tracker: epoch seconds via strftime('%s') and unixepoch(), datetime(x, 'unixepoch'), business-hour checks and breach reports.
CREATE TABLE priorities (name TEXT PRIMARY KEY, response_minutes INTEGER NOT NULL, resolve_hours INTEGER NOT NULL);
INSERT INTO priorities VALUES ('urgent', 30, 4), ('high', 120, 24), ('normal', 480, 72), ('low', 1440, 168);
CREATE TABLE tickets (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, priority TEXT NOT NULL REFERENCES priorities(name), opened_at INTEGER NOT NULL, first_reply_at INTEGER, closed_at INTEGER, agent TEXT);
INSERT INTO tickets VALUES
  (1, 'Cannot log in', 'urgent', 1709283600, 1709284500, 1709292600, 'kim'),
  (2, 'Invoice wrong', 'normal', 1709290800, 1709312400, 1709550000, 'lee'),
  (3, 'Feature request', 'low', 1709301600, NULL, NULL, NULL),
  (4, 'Site down', 'urgent', 1709337600, 1709341200, 1709362800, 'kim'),
  (5, 'Password reset', 'high', 1709373600, 1709377200, 1709380800, 'max'),
  (6, 'Export fails', 'high', 1709456400, 1709467200, NULL, 'lee'),
  (7, 'Typo on page', 'low', 1709460000, 1709546400, 1709550000, 'max');
SELECT id, datetime(opened_at, 'unixepoch') AS opened, datetime(closed_at, 'unixepoch') AS closed FROM tickets ORDER BY id;
SELECT id, strftime('%s', datetime(opened_at, 'unixepoch')) AS s, typeof(strftime('%s', datetime(opened_at, 'unixepoch'))) AS t, unixepoch(datetime(opened_at, 'unixepoch')) = opened_at AS roundtrip FROM tickets ORDER BY id;
SELECT t.id, (t.first_reply_at - t.opened_at) / 60 AS reply_min, p.response_minutes, CASE WHEN t.first_reply_at IS NULL THEN 'waiting' WHEN (t.first_reply_at - t.opened_at) / 60 > p.response_minutes THEN 'breached' ELSE 'ok' END AS response_sla FROM tickets t JOIN priorities p ON p.name = t.priority ORDER BY t.id;
SELECT t.id, round((coalesce(t.closed_at, unixepoch('2024-03-05 00:00:00')) - t.opened_at) / 3600.0, 2) AS open_hours, p.resolve_hours FROM tickets t JOIN priorities p ON p.name = t.priority ORDER BY open_hours DESC;
SELECT id FROM tickets WHERE closed_at IS NULL AND opened_at < unixepoch('2024-03-05') - 86400 ORDER BY id;
SELECT date(opened_at, 'unixepoch') AS day, count(*) AS opened, sum(closed_at IS NOT NULL) AS closed FROM tickets GROUP BY day ORDER BY day;
SELECT id, strftime('%H:%M', opened_at, 'unixepoch') AS at, CAST(strftime('%H', opened_at, 'unixepoch') AS INTEGER) BETWEEN 9 AND 16 AS business_hours, strftime('%w', opened_at, 'unixepoch') AS dow FROM tickets ORDER BY id;
SELECT id, time(closed_at - opened_at, 'unixepoch') AS took, (closed_at - opened_at) % 3600 / 60 AS minutes_part FROM tickets WHERE closed_at IS NOT NULL ORDER BY id;
SELECT agent, count(*) AS handled, sum(closed_at - opened_at) / count(closed_at) AS avg_secs, max(closed_at - opened_at) AS worst FROM tickets WHERE agent IS NOT NULL GROUP BY agent ORDER BY agent;
SELECT datetime(1709283600, 'unixepoch', '+30 minutes'), datetime('2024-03-01 09:00:00', '+4 hours', '-1 second'), unixepoch('2024-03-01 09:00:00', '+4 hours');
SELECT julianday(datetime(1709292600, 'unixepoch')) - julianday(datetime(1709283600, 'unixepoch')) AS days, (julianday('2024-03-01 11:30:00') - julianday('2024-03-01 09:00:00')) * 24 AS hours;
SELECT timediff('2024-03-04 12:00:00', '2024-03-01 09:30:00'), timediff(datetime(1709550000, 'unixepoch'), datetime(1709290800, 'unixepoch'));
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 1709283600, 'unixepoch'), strftime('%s', '2024-03-01T09:00:00Z'), strftime('%J', '2024-03-01 12:00'), strftime('%j', 1709283600, 'unixepoch');
SELECT datetime(1709283600.5, 'unixepoch'), datetime('1709283600', 'unixepoch'), datetime(NULL, 'unixepoch'), datetime('abc', 'unixepoch'), unixepoch('2024-02-30'), unixepoch('garbage');
UPDATE tickets SET closed_at = unixepoch('2024-03-04 10:15:00'), agent = coalesce(agent, 'kim') WHERE id IN (3, 6) RETURNING id, agent, datetime(closed_at, 'unixepoch');
SELECT t.priority, count(*) AS n, sum(CASE WHEN t.closed_at - t.opened_at <= p.resolve_hours * 3600 THEN 1 ELSE 0 END) AS within_sla, printf('%.1f%%', 100.0 * sum(t.closed_at - t.opened_at <= p.resolve_hours * 3600) / count(*)) AS rate FROM tickets t JOIN priorities p ON p.name = t.priority GROUP BY t.priority ORDER BY p.response_minutes;
SELECT strftime('%Y-%m-%d %H:00', opened_at, 'unixepoch') AS hour_bucket, count(*) FROM tickets GROUP BY hour_bucket ORDER BY hour_bucket;
SELECT id, opened_at - lag(opened_at) OVER (ORDER BY opened_at) AS secs_since_prev FROM tickets ORDER BY opened_at;
SELECT datetime(opened_at, 'unixepoch', 'start of day', '+1 day', '+9 hours') AS next_morning FROM tickets WHERE id = 4;
SELECT datetime(opened_at, 'auto'), datetime(opened_at / 1000.0 * 1000, 'unixepoch') FROM tickets WHERE id = 1;
SELECT unixepoch(2460371.0), unixepoch('2024-03-01 09:00:00.750', 'subsec'), typeof(unixepoch('2024-03-01', 'subsec'));
