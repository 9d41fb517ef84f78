-- An admin screen that reads the schema back: sqlite_schema text, pragmas, after migrations.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the key
  email TEXT NOT NULL UNIQUE,
  plan TEXT DEFAULT 'free' CHECK (plan IN ('free','pro'))
);
CREATE INDEX accounts_plan ON accounts (plan);
CREATE VIEW pro_accounts AS SELECT id, email FROM accounts WHERE plan = 'pro';
CREATE TRIGGER accounts_ai AFTER INSERT ON accounts BEGIN SELECT 1; END;
SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name;
ALTER TABLE accounts ADD COLUMN created TEXT;
SELECT sql FROM sqlite_schema WHERE name = 'accounts';
ALTER TABLE accounts RENAME COLUMN plan TO tier;
SELECT sql FROM sqlite_schema WHERE name IN ('accounts', 'accounts_plan', 'pro_accounts') ORDER BY name;
DROP TRIGGER accounts_ai;
ALTER TABLE accounts RENAME TO members;
SELECT type, name, tbl_name FROM sqlite_schema ORDER BY type, name;
SELECT sql FROM sqlite_schema WHERE name = 'members';
PRAGMA table_info(members);
PRAGMA index_list(members);
PRAGMA index_info(accounts_plan);
PRAGMA index_xinfo(accounts_plan);
SELECT * FROM pragma_index_list('members') ORDER BY name;
SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid;
PRAGMA foreign_key_list(members);
PRAGMA database_list;
SELECT count(*) FROM sqlite_master;
PRAGMA schema_version > 0;
SELECT name FROM pragma_table_list WHERE schema = 'main' ORDER BY name;
PRAGMA table_list(members);
PRAGMA encoding;
PRAGMA page_size > 0;
PRAGMA journal_mode;
PRAGMA application_id;
PRAGMA application_id = 42;
PRAGMA application_id;
PRAGMA case_sensitive_like;
PRAGMA recursive_triggers;
PRAGMA collation_list;
