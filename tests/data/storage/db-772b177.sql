BEGIN TRANSACTION;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'stylebot','m001_initial','2026-11-30 21:12:19.782132+00:00');
INSERT INTO "_sqlite_migrations" VALUES(2,'stylebot','m002_comments','2026-11-30 21:12:19.783220+00:00');
INSERT INTO "_sqlite_migrations" VALUES(3,'stylebot','m003_catalog_index','2026-11-30 21:12:19.787423+00:00');
INSERT INTO "_sqlite_migrations" VALUES(4,'stylebot','m004_diary','2026-11-30 21:12:19.789650+00:00');
INSERT INTO "_sqlite_migrations" VALUES(5,'stylebot','m005_web_history','2026-11-30 21:12:19.791097+00:00');
INSERT INTO "_sqlite_migrations" VALUES(6,'stylebot','m006_language','2026-11-30 21:12:19.792041+00:00');
INSERT INTO "_sqlite_migrations" VALUES(7,'stylebot','m007_kinds','2026-11-30 21:12:19.792714+00:00');
CREATE TABLE "catalog" (
   "id" TEXT PRIMARY KEY,
   "title" TEXT,
   "category" TEXT,
   "shop_category" TEXT,
   "colour_name" TEXT,
   "colour_family" TEXT,
   "price" REAL,
   "currency" TEXT,
   "url" TEXT,
   "image" TEXT,
   "demo" INTEGER,
   "source" TEXT
, "image_path" TEXT, "image_sha256" TEXT, "imported_at" TEXT, "updated_at" TEXT, "feed" TEXT);
INSERT INTO "catalog" VALUES('demo-1','Navy coat','outerwear',NULL,NULL,NULL,99.5,'EUR',NULL,NULL,1,'demo',NULL,NULL,'2026-11-30T21:12:19+00:00','2026-11-30T21:12:19+00:00',NULL);
CREATE TABLE "catalog_builds" (
   "id" INTEGER PRIMARY KEY,
   "embedder" TEXT,
   "path" TEXT,
   "items" INTEGER,
   "dims" INTEGER,
   "seconds" REAL,
   "built_at" TEXT
);
CREATE TABLE "catalog_vectors" (
   "item_id" TEXT,
   "embedder" TEXT,
   "image_sha256" TEXT,
   "vector" BLOB,
   "colour_family" TEXT,
   "created_at" TEXT, "kind" TEXT,
   PRIMARY KEY ("item_id", "embedder")
);
CREATE TABLE "comments_sent" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "outfit_id" INTEGER,
   "key" TEXT,
   "template" TEXT,
   "text" TEXT,
   "created_at" TEXT
);
INSERT INTO "comments_sent" VALUES(1,'tg:old',1,'k','tpl','Nice navy.','2026-11-30T21:12:19+00:00');
CREATE TABLE "dialog_state" (
   "user_id" TEXT PRIMARY KEY REFERENCES "users"("id"),
   "state" TEXT,
   "updated_at" TEXT
);
INSERT INTO "dialog_state" VALUES('tg:old','{"step": "idle"}','2026-11-30T21:12:19+00:00');
CREATE TABLE "feedback" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "kind" TEXT,
   "target_id" INTEGER,
   "value" TEXT,
   "created_at" TEXT
);
INSERT INTO "feedback" VALUES(1,'tg:old','verdict',1,'a','2026-11-30T21:12:19+00:00');
CREATE TABLE "items" (
   "id" INTEGER PRIMARY KEY,
   "outfit_id" INTEGER REFERENCES "outfits"("id"),
   "user_id" TEXT REFERENCES "users"("id"),
   "category" TEXT,
   "fine_label" TEXT,
   "colour_name" TEXT,
   "colour_family" TEXT,
   "rgb" TEXT,
   "pattern" TEXT,
   "area" REAL,
   "box" TEXT
);
INSERT INTO "items" VALUES(1,1,'tg:old','top',NULL,NULL,'blue',NULL,NULL,0.4,NULL);
CREATE TABLE "outfits" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "photo_id" INTEGER REFERENCES "photos"("id"),
   "created_at" TEXT,
   "summary" TEXT,
   "palette" TEXT,
   "style" TEXT,
   "embedding" BLOB
