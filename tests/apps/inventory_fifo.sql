-- Inventory valued first-in first-out: stock lots and sales, running totals with window frames, lots consumed in order, lag/lead between movements.
CREATE TABLE lots (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, received TEXT NOT NULL, qty INTEGER NOT NULL CHECK (qty > 0), unit_cost REAL NOT NULL);
CREATE TABLE sales (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, sold TEXT NOT NULL, qty INTEGER NOT NULL);
CREATE INDEX lots_sku ON lots(sku, received);
INSERT INTO lots (sku, received, qty, unit_cost) VALUES ('bolt', '2024-01-02', 100, 0.10), ('bolt', '2024-01-15', 50, 0.12), ('bolt', '2024-02-01', 80, 0.11), ('nut', '2024-01-05', 200, 0.05), ('nut', '2024-02-10', 100, 0.06), ('washer', '2024-01-20', 30, 0.02);
INSERT INTO sales (sku, sold, qty) VALUES ('bolt', '2024-01-10', 60), ('bolt', '2024-01-20', 70), ('nut', '2024-01-25', 150), ('bolt', '2024-02-05', 20), ('nut', '2024-02-15', 120), ('washer', '2024-02-01', 5);
SELECT sku, received, qty, sum(qty) OVER (PARTITION BY sku ORDER BY received ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_in FROM lots ORDER BY sku, received;
SELECT sku, received, qty, sum(qty) OVER (PARTITION BY sku ORDER BY received ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_lot FROM lots ORDER BY sku, received;
WITH sold AS (SELECT sku, sum(qty) AS total FROM sales GROUP BY sku),
 layered AS (SELECT l.*, coalesce(sum(qty) OVER (PARTITION BY sku ORDER BY received ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS start_at FROM lots l)
SELECT l.sku, l.received, max(0, min(l.qty, coalesce(s.total, 0) - l.start_at)) AS used, l.qty - max(0, min(l.qty, coalesce(s.total, 0) - l.start_at)) AS left_over FROM layered l LEFT JOIN sold s ON s.sku = l.sku ORDER BY l.sku, l.received;
WITH sold AS (SELECT sku, sum(qty) AS total FROM sales GROUP BY sku),
 layered AS (SELECT l.*, coalesce(sum(qty) OVER (PARTITION BY sku ORDER BY received ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS start_at FROM lots l)
SELECT l.sku, round(sum(max(0, min(l.qty, coalesce(s.total, 0) - l.start_at)) * l.unit_cost), 2) AS cogs, round(sum((l.qty - max(0, min(l.qty, coalesce(s.total, 0) - l.start_at))) * l.unit_cost), 2) AS stock_value FROM layered l LEFT JOIN sold s ON s.sku = l.sku GROUP BY l.sku ORDER BY l.sku;
SELECT sku, day, delta, sum(delta) OVER (PARTITION BY sku ORDER BY day, delta DESC) AS on_hand FROM (SELECT sku, received AS day, qty AS delta FROM lots UNION ALL SELECT sku, sold, -qty FROM sales) ORDER BY sku, day, delta DESC;
SELECT sku, sold, qty, lag(sold) OVER w AS previous_sale, lead(qty, 1, 0) OVER w AS next_qty, julianday(sold) - julianday(lag(sold) OVER w) AS days_between FROM sales WINDOW w AS (PARTITION BY sku ORDER BY sold) ORDER BY sku, sold;
SELECT sku, received, unit_cost, first_value(unit_cost) OVER w AS first_cost, last_value(unit_cost) OVER w AS last_cost, nth_value(unit_cost, 2) OVER w AS second_cost FROM lots WINDOW w AS (PARTITION BY sku ORDER BY received ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) ORDER BY sku, received;
SELECT sku, received, round(avg(unit_cost) OVER (PARTITION BY sku ORDER BY received ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), 4) AS smoothed FROM lots ORDER BY sku, received;
SELECT id, sku, qty, ntile(3) OVER (ORDER BY qty DESC, id) AS band, rank() OVER (ORDER BY qty DESC) AS r, dense_rank() OVER (ORDER BY qty DESC) AS dr FROM sales ORDER BY id;
SELECT id, qty, round(percent_rank() OVER (ORDER BY qty), 4) AS pr, round(cume_dist() OVER (ORDER BY qty), 4) AS cd FROM sales ORDER BY id;
SELECT sku, received, qty, sum(qty) OVER (PARTITION BY sku ORDER BY received RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, count(*) OVER (PARTITION BY sku) AS lots_of_sku FROM lots ORDER BY sku, received;
SELECT day, sum(delta) OVER (ORDER BY day GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS two_days FROM (SELECT received AS day, qty AS delta FROM lots UNION ALL SELECT sold, -qty FROM sales) ORDER BY day, 2;
UPDATE lots SET qty = qty - 10 WHERE id = (SELECT id FROM lots WHERE sku = 'washer' ORDER BY received LIMIT 1);
UPDATE lots SET qty = 0 WHERE sku = 'washer';
SELECT sku, sum(qty), total(qty * unit_cost), group_concat(received, '|') FROM lots GROUP BY sku ORDER BY sku;
SELECT sku, max(unit_cost), received FROM lots GROUP BY sku ORDER BY sku;
SELECT sku FROM lots GROUP BY sku HAVING sum(qty) > (SELECT sum(qty) FROM sales s WHERE s.sku = lots.sku) ORDER BY sku;
