-- Product analytics: sessions, funnels and retention over an events table.
CREATE TABLE events (user_id INTEGER, name TEXT, ts INTEGER, props TEXT);
INSERT INTO events VALUES
 (1, 'signup', 1704067200, '{"src":"ads"}'), (1, 'view', 1704070800, '{"page":"home"}'), (1, 'buy', 1704074400, '{"amount":19.99}'),
 (2, 'signup', 1704153600, '{"src":"seo"}'), (2, 'view', 1704157200, '{"page":"home"}'),
 (3, 'signup', 1704240000, '{"src":"ads"}'), (3, 'view', 1704672000, '{"page":"pricing"}'), (3, 'buy', 1704675600, '{"amount":5}'),
 (4, 'view', 1704700000, NULL);
SELECT date(ts, 'unixepoch') AS day, count(*) FROM events GROUP BY day ORDER BY day;
SELECT name, count(DISTINCT user_id) FROM events GROUP BY name ORDER BY 2 DESC, name;
SELECT json_extract(props, '$.src') AS src, count(*) FROM events WHERE name = 'signup' GROUP BY src ORDER BY src;
SELECT sum(json_extract(props, '$.amount')), total(props ->> '$.amount'), typeof(sum(props ->> '$.amount')) FROM events WHERE name = 'buy';
SELECT s.user_id, (b.ts - s.ts) / 3600.0 AS hours_to_buy FROM events s JOIN events b ON b.user_id = s.user_id AND b.name = 'buy' WHERE s.name = 'signup' ORDER BY s.user_id;
SELECT count(*) FILTER (WHERE name = 'signup') AS signups, count(*) FILTER (WHERE name = 'buy') AS buys, round(1.0 * count(*) FILTER (WHERE name = 'buy') / count(*) FILTER (WHERE name = 'signup'), 3) FROM events;
SELECT user_id, group_concat(name, '>') FROM (SELECT * FROM events ORDER BY ts) GROUP BY user_id ORDER BY user_id;
SELECT user_id, name, ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts) AS gap FROM events ORDER BY user_id, ts;
SELECT strftime('%Y-W%W', ts, 'unixepoch') AS wk, count(DISTINCT user_id) FROM events GROUP BY wk ORDER BY wk;
SELECT user_id FROM events GROUP BY user_id HAVING max(ts) - min(ts) > 86400 * 3 ORDER BY user_id;
SELECT e.user_id FROM events e WHERE e.name = 'signup' AND NOT EXISTS (SELECT 1 FROM events b WHERE b.user_id = e.user_id AND b.name = 'buy');
SELECT datetime(min(ts), 'unixepoch'), datetime(max(ts), 'unixepoch') FROM events;
SELECT user_id, max(ts), name FROM events GROUP BY user_id ORDER BY user_id;
SELECT CAST(ts / 86400 AS INTEGER) * 86400 AS bucket, count(*) FROM events GROUP BY bucket ORDER BY bucket;
SELECT name, printf('%.1f%%', 100.0 * count(*) / (SELECT count(*) FROM events)) FROM events GROUP BY name ORDER BY name;
SELECT avg(ts) FROM events;
SELECT count(*), count(props), count(DISTINCT props ->> '$.page') FROM events;
SELECT user_id, json_group_array(name) FROM events GROUP BY user_id ORDER BY user_id;
SELECT json_group_object(name, ts) FROM events WHERE user_id = 1;
SELECT user_id, sum(name = 'view') AS views FROM events GROUP BY user_id ORDER BY user_id;
