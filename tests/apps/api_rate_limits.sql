-- An API gateway's rate limiter and request log: fixed-window counters kept by upserts,
-- sliding-window checks over epoch seconds, token buckets refilled by arithmetic, and
-- per-client reports with window frames over time ranges.
CREATE TABLE clients (id TEXT PRIMARY KEY, tier TEXT NOT NULL, per_minute INTEGER NOT NULL, burst INTEGER NOT NULL);
CREATE TABLE window_counts (client_id TEXT NOT NULL, window_start INTEGER NOT NULL, hits INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (client_id, window_start));
CREATE TABLE buckets (client_id TEXT PRIMARY KEY, tokens REAL NOT NULL, refilled_at INTEGER NOT NULL);
CREATE TABLE requests (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, at INTEGER NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, ms INTEGER NOT NULL);
CREATE INDEX requests_client_at ON requests(client_id, at);
INSERT INTO clients VALUES ('mobile', 'pro', 120, 20), ('partner', 'enterprise', 600, 100), ('scraper', 'free', 10, 2);
INSERT INTO requests (client_id, at, path, status, ms) VALUES
 ('mobile', 1717200000, '/v1/feed', 200, 35), ('mobile', 1717200010, '/v1/feed', 200, 41), ('mobile', 1717200059, '/v1/me', 200, 12), ('mobile', 1717200061, '/v1/feed', 500, 903),
 ('partner', 1717200001, '/v1/orders', 200, 88), ('partner', 1717200002, '/v1/orders', 201, 120), ('partner', 1717200125, '/v1/orders', 200, 95),
 ('scraper', 1717200000, '/v1/search', 200, 300), ('scraper', 1717200001, '/v1/search', 200, 310), ('scraper', 1717200002, '/v1/search', 429, 1), ('scraper', 1717200003, '/v1/search', 429, 1), ('scraper', 1717200070, '/v1/search', 200, 280);
-- Fixed windows of 60 seconds, counted with an upsert per request.
INSERT INTO window_counts (client_id, window_start, hits) SELECT client_id, at / 60 * 60, 1 FROM requests WHERE true ORDER BY id ON CONFLICT (client_id, window_start) DO UPDATE SET hits = hits + 1;
SELECT client_id, window_start, datetime(window_start, 'unixepoch'), hits FROM window_counts ORDER BY client_id, window_start;
SELECT w.client_id, w.window_start, w.hits, c.per_minute, w.hits > c.per_minute / 6 AS over_soft_limit FROM window_counts w JOIN clients c ON c.id = w.client_id ORDER BY w.client_id, w.window_start;
-- Sliding window: requests in the 60 seconds before each request, itself included.
SELECT id, client_id, at, count(*) OVER (PARTITION BY client_id ORDER BY at RANGE BETWEEN 59 PRECEDING AND CURRENT ROW) AS last_minute FROM requests ORDER BY id;
SELECT r.id, (SELECT count(*) FROM requests p WHERE p.client_id = r.client_id AND p.at > r.at - 60 AND p.at <= r.at) AS last_minute FROM requests r ORDER BY r.id;
-- Token buckets: refill by elapsed seconds at per_minute / 60 a second, capped at burst.
INSERT INTO buckets SELECT id, burst, 1717200000 FROM clients;
UPDATE buckets SET tokens = min((SELECT burst FROM clients WHERE id = client_id), tokens + (1717200030 - refilled_at) * (SELECT per_minute FROM clients WHERE id = client_id) / 60.0) - 5, refilled_at = 1717200030;
SELECT client_id, tokens, tokens >= 1 AS allowed FROM buckets ORDER BY client_id;
UPDATE buckets SET tokens = max(tokens, 0) RETURNING client_id, tokens;
-- Latency report: percentiles by nearest rank, error rates.
SELECT client_id, count(*) AS n, sum(status >= 500) AS errors, sum(status = 429) AS throttled, round(100.0 * sum(status >= 400) / count(*), 2) AS pct_failed, avg(ms), max(ms) FROM requests GROUP BY client_id ORDER BY client_id;
WITH ranked AS (SELECT client_id, ms, row_number() OVER (PARTITION BY client_id ORDER BY ms) AS rn, count(*) OVER (PARTITION BY client_id) AS n FROM requests WHERE status < 400)
SELECT client_id, max(CASE WHEN rn = (n + 1) / 2 THEN ms END) AS p50, max(CASE WHEN rn = n THEN ms END) AS p100 FROM ranked GROUP BY client_id ORDER BY client_id;
SELECT client_id, path, at - lag(at) OVER (PARTITION BY client_id ORDER BY at) AS gap FROM requests ORDER BY client_id, at;
SELECT strftime('%H:%M', at, 'unixepoch') AS minute, count(*), group_concat(DISTINCT client_id) FROM (SELECT * FROM requests ORDER BY client_id) GROUP BY minute ORDER BY minute;
-- Old windows expire.
DELETE FROM window_counts WHERE window_start < (SELECT max(window_start) FROM window_counts) - 60;
SELECT changes(), count(*) FROM window_counts;
SELECT id, client_id FROM requests WHERE at BETWEEN 1717200000 AND 1717200002 AND client_id IN (SELECT id FROM clients WHERE tier <> 'enterprise') ORDER BY at, id;
SELECT c.id, c.tier, coalesce(sum(r.ms), 0) AS total_ms FROM clients c LEFT JOIN requests r ON r.client_id = c.id AND r.status = 201 GROUP BY c.id ORDER BY c.id;
SELECT unixepoch('2024-06-01 00:00:00'), datetime(1717200061, 'unixepoch'), 1717200061 % 60, 1717200061 / 60 * 60, typeof(1717200061 / 60.0);
