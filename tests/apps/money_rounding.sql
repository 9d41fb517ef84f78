-- Money kept in integer cents and in REALs: rounding, formatting, splitting a bill, sums that must balance.
CREATE TABLE line_items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, unit_cents INTEGER NOT NULL, qty INTEGER NOT NULL, tax_rate REAL NOT NULL DEFAULT 0.2, price REAL);
INSERT INTO line_items (order_id, unit_cents, qty, tax_rate, price) VALUES (1, 1999, 3, 0.2, 19.99), (1, 250, 1, 0.05, 2.5), (2, 333, 3, 0.2, 3.33), (2, 1, 1, 0.0, 0.01), (3, 10005, 2, 0.175, 100.05);
SELECT order_id, sum(unit_cents * qty) AS net, CAST(round(sum(unit_cents * qty * tax_rate)) AS INTEGER) AS tax, sum(unit_cents * qty) + CAST(round(sum(unit_cents * qty * tax_rate)) AS INTEGER) AS gross FROM line_items GROUP BY order_id ORDER BY order_id;
SELECT order_id, printf('%.2f', sum(price * qty)), round(sum(price * qty), 2), sum(price * qty) FROM line_items GROUP BY order_id ORDER BY order_id;
SELECT printf('%d.%02d', 12345 / 100, 12345 % 100), printf('%,d', 1234567890), printf('%8.2f|%-8.2f|%+.1f', 3.14159, 2.5, 7.25), printf('%05.1f', 9.96);
SELECT round(2.5), round(-2.5), round(0.125, 2), round(1.005, 2), round(2.675, 2), round(1e16 + 0.5), round(-0.4);
SELECT 7 / 2, 7 % 2, -7 / 2, -7 % 2, 7 / 2.0, 1 / 0, 1 % 0, 0.1 + 0.2 = 0.3, abs(-9223372036854775807);
WITH split(n, share) AS (SELECT 3, 10000 / 3) SELECT share, share * n, 10000 - share * n AS remainder FROM split;
SELECT total(price), sum(price), avg(unit_cents), typeof(avg(unit_cents)), sum(CASE WHEN price > 10 THEN 1 END), count(price) FROM line_items;
SELECT id, CAST(price * 100 AS INTEGER), CAST(round(price * 100) AS INTEGER), unit_cents FROM line_items ORDER BY id;
SELECT max(unit_cents * qty), min(price), max(price) - min(price) FROM line_items;
SELECT order_id, group_concat(printf('%.2f', price), ' + ') FROM (SELECT * FROM line_items ORDER BY id) GROUP BY order_id ORDER BY order_id;
SELECT 9223372036854775807 + 1, 9223372036854775807 * 2, -9223372036854775808 - 1, sum(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1);
