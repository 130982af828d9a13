"""The schema, as sqlite-utils Migrations applied at start-up (append new steps, never edit)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("stylebot")


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
