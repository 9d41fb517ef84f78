-- Stock keeping guarded by triggers: BEFORE triggers RAISE on overselling, AFTER triggers log movements and keep totals, a view with INSTEAD OF for transfers.
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0), reserved INTEGER NOT NULL DEFAULT 0);
CREATE TABLE movements (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, delta INTEGER NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL DEFAULT '2024-06-01');
CREATE TABLE totals (product_id INTEGER PRIMARY KEY, moved_in INTEGER NOT NULL DEFAULT 0, moved_out INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER products_oversell BEFORE UPDATE OF stock ON products WHEN NEW.stock < NEW.reserved BEGIN SELECT RAISE(ABORT, 'stock below reserved'); END;
CREATE TRIGGER products_log AFTER UPDATE OF stock ON products WHEN NEW.stock <> OLD.stock BEGIN
  INSERT INTO movements (product_id, delta, reason) VALUES (NEW.id, NEW.stock - OLD.stock, CASE WHEN NEW.stock > OLD.stock THEN 'in' ELSE 'out' END);
  INSERT INTO totals (product_id, moved_in, moved_out) VALUES (NEW.id, max(NEW.stock - OLD.stock, 0), max(OLD.stock - NEW.stock, 0))
    ON CONFLICT(product_id) DO UPDATE SET moved_in = moved_in + excluded.moved_in, moved_out = moved_out + excluded.moved_out;
END;
CREATE TRIGGER products_no_delete BEFORE DELETE ON products WHEN OLD.stock > 0 BEGIN SELECT RAISE(FAIL, 'product still has stock'); END;
CREATE VIEW transfers AS SELECT p.id AS from_id, q.id AS to_id, 0 AS qty FROM products p, products q WHERE 0;
CREATE TRIGGER transfers_do INSTEAD OF INSERT ON transfers BEGIN
  UPDATE products SET stock = stock - NEW.qty WHERE id = NEW.from_id;
  UPDATE products SET stock = stock + NEW.qty WHERE id = NEW.to_id;
END;
INSERT INTO products (name, stock, reserved) VALUES ('bolt', 100, 10), ('nut', 50, 0), ('gear', 5, 5);
UPDATE products SET stock = stock - 30 WHERE id = 1;
UPDATE products SET stock = stock - 1 WHERE id = 3;
UPDATE products SET stock = stock + 20 WHERE name IN ('nut', 'gear');
SELECT id, name, stock FROM products ORDER BY id;
SELECT product_id, delta, reason FROM movements ORDER BY id;
SELECT * FROM totals ORDER BY product_id;
INSERT INTO transfers VALUES (1, 2, 15);
INSERT INTO transfers VALUES (3, 1, 30);
SELECT id, stock FROM products ORDER BY id;
SELECT product_id, sum(delta) FROM movements GROUP BY product_id ORDER BY product_id;
UPDATE products SET stock = -1 WHERE id = 2;
DELETE FROM products WHERE id = 2;
UPDATE products SET stock = 0, reserved = 0 WHERE id = 2;
DELETE FROM products WHERE id = 2 RETURNING name;
SELECT count(*) FROM products;
BEGIN;
UPDATE products SET stock = stock + 5 WHERE id = 1;
SAVEPOINT s1;
UPDATE products SET stock = stock - 1000 WHERE id = 1;
ROLLBACK TO s1;
RELEASE s1;
COMMIT;
SELECT id, stock FROM products ORDER BY id;
SELECT reason, count(*), sum(abs(delta)) FROM movements GROUP BY reason ORDER BY reason;
SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name;
DROP TRIGGER products_log;
UPDATE products SET stock = stock + 1 WHERE id = 1;
SELECT count(*) FROM movements;
