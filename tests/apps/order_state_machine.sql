-- An order workflow kept as a state machine: allowed transitions in a table, a trigger
-- refusing the others with RAISE(ABORT), an audit trail written by triggers with WHEN
-- clauses, and reports over the time spent in each state.
CREATE TABLE transitions (from_state TEXT NOT NULL, to_state TEXT NOT NULL, PRIMARY KEY (from_state, to_state)) WITHOUT ROWID;
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total_cents INTEGER NOT NULL CHECK (total_cents >= 0), state TEXT NOT NULL DEFAULT 'new', state_since TEXT NOT NULL);
CREATE TABLE order_events (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, from_state TEXT, to_state TEXT NOT NULL, at TEXT NOT NULL, note TEXT);
CREATE TRIGGER order_created AFTER INSERT ON orders BEGIN INSERT INTO order_events (order_id, from_state, to_state, at) VALUES (NEW.id, NULL, NEW.state, NEW.state_since); END;
CREATE TRIGGER allowed_transition BEFORE UPDATE OF state ON orders WHEN NEW.state <> OLD.state AND NOT EXISTS (SELECT 1 FROM transitions WHERE from_state = OLD.state AND to_state = NEW.state) BEGIN SELECT RAISE(ABORT, 'transition not allowed'); END;
CREATE TRIGGER state_changed AFTER UPDATE OF state ON orders WHEN NEW.state <> OLD.state BEGIN INSERT INTO order_events (order_id, from_state, to_state, at, note) VALUES (NEW.id, OLD.state, NEW.state, NEW.state_since, CASE WHEN NEW.state = 'refunded' THEN 'refund of ' || printf('%.2f', OLD.total_cents / 100.0) END); END;
CREATE TRIGGER no_delete_after_paid BEFORE DELETE ON orders WHEN OLD.state NOT IN ('new', 'cancelled') BEGIN SELECT RAISE(ABORT, 'only new or cancelled orders can be deleted'); END;
INSERT INTO transitions VALUES ('new', 'paid'), ('new', 'cancelled'), ('paid', 'shipped'), ('paid', 'refunded'), ('shipped', 'delivered'), ('delivered', 'refunded');
INSERT INTO orders (customer, total_cents, state_since) VALUES ('acme', 12999, '2024-07-01 09:00:00'), ('globex', 4500, '2024-07-01 10:30:00'), ('initech', 80000, '2024-07-02 08:15:00'), ('acme', 2500, '2024-07-03 12:00:00');
UPDATE orders SET state = 'paid', state_since = '2024-07-01 09:05:00' WHERE id = 1;
UPDATE orders SET state = 'shipped', state_since = '2024-07-02 16:00:00' WHERE id = 1;
UPDATE orders SET state = 'delivered', state_since = '2024-07-04 11:20:00' WHERE id = 1;
UPDATE orders SET state = 'paid', state_since = '2024-07-02 08:20:00' WHERE id = 3;
UPDATE orders SET state = 'refunded', state_since = '2024-07-05 10:00:00' WHERE id = 3;
UPDATE orders SET state = 'cancelled', state_since = '2024-07-01 11:00:00' WHERE id = 2;
UPDATE orders SET state = 'shipped', state_since = '2024-07-03 13:00:00' WHERE id = 4;
UPDATE orders SET state = 'paid', state_since = '2024-07-06 00:00:00' WHERE id = 2;
UPDATE orders SET customer = 'acme corp' WHERE customer = 'acme';
SELECT id, customer, state, state_since FROM orders ORDER BY id;
SELECT order_id, coalesce(from_state, '-') || ' -> ' || to_state AS step, at, note FROM order_events ORDER BY order_id, id;
SELECT to_state, count(*) FROM order_events GROUP BY to_state ORDER BY count(*) DESC, to_state;
SELECT e.order_id, e.to_state, round((julianday(lead(e.at) OVER w) - julianday(e.at)) * 24, 2) AS hours_in_state FROM order_events e WINDOW w AS (PARTITION BY e.order_id ORDER BY e.id) ORDER BY e.order_id, e.id;
WITH spans AS (SELECT to_state AS state, julianday(lead(at) OVER (PARTITION BY order_id ORDER BY id)) - julianday(at) AS days FROM order_events) SELECT state, count(days) AS left_state, round(avg(days) * 24, 1) AS avg_hours FROM spans GROUP BY state ORDER BY state;
SELECT state, count(*) AS orders, printf('$%.2f', sum(total_cents) / 100.0) AS value FROM orders GROUP BY state ORDER BY state;
SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.to_state = 'paid') AND NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.to_state IN ('shipped', 'refunded')) ORDER BY o.id;
SELECT t.from_state, group_concat(t.to_state, '|' ORDER BY t.to_state) AS next FROM transitions t GROUP BY t.from_state ORDER BY t.from_state;
WITH RECURSIVE reach(state, depth) AS (SELECT 'new', 0 UNION SELECT t.to_state, r.depth + 1 FROM reach r JOIN transitions t ON t.from_state = r.state WHERE r.depth < 5) SELECT state, min(depth) FROM reach GROUP BY state ORDER BY min(depth), state;
DELETE FROM orders WHERE id = 1;
DELETE FROM orders WHERE id = 2;
SELECT count(*) FROM orders;
SELECT count(*) FROM order_events WHERE order_id NOT IN (SELECT id FROM orders);
