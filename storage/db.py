"""The store: one SQLite file in WAL mode (or a PostgreSQL database), one connection per thread,
every query user-scoped.

Each thread gets its own sqlite-utils Database (sqlite3 connections are not shareable across
threads); WAL plus a busy timeout lets handlers, the model worker thread and the CLI write
concurrently. With a postgresql:// URL each thread gets its own psycopg connection behind the
same calls (storage.postgres): the threads that touch the store are few and long-lived (the
event loop, the model workers, asyncio's default pool), so a pool would only add a check-out
around every call. Methods that touch user data take the user id and filter by it, so one
user's rows can never come back to another.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table

from storage.migrations import migrations

try:
    from storage import postgres
except ImportError:  # psycopg is not installed (the `postgres` extra): SQLite only
    postgres = None

log = logging.getLogger(__name__)

#: Tables holding a user's rows, children first so deletes respect foreign keys.
USER_TABLES = ("web_history", "reminders", "shop_queries", "items", "comments_sent", "outfits",
               "verdicts", "feedback", "preferences", "dialog_state", "photos",
               "recent_photos", "web_blobs", "rate_buckets", "album_parts")
#: Columns of bytes that an export leaves out (pictures, fingerprints: not readable data).
EXPORT_DROPS = {"outfits": "embedding", "shop_queries": "vector", "recent_photos": "image",
                "web_blobs": "data"}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class NotFound(LookupError):
    """No such row for this user."""


#: PostgreSQL advisory lock held while migrating (any number; this one spells "stylebot").
MIGRATIONS_LOCK = 0x7374796C65626F74

#: What a query can raise on either database (a constraint broken, a server gone).
DatabaseError: tuple[type[Exception], ...] = (sqlite3.Error,) + (
    (postgres.Error,) if postgres else ())
IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError,) + (
    (postgres.IntegrityError,) if postgres else ())


class StorageError(RuntimeError):
    """The database or the files folder cannot be written at start-up: one line naming the path,
    the setting that chose it and the OS's reason, for the command line to print."""

    def __init__(self, setting: str, path: Path | str, reason: str) -> None:
        super().__init__(f"cannot write {path} (setting storage.{setting}, environment "
                         f"STYLEBOT_STORAGE__{setting.upper()}): {reason}")
        self.setting, self.path, self.reason = setting, path, reason


class _RolledBack(Exception):
    """Ends the start-up write check's transaction, undoing its write."""


class _Unmigrated(Exception):
    """Migrations were applied, yet some are still pending (another process's history)."""


class FilesFault(OSError):
    """A kept photo could not be written under the files folder."""


#: SQLite's codes for a fault of the disk rather than of the query (read-only, full, failing).
DISK_FAULT_CODES = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN")


def is_storage_fault(err: BaseException) -> bool:
    """Whether `err` means nothing could be saved (so the user hears that, not "all is safe")."""
    if isinstance(err, FilesFault) or (postgres and postgres.is_fault(err)):
        return True
    code = getattr(err, "sqlite_errorname", "") if isinstance(err, sqlite3.Error) else ""
    return code.startswith(DISK_FAULT_CODES)


