-- A game leaderboard: best score per player, ranks with ties, pages, a player's neighbours.
CREATE TABLE scores (id INTEGER PRIMARY KEY, player TEXT NOT NULL, score INTEGER NOT NULL, played TEXT NOT NULL);
CREATE INDEX scores_player ON scores(player, score DESC);
INSERT INTO scores (player, score, played) VALUES ('ann', 120, '2024-01-01'), ('bob', 150, '2024-01-02'), ('cid', 150, '2024-01-03'), ('ann', 170, '2024-01-04'),
 ('dee', 90, '2024-01-05'), ('bob', 80, '2024-01-06'), ('eve', 170, '2024-01-07'), ('fay', 60, '2024-01-08'), ('cid', 10, '2024-01-09');
SELECT player, max(score) AS best FROM scores GROUP BY player ORDER BY best DESC, player;
SELECT player, best, rank() OVER w, dense_rank() OVER w, row_number() OVER w, round(percent_rank() OVER w, 3), ntile(3) OVER w FROM (SELECT player, max(score) AS best FROM scores GROUP BY player) WINDOW w AS (ORDER BY best DESC) ORDER BY 3, player;
SELECT player, best FROM (SELECT player, max(score) AS best FROM scores GROUP BY player) ORDER BY best DESC, player LIMIT 2 OFFSET 2;
WITH ranked AS (SELECT player, max(score) AS best, rank() OVER (ORDER BY max(score) DESC) AS r FROM scores GROUP BY player)
 SELECT player, best, r FROM ranked WHERE r BETWEEN (SELECT r FROM ranked WHERE player = 'dee') - 1 AND (SELECT r FROM ranked WHERE player = 'dee') + 1 ORDER BY r, player;
SELECT player, score, played, score - lag(score) OVER (PARTITION BY player ORDER BY played) AS delta FROM scores ORDER BY player, played;
SELECT player, count(*) AS games, sum(score), avg(score), max(played) FROM scores GROUP BY player HAVING games > 1 ORDER BY player;
SELECT played, sum(score) OVER (ORDER BY played ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM scores ORDER BY played;
SELECT player, first_value(score) OVER (PARTITION BY player ORDER BY score DESC), last_value(score) OVER (PARTITION BY player ORDER BY score DESC ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM scores GROUP BY player ORDER BY player;
SELECT count(*) FILTER (WHERE score >= 100), count(*) FILTER (WHERE score < 100), total(score) FROM scores;
UPDATE scores SET score = score + 5 WHERE player = (SELECT player FROM scores ORDER BY score LIMIT 1);
SELECT player, score FROM scores WHERE player = 'cid' ORDER BY score;
SELECT cume_dist() OVER (ORDER BY score), score FROM scores ORDER BY score, id;
