"""The schema, as sqlite-utils Migrations applied at start-up (append new steps, never edit).

One history for both databases: each step is written against the few table calls
storage.postgres also answers (create with Python column types, add_column, create_index) or
SQL both dialects read, and the steps applied are recorded in the same `_sqlite_migrations`
table on both.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations


class _Migrations(Migrations):
    def applied(self, db: Database) -> list[Migrations._AppliedMigration]:
        """As sqlite-utils has it, ordered by `id` (SQLite's rowid there) rather than `rowid`,
        which PostgreSQL does not have."""
        table = db[self.migrations_table]
        if not table.exists():
            return []
        return [self._AppliedMigration(row["name"], row["applied_at"])
                for row in table.rows_where("migration_set = ?", [self.name], order_by="id")]


migrations = _Migrations("stylebot")


@migrations()
def m001_initial(db: Database) -> None:
    db["users"].create(
        {"id": str, "channel": str, "created_at": str, "keep_photos": int, "timezone": str,
         "daily_time": str, "last_daily_sent": str},
        pk="id",
    )
    db["photos"].create(
        {"id": int, "user_id": str, "sha256": str, "width": int, "height": int, "path": str,
         "created_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id")],
    )
    db["outfits"].create(
        {"id": int, "user_id": str, "photo_id": int, "created_at": str, "summary": str,
         "palette": str, "style": str, "embedding": bytes},
        pk="id", foreign_keys=[("user_id", "users", "id"), ("photo_id", "photos", "id")],
    )
    db["items"].create(
        {"id": int, "outfit_id": int, "user_id": str, "category": str, "fine_label": str,
         "colour_name": str, "colour_family": str, "rgb": str, "pattern": str, "area": float,
         "box": str},
        pk="id", foreign_keys=[("outfit_id", "outfits", "id"), ("user_id", "users", "id")],
    )
    db["verdicts"].create(
        {"id": int, "user_id": str, "outfit_a": int, "outfit_b": int, "p_a": float,
         "features": str, "reasons": str, "created_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id")],
    )
    db["feedback"].create(
        {"id": int, "user_id": str, "kind": str, "target_id": int, "value": str,
         "created_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id")],
    )
    db["preferences"].create(
        {"user_id": str, "key": str, "value": str, "updated_at": str},
        pk=("user_id", "key"), foreign_keys=[("user_id", "users", "id")],
    )
    db["dialog_state"].create(
        {"user_id": str, "state": str, "updated_at": str},
        pk="user_id", foreign_keys=[("user_id", "users", "id")],
    )
    db["catalog"].create(
        {"id": str, "title": str, "category": str, "shop_category": str, "colour_name": str,
         "colour_family": str, "price": float, "currency": str, "url": str, "image": str,
         "demo": int, "source": str},
        pk="id",
    )
    for table, cols in [
        ("photos", ["user_id", "sha256"]), ("outfits", ["user_id", "created_at"]),
        ("items", ["outfit_id"]), ("items", ["user_id"]), ("verdicts", ["user_id"]),
        ("feedback", ["user_id", "kind"]), ("catalog", ["category", "colour_family"]),
    ]:
        db[table].create_index(cols)


@migrations()
def m002_comments(db: Database) -> None:
    db["comments_sent"].create(
        {"id": int, "user_id": str, "outfit_id": int, "key": str, "template": str, "text": str,
         "created_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id")],
    )
    db["comments_sent"].create_index(["user_id", "id"])


@migrations()
def m003_catalog_index(db: Database) -> None:
    # The shop catalogue: where each image was stored locally, its digest (to reuse embeddings),
    # per-embedder vectors, index builds, and the garment vectors of a user's "where can I buy".
    for column, kind in [("image_path", str), ("image_sha256", str), ("imported_at", str),
                         ("updated_at", str), ("feed", str)]:
        db["catalog"].add_column(column, kind)
    db["catalog_vectors"].create(
        {"item_id": str, "embedder": str, "image_sha256": str, "vector": bytes,
         "colour_family": str, "created_at": str},
        pk=("item_id", "embedder"),
    )
    db["catalog_builds"].create(
        {"id": int, "embedder": str, "path": str, "items": int, "dims": int, "seconds": float,
         "built_at": str},
        pk="id",
    )
    db["shop_queries"].create(
        {"id": int, "user_id": str, "outfit_id": int, "item_index": int, "category": str,
         "colour_family": str, "name": str, "embedder": str, "vector": bytes,
         "created_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id"), ("outfit_id", "outfits", "id")],
    )
    db["shop_queries"].create_index(["user_id", "outfit_id"])


@migrations()
def m004_diary(db: Database) -> None:
    """Diary: each outfit's local day, diary flag and repeat link; the weekly summary's day; a log
    of reminders, claimed before sending so that a restart never sends one twice."""
    for column, kind in (("local_date", str), ("diary", int), ("repeat_of", int)):
        db["outfits"].add_column(column, kind)
    db["users"].add_column("weekly_day", int)
    db["users"].add_column("last_weekly_sent", str)
    db["reminders"].create(
        {"id": int, "user_id": str, "kind": str, "local_date": str, "claimed_at": str,
         "sent_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id")],
    )
    db["reminders"].create_index(["user_id", "kind", "local_date"], unique=True)
    db["outfits"].create_index(["user_id", "diary", "local_date"])
    db.execute("update outfits set local_date = substr(created_at, 1, 10)")
    db.execute("""update outfits set diary = 1 where id not in (
        select outfit_a from verdicts where outfit_a is not null
        union select outfit_b from verdicts where outfit_b is not null)""")


@migrations()
def m005_web_history(db: Database) -> None:
    """The web chat's conversation, so that a reload shows it again: one row per message (the
    user's, or one reply of the bot's), its content as JSON; user-scoped, capped per user."""
    db["web_history"].create(
        {"id": int, "user_id": str, "role": str, "body": str, "created_at": str},
        pk="id", foreign_keys=[("user_id", "users", "id")],
    )
    db["web_history"].create_index(["user_id", "id"])


@migrations()
def m006_language(db: Database) -> None:
    """The language the bot speaks with each user (en, uk, ru, zh) and whether they chose it with
    /language (then it no longer follows what they type)."""
    db["users"].add_column("lang", str)
    db["users"].add_column("lang_chosen", int)


@migrations()
def m007_kinds(db: Database) -> None:
    """The kind of item (boots among shoes, inference/shop/kinds.py) the kind head saw in a
    catalogue photo, and the one predicted for a user's garment."""
    db["catalog_vectors"].add_column("kind", str)
    db["shop_queries"].add_column("kind", str)


