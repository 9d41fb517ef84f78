-- Monthly sales reports with window functions: running totals, moving averages, ranks within regions, lag/lead deltas, ntile buckets, filtered aggregates.
CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, rep TEXT NOT NULL, month TEXT NOT NULL, amount REAL NOT NULL);
INSERT INTO sales (region, rep, month, amount) VALUES
 ('east', 'ann', '2024-01', 120.0), ('east', 'ann', '2024-02', 80.5), ('east', 'ann', '2024-03', 200.0),
 ('east', 'bob', '2024-01', 90.0), ('east', 'bob', '2024-02', 90.0), ('east', 'bob', '2024-03', 60.25),
 ('west', 'cy', '2024-01', 300.0), ('west', 'cy', '2024-02', 10.0), ('west', 'dee', '2024-02', 150.0), ('west', 'dee', '2024-03', 150.0);
SELECT month, sum(amount) AS total, sum(sum(amount)) OVER (ORDER BY month) AS running FROM sales GROUP BY month ORDER BY month;
SELECT rep, month, amount, round(avg(amount) OVER (PARTITION BY rep ORDER BY month ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), 2) AS moving FROM sales ORDER BY rep, month;
SELECT region, rep, sum(amount) AS total, rank() OVER (PARTITION BY region ORDER BY sum(amount) DESC) AS rnk FROM sales GROUP BY region, rep ORDER BY region, rnk;
SELECT rep, month, amount, amount - lag(amount, 1, 0) OVER (PARTITION BY rep ORDER BY month) AS delta, lead(month) OVER (PARTITION BY rep ORDER BY month) AS next_month FROM sales ORDER BY rep, month;
SELECT rep, month, amount, ntile(3) OVER (ORDER BY amount DESC, id) AS bucket FROM sales ORDER BY bucket, amount DESC, id;
SELECT region, sum(amount) FILTER (WHERE month = '2024-01') AS jan, sum(amount) FILTER (WHERE month = '2024-03') AS mar, count(*) FILTER (WHERE amount >= 100) AS big FROM sales GROUP BY region ORDER BY region;
SELECT rep, round(100.0 * sum(amount) / sum(sum(amount)) OVER (), 1) AS share FROM sales GROUP BY rep ORDER BY share DESC;
SELECT month, rep, amount, first_value(rep) OVER (PARTITION BY month ORDER BY amount DESC, rep) AS top_rep FROM sales ORDER BY month, amount DESC, rep;
SELECT rep, amount, round(percent_rank() OVER (ORDER BY amount), 3) AS pr, round(cume_dist() OVER (ORDER BY amount), 3) AS cd FROM sales ORDER BY amount, rep;
SELECT rep, month, dense_rank() OVER w AS dr, row_number() OVER w AS rn FROM sales WINDOW w AS (PARTITION BY region ORDER BY amount DESC) ORDER BY region, rn;
SELECT month, total, total - lag(total) OVER (ORDER BY month) AS change FROM (SELECT month, sum(amount) AS total FROM sales GROUP BY month) ORDER BY month;
SELECT rep, month, sum(amount) OVER (PARTITION BY rep ORDER BY month RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ytd FROM sales ORDER BY rep, month;
SELECT region, group_concat(rep || ':' || amount, ',') FROM (SELECT * FROM sales ORDER BY region, amount DESC, id) GROUP BY region ORDER BY region;
SELECT * FROM (SELECT rep, month, amount, row_number() OVER (PARTITION BY rep ORDER BY amount DESC, month) AS rn FROM sales) WHERE rn = 1 ORDER BY rep;
SELECT month, printf('%8.2f', sum(amount)) AS fmt, printf('%-5s|', month) FROM sales GROUP BY month ORDER BY month;
SELECT rep, max(amount) - min(amount) AS spread, count(DISTINCT month) AS months FROM sales GROUP BY rep HAVING spread > 50 ORDER BY spread DESC;
