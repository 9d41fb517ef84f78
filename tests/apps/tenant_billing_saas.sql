-- A multi-tenant SaaS: every table keyed by (tenant_id, ..), WITHOUT ROWID tables for the
-- lookups, seat counts kept by upserts with a WHERE on the update, RETURNING for the API.
CREATE TABLE tenants (tenant_id TEXT PRIMARY KEY, plan TEXT NOT NULL DEFAULT 'free', seat_limit INTEGER NOT NULL DEFAULT 3, created TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE members (tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id), email TEXT NOT NULL COLLATE NOCASE, role TEXT NOT NULL DEFAULT 'member', joined TEXT NOT NULL, PRIMARY KEY (tenant_id, email)) WITHOUT ROWID;
CREATE TABLE usage (tenant_id TEXT NOT NULL, metric TEXT NOT NULL, period TEXT NOT NULL, amount INTEGER NOT NULL DEFAULT 0, updated TEXT, PRIMARY KEY (tenant_id, metric, period)) WITHOUT ROWID;
CREATE TABLE invoices (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, period TEXT NOT NULL, total_cents INTEGER NOT NULL, UNIQUE (tenant_id, period));
INSERT INTO tenants VALUES ('acme', 'pro', 10, '2024-01-05'), ('globex', 'free', 3, '2024-02-11'), ('initech', 'team', 5, '2024-03-02') RETURNING tenant_id, seat_limit;
INSERT INTO members (tenant_id, email, role, joined) VALUES ('acme', 'ceo@acme.io', 'owner', '2024-01-05'), ('acme', 'dev@acme.io', 'member', '2024-01-06'), ('globex', 'hank@globex.com', 'owner', '2024-02-11'), ('initech', 'peter@initech.com', 'owner', '2024-03-02'), ('initech', 'milton@initech.com', 'member', '2024-03-03');
INSERT INTO members (tenant_id, email, joined) VALUES ('acme', 'DEV@acme.io', '2024-04-01');
INSERT INTO members (tenant_id, email, joined) VALUES ('globex', 'dev@acme.io', '2024-04-01') RETURNING tenant_id, email, role;
SELECT tenant_id, count(*) AS seats FROM members GROUP BY tenant_id ORDER BY tenant_id;
-- Usage counters: add to the current period's row; the update only when the amount grows.
INSERT INTO usage (tenant_id, metric, period, amount, updated) VALUES ('acme', 'api_calls', '2024-06', 120, '2024-06-01') ON CONFLICT (tenant_id, metric, period) DO UPDATE SET amount = amount + excluded.amount, updated = excluded.updated;
INSERT INTO usage (tenant_id, metric, period, amount, updated) VALUES ('acme', 'api_calls', '2024-06', 80, '2024-06-02') ON CONFLICT (tenant_id, metric, period) DO UPDATE SET amount = amount + excluded.amount, updated = excluded.updated RETURNING amount, updated;
INSERT INTO usage (tenant_id, metric, period, amount, updated) VALUES ('globex', 'storage_mb', '2024-06', 500, '2024-06-01'), ('initech', 'api_calls', '2024-06', 40, '2024-06-01'), ('initech', 'storage_mb', '2024-06', 900, '2024-06-01');
-- A high-water mark: the stored value changes only when the new one is larger.
INSERT INTO usage (tenant_id, metric, period, amount, updated) VALUES ('globex', 'storage_mb', '2024-06', 300, '2024-06-03') ON CONFLICT DO UPDATE SET amount = excluded.amount, updated = excluded.updated WHERE excluded.amount > usage.amount RETURNING amount;
SELECT changes();
INSERT INTO usage (tenant_id, metric, period, amount, updated) VALUES ('globex', 'storage_mb', '2024-06', 700, '2024-06-04') ON CONFLICT DO UPDATE SET amount = excluded.amount, updated = excluded.updated WHERE excluded.amount > usage.amount RETURNING amount, updated;
SELECT * FROM usage ORDER BY tenant_id, metric, period;
-- Seat limit enforcement through INSERT .. SELECT with a guard.
INSERT INTO members (tenant_id, email, joined) SELECT 'globex', 'new1@globex.com', '2024-06-05' WHERE (SELECT count(*) FROM members WHERE tenant_id = 'globex') < (SELECT seat_limit FROM tenants WHERE tenant_id = 'globex');
INSERT INTO members (tenant_id, email, joined) SELECT 'globex', 'new2@globex.com', '2024-06-05' WHERE (SELECT count(*) FROM members WHERE tenant_id = 'globex') < (SELECT seat_limit FROM tenants WHERE tenant_id = 'globex');
INSERT INTO members (tenant_id, email, joined) SELECT 'globex', 'new3@globex.com', '2024-06-05' WHERE (SELECT count(*) FROM members WHERE tenant_id = 'globex') < (SELECT seat_limit FROM tenants WHERE tenant_id = 'globex');
SELECT t.tenant_id, t.seat_limit, count(m.email) AS used, t.seat_limit - count(m.email) AS free FROM tenants t LEFT JOIN members m USING (tenant_id) GROUP BY t.tenant_id ORDER BY t.tenant_id;
-- Plan change with an upsert on the tenants table.
INSERT INTO tenants (tenant_id, plan, seat_limit, created) VALUES ('globex', 'team', 5, '2099-01-01') ON CONFLICT (tenant_id) DO UPDATE SET plan = excluded.plan, seat_limit = max(seat_limit, excluded.seat_limit) RETURNING tenant_id, plan, seat_limit, created;
-- Invoices per period: price by plan and usage.
INSERT INTO invoices (tenant_id, period, total_cents)
SELECT t.tenant_id, '2024-06', CASE t.plan WHEN 'pro' THEN 4900 WHEN 'team' THEN 1900 ELSE 0 END + coalesce((SELECT sum(amount) FROM usage u WHERE u.tenant_id = t.tenant_id AND u.metric = 'api_calls' AND u.period = '2024-06'), 0) / 100 * 10
FROM tenants t ORDER BY t.tenant_id RETURNING tenant_id, total_cents;
INSERT INTO invoices (tenant_id, period, total_cents) VALUES ('acme', '2024-06', 1);
INSERT INTO invoices (tenant_id, period, total_cents) VALUES ('acme', '2024-06', 1) ON CONFLICT (tenant_id, period) DO NOTHING RETURNING id;
SELECT id, tenant_id, period, printf('$%.2f', total_cents / 100.0) FROM invoices ORDER BY id;
SELECT m.tenant_id, group_concat(m.email, ', ') FROM (SELECT * FROM members ORDER BY tenant_id, email) m GROUP BY m.tenant_id ORDER BY m.tenant_id;
DELETE FROM members WHERE tenant_id = 'acme' AND email = 'DEV@ACME.IO' RETURNING email;
SELECT count(*) FROM members WHERE email = 'dev@acme.io';
SELECT tenant_id, email FROM members WHERE tenant_id = 'initech' AND email > 'n' ORDER BY email;
