-- A shop catalog: variants, price history, stock alerts, discount rules.
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, active INTEGER DEFAULT 1);
CREATE TABLE variants (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, size TEXT, color TEXT, price REAL NOT NULL, stock INTEGER NOT NULL DEFAULT 0, UNIQUE (product_id, size, color));
CREATE TABLE price_history (variant_id INTEGER, price REAL, changed_at TEXT);
CREATE TRIGGER variant_price AFTER UPDATE OF price ON variants WHEN NEW.price <> OLD.price BEGIN
  INSERT INTO price_history VALUES (OLD.id, OLD.price, '2024-06-01');
END;
INSERT INTO products VALUES (1, 'Tee', 'apparel', 1), (2, 'Mug', 'home', 1), (3, 'Old hat', 'apparel', 0);
INSERT INTO variants (product_id, size, color, price, stock) VALUES
 (1, 'S', 'red', 15.0, 5), (1, 'M', 'red', 15.0, 0), (1, 'M', 'blue', 16.5, 12), (2, NULL, 'white', 8.25, 3), (3, 'L', NULL, 5, 1);
INSERT INTO variants (product_id, size, color, price) VALUES (1, 'S', 'red', 1);
INSERT INTO variants (product_id, size, color, price) VALUES (2, NULL, 'white', 1);
UPDATE variants SET price = price * 0.9 WHERE product_id = 1;
UPDATE variants SET price = 8.25 WHERE id = 4;
SELECT variant_id, price FROM price_history ORDER BY variant_id;
SELECT id, price, round(price, 2), printf('%.2f', price) FROM variants ORDER BY id;
SELECT p.name, min(v.price), max(v.price), sum(v.stock) FROM products p JOIN variants v ON v.product_id = p.id WHERE p.active GROUP BY p.id ORDER BY p.name;
SELECT p.name, v.size, v.color FROM variants v JOIN products p ON p.id = v.product_id WHERE v.stock = 0 OR v.stock < 4 ORDER BY v.id;
SELECT category, count(*) FROM products GROUP BY category HAVING count(*) >= 1 ORDER BY category;
SELECT name FROM products WHERE id NOT IN (SELECT product_id FROM variants WHERE stock > 0) ORDER BY name;
SELECT coalesce(size, '-') || '/' || coalesce(color, '-') FROM variants ORDER BY id;
SELECT DISTINCT color FROM variants WHERE color IS NOT NULL ORDER BY color;
SELECT count(DISTINCT size), count(size), count(*) FROM variants;
SELECT product_id, group_concat(DISTINCT color ORDER BY color) FROM variants GROUP BY product_id ORDER BY product_id;
SELECT id FROM variants WHERE price = 13.5;
SELECT id, price FROM variants WHERE price BETWEEN 10 AND 15 ORDER BY id;
SELECT sum(price * stock), avg(price), typeof(avg(price)) FROM variants;
SELECT p.name, (SELECT count(*) FROM variants v WHERE v.product_id = p.id) FROM products p ORDER BY p.id;
UPDATE products SET active = 0 WHERE NOT EXISTS (SELECT 1 FROM variants WHERE product_id = products.id AND stock > 0);
SELECT id, active FROM products ORDER BY id;
SELECT v.id FROM variants v LEFT JOIN products p ON p.id = v.product_id AND p.active = 1 WHERE p.id IS NULL ORDER BY v.id;
DELETE FROM variants WHERE product_id IN (SELECT id FROM products WHERE active = 0) RETURNING id;
SELECT count(*) FROM variants;
