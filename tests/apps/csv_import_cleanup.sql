-- A CSV importer: raw text rows staged, cleaned with trim/NULLIF/CAST, deduplicated, then merged.
CREATE TABLE staging (line INTEGER PRIMARY KEY, sku TEXT, name TEXT, qty TEXT, price TEXT, added TEXT);
INSERT INTO staging (sku, name, qty, price, added) VALUES (' A-1 ', 'Widget', '10', '2.50', '2024-03-01'), ('a-1', 'Widget (dup)', '5', '2.5', '2024-03-02'),
 ('B-2', '  Gadget', '', '10', ''), ('C-3', 'Gizmo', 'seven', '$3', '03/04/2024'), ('D-4', NULL, '0', '0.333', '2024-02-30'), ('', 'Blank sku', '1', '1', NULL);
CREATE TABLE products (sku TEXT PRIMARY KEY COLLATE NOCASE, name TEXT NOT NULL, qty INTEGER NOT NULL DEFAULT 0, price REAL, added TEXT);
SELECT line, upper(trim(sku)), trim(name), NULLIF(trim(qty), ''), CAST(qty AS INTEGER), CAST(price AS REAL), typeof(CAST(price AS NUMERIC)) FROM staging ORDER BY line;
INSERT INTO products (sku, name, qty, price, added)
 SELECT upper(trim(sku)), coalesce(trim(name), '(unnamed)'), coalesce(CAST(NULLIF(trim(qty), '') AS INTEGER), 0), CAST(replace(price, '$', '') AS REAL), date(NULLIF(added, ''))
 FROM staging WHERE trim(sku) <> '' ORDER BY line
 ON CONFLICT(sku) DO UPDATE SET qty = qty + excluded.qty, name = products.name;
SELECT sku, name, qty, price, typeof(price), added FROM products ORDER BY sku;
SELECT count(*), sum(qty), round(sum(qty * price), 2), printf('%.2f', avg(price)) FROM products;
SELECT sku FROM products WHERE added IS NULL OR added NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' ORDER BY sku;
SELECT line FROM staging s WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = trim(s.sku)) ORDER BY line;
SELECT instr(name, '('), substr(name, instr(name, '(') + 1), rtrim(name, ')') FROM staging WHERE name LIKE '%(%';
DELETE FROM staging WHERE line IN (SELECT line FROM staging ORDER BY line LIMIT 2);
SELECT count(*) FROM staging;
SELECT sku, qty FROM products WHERE qty BETWEEN 1 AND 20 ORDER BY qty DESC, sku;
SELECT '"' || group_concat(sku, '","') || '"' FROM (SELECT sku FROM products ORDER BY sku);
SELECT CAST('12abc' AS INTEGER), CAST(' 42 ' AS INTEGER), CAST('1e3' AS INTEGER), CAST('1e3' AS REAL), CAST('-0' AS REAL), '10' + 5, '3.0' * 2;
