-- A Django-style migration run: each migration in its own transaction, recorded in
-- django_migrations; one remakes a table (SQLite's 12 steps) and drops a column in the same
-- transaction, one fails halfway and is rolled back whole.
PRAGMA foreign_keys = OFF;
CREATE TABLE IF NOT EXISTS "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
BEGIN;
CREATE TABLE "shop_product" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(120) NOT NULL, "price_cents" integer NOT NULL, "legacy_sku" varchar(40) NULL, "notes" text NULL);
CREATE INDEX "shop_product_title_idx" ON "shop_product" ("title");
CREATE TABLE "shop_review" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "stars" smallint unsigned NOT NULL CHECK ("stars" >= 0), "body" text NOT NULL, "product_id" bigint NOT NULL REFERENCES "shop_product" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "shop_review_product_id_idx" ON "shop_review" ("product_id");
INSERT INTO "django_migrations" ("app", "name", "applied") VALUES ('shop', '0001_initial', '2024-03-01 10:00:00');
COMMIT;
INSERT INTO "shop_product" ("title", "price_cents", "legacy_sku", "notes") VALUES ('Kettle', 2999, 'K-1', NULL), ('Teapot', 1850, 'T-9', 'fragile'), ('Mug', 650, NULL, NULL), ('Tray', 1200, 'TR-2', 'oak');
DELETE FROM "shop_product" WHERE "title" = 'Mug';
INSERT INTO "shop_product" ("title", "price_cents") VALUES ('Cup', 500);
INSERT INTO "shop_review" ("stars", "body", "product_id") VALUES (5, 'great', 1), (3, 'ok', 2), (4, 'nice', 1), (1, 'broke', 5);
-- 0002: price becomes nullable with a default (a remake), legacy_sku goes (DROP COLUMN).
BEGIN;
CREATE TABLE "new__shop_product" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(120) NOT NULL, "price_cents" integer NULL DEFAULT 0, "legacy_sku" varchar(40) NULL, "notes" text NULL);
INSERT INTO "new__shop_product" ("id", "title", "price_cents", "legacy_sku", "notes") SELECT "id", "title", "price_cents", "legacy_sku", "notes" FROM "shop_product";
DROP TABLE "shop_product";
ALTER TABLE "new__shop_product" RENAME TO "shop_product";
CREATE INDEX "shop_product_title_idx" ON "shop_product" ("title");
ALTER TABLE "shop_product" DROP COLUMN "legacy_sku";
PRAGMA foreign_key_check;
INSERT INTO "django_migrations" ("app", "name", "applied") VALUES ('shop', '0002_price_nullable_drop_sku', '2024-03-02 09:30:00');
COMMIT;
SELECT "id", "title", "price_cents", "notes" FROM "shop_product" ORDER BY "id";
SELECT name FROM pragma_table_info('shop_product') ORDER BY cid;
SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'shop_product' ORDER BY name;
SELECT seq FROM sqlite_sequence WHERE name = 'shop_product';
INSERT INTO "shop_product" ("title") VALUES ('Spoon') RETURNING "id", "price_cents";
-- 0003 fails on its second statement: the drop and the record go with it.
BEGIN;
ALTER TABLE "shop_review" DROP COLUMN "body";
INSERT INTO "shop_review" ("stars", "product_id") VALUES (2, 1);
CREATE UNIQUE INDEX "shop_review_stars_uniq" ON "shop_review" ("stars");
ROLLBACK;
SELECT name FROM pragma_table_info('shop_review') ORDER BY cid;
SELECT count(*), sum("stars") FROM "shop_review";
SELECT "app", "name" FROM "django_migrations" ORDER BY "id";
-- 0003 again, fixed: a savepoint per operation, as some runners do.
BEGIN;
SAVEPOINT op1;
ALTER TABLE "shop_review" DROP COLUMN "body";
RELEASE op1;
SAVEPOINT op2;
ALTER TABLE "shop_review" ADD COLUMN "title" varchar(80) NOT NULL DEFAULT '';
ROLLBACK TO op2;
RELEASE op2;
INSERT INTO "django_migrations" ("app", "name", "applied") VALUES ('shop', '0003_review_drop_body', '2024-03-03 08:00:00');
COMMIT;
SELECT name FROM pragma_table_info('shop_review') ORDER BY cid;
SELECT r."id", p."title", r."stars" FROM "shop_review" r LEFT JOIN "shop_product" p ON p."id" = r."product_id" ORDER BY r."id";
SELECT p."title", count(r."id") AS reviews, avg(r."stars") FROM "shop_product" p LEFT JOIN "shop_review" r ON r."product_id" = p."id" GROUP BY p."id" ORDER BY p."id";
SELECT count(*) FROM "django_migrations";
