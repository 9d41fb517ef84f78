-- Dashboard queries: pivots with conditional sums, percentages formatted for display, top-N per group, running totals and rank ties.
CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, rep TEXT NOT NULL, quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4), amount INTEGER NOT NULL);
INSERT INTO sales (region, rep, quarter, amount) VALUES ('north', 'ann', 1, 100), ('north', 'ann', 2, 150), ('north', 'bob', 1, 80), ('north', 'bob', 3, 80), ('south', 'cy', 1, 300), ('south', 'cy', 4, 50), ('south', 'dee', 2, 300), ('east', 'eve', 3, 10), ('east', 'eve', 3, 15);
SELECT region, sum(CASE WHEN quarter = 1 THEN amount ELSE 0 END) AS q1, sum(CASE WHEN quarter = 2 THEN amount ELSE 0 END) AS q2, sum(CASE WHEN quarter = 3 THEN amount END) AS q3, sum(amount) FILTER (WHERE quarter = 4) AS q4 FROM sales GROUP BY region ORDER BY region;
SELECT region, sum(amount) AS total, printf('%.1f%%', 100.0 * sum(amount) / (SELECT sum(amount) FROM sales)) AS share FROM sales GROUP BY region ORDER BY total DESC;
SELECT rep, total, rank() OVER (ORDER BY total DESC) AS rnk, dense_rank() OVER (ORDER BY total DESC) AS dense, row_number() OVER (ORDER BY total DESC, rep) AS rn FROM (SELECT rep, sum(amount) AS total FROM sales GROUP BY rep) ORDER BY rn;
SELECT region, rep, total FROM (SELECT region, rep, sum(amount) AS total, row_number() OVER (PARTITION BY region ORDER BY sum(amount) DESC, rep) AS rn FROM sales GROUP BY region, rep) WHERE rn = 1 ORDER BY region;
SELECT quarter, sum(amount) AS q_total, sum(sum(amount)) OVER (ORDER BY quarter) AS running FROM sales GROUP BY quarter ORDER BY quarter;
SELECT region, group_concat(rep, '/') FROM (SELECT DISTINCT region, rep FROM sales ORDER BY region, rep) GROUP BY region ORDER BY region;
SELECT region, count(DISTINCT rep) AS reps, avg(amount) AS mean, round(avg(amount), 1) FROM sales GROUP BY region HAVING count(*) > 1 ORDER BY reps DESC, region;
SELECT rep, amount, round(percent_rank() OVER (ORDER BY amount), 3) AS pr, cume_dist() OVER (ORDER BY amount) AS cd FROM sales ORDER BY amount, rep, id;
SELECT region, max(amount) - min(amount) AS spread, sum(amount > 90) AS big_deals FROM sales GROUP BY region ORDER BY region;
SELECT 'total' AS region, sum(amount) FROM sales UNION ALL SELECT region, sum(amount) FROM sales GROUP BY region ORDER BY 2 DESC, 1;
SELECT quarter, coalesce(sum(amount), 0) FROM (SELECT 1 AS quarter UNION SELECT 2 UNION SELECT 3 UNION SELECT 4) q LEFT JOIN sales USING (quarter) GROUP BY quarter ORDER BY quarter;
SELECT rep, amount, lead(amount, 1, 0) OVER (PARTITION BY rep ORDER BY quarter, id) AS next_amount, nth_value(amount, 2) OVER (PARTITION BY rep ORDER BY quarter, id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second FROM sales ORDER BY rep, quarter, id;
