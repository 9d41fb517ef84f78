-- Sales reports: window functions, ranking, running totals.
CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, rep TEXT, amount REAL, sold_on TEXT);
INSERT INTO sales (region, rep, amount, sold_on) VALUES
  ('north', 'ann', 100, '2024-01-05'), ('north', 'ann', 250.5, '2024-01-20'),
  ('north', 'bo', 75, '2024-02-01'), ('south', 'cy', 300, '2024-01-11'),
  ('south', 'cy', 300, '2024-02-14'), ('south', 'di', 20.25, '2024-02-15'),
  ('east', 'ed', NULL, '2024-03-01'), ('east', 'ed', 10, '2024-03-02');
SELECT region, sum(amount), count(amount), count(*), avg(amount), round(avg(amount), 2) FROM sales GROUP BY region ORDER BY region;
SELECT id, rep, amount, row_number() OVER (PARTITION BY region ORDER BY amount DESC, id) AS rn FROM sales ORDER BY id;
SELECT id, rank() OVER (ORDER BY amount DESC), dense_rank() OVER (ORDER BY amount DESC) FROM sales ORDER BY id;
SELECT id, sum(amount) OVER (ORDER BY sold_on) AS running FROM sales ORDER BY sold_on;
SELECT id, sum(amount) OVER (PARTITION BY region ORDER BY sold_on ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM sales ORDER BY id;
SELECT id, lag(amount) OVER (ORDER BY id), lead(amount, 2, -1) OVER (ORDER BY id) FROM sales ORDER BY id;
SELECT id, first_value(rep) OVER w, last_value(rep) OVER w, nth_value(rep, 2) OVER w FROM sales WINDOW w AS (PARTITION BY region ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) ORDER BY id;
SELECT id, ntile(3) OVER (ORDER BY id), percent_rank() OVER (ORDER BY id), cume_dist() OVER (ORDER BY id) FROM sales ORDER BY id;
SELECT region, rep, total FROM (SELECT region, rep, sum(amount) AS total, rank() OVER (PARTITION BY region ORDER BY sum(amount) DESC) AS r FROM sales GROUP BY region, rep) WHERE r = 1 ORDER BY region;
SELECT id, count(*) OVER (), avg(amount) OVER (PARTITION BY region) FROM sales ORDER BY id;
SELECT strftime('%m', sold_on) AS m, sum(amount) AS total, sum(sum(amount)) OVER (ORDER BY strftime('%m', sold_on)) AS cum FROM sales GROUP BY m ORDER BY m;
SELECT rep, max(amount), sold_on FROM sales GROUP BY rep ORDER BY rep;
SELECT rep, min(amount), id FROM sales GROUP BY rep ORDER BY rep;
SELECT region, group_concat(DISTINCT rep) FROM sales GROUP BY region ORDER BY region;
SELECT region FROM sales GROUP BY region HAVING sum(amount) > 300 ORDER BY 1;
SELECT region, count(DISTINCT rep) AS reps FROM sales GROUP BY 1 ORDER BY reps DESC, region;
SELECT CASE WHEN amount >= 200 THEN 'big' WHEN amount >= 50 THEN 'mid' ELSE 'small' END AS bucket, count(*) FROM sales GROUP BY bucket ORDER BY bucket;
SELECT id, amount, sum(amount) OVER (ORDER BY amount RANGE BETWEEN 50 PRECEDING AND 50 FOLLOWING) FROM sales WHERE amount IS NOT NULL ORDER BY id;
SELECT id, amount FROM sales ORDER BY amount DESC NULLS LAST, id LIMIT 3;
SELECT id, amount FROM sales ORDER BY amount NULLS FIRST, id LIMIT 3;
SELECT id, amount FROM sales ORDER BY amount, id;
SELECT id, group_concat(rep, '/') OVER (ORDER BY id ROWS 2 PRECEDING) FROM sales ORDER BY id;
SELECT sum(amount) FILTER (WHERE region = 'north'), count(*) FILTER (WHERE amount > 50) FROM sales;
