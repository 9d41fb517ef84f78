-- A ledger with integer cents, rounding and running balances.
CREATE TABLE entries (id INTEGER PRIMARY KEY, account TEXT NOT NULL, amount_cents INTEGER NOT NULL, memo TEXT, posted TEXT NOT NULL);
INSERT INTO entries (account, amount_cents, memo, posted) VALUES
 ('cash', 10000, 'opening', '2024-01-01'), ('cash', -2599, 'groceries', '2024-01-03'), ('card', -1250, 'lunch', '2024-01-03'),
 ('cash', -1, 'rounding', '2024-01-04'), ('card', 1250, 'refund', '2024-01-10'), ('savings', 333333, 'bonus', '2024-01-15');
SELECT account, sum(amount_cents) / 100.0 AS balance FROM entries GROUP BY account ORDER BY account;
SELECT account, printf('%.2f', sum(amount_cents) / 100.0) FROM entries GROUP BY account ORDER BY account;
SELECT id, sum(amount_cents) OVER (PARTITION BY account ORDER BY posted, id) AS running FROM entries ORDER BY id;
SELECT sum(amount_cents) / 3, sum(amount_cents) % 3, sum(amount_cents) / 3.0 FROM entries;
SELECT round(333333 / 7.0, 2), round(-2.675, 2), round(0.5), round(-0.5), round(1.15, 1);
SELECT printf('%d', 3.99), printf('%5.1f', -0.05), printf('%.0f', 2.5), printf('%.0f', 3.5), printf('%e', 0);
SELECT CAST(19.99 * 100 AS INTEGER), CAST(round(19.99 * 100) AS INTEGER), 19.99 * 100;
SELECT 0.1 * 3, 1.1 + 2.2, 1e-5, 123456789.123456789, 1.0 / 3;
SELECT avg(amount_cents), avg(amount_cents) / 100 FROM entries;
SELECT account, min(amount_cents), max(amount_cents) FROM entries GROUP BY account HAVING min(amount_cents) < 0 ORDER BY account;
SELECT memo FROM entries WHERE abs(amount_cents) BETWEEN 1 AND 1300 ORDER BY id;
SELECT memo FROM entries WHERE amount_cents NOT BETWEEN -2000 AND 2000 ORDER BY id;
SELECT strftime('%m', posted) AS m, sum(CASE WHEN amount_cents > 0 THEN amount_cents ELSE 0 END) AS credit, sum(CASE WHEN amount_cents < 0 THEN -amount_cents ELSE 0 END) AS debit FROM entries GROUP BY m;
SELECT posted, count(*) FROM entries GROUP BY posted HAVING count(*) > 1;
SELECT account FROM entries GROUP BY account ORDER BY sum(amount_cents) DESC LIMIT 1;
SELECT sum(amount_cents) FROM entries WHERE 0;
SELECT total(amount_cents), count(*), avg(amount_cents), min(amount_cents) FROM entries WHERE 0;
SELECT coalesce(sum(amount_cents), 0) FROM entries WHERE account = 'none';
SELECT 5 / 2, 5.0 / 2, 5 / 2.0, CAST(5 AS REAL) / 2, 5 % 2.5, -5 / 2;
SELECT 2147483647 + 1, 4294967296 * 4294967296, -(-9223372036854775807 - 1);
SELECT 1.5e300 * 1.5e300, typeof(1.5e300 * 1.5e300);
