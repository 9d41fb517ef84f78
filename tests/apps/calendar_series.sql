-- A calendar heatmap: a recursive CTE generates the days, LEFT JOINs count events per day, weeks group with strftime.
CREATE TABLE workouts (id INTEGER PRIMARY KEY, day TEXT NOT NULL, minutes INTEGER NOT NULL, kind TEXT NOT NULL);
INSERT INTO workouts (day, minutes, kind) VALUES ('2024-02-26', 30, 'run'), ('2024-02-28', 45, 'bike'), ('2024-02-28', 15, 'run'), ('2024-03-01', 60, 'swim'), ('2024-03-04', 20, 'run'), ('2024-03-05', 50, 'bike');
WITH RECURSIVE days(d) AS (SELECT '2024-02-26' UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < '2024-03-06') SELECT d, coalesce(sum(w.minutes), 0) AS total, count(w.id) AS sessions FROM days LEFT JOIN workouts w ON w.day = d GROUP BY d ORDER BY d;
WITH RECURSIVE days(d) AS (SELECT '2024-02-26' UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < '2024-03-06') SELECT strftime('%W', d) AS week, count(*) AS days, sum(EXISTS (SELECT 1 FROM workouts WHERE day = d)) AS active FROM days GROUP BY week ORDER BY week;
WITH RECURSIVE days(d) AS (SELECT '2024-02-26' UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < '2024-03-06') SELECT d FROM days WHERE d NOT IN (SELECT day FROM workouts) ORDER BY d;
SELECT kind, sum(minutes), round(100.0 * sum(minutes) / sum(sum(minutes)) OVER (), 1) AS pct FROM workouts GROUP BY kind ORDER BY 2 DESC;
WITH daily AS (SELECT day, sum(minutes) AS m FROM workouts GROUP BY day) SELECT day, m, sum(m) OVER (ORDER BY day ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS three_day FROM daily ORDER BY day;
WITH RECURSIVE streak(day, n) AS (SELECT '2024-03-05', 1 UNION ALL SELECT date(day, '-1 day'), n + 1 FROM streak WHERE EXISTS (SELECT 1 FROM workouts WHERE day = date(streak.day, '-1 day'))) SELECT max(n) FROM streak;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 5) SELECT i, i * i, date('2024-01-31', '+' || i || ' months') FROM n;
SELECT strftime('%Y-%m', day) AS month, count(DISTINCT day) AS active_days, max(minutes) FROM workouts GROUP BY month ORDER BY month;
SELECT day, group_concat(kind, '+') FROM (SELECT day, kind FROM workouts ORDER BY day, kind) GROUP BY day ORDER BY day;
SELECT CASE CAST(strftime('%w', day) AS INTEGER) WHEN 0 THEN 'Sun' WHEN 6 THEN 'Sat' ELSE 'weekday' END AS part, sum(minutes) FROM workouts GROUP BY part ORDER BY part;
