-- Renaming a table that has triggers, as a migration tool may.
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);
CREATE TABLE audit (account_id INTEGER);
CREATE TRIGGER accounts_ai AFTER INSERT ON accounts BEGIN INSERT INTO audit VALUES (NEW.id); END;
ALTER TABLE accounts RENAME TO members;
SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger';
