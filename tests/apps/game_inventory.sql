-- A game's inventory: CHECK constraints that fail, INSERT OR IGNORE / ABORT / FAIL / ROLLBACK
-- and REPLACE as a game server uses them, with changes(), last_insert_rowid() and
-- total_changes() read after each.
CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, gold INTEGER NOT NULL DEFAULT 0 CHECK (gold >= 0), level INTEGER NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 60));
CREATE TABLE items (code TEXT PRIMARY KEY, name TEXT NOT NULL, max_stack INTEGER NOT NULL CHECK (max_stack > 0), price INTEGER NOT NULL);
CREATE TABLE inventory (player_id INTEGER NOT NULL REFERENCES players(id), slot INTEGER NOT NULL CHECK (slot BETWEEN 0 AND 7), item_code TEXT NOT NULL REFERENCES items(code), qty INTEGER NOT NULL CHECK (qty > 0), PRIMARY KEY (player_id, slot));
INSERT INTO players (name, gold) VALUES ('Rook', 120), ('Vex', 15);
SELECT last_insert_rowid(), changes();
INSERT INTO items VALUES ('potion', 'Healing Potion', 20, 25), ('arrow', 'Arrow', 99, 1), ('sword', 'Short Sword', 1, 90), ('gem', 'Ruby', 5, 200);
INSERT INTO inventory VALUES (1, 0, 'potion', 3), (1, 1, 'arrow', 50), (2, 0, 'sword', 1);
-- A negative balance and a bad slot fail their CHECKs.
UPDATE players SET gold = gold - 200 WHERE name = 'Vex';
INSERT INTO inventory VALUES (2, 8, 'gem', 1);
INSERT INTO players (name, level) VALUES ('Nox', 61);
SELECT name, gold, level FROM players ORDER BY id;
-- OR IGNORE skips the taken slot and the bad quantity, keeps the rest.
INSERT OR IGNORE INTO inventory VALUES (1, 0, 'gem', 1), (1, 2, 'gem', 2), (1, 3, 'potion', 0);
SELECT changes();
SELECT player_id, slot, item_code, qty FROM inventory ORDER BY player_id, slot;
-- OR REPLACE swaps the slot's contents.
INSERT OR REPLACE INTO inventory VALUES (1, 1, 'arrow', 99);
SELECT changes(), total_changes();
-- OR FAIL keeps the rows before the failing one; OR ABORT keeps none of its rows.
INSERT OR FAIL INTO inventory VALUES (2, 1, 'arrow', 10), (2, 2, 'potion', 2), (2, 1, 'gem', 1), (2, 3, 'gem', 1);
SELECT player_id, slot FROM inventory WHERE player_id = 2 ORDER BY slot;
INSERT OR ABORT INTO inventory VALUES (2, 4, 'arrow', 5), (2, 0, 'gem', 1);
SELECT count(*) FROM inventory WHERE player_id = 2;
-- A purchase as one transaction; OR ROLLBACK ends it when the slot is taken.
BEGIN;
UPDATE players SET gold = gold - (SELECT price FROM items WHERE code = 'gem') WHERE id = 1;
INSERT OR ROLLBACK INTO inventory VALUES (1, 2, 'gem', 1);
COMMIT;
SELECT gold FROM players WHERE id = 1;
BEGIN;
UPDATE players SET gold = gold - (SELECT price FROM items WHERE code = 'potion') WHERE id = 1;
INSERT INTO inventory VALUES (1, 4, 'potion', 1);
COMMIT;
SELECT gold FROM players WHERE id = 1;
SELECT changes();
-- Stacking: add to an existing stack up to max_stack, the rest to a new slot.
UPDATE inventory SET qty = min(qty + 30, (SELECT max_stack FROM items WHERE code = inventory.item_code)) WHERE player_id = 1 AND item_code = 'potion' AND slot = 0;
SELECT slot, qty FROM inventory WHERE player_id = 1 AND item_code = 'potion' ORDER BY slot;
UPDATE inventory SET qty = qty + 1 WHERE item_code = 'sword';
SELECT p.name, sum(i.qty * it.price) AS worth, count(*) AS stacks FROM players p JOIN inventory i ON i.player_id = p.id JOIN items it ON it.code = i.item_code GROUP BY p.id ORDER BY worth DESC;
-- Free slots per player: 0..7 minus the taken ones.
WITH RECURSIVE slots(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM slots WHERE n < 7)
SELECT p.id, min(s.n) AS first_free, count(*) AS free FROM players p CROSS JOIN slots s WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.player_id = p.id AND i.slot = s.n) GROUP BY p.id ORDER BY p.id;
INSERT INTO players (name) VALUES ('Rook') ON CONFLICT (name) DO UPDATE SET level = level + 1;
SELECT name, level, last_insert_rowid() FROM players ORDER BY id;
REPLACE INTO players (id, name, gold) VALUES (2, 'Vex', 40);
SELECT id, name, gold, level FROM players ORDER BY id;
DELETE FROM inventory WHERE qty < 2;
SELECT changes(), (SELECT count(*) FROM inventory);
