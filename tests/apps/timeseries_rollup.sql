-- Metrics rollups: bucketing timestamps with strftime, gaps, moving averages with window frames, deltas with LAG.
CREATE TABLE readings (sensor TEXT NOT NULL, ts TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (sensor, ts));
INSERT INTO readings VALUES ('s1', '2024-03-01 00:05:00', 10.0), ('s1', '2024-03-01 00:20:00', 12.5), ('s1', '2024-03-01 01:10:00', 11.0), ('s1', '2024-03-01 03:00:00', 15.0), ('s2', '2024-03-01 00:00:00', 100), ('s2', '2024-03-01 00:59:59', 90), ('s2', '2024-03-02 12:30:00', 80), ('s1', '2024-03-02 00:00:00', 9.5);
SELECT sensor, strftime('%Y-%m-%d %H:00', ts) AS hour, count(*) AS n, round(avg(value), 2) AS mean, min(value), max(value) FROM readings GROUP BY sensor, hour ORDER BY sensor, hour;
SELECT date(ts) AS day, sensor, sum(value) FROM readings GROUP BY day, sensor ORDER BY day, sensor;
SELECT sensor, ts, value, value - lag(value) OVER (PARTITION BY sensor ORDER BY ts) AS delta FROM readings ORDER BY sensor, ts;
SELECT sensor, ts, round(avg(value) OVER (PARTITION BY sensor ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), 3) AS smooth FROM readings ORDER BY sensor, ts;
SELECT sensor, ts, CAST((julianday(ts) - julianday(lag(ts) OVER (PARTITION BY sensor ORDER BY ts))) * 24 * 60 AS INTEGER) AS gap_minutes FROM readings ORDER BY sensor, ts;
SELECT sensor, ts FROM (SELECT sensor, ts, (julianday(ts) - julianday(lag(ts) OVER (PARTITION BY sensor ORDER BY ts))) * 24 AS gap_hours FROM readings) WHERE gap_hours > 1 ORDER BY sensor, ts;
SELECT sensor, first_value(value) OVER w AS first, last_value(value) OVER w AS last FROM readings WINDOW w AS (PARTITION BY sensor ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) GROUP BY sensor ORDER BY sensor;
SELECT strftime('%w', ts) AS weekday, strftime('%j', ts) AS yday, strftime('%s', ts) AS epoch FROM readings WHERE sensor = 's2' ORDER BY ts;
SELECT sensor, ts, sum(value) OVER (PARTITION BY sensor ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM readings ORDER BY sensor, ts;
SELECT datetime(ts, '+30 minutes'), datetime(ts, 'start of day', '+1 day'), time(ts) FROM readings WHERE sensor = 's1' ORDER BY ts LIMIT 3;
SELECT sensor, ntile(2) OVER (PARTITION BY sensor ORDER BY value) AS half, value FROM readings ORDER BY sensor, value;
SELECT sensor, max(ts) AS latest, value FROM readings GROUP BY sensor ORDER BY sensor;
DELETE FROM readings WHERE ts < datetime('2024-03-02 00:00:00', '-1 day') RETURNING sensor, ts;
SELECT count(*), min(ts), max(ts) FROM readings;