def _reason(err: BaseException) -> str:
    """The OS's or SQLite's words, with the path it was about (a parent that is a file)."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    return postgres.reason(err) if postgres and isinstance(err, postgres.Error) else str(err)


class Health:
    """Whether the last write of each kind ("database", "files") failed, and why: kept where the
    writes happen so /healthz reads it for free."""

    def __init__(self) -> None:
        self.faults: dict[str, str] = {}

    def failed(self, kind: str, err: BaseException) -> None:
        self.faults[kind] = _reason(err)

    def succeeded(self, kind: str) -> None:
        self.faults.pop(kind, None)


def _wal(conn: sqlite3.Connection, tries: int = 100) -> None:
    """Switch a connection's database to WAL. On a new file several connections switching at
    once (workers starting together) can each hold a read lock and want the write lock, which
    SQLite refuses at once with "database is locked" instead of waiting its busy timeout (it
    would deadlock): try again for a few seconds."""
    for attempt in range(tries):
        try:
            sqlite3.Connection.execute(conn, "PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == tries - 1:
                raise
            time.sleep(0.05)


class _Database(Database):
    """The schema has no views, so `db[name]` is a table without asking sqlite_master first
    (sqlite-utils asks on every lookup: 32 of the 107 statements a photo reply ran)."""

    def __getitem__(self, table_name: str) -> Table:
        return self.table(table_name)


class _Connection(sqlite3.Connection):
    """Tells the store's Health how each write ended. A write has succeeded once its changes are
    committed: autocommit, or a transaction (BEGIN, sqlite-utils' SAVEPOINT) that changed rows
    ending by COMMIT or RELEASE rather than ROLLBACK."""

    health: Health
    opened_at = 0  # the change count when the open transaction began

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        before, was_open = self.total_changes, self.in_transaction
        try:
            cursor = super().execute(sql, *args)
        except sqlite3.Error as err:
            if is_storage_fault(err):
                self.health.failed("database", err)
            raise
        if self.in_transaction:
            if not was_open:
                self.opened_at = before
        elif self.total_changes != (self.opened_at if was_open else before) \
                and not sql.lstrip().upper().startswith("ROLLBACK"):
            self.health.succeeded("database")
        return cursor


@dataclass(frozen=True)
class StoredPhoto:
    photo_id: int
    outfit_id: int
    kept: bool  # False when keeping was asked for but the file could not be written


class Store:
    def __init__(self, database: Path | str, files_dir: Path,
                 photo_quota_bytes: int | None = None) -> None:
        """`database`: an SQLite file's path, or a postgresql:// URL."""
        self.url = database if isinstance(database, str) and database.startswith(
            ("postgresql://", "postgres://")) else None
        self.path = None if self.url else Path(database)
        self.files_dir = Path(files_dir)
        self.health = Health()
        self.photo_quota_bytes = photo_quota_bytes  # kept photos per user; None: no limit
        self._local = threading.local()
        self._opened: list[Any] = []  # PostgreSQL connections of every thread, for close()
        self._lock = threading.Lock()
        self._check_database()
        self._check_files_dir()

    def _check_database(self) -> None:
        """Open and migrate the database, then prove it takes a write (rolled back: in WAL mode
        a read-only file still grants BEGIN IMMEDIATE and refuses only the write itself);
        StorageError if not, naming the setting (and a URL without its password)."""
        if self.url and postgres is None:
            raise StorageError("url", self.url.split("@")[-1], "psycopg is not installed "
                               "(pip install 'stylebot[postgres]')")
        try:
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # One transaction, so workers starting together migrate one at a time: SQLite's
            # BEGIN IMMEDIATE and PostgreSQL's advisory lock make the others wait, then find
            # nothing pending (each step runs in a savepoint: no step may be non-transactional).
            with self.transaction() as db:
                if self.url:
                    db.execute("select pg_advisory_xact_lock(?)", [MIGRATIONS_LOCK])
                migrations.apply(db)
            if pending := migrations.pending(self.db):
                raise _Unmigrated(
                    "migrations not applied: " + ", ".join(m.name for m in pending))
            with self.transaction() as db:
                db.execute("create table _write_check (x int)")
                raise _RolledBack
        except _RolledBack:
            pass
        except (*DatabaseError, OSError, _Unmigrated) as err:
            self.close()
            if self.url:
                raise StorageError("url", postgres.redact(self.url), _reason(err)) from None
            raise StorageError("database", self.path, _reason(err)) from None

    def _check_files_dir(self) -> None:
        """The files folder exists and takes a file (created and removed); StorageError if not."""
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.files_dir, prefix=".write-check"):
                pass
        except OSError as err:
            self.close()
            raise StorageError("files_dir", self.files_dir, _reason(err)) from None

    @property
    def db(self) -> Database:
        """This thread's connection (on PostgreSQL a new one when the last was lost)."""
        db = getattr(self._local, "db", None)
        if self.url and (db is None or not db.usable):
            db = self._local.db = postgres.connect(self.url, self.health)
            with self._lock:
                self._opened = [d for d in self._opened if d.usable] + [db]
        elif db is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   factory=_Connection)
            conn.health = self.health
            _wal(conn)
            db = _Database(conn)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, not left in free space for /forget.
            db.execute("PRAGMA secure_delete=ON")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing; inside another transaction it joins that one."""
        db = self.db
        if self.url:
            with db.transaction():
                yield db
            return
        if db.conn.in_transaction:
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:  # SQLite has already rolled back after SQLITE_FULL
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection; on PostgreSQL every thread's (a server counts them,
        while SQLite's cannot be closed from another thread and end with their thread)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        with self._lock:
            for other in self._opened:
                other.close()
            self._opened.clear()

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

    def user_count(self) -> int:
        return self.db.execute("select count(*) from users").fetchone()[0]

    def users_with_daily(self) -> list[dict]:
        return list(self.db["users"].rows_where("daily_time is not null"))

    # photos and files --------------------------------------------------------------------
    def user_dir(self, user_id: str) -> Path:
        # Hashed so a user id never becomes a path (and ids like "../x" are harmless).
        return self.files_dir / sha256(user_id.encode()).hexdigest()[:24]

    def _keep_file(self, user_id: str, data: bytes,
                   kept: bytes | None = None) -> tuple[Path, bool]:
        """Write a kept photo (`kept`: the re-encoded photo; else `data`, the upload, whose
        digest names it either way); returns its path and whether it is new. FilesFault if
        not."""
        target = self.user_dir(user_id) / "photos" / f"{sha256(data).hexdigest()[:32]}.jpg"
        existed = target.exists()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data if kept is None else kept)
            tmp.replace(target)  # atomic: a crash never leaves half a photo
        except OSError as err:
            self.health.failed("files", err)
            raise FilesFault(err.errno, err.strerror, err.filename) from err
        self.health.succeeded("files")
        return target, not existed

    def _photo_row(self, user_id: str, data: bytes, width: int, height: int,
                   path: Path | None) -> int:
        return self.db["photos"].insert(
            {"user_id": user_id, "sha256": sha256(data).hexdigest(), "width": width,
             "height": height, "path": path and str(path), "created_at": now()}
        ).last_pk

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

    def add_photo(self, user_id: str, data: bytes, width: int, height: int, keep: bool, *,
                  kept: bytes | None = None) -> int:
        path = self._keep_file(user_id, data, kept)[0] if keep else None
        photo_id = self._photo_row(user_id, data, width, height, path)
        if path is not None:
            self._hold_photo_quota(user_id)
        return photo_id

    def add_analysed_photo(self, user_id: str, data: bytes, width: int, height: int,
                           keep: bool, summary: dict, items: list[dict],
                           encoded: bytes | None = None, **outfit: Any) -> StoredPhoto:
        """The photo row, its outfit and items in one transaction (never a photo without its
        outfit). `encoded`: what is kept on disk (the re-encoded photo; the upload if None). A
        photo that cannot be kept is still stored without its file (kept=False); a file
        written for rows that then fail is removed again; the user's quota is held after."""
        path, new_file, kept = None, False, True
        if keep:
            try:
                path, new_file = self._keep_file(user_id, data, encoded)
            except FilesFault:
                log.warning("could not keep a photo under %s", self.files_dir, exc_info=True)
                kept = False
        try:
            with self.transaction():
                photo_id = self._photo_row(user_id, data, width, height, path)
                outfit_id = self.add_outfit(user_id, photo_id, summary, items, **outfit)
        except BaseException:
            if path is not None and new_file:
                path.unlink(missing_ok=True)
            raise
        if path is not None:
            self._hold_photo_quota(user_id)
        return StoredPhoto(photo_id, outfit_id, kept)

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
        for table, column in EXPORT_DROPS.items():
            for row in data[table]:
                row.pop(column, None)
        for row in data["web_history"]:
            row["body"] = json.loads(row["body"])  # the web chat's messages, readable
        return data

    def _checkpoint(self) -> None:
        """Copy the WAL into the database and empty it: the WAL still holds the pages as they
        were before a delete, so without this the forgotten rows stay readable in it.
        PostgreSQL keeps deleted rows until (auto)vacuum reuses their space, and its WAL per
        its archiving settings: that is the server's operator's to configure (README)."""
        if self.url:
            return
        busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:  # a long reader held on past the busy timeout; the next checkpoint will do
            log.warning("the WAL could not be emptied after a forget (busy)")

    def forget_user(self, user_id: str) -> int:
        """Delete every row and file of the user; returns how many rows went."""
        removed = 0
        with self.transaction() as db:
            for table in USER_TABLES:
                sql = f"delete from [{table}] where user_id = ?"
                removed += db.execute(sql, [user_id]).rowcount
            removed += db.execute("delete from users where id = ?", [user_id]).rowcount
        self._checkpoint()
        shutil.rmtree(self.user_dir(user_id), ignore_errors=True)
        log.info("forgot a user: %d rows", removed)
        return removed
