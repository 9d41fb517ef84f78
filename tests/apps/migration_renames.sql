-- A migration tool renaming columns and tables that views, indexes and triggers depend on, then checking the schema as tools do.
CREATE TABLE customer (
  id    INTEGER PRIMARY KEY,
  Mail  TEXT NOT NULL,   -- contact
  "full name" TEXT
);
CREATE TABLE invoice (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0));
CREATE INDEX customer_mail ON customer (Mail COLLATE NOCASE);
CREATE VIEW customer_totals AS SELECT c.id, c.Mail, sum(i.amount_cents) AS cents FROM customer c LEFT JOIN invoice i ON i.customer_id = c.id GROUP BY c.id;
CREATE TRIGGER invoice_guard BEFORE INSERT ON invoice WHEN NEW.customer_id NOT IN (SELECT id FROM customer) BEGIN SELECT RAISE(ABORT, 'unknown customer'); END;
INSERT INTO customer VALUES (1, 'a@x.io', 'Ann'), (2, 'b@x.io', NULL);
INSERT INTO invoice (customer_id, amount_cents) VALUES (1, 1250), (1, 99), (2, 5000);
ALTER TABLE customer RENAME COLUMN Mail TO email;
ALTER TABLE customer RENAME COLUMN "full name" TO display_name;
ALTER TABLE customer RENAME TO customers;
SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name;
SELECT * FROM customer_totals ORDER BY id;
INSERT INTO invoice (customer_id, amount_cents) VALUES (9, 1);
INSERT INTO invoice (customer_id, amount_cents) VALUES (2, 1);
ALTER TABLE invoice RENAME COLUMN amount_cents TO cents;
SELECT sql FROM sqlite_schema WHERE name = 'invoice';
SELECT printf('%s: %d.%02d', email, cents / 100, cents % 100) FROM customer_totals ORDER BY id;
PRAGMA integrity_check;
PRAGMA quick_check(customers);
SELECT name, type, ncol, wr, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite%' ORDER BY name;
PRAGMA table_info(customers);
PRAGMA index_xinfo(customer_mail);
REINDEX customers;
SELECT email FROM customers WHERE email = 'A@X.IO' COLLATE NOCASE;
ALTER TABLE customers RENAME COLUMN nosuch TO other;
ALTER TABLE customers RENAME TO invoice;
