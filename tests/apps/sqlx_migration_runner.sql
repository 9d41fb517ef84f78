-- A migration runner in the style of sqlx / refinery: a _sqlx_migrations table with
-- checksums, PRAGMA user_version as a second guard, schema checks through sqlite_schema and
-- pragma functions, one transaction per migration, a failing one rolled back.
CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT '2024-01-01 00:00:00', success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
PRAGMA user_version;
SELECT version, checksum FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1;
BEGIN;
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, created_at INTEGER NOT NULL);
CREATE TABLE sessions (token TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, expires_at INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (20240101000000, 'create accounts', TRUE, x'a1b2c3d4', 1250);
PRAGMA user_version = 1;
COMMIT;
PRAGMA user_version;
SELECT version, description, hex(checksum), success, typeof(success) FROM _sqlx_migrations ORDER BY version;
SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name;
SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE 'sqlite_autoindex_%';
INSERT INTO accounts (email, created_at) VALUES ('Ann@Example.com', 1704067200), ('bob@example.com', 1704153600);
INSERT INTO accounts (email, created_at) VALUES ('ann@example.com', 1704240000);
INSERT INTO sessions VALUES ('tok-a', 1, 1704100000), ('tok-b', 2, 1704200000), ('tok-c', 1, 1704300000);
-- Migration 2 fails (a duplicate column): nothing of it stays, user_version included.
BEGIN;
ALTER TABLE accounts ADD COLUMN display_name TEXT;
PRAGMA user_version = 2;
ALTER TABLE accounts ADD COLUMN display_name TEXT;
ROLLBACK;
PRAGMA user_version;
SELECT name FROM pragma_table_info('accounts') ORDER BY cid;
SELECT max(version) FROM _sqlx_migrations;
-- The checksum of an applied migration is compared before anything runs.
SELECT version FROM _sqlx_migrations WHERE version = 20240101000000 AND checksum <> x'a1b2c3d4';
SELECT version FROM _sqlx_migrations WHERE version = 20240101000000 AND checksum = x'A1B2C3D4';
-- Migration 2 again, corrected; it also drops a column it no longer needs.
BEGIN;
ALTER TABLE accounts ADD COLUMN display_name TEXT;
UPDATE accounts SET display_name = substr(email, 1, instr(email, '@') - 1);
ALTER TABLE sessions ADD COLUMN user_agent TEXT DEFAULT 'unknown';
ALTER TABLE accounts DROP COLUMN created_at;
INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (20240215093000, 'display names', 1, x'0badf00d', 980);
PRAGMA user_version = 2;
COMMIT;
PRAGMA user_version;
SELECT * FROM accounts ORDER BY id;
SELECT token, account_id, user_agent FROM sessions ORDER BY token;
SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('sessions') ORDER BY cid;
SELECT name, "unique", origin FROM pragma_index_list('accounts') ORDER BY name;
SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list('sessions');
SELECT version, description, execution_time FROM _sqlx_migrations ORDER BY version DESC;
SELECT sum(execution_time), count(*) FILTER (WHERE success) FROM _sqlx_migrations;
PRAGMA foreign_keys = ON;
DELETE FROM accounts WHERE id = 1;
SELECT token FROM sessions ORDER BY token;
