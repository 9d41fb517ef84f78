-- Soft delete: rows carry deleted_at, a partial unique index keeps live emails unique, views and index hints read live rows only, restore and purge.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  plan TEXT NOT NULL DEFAULT 'free',
  deleted_at TEXT
);
CREATE UNIQUE INDEX accounts_live_email ON accounts(email) WHERE deleted_at IS NULL;
CREATE INDEX accounts_deleted ON accounts(deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX accounts_name ON accounts(name);
CREATE VIEW live_accounts AS SELECT id, email, name, plan FROM accounts WHERE deleted_at IS NULL;
INSERT INTO accounts (email, name, plan) VALUES ('ann@x.io', 'Ann', 'pro'), ('bob@x.io', 'Bob', 'free'), ('cy@x.io', 'Cy', 'pro'), ('dee@x.io', 'Dee', 'team');
INSERT INTO accounts (email, name) VALUES ('ann@x.io', 'Ann Again');
UPDATE accounts SET deleted_at = '2024-03-01 09:00:00' WHERE email = 'ann@x.io';
INSERT INTO accounts (email, name) VALUES ('ann@x.io', 'Ann Again');
SELECT id, email, name FROM live_accounts ORDER BY id;
SELECT count(*) FROM accounts WHERE deleted_at IS NULL;
SELECT count(*) FROM accounts INDEXED BY accounts_live_email WHERE deleted_at IS NULL;
SELECT email FROM accounts INDEXED BY accounts_live_email WHERE deleted_at IS NULL;
SELECT name FROM accounts INDEXED BY accounts_name;
SELECT name FROM accounts INDEXED BY accounts_deleted;
SELECT id, deleted_at FROM accounts INDEXED BY accounts_deleted WHERE deleted_at IS NOT NULL;
SELECT id FROM accounts NOT INDEXED WHERE email = 'ann@x.io' ORDER BY id;
UPDATE accounts SET deleted_at = '2024-03-02 10:30:00' WHERE id IN (2, 3);
SELECT plan, count(*) AS live FROM live_accounts GROUP BY plan ORDER BY plan;
SELECT date(deleted_at) AS day, count(*) FROM accounts WHERE deleted_at IS NOT NULL GROUP BY day ORDER BY day;
UPDATE accounts SET deleted_at = NULL WHERE id = 1;
UPDATE accounts SET deleted_at = NULL WHERE id = 2 RETURNING id, email;
SELECT id, email FROM live_accounts ORDER BY email, id;
SELECT id, name, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted ' || deleted_at END AS state FROM accounts ORDER BY id;
SELECT a.id, a.email, b.id FROM accounts a JOIN accounts b ON a.email = b.email AND a.id < b.id ORDER BY a.id;
DELETE FROM accounts WHERE deleted_at < '2024-03-02 12:00:00' RETURNING id, name;
SELECT count(*), count(deleted_at) FROM accounts;
SELECT group_concat(name, ', ') FROM (SELECT name FROM live_accounts ORDER BY name);
INSERT INTO accounts (email, name, deleted_at) VALUES ('eve@x.io', 'Eve', '2024-04-01'), ('eve@x.io', 'Eve 2', '2024-04-02');
SELECT email, count(*) FROM accounts GROUP BY email HAVING count(*) > 1 ORDER BY email;
SELECT email, max(deleted_at IS NULL) AS has_live FROM accounts GROUP BY email ORDER BY email;
