-- Activity streaks and sessions: gaps and islands over days (row_number differences), sessions split by idle gaps (lag plus a running sum), longest streak per user.
CREATE TABLE logins (user_id INTEGER NOT NULL, day TEXT NOT NULL, PRIMARY KEY (user_id, day));
INSERT INTO logins VALUES (1, '2024-03-01'), (1, '2024-03-02'), (1, '2024-03-03'), (1, '2024-03-05'), (1, '2024-03-06'), (1, '2024-03-10'), (2, '2024-03-01'), (2, '2024-03-03'), (2, '2024-03-04'), (2, '2024-03-05'), (2, '2024-03-06'), (3, '2024-02-28'), (3, '2024-02-29'), (3, '2024-03-01');
SELECT user_id, min(day) AS streak_start, max(day) AS streak_end, count(*) AS days FROM (SELECT user_id, day, julianday(day) - row_number() OVER (PARTITION BY user_id ORDER BY day) AS grp FROM logins) GROUP BY user_id, grp ORDER BY user_id, streak_start;
WITH streaks AS (SELECT user_id, count(*) AS days FROM (SELECT user_id, day, julianday(day) - row_number() OVER (PARTITION BY user_id ORDER BY day) AS grp FROM logins) GROUP BY user_id, grp) SELECT user_id, max(days) AS longest FROM streaks GROUP BY user_id ORDER BY longest DESC, user_id;
SELECT user_id, day, julianday(day) - julianday(lag(day) OVER (PARTITION BY user_id ORDER BY day)) AS gap FROM logins ORDER BY user_id, day;
SELECT a.user_id, date(a.day, '+1 day') AS missing_from, date(min(b.day), '-1 day') AS missing_to FROM logins a JOIN logins b ON b.user_id = a.user_id AND b.day > a.day WHERE NOT EXISTS (SELECT 1 FROM logins c WHERE c.user_id = a.user_id AND c.day = date(a.day, '+1 day')) GROUP BY a.user_id, a.day ORDER BY a.user_id, a.day;
CREATE TABLE clicks (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, at TEXT NOT NULL, page TEXT);
INSERT INTO clicks (user_id, at, page) VALUES (1, '2024-03-01 09:00:00', '/'), (1, '2024-03-01 09:05:00', '/a'), (1, '2024-03-01 09:50:00', '/b'), (1, '2024-03-01 09:55:30', '/c'), (1, '2024-03-01 12:00:00', '/'), (2, '2024-03-01 09:00:00', '/'), (2, '2024-03-01 09:29:59', '/x'), (2, '2024-03-01 10:00:00', '/y'), (2, '2024-03-01 10:00:00', '/z');
WITH marked AS (SELECT *, CASE WHEN (julianday(at) - julianday(lag(at) OVER (PARTITION BY user_id ORDER BY at, id))) * 1440 > 30 OR lag(at) OVER (PARTITION BY user_id ORDER BY at, id) IS NULL THEN 1 ELSE 0 END AS starts FROM clicks),
 numbered AS (SELECT *, sum(starts) OVER (PARTITION BY user_id ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS session FROM marked)
SELECT user_id, session, min(at) AS started, max(at) AS ended, count(*) AS clicks, round((julianday(max(at)) - julianday(min(at))) * 1440, 2) AS minutes, group_concat(page, ' > ') AS path FROM numbered GROUP BY user_id, session ORDER BY user_id, session;
SELECT user_id, count(*) FILTER (WHERE page = '/') AS home_hits, count(DISTINCT page) AS pages, max(at) FILTER (WHERE page <> '/') AS last_deep FROM clicks GROUP BY user_id ORDER BY user_id;
SELECT user_id, at, page, first_value(page) OVER (PARTITION BY user_id ORDER BY at, id) AS entry, last_value(page) OVER (PARTITION BY user_id ORDER BY at, id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS exit_page FROM clicks ORDER BY user_id, at, id;
SELECT day, count(*) AS active, group_concat(user_id) AS who FROM (SELECT * FROM logins ORDER BY user_id) GROUP BY day ORDER BY day;
SELECT l.day, count(*) AS retained FROM logins l WHERE EXISTS (SELECT 1 FROM logins n WHERE n.user_id = l.user_id AND n.day = date(l.day, '+1 day')) GROUP BY l.day ORDER BY l.day;
SELECT user_id, sum(CASE WHEN day BETWEEN '2024-03-01' AND '2024-03-07' THEN 1 END) AS week1, coalesce(sum(day >= '2024-03-08'), 0) AS later, total(day < '2024-03-01') AS before FROM logins GROUP BY user_id ORDER BY user_id;
DELETE FROM logins WHERE (user_id, day) IN (SELECT user_id, max(day) FROM logins GROUP BY user_id);
SELECT user_id, max(day), count(*) FROM logins GROUP BY user_id ORDER BY user_id;
INSERT OR IGNORE INTO logins VALUES (1, '2024-03-01'), (1, '2024-03-04');
SELECT changes(), count(*) FROM logins WHERE user_id = 1;
SELECT user_id, min(day) AS streak_start, count(*) AS days FROM (SELECT user_id, day, julianday(day) - row_number() OVER (PARTITION BY user_id ORDER BY day) AS grp FROM logins) GROUP BY user_id, grp HAVING count(*) > 2 ORDER BY user_id, streak_start;
