"""The store: one SQLite file in WAL mode, one connection per thread, every query user-scoped.

Each thread gets its own sqlite-utils Database (sqlite3 connections are not shareable across
threads); WAL plus a busy timeout lets handlers, the model worker thread and the CLI write
concurrently. Methods that touch user data take the user id and filter by it, so one user's rows
can never come back to another.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.migrations import migrations

log = logging.getLogger(__name__)

#: Tables holding a user's rows, children first so deletes respect foreign keys.
USER_TABLES = ("web_history", "reminders", "shop_queries", "items", "comments_sent", "outfits",
               "verdicts", "feedback", "preferences", "dialog_state", "photos")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class NotFound(LookupError):
    """No such row for this user."""


class Store:
    def __init__(self, path: Path, files_dir: Path, photo_quota_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.files_dir = Path(files_dir)
        self.photo_quota_bytes = photo_quota_bytes  # kept photos per user; None: no limit
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        migrations.apply(self.db)

    @property
    def db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db = Database(conn)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # users -------------------------------------------------------------------------------
    def ensure_user(self, user_id: str, channel: str) -> dict:
        self.db["users"].insert(
            {"id": user_id, "channel": channel, "created_at": now()}, pk="id", ignore=True
        )
        return self.user(user_id)

    def user(self, user_id: str) -> dict:
        try:
            return self.db["users"].get(user_id)
        except Exception as err:  # sqlite_utils.db.NotFoundError
            raise NotFound(user_id) from err

    def update_user(self, user_id: str, **fields: Any) -> None:
        self.db["users"].update(user_id, fields)

    def users_with_daily(self) -> list[dict]:
        return list(self.db["users"].rows_where("daily_time is not null"))

    # photos and files --------------------------------------------------------------------
    def user_dir(self, user_id: str) -> Path:
        # Hashed so a user id never becomes a path (and ids like "../x" are harmless).
        return self.files_dir / sha256(user_id.encode()).hexdigest()[:24]

    def add_photo(self, user_id: str, data: bytes, width: int, height: int, keep: bool, *,
                  kept: bytes | None = None) -> int:
        """Record a photo; with `keep`, write `kept` (the re-encoded photo; else `data`, the
        upload, whose digest names it either way) and then hold the user's quota."""
        digest = sha256(data).hexdigest()
        path = None
        if keep:
            folder = self.user_dir(user_id) / "photos"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{digest[:32]}.jpg"
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data if kept is None else kept)
            tmp.replace(target)  # atomic: a crash never leaves half a photo
            path = str(target)
        photo_id = self.db["photos"].insert(
            {"user_id": user_id, "sha256": digest, "width": width, "height": height,
             "path": path, "created_at": now()}
        ).last_pk
        if keep:
            self._hold_photo_quota(user_id)
        return photo_id

    def _hold_photo_quota(self, user_id: str) -> None:
        """Over the quota, the oldest kept photos go (their rows stay, without a file), so a
        user's newest photos are always the ones kept."""
        if self.photo_quota_bytes is None:
            return
        rows = self.db["photos"].rows_where("user_id = ? and path is not null", [user_id],
                                            order_by="id desc", select="id, path")
        used, keeping = 0, set()  # paths: the same photo kept twice shares one file
        for row in rows:
            path = Path(row["path"])
            if row["path"] in keeping:
                continue
            size = path.stat().st_size if path.exists() else 0
            if keeping and used + size > self.photo_quota_bytes:
                path.unlink(missing_ok=True)
                self.db["photos"].update(row["id"], {"path": None})
            else:
                used += size
                keeping.add(row["path"])

    def photo(self, user_id: str, photo_id: int) -> dict:
        rows = list(self.db["photos"].rows_where("id = ? and user_id = ?", [photo_id, user_id]))
        if not rows:
            raise NotFound(f"photo {photo_id}")
        return rows[0]

    # outfits and items -------------------------------------------------------------------
    def add_outfit(self, user_id: str, photo_id: int | None, summary: dict,
                   items: list[dict], embedding: bytes | None = None,
                   **diary: Any) -> int:
        """One outfit and its items in one transaction; `diary` holds the diary columns
        (local_date, diary, repeat_of, style)."""
        with self.transaction() as db:
            outfit_id = db["outfits"].insert(
                {"user_id": user_id, "photo_id": photo_id, "created_at": now(),
                 "summary": json.dumps(summary), "palette": json.dumps(summary.get("palette")),
                 "style": json.dumps(summary.get("style")), "embedding": embedding, **diary}
            ).last_pk
            db["items"].insert_all(
                {**item, "outfit_id": outfit_id, "user_id": user_id} for item in items
            )
        return outfit_id

    def outfit(self, user_id: str, outfit_id: int) -> dict:
        rows = list(self.db["outfits"].rows_where("id = ? and user_id = ?", [outfit_id, user_id]))
        if not rows:
            raise NotFound(f"outfit {outfit_id}")
        row = rows[0]
        row["summary"] = json.loads(row["summary"] or "{}")
        row["items"] = list(self.db["items"].rows_where(
            "outfit_id = ? and user_id = ?", [outfit_id, user_id]))
        return row

    def outfits(self, user_id: str, limit: int = 20) -> list[dict]:
        rows = self.db["outfits"].rows_where(
            "user_id = ?", [user_id], order_by="id desc", limit=limit)
        return [{**r, "summary": json.loads(r["summary"] or "{}")} for r in rows]

    # verdicts and feedback ---------------------------------------------------------------
    def add_verdict(self, user_id: str, outfit_a: int | None, outfit_b: int | None, p_a: float,
                    features: dict, reasons: list) -> int:
        return self.db["verdicts"].insert(
            {"user_id": user_id, "outfit_a": outfit_a, "outfit_b": outfit_b, "p_a": p_a,
             "features": json.dumps(features), "reasons": json.dumps(reasons),
             "created_at": now()}
        ).last_pk

    def verdict(self, user_id: str, verdict_id: int) -> dict:
        rows = list(
            self.db["verdicts"].rows_where("id = ? and user_id = ?", [verdict_id, user_id]))
        if not rows:
            raise NotFound(f"verdict {verdict_id}")
        row = rows[0]
        row["features"] = json.loads(row["features"])
        row["reasons"] = json.loads(row["reasons"])
        return row

    def add_feedback(self, user_id: str, kind: str, target_id: int | None, value: str) -> int:
        return self.db["feedback"].insert(
            {"user_id": user_id, "kind": kind, "target_id": target_id, "value": value,
             "created_at": now()}
        ).last_pk

    def feedback(self, user_id: str, kind: str | None = None) -> list[dict]:
        where, args = "user_id = ?", [user_id]
        if kind:
            where, args = where + " and kind = ?", args + [kind]
        return list(self.db["feedback"].rows_where(where, args, order_by="id"))

    def verdict_examples(self, user_id: str | None = None, limit: int = 5000) -> list[dict]:
        """Answered Style Checks as {"features": {"a": …, "b": …}, "preferred": "a"|"b"}, the
        latest answer per verdict. Without user_id: everyone's, only for fitting global weights
        (never shown to anyone)."""
        where = "where f.kind = 'verdict' and f.value in ('a', 'b')"
        args: list[Any] = []
        if user_id is not None:
            where += " and f.user_id = ?"
            args.append(user_id)
        rows = self.db.execute(
            f"""select v.features, f.value from feedback f
                join verdicts v on v.id = f.target_id and v.user_id = f.user_id
                {where} and f.id = (select max(f2.id) from feedback f2
                                    where f2.kind = 'verdict' and f2.target_id = f.target_id
                                    and f2.user_id = f.user_id)
                order by f.id desc limit ?""",
            [*args, limit],
        ).fetchall()
        return [{"features": json.loads(features), "preferred": value} for features, value in rows]

    # comments --------------------------------------------------------------------------
    def add_comment(self, user_id: str, outfit_id: int | None, key: str, template: str,
                    text: str) -> int:
        return self.db["comments_sent"].insert(
            {"user_id": user_id, "outfit_id": outfit_id, "key": key, "template": template,
             "text": text, "created_at": now()}
        ).last_pk

    def recent_comments(self, user_id: str, limit: int = 100) -> list[dict]:
        return list(self.db["comments_sent"].rows_where(
            "user_id = ?", [user_id], order_by="id desc", limit=limit))

    # preferences and dialogue state ------------------------------------------------------
    def preferences(self, user_id: str) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"])
                for r in self.db["preferences"].rows_where("user_id = ?", [user_id])}

    def set_preference(self, user_id: str, key: str, value: Any) -> None:
        self.db["preferences"].upsert(
            {"user_id": user_id, "key": key, "value": json.dumps(value), "updated_at": now()},
            pk=("user_id", "key"),
        )

    def state(self, user_id: str) -> dict:
        rows = list(self.db["dialog_state"].rows_where("user_id = ?", [user_id]))
        return json.loads(rows[0]["state"]) if rows else {}

    def set_state(self, user_id: str, state: dict) -> None:
        self.db["dialog_state"].upsert(
            {"user_id": user_id, "state": json.dumps(state), "updated_at": now()}, pk="user_id")

    # privacy -----------------------------------------------------------------------------
    def export_user(self, user_id: str) -> dict:
        """Everything stored about the user, as plain JSON-able data."""
        data: dict[str, Any] = {"user": self.user(user_id)}
        for table in USER_TABLES:
            data[table] = list(self.db[table].rows_where("user_id = ?", [user_id]))
        for row in data["outfits"]:
            row.pop("embedding", None)
        for row in data["shop_queries"]:
            row.pop("vector", None)  # a garment's numeric fingerprint, not readable data
        for row in data["web_history"]:
            row["body"] = json.loads(row["body"])  # the web chat's messages, readable
        return data

    def forget_user(self, user_id: str) -> int:
        """Delete every row and file of the user; returns how many rows went."""
        removed = 0
        with self.transaction() as db:
            for table in USER_TABLES:
                sql = f"delete from [{table}] where user_id = ?"
                removed += db.execute(sql, [user_id]).rowcount
            removed += db.execute("delete from users where id = ?", [user_id]).rowcount
        shutil.rmtree(self.user_dir(user_id), ignore_errors=True)
        log.info("forgot a user: %d rows", removed)
        return removed
