-- A product analytics funnel: steps per visitor, conditional aggregates written the ways
-- people write them, conversion percentages rounded and printed, per-channel breakdowns.
CREATE TABLE visitors (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, country TEXT, first_seen TEXT NOT NULL);
CREATE TABLE funnel_events (id INTEGER PRIMARY KEY, visitor_id INTEGER NOT NULL, step TEXT NOT NULL, at TEXT NOT NULL, revenue REAL);
CREATE INDEX funnel_events_visitor ON funnel_events(visitor_id, step);
INSERT INTO visitors VALUES (1, 'ads', 'DE', '2024-05-01'), (2, 'ads', 'FR', '2024-05-01'), (3, 'organic', 'DE', '2024-05-02'), (4, 'organic', NULL, '2024-05-02'), (5, 'referral', 'US', '2024-05-03'), (6, 'ads', 'US', '2024-05-03'), (7, 'organic', 'FR', '2024-05-04'), (8, 'referral', 'DE', '2024-05-04');
INSERT INTO funnel_events (visitor_id, step, at, revenue) VALUES
 (1, 'landing', '2024-05-01 10:00', NULL), (1, 'signup', '2024-05-01 10:05', NULL), (1, 'trial', '2024-05-01 10:06', NULL), (1, 'purchase', '2024-05-03 09:00', 49.0),
 (2, 'landing', '2024-05-01 11:00', NULL), (2, 'signup', '2024-05-01 11:30', NULL),
 (3, 'landing', '2024-05-02 08:00', NULL),
 (4, 'landing', '2024-05-02 09:00', NULL), (4, 'signup', '2024-05-02 09:02', NULL), (4, 'trial', '2024-05-02 09:03', NULL),
 (5, 'landing', '2024-05-03 12:00', NULL), (5, 'signup', '2024-05-03 12:10', NULL), (5, 'trial', '2024-05-03 12:11', NULL), (5, 'purchase', '2024-05-03 12:40', 99.5), (5, 'purchase', '2024-05-20 12:40', 99.5),
 (6, 'landing', '2024-05-03 13:00', NULL), (6, 'landing', '2024-05-03 13:05', NULL),
 (7, 'landing', '2024-05-04 07:00', NULL), (7, 'signup', '2024-05-04 07:30', NULL), (7, 'trial', '2024-05-04 07:31', NULL), (7, 'purchase', '2024-05-06 07:31', 19.99),
 (8, 'signup', '2024-05-04 15:00', NULL);
SELECT sum(step = 'landing'), sum(step = 'signup'), sum(step = 'trial'), sum(step = 'purchase') FROM funnel_events;
SELECT count(DISTINCT visitor_id) FILTER (WHERE step = 'landing') AS landed, count(DISTINCT visitor_id) FILTER (WHERE step = 'signup') AS signed_up, count(DISTINCT visitor_id) FILTER (WHERE step = 'purchase') AS bought FROM funnel_events;
WITH per_visitor AS (
  SELECT v.id, v.channel, max(e.step = 'landing') AS landed, max(e.step = 'signup') AS signed, max(e.step = 'trial') AS trialed, max(e.step = 'purchase') AS bought
  FROM visitors v LEFT JOIN funnel_events e ON e.visitor_id = v.id GROUP BY v.id
)
SELECT channel, count(*) AS visitors, sum(landed), sum(signed), sum(trialed), sum(bought),
       round(100.0 * sum(bought) / count(*), 1) AS pct_bought,
       printf('%.2f%%', 100.0 * sum(signed) / nullif(sum(landed), 0)) AS signup_rate
FROM per_visitor GROUP BY channel ORDER BY channel;
SELECT total(revenue), sum(revenue), avg(revenue), count(revenue), count(*) FROM funnel_events WHERE step = 'purchase';
SELECT total(revenue), sum(revenue) FROM funnel_events WHERE step = 'refund';
SELECT v.country, printf('%8.2f', total(e.revenue)) AS revenue FROM visitors v JOIN funnel_events e ON e.visitor_id = v.id GROUP BY v.country ORDER BY total(e.revenue) DESC, v.country;
SELECT coalesce(country, '(unknown)') AS country, count(*) FROM visitors GROUP BY 1 ORDER BY 2 DESC, 1;
-- Time from landing to signup, in minutes, for those who did both.
SELECT l.visitor_id, CAST(round((julianday(s.at) - julianday(l.at)) * 1440) AS INTEGER) AS minutes
FROM funnel_events l JOIN funnel_events s ON s.visitor_id = l.visitor_id AND s.step = 'signup'
WHERE l.step = 'landing' AND l.id = (SELECT min(id) FROM funnel_events WHERE visitor_id = l.visitor_id AND step = 'landing')
ORDER BY minutes, l.visitor_id;
-- Visitors who signed up without a landing event (tracking gaps).
SELECT visitor_id FROM funnel_events WHERE step = 'signup' EXCEPT SELECT visitor_id FROM funnel_events WHERE step = 'landing';
-- Step-to-step drop-off with window functions.
WITH steps(step, ord) AS (VALUES ('landing', 1), ('signup', 2), ('trial', 3), ('purchase', 4)),
counts AS (SELECT s.step, s.ord, count(DISTINCT e.visitor_id) AS n FROM steps s LEFT JOIN funnel_events e ON e.step = s.step GROUP BY s.step, s.ord)
SELECT step, n, lag(n) OVER (ORDER BY ord) AS previous, round(100.0 * n / first_value(n) OVER (ORDER BY ord), 2) AS of_top,
       iif(lag(n) OVER (ORDER BY ord) IS NULL, '-', printf('%d%%', 100 * n / lag(n) OVER (ORDER BY ord))) AS of_previous
FROM counts ORDER BY ord;
SELECT date(at) AS day, count(*) FILTER (WHERE step = 'signup') AS signups, sum(CASE WHEN step = 'purchase' THEN 1 ELSE 0 END) AS purchases FROM funnel_events GROUP BY day HAVING signups + purchases > 0 ORDER BY day;
SELECT visitor_id, group_concat(step, '>') FROM (SELECT visitor_id, step FROM funnel_events ORDER BY visitor_id, at, id) GROUP BY visitor_id ORDER BY visitor_id;
SELECT channel, avg(bought) FROM (SELECT v.channel, EXISTS (SELECT 1 FROM funnel_events e WHERE e.visitor_id = v.id AND e.step = 'purchase') AS bought FROM visitors v) GROUP BY channel ORDER BY channel;
SELECT sum(revenue) / count(DISTINCT visitor_id) AS arppu, round(sum(revenue) / (SELECT count(*) FROM visitors), 4) AS arpu FROM funnel_events WHERE revenue IS NOT NULL;
SELECT max(revenue), min(revenue), typeof(max(revenue)), typeof(sum(step = 'purchase')) FROM funnel_events;
