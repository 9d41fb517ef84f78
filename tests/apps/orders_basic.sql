-- An order-taking app: customers, products, orders and their lines.
PRAGMA foreign_keys = ON;
CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'shipped')),
  created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id INTEGER NOT NULL REFERENCES products(id),
  qty INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (order_id, product_id)
);
INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada'), ('bob@example.com', 'Bob');
INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada again');
INSERT INTO products VALUES (1, 'A-1', 'Widget', 250), (2, 'B-2', 'Gadget', 1999), (3, 'C-3', 'Gizmo', 0);
INSERT INTO products VALUES (4, 'D-4', 'Broken', -1);
INSERT INTO orders (customer_id) VALUES (1) RETURNING id, status;
INSERT INTO orders (customer_id, status) VALUES (2, 'paid');
INSERT INTO orders (customer_id) VALUES (99);
INSERT INTO order_items VALUES (1, 1, 3), (1, 2, 1), (2, 3, 10);
SELECT typeof(created_at), length(created_at) FROM customers;
SELECT o.id, c.name, sum(p.price_cents * i.qty) AS total
  FROM orders o JOIN customers c ON c.id = o.customer_id
  JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id
  GROUP BY o.id ORDER BY total DESC;
SELECT printf('%.2f', sum(p.price_cents * i.qty) / 100.0) FROM order_items i JOIN products p ON p.id = i.product_id;
DELETE FROM customers WHERE id = 1;
SELECT count(*) FROM orders;
SELECT count(*) FROM order_items;
SELECT * FROM sqlite_sequence ORDER BY name;