@migrations()
def m008_brands(db: Database) -> None:
    """The brand a feed names for a catalogue item (its `brand` column), for "not this brand";
    none for the demo catalogue and feeds without one."""
    db["catalog"].add_column("brand", str)


@migrations()
def m009_shared_state(db: Database) -> None:
    """What several bot workers on one database share (workers.shared, docs/scaling.md): recent
    photos for pairing, the web chat's pictures waiting to be fetched, rate-limit buckets and
    the parts of Telegram albums still arriving. Times are seconds since the epoch (a float), so
    every worker reads them alike."""
    db["recent_photos"].create(
        {"id": int, "user_id": str, "ref": str, "outfit_id": int, "at": float, "paired": int,
         "digest": str, "image": bytes},
        pk="id")
    db["recent_photos"].create_index(["user_id", "id"])
    db["web_blobs"].create(
        {"id": str, "user_id": str, "mime": str, "name": str, "download": int, "size": int,
         "data": bytes, "at": float},
        pk="id")
    db["web_blobs"].create_index(["user_id", "at"])
    db["rate_buckets"].create(
        {"user_id": str, "tokens": float, "at": float, "quiet_until": float}, pk="user_id")
    db["album_parts"].create(
        {"id": int, "user_id": str, "album": str, "message_id": int, "message": str,
         "at": float},
        pk="id")
    db["album_parts"].create_index(["album"])