, "local_date" TEXT, "diary" INTEGER, "repeat_of" INTEGER);
INSERT INTO "outfits" VALUES(1,'tg:old',1,'2026-11-30T21:12:19+00:00','{"items": [{"category": "top"}], "palette": ["navy"]}','["navy"]','null',X'01020304','2026-11-29',1,NULL);
CREATE TABLE "photos" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "sha256" TEXT,
   "width" INTEGER,
   "height" INTEGER,
   "path" TEXT,
   "created_at" TEXT
);
INSERT INTO "photos" VALUES(1,'tg:old','c1feeafd9b103b3e6bc237f014fb882e2b11d18514f8d766c4666ffdc2c9a559',640,480,NULL,'2026-11-30T21:12:19+00:00');
CREATE TABLE "preferences" (
   "user_id" TEXT REFERENCES "users"("id"),
   "key" TEXT,
   "value" TEXT,
   "updated_at" TEXT,
   PRIMARY KEY ("user_id", "key")
);
INSERT INTO "preferences" VALUES('tg:old','avoid_colours','["yellow"]','2026-11-30T21:12:19+00:00');
CREATE TABLE "reminders" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "kind" TEXT,
   "local_date" TEXT,
   "claimed_at" TEXT,
   "sent_at" TEXT
);
INSERT INTO "reminders" VALUES(1,'tg:old','daily','2026-11-29','2026-11-30T21:12:19+00:00',NULL);
CREATE TABLE "shop_queries" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "outfit_id" INTEGER REFERENCES "outfits"("id"),
   "item_index" INTEGER,
   "category" TEXT,
   "colour_family" TEXT,
   "name" TEXT,
   "embedder" TEXT,
   "vector" BLOB,
   "created_at" TEXT
, "kind" TEXT);
CREATE TABLE "users" (
   "id" TEXT PRIMARY KEY,
   "channel" TEXT,
   "created_at" TEXT,
   "keep_photos" INTEGER,
   "timezone" TEXT,
   "daily_time" TEXT,
   "last_daily_sent" TEXT
, "weekly_day" INTEGER, "last_weekly_sent" TEXT, "lang" TEXT, "lang_chosen" INTEGER);
INSERT INTO "users" VALUES('tg:old','telegram','2026-11-30T21:12:19+00:00',1,'Europe/Kyiv','08:30','2026-11-29',NULL,NULL,'uk',NULL);
CREATE TABLE "verdicts" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "outfit_a" INTEGER,
   "outfit_b" INTEGER,
   "p_a" REAL,
   "features" TEXT,
   "reasons" TEXT,
   "created_at" TEXT
);
INSERT INTO "verdicts" VALUES(1,'tg:old',1,1,0.61,'{"colour": 0.5}','["navy works"]','2026-11-30T21:12:19+00:00');
CREATE TABLE "web_history" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT REFERENCES "users"("id"),
   "role" TEXT,
   "body" TEXT,
   "created_at" TEXT
);
INSERT INTO "web_history" VALUES(1,'tg:old','user','{"text": "привіт"}','2026-11-30T21:12:19+00:00');
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX "idx_photos_user_id_sha256"
    ON "photos" ("user_id", "sha256");
CREATE INDEX "idx_outfits_user_id_created_at"
    ON "outfits" ("user_id", "created_at");
CREATE INDEX "idx_items_outfit_id"
    ON "items" ("outfit_id");
CREATE INDEX "idx_items_user_id"
    ON "items" ("user_id");
CREATE INDEX "idx_verdicts_user_id"
    ON "verdicts" ("user_id");
CREATE INDEX "idx_feedback_user_id_kind"
    ON "feedback" ("user_id", "kind");
CREATE INDEX "idx_catalog_category_colour_family"
    ON "catalog" ("category", "colour_family");
CREATE INDEX "idx_comments_sent_user_id_id"
    ON "comments_sent" ("user_id", "id");
CREATE INDEX "idx_shop_queries_user_id_outfit_id"
    ON "shop_queries" ("user_id", "outfit_id");
CREATE UNIQUE INDEX "idx_reminders_user_id_kind_local_date"
    ON "reminders" ("user_id", "kind", "local_date");
CREATE INDEX "idx_outfits_user_id_diary_local_date"
    ON "outfits" ("user_id", "diary", "local_date");
CREATE INDEX "idx_web_history_user_id_id"
    ON "web_history" ("user_id", "id");
COMMIT;
