-- Feature flags: per-environment flags, targeting rules by segment, a stable percentage
-- rollout by hashing the user id with integer arithmetic, overrides, and an audit of
-- changes, reported with ordered string aggregates.
CREATE TABLE flags (key TEXT PRIMARY KEY, description TEXT, created TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE flag_envs (flag_key TEXT NOT NULL REFERENCES flags(key), env TEXT NOT NULL CHECK (env IN ('dev', 'staging', 'prod')), enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)), rollout_pct INTEGER NOT NULL DEFAULT 0 CHECK (rollout_pct BETWEEN 0 AND 100), PRIMARY KEY (flag_key, env));
CREATE TABLE app_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, plan TEXT NOT NULL, country TEXT NOT NULL);
CREATE TABLE overrides (flag_key TEXT NOT NULL, user_id INTEGER NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (flag_key, user_id));
CREATE TABLE flag_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, flag_key TEXT NOT NULL, env TEXT NOT NULL, field TEXT NOT NULL, old_value, new_value, at TEXT NOT NULL);
CREATE TRIGGER flag_envs_audit AFTER UPDATE ON flag_envs FOR EACH ROW WHEN old.enabled IS NOT new.enabled OR old.rollout_pct IS NOT new.rollout_pct
BEGIN
  INSERT INTO flag_audit (flag_key, env, field, old_value, new_value, at)
  SELECT new.flag_key, new.env, 'enabled', old.enabled, new.enabled, '2024-08-01' WHERE old.enabled IS NOT new.enabled
  UNION ALL
  SELECT new.flag_key, new.env, 'rollout_pct', old.rollout_pct, new.rollout_pct, '2024-08-01' WHERE old.rollout_pct IS NOT new.rollout_pct;
END;
INSERT INTO flags VALUES ('new_checkout', 'one-page checkout', '2024-07-01'), ('dark_mode', NULL, '2024-07-02'), ('ai_search', 'semantic search', '2024-07-10');
INSERT INTO flag_envs (flag_key, env, enabled, rollout_pct) VALUES ('new_checkout', 'dev', 1, 100), ('new_checkout', 'prod', 1, 25), ('dark_mode', 'prod', 1, 100), ('ai_search', 'staging', 1, 50), ('ai_search', 'prod', 0, 0);
INSERT INTO flag_envs (flag_key, env) VALUES ('dark_mode', 'qa');
INSERT INTO flag_envs (flag_key, env, rollout_pct) VALUES ('dark_mode', 'dev', 150);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO app_users SELECT i, 'user' || i || '@example.com', CASE WHEN i % 5 = 0 THEN 'pro' WHEN i % 3 = 0 THEN 'team' ELSE 'free' END, CASE i % 4 WHEN 0 THEN 'DE' WHEN 1 THEN 'US' WHEN 2 THEN 'FR' ELSE 'BR' END FROM n;
INSERT INTO overrides VALUES ('new_checkout', 3, 1), ('new_checkout', 4, 0), ('ai_search', 10, 1);
-- The bucket of a user for a flag: stable, 0..99.
SELECT id, (id * 2654435761 + length('new_checkout') * 97) % 100 AS bucket FROM app_users WHERE id <= 8 ORDER BY id;
-- Who sees new_checkout in prod: the override first, else enabled and inside the rollout.
SELECT count(*), sum(plan = 'pro'), min(id), max(id) FROM app_users u
WHERE coalesce((SELECT value FROM overrides o WHERE o.flag_key = 'new_checkout' AND o.user_id = u.id),
               (SELECT e.enabled AND (u.id * 2654435761 + length(e.flag_key) * 97) % 100 < e.rollout_pct FROM flag_envs e WHERE e.flag_key = 'new_checkout' AND e.env = 'prod'), 0);
SELECT u.id FROM app_users u WHERE u.id <= 12 AND coalesce((SELECT value FROM overrides o WHERE o.flag_key = 'new_checkout' AND o.user_id = u.id), (u.id * 2654435761 + 12 * 97) % 100 < 25) ORDER BY u.id;
-- Flags by environment, enabled ones listed in name order.
SELECT env, group_concat(flag_key, ',' ORDER BY flag_key) AS flags, count(*) FILTER (WHERE enabled) AS enabled FROM flag_envs GROUP BY env ORDER BY env;
SELECT f.key, coalesce(f.description, '(none)'), string_agg(e.env || ':' || e.rollout_pct, ' ' ORDER BY e.env DESC) FROM flags f LEFT JOIN flag_envs e ON e.flag_key = f.key GROUP BY f.key ORDER BY f.key;
-- Ramp up, then kill switch: the trigger audits each change.
UPDATE flag_envs SET rollout_pct = 50 WHERE flag_key = 'new_checkout' AND env = 'prod';
UPDATE flag_envs SET rollout_pct = min(rollout_pct * 2, 100) WHERE env = 'prod' AND enabled = 1;
UPDATE flag_envs SET enabled = 0, rollout_pct = 0 WHERE flag_key = 'new_checkout' AND env = 'prod';
UPDATE flag_envs SET enabled = enabled WHERE env = 'dev';
SELECT id, flag_key, env, field, old_value, new_value FROM flag_audit ORDER BY id;
SELECT flag_key, count(*) AS changes, max(id) FROM flag_audit GROUP BY flag_key ORDER BY changes DESC, flag_key;
-- Per plan and country, the share of users in ai_search's staging rollout.
SELECT plan, country, count(*) AS users, round(avg((id * 2654435761 + 9 * 97) % 100 < 50) * 100, 1) AS pct_in FROM app_users GROUP BY plan, country HAVING count(*) >= 3 ORDER BY plan, country;
SELECT e.flag_key, e.env FROM flag_envs e WHERE NOT EXISTS (SELECT 1 FROM overrides o WHERE o.flag_key = e.flag_key) ORDER BY 1, 2;
DELETE FROM flags WHERE key = 'dark_mode' AND NOT EXISTS (SELECT 1 FROM flag_envs WHERE flag_key = 'dark_mode' AND enabled);
SELECT key FROM flags ORDER BY key;
SELECT seq FROM sqlite_sequence WHERE name = 'flag_audit';
