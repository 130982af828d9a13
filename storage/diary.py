"""The outfit diary and reminders in the store: user-scoped queries over the outfits table's diary
columns, and the reminder log whose rows are claimed *before* a reminder is sent.

A reminder is claimed with one compare-and-set on `users.last_daily_sent` (or
`last_weekly_sent`) plus a row in `reminders` (unique per user, kind and local day), in one
transaction; only the process whose claim changed the row sends. A crash after the claim loses
that one reminder at most; no restart can ever send it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from storage.db import IntegrityError, Store, now

#: The column of `users` each reminder kind is claimed on.
CLAIM_COLUMN = {"daily": "last_daily_sent", "weekly": "last_weekly_sent"}


@dataclass(frozen=True)
class StoredEmbedding:
    outfit_id: int
    local_date: str
    embedding: bytes


class DiaryStore:
    """Diary and reminder queries over a Store (every method that reads user data is scoped)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def db(self):  # noqa: ANN201 - sqlite_utils.Database, or storage.postgres.Database
        return self.store.db

    # diary entries ---------------------------------------------------------------------
    def entries(self, user_id: str, limit: int = 7, since: str | None = None,
                until: str | None = None) -> list[dict]:
        """Diary entries, newest first, with the comment sent and the kept photo's path."""
        where, args = "o.user_id = ? and o.diary = 1", [user_id]
        if since:
            where, args = where + " and o.local_date >= ?", args + [since]
        if until:
            where, args = where + " and o.local_date <= ?", args + [until]
        rows = self.db.execute(
            f"""select o.id, o.local_date, o.created_at, o.summary, o.style, o.repeat_of,
                       p.path as photo_path,
                       (select c.text from comments_sent c where c.outfit_id = o.id
                        and c.user_id = o.user_id order by c.id desc limit 1) as comment
                from outfits o left join photos p on p.id = o.photo_id and p.user_id = o.user_id
                where {where} order by o.local_date desc, o.id desc limit ?""",
            [*args, limit],
        ).fetchall()
        keys = ("id", "local_date", "created_at", "summary", "style", "repeat_of", "photo_path",
                "comment")
        out = []
        for row in rows:
            entry = dict(zip(keys, row, strict=True))
            entry["summary"] = json.loads(entry["summary"] or "{}")
            entry["style"] = json.loads(entry["style"] or "null")
            out.append(entry)
        return out

    def entry_dates(self, user_id: str) -> set[date]:
        rows = self.db.execute(
            "select distinct local_date from outfits where user_id = ? and diary = 1 "
            "and local_date is not null", [user_id]).fetchall()
        return {date.fromisoformat(r[0]) for r in rows}

    def entry_date(self, user_id: str, outfit_id: int) -> str | None:
        row = self.db.execute("select local_date from outfits where id = ? and user_id = ?",
                              [outfit_id, user_id]).fetchone()
        return row[0] if row else None

    def embeddings(self, user_id: str, before: str, since: str) -> list[StoredEmbedding]:
        """Earlier diary entries' embeddings (local days in [since, before))."""
        rows = self.db.execute(
            """select id, local_date, embedding from outfits where user_id = ? and diary = 1
               and embedding is not null and local_date >= ? and local_date < ?
               order by local_date desc, id desc""", [user_id, since, before]).fetchall()
        return [StoredEmbedding(int(i), d, bytes(e)) for i, d, e in rows]

    def verdicts_about(self, user_id: str, outfit_ids: list[int]) -> list[dict]:
        """The user's Style Checks that compared any of `outfit_ids`, oldest first, with the
        outfits they compared and their latest answer (if any)."""
        if not outfit_ids:
            return []
        marks = ", ".join("?" * len(outfit_ids))
        rows = self.db.execute(
            f"""select v.id, v.outfit_a, v.outfit_b, v.p_a, v.created_at,
                       (select f.value from feedback f where f.kind = 'verdict'
                        and f.target_id = v.id and f.user_id = v.user_id
                        order by f.id desc limit 1)
                from verdicts v where v.user_id = ?
                and (v.outfit_a in ({marks}) or v.outfit_b in ({marks})) order by v.id""",
            [user_id, *outfit_ids, *outfit_ids]).fetchall()
        keys = ("id", "outfit_a", "outfit_b", "p_a", "created_at", "preferred")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # reminders ---------------------------------------------------------------------------
    def reminder_users(self) -> list[dict]:
        """Everyone with a daily reminder or a weekly summary switched on (any channel)."""
        return list(self.db["users"].rows_where(
            "daily_time is not null or weekly_day is not null"))

    def claim(self, user_id: str, kind: str, local_day: str) -> int | None:
        """Mark the reminder sent for this local day (before sending it). Returns the log row's
        id, or None when it was already claimed (by this or an earlier process)."""
        column = CLAIM_COLUMN[kind]
        try:
            with self.store.transaction() as db:
                changed = db.execute(
                    f"update users set {column} = ? where id = ? "
                    f"and ({column} is null or {column} <> ?)",
                    [local_day, user_id, local_day]).rowcount
                if changed != 1:
                    return None
                return int(db["reminders"].insert(
                    {"user_id": user_id, "kind": kind, "local_date": local_day,
                     "claimed_at": now(), "sent_at": None}).last_pk)
        except IntegrityError:  # already in the log (or the user was just forgotten)
            return None

    def mark_sent(self, user_id: str, reminder_id: int) -> None:
        self.db.execute("update reminders set sent_at = ? where id = ? and user_id = ?",
                        [now(), reminder_id, user_id])

    def reminders(self, user_id: str) -> list[dict[str, Any]]:
        return list(self.db["reminders"].rows_where("user_id = ?", [user_id], order_by="id"))
