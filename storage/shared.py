"""State several bot workers on one database share (workers.shared; docs/scaling.md): a user's
next message may land on any worker, so whatever it needs from the last one is kept here.

Recent photos (the working-size photo as a JPEG, re-parsed by a worker that has no parse of it),
the web chat's pictures waiting to be fetched, rate-limit buckets, and the parts of a Telegram
album still arriving. All of it is short-lived: rows older than the caller's `since` are ignored
and swept on the next write; all of it is user-scoped and goes with /forget (USER_TABLES).
Times are seconds since the epoch, so every worker reads them alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from storage.db import Store

T = TypeVar("T")


class SharedState:
    def __init__(self, store: Store) -> None:
        self.store = store

    # recent photos -------------------------------------------------------------------------
    def add_recent_photo(self, user_id: str, row: dict[str, Any], keep: int, since: float) -> None:
        """Add one photo (ref, outfit_id, at, paired, digest, image); keep the user's newest
        `keep` and drop everyone's older than `since`."""
        with self.store.transaction() as db:
            db["recent_photos"].insert({**row, "user_id": user_id})
            db.execute("delete from recent_photos where at < ?", [since])
            db.execute("""delete from recent_photos where user_id = ? and id not in (
                              select id from recent_photos where user_id = ?
                              order by id desc limit ?)""", [user_id, user_id, keep])

    def recent_photos(self, user_id: str, since: float) -> list[dict[str, Any]]:
        """The user's photos newer than `since`, oldest first, without their images."""
        return list(self.store.db["recent_photos"].rows_where(
            "user_id = ? and at >= ?", [user_id, since], order_by="id",
            select="id, ref, outfit_id, at, paired, digest"))

    def mark_recent_paired(self, user_id: str, outfit_id: int) -> None:
        self.store.db.execute("update recent_photos set paired = 1 where user_id = ? "
                              "and outfit_id = ?", [user_id, outfit_id])

    def recent_image(self, user_id: str, row_id: int) -> bytes | None:
        row = self.store.db.execute("select image from recent_photos where id = ? and user_id = ?",
                                    [row_id, user_id]).fetchone()
        return bytes(row[0]) if row else None

    # the web chat's pictures and files -----------------------------------------------------
    def put_blob(self, row: dict[str, Any], per_user: int, user_bytes: int, since: float) -> None:
        """Add one blob (id, user_id, mime, name, download, data, at); the user's oldest go
        while they hold more than `per_user` or `user_bytes`, everyone's older than `since`."""
        user = row["user_id"]
        with self.store.transaction() as db:
            db["web_blobs"].insert({**row, "size": len(row["data"])})
            db.execute("delete from web_blobs where at < ?", [since])
            kept, count = 0, 0
            for blob_id, size in db.execute(
                    "select id, size from web_blobs where user_id = ? order by at desc, id",
                    [user]).fetchall():
                kept, count = kept + size, count + 1
                if blob_id != row["id"] and (count > per_user or kept > user_bytes):
                    db.execute("delete from web_blobs where id = ?", [blob_id])

    def blob(self, user_id: str, blob_id: str, since: float,
             with_data: bool = True) -> dict[str, Any] | None:
        columns = "mime, name, download" + (", data" if with_data else "")
        rows = list(self.store.db["web_blobs"].rows_where(
            "id = ? and user_id = ? and at >= ?", [blob_id, user_id, since], select=columns))
        return rows[0] if rows else None

    # rate-limit buckets --------------------------------------------------------------------
    def update_bucket(self, key: str,
                      step: Callable[[tuple[float, float, float] | None],
                                     tuple[tuple[float, float, float], T]]) -> T:
        """Read the bucket (tokens, at, quiet_until), let `step` charge it, write it back: one
        transaction, so two workers charging one user at once both count."""
        with self.store.transaction() as db:
            # Takes the row's lock first (PostgreSQL; SQLite's BEGIN IMMEDIATE locks it all), so
            # a second worker's read waits for this write instead of charging a stale bucket.
            db.execute("update rate_buckets set at = at where user_id = ?", [key])
            row = db.execute("select tokens, at, quiet_until from rate_buckets where user_id = ?",
                             [key]).fetchone()
            (tokens, at, quiet), verdict = step(tuple(row) if row else None)
            db["rate_buckets"].upsert({"user_id": key, "tokens": tokens, "at": at,
                                       "quiet_until": quiet}, pk="user_id")
        return verdict

    def drop_buckets_before(self, at: float) -> None:
        """Forget buckets idle since before `at` (full again: the same as a new one)."""
        self.store.db.execute("delete from rate_buckets where at < ? and quiet_until < ?",
                              [at, at])

    # Telegram albums arriving on several workers ------------------------------------------
    def add_album_part(self, user_id: str, album: str, message_id: int, message: str,
                       at: float, since: float) -> int:
        with self.store.transaction() as db:
            db.execute("delete from album_parts where at < ?", [since])
            return int(db["album_parts"].insert(
                {"user_id": user_id, "album": album, "message_id": message_id,
                 "message": message, "at": at}).last_pk)

    def album_size(self, album: str) -> int:
        return self.store.db.execute("select count(*) from album_parts where album = ?",
                                     [album]).fetchone()[0]

    def take_album(self, album: str, part_id: int) -> list[str] | None:
        """The album's parts in message order, removed, for the worker whose own part is still
        there; None when another worker took them already."""
        with self.store.transaction() as db:
            # One lock per album (its first part's row): two workers taking it queue up, and the
            # second finds it gone.
            locked = db.execute("update album_parts set at = at where id = (select min(id) "
                                "from album_parts where album = ?)", [album]).rowcount
            rows = db.execute("select id, message from album_parts where album = ? "
                              "order by message_id", [album]).fetchall()
            if not locked or part_id not in {row[0] for row in rows}:
                return None
            db.execute("delete from album_parts where album = ?", [album])
        return [message for _, message in rows]
