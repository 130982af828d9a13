"""Catalogue rows in the store: upserts that report what changed, cached vectors per embedder,
index builds, and the garment vectors behind a user's "where can I buy this" (user-scoped).

Plain dicts in and out; nothing here knows about images or models.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage.db import NotFound, Store, now

log = logging.getLogger(__name__)

#: Columns a feed row may set (the rest are bookkeeping).
ITEM_FIELDS = ("id", "title", "brand", "category", "shop_category", "colour_name", "colour_family",
               "price", "currency", "url", "image", "image_path", "image_sha256", "demo", "source",
               "feed")
#: Fields whose change means the item is different (bookkeeping such as `feed` is not).
_COMPARED = tuple(f for f in ITEM_FIELDS if f not in ("id", "feed"))


@dataclass
class UpsertResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class CatalogStore:
    """The catalogue tables of a Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def db(self):  # noqa: ANN201 - sqlite_utils.Database, or storage.postgres.Database
        return self.store.db

    # items -------------------------------------------------------------------------------
    def upsert(self, rows: Iterable[dict[str, Any]]) -> UpsertResult:
        """Insert new items, update changed ones, leave identical ones untouched (idempotent)."""
        result = UpsertResult()
        stamp = now()
        with self.store.transaction() as db:
            for row in rows:
                row = {k: row.get(k) for k in ITEM_FIELDS}
                existing = list(db["catalog"].rows_where("id = ?", [row["id"]]))
                if not existing:
                    db["catalog"].insert({**row, "imported_at": stamp, "updated_at": stamp})
                    result.added.append(row["id"])
                elif any(existing[0].get(k) != row[k] for k in _COMPARED):
                    db["catalog"].update(row["id"], {**row, "updated_at": stamp})
                    result.updated.append(row["id"])
                else:
                    result.unchanged.append(row["id"])
        return result

    def items(self, source: str | None = None) -> list[dict]:
        where, args = ("source = ?", [source]) if source else (None, [])
        return list(self.db["catalog"].rows_where(where, args, order_by="id"))

    def item(self, item_id: str) -> dict:
        rows = list(self.db["catalog"].rows_where("id = ?", [item_id]))
        if not rows:
            raise NotFound(f"catalogue item {item_id}")
        return rows[0]

    def count(self) -> int:
        return self.db["catalog"].count

    def delete_source(self, source: str) -> int:
        with self.store.transaction() as db:
            db.execute("delete from catalog_vectors where item_id in "
                       "(select id from catalog where source = ?)", [source])
            return db.execute("delete from catalog where source = ?", [source]).rowcount

    # vectors -----------------------------------------------------------------------------
    def cached_vectors(self, embedder: str
                       ) -> dict[str, tuple[str, bytes, str | None, str | None]]:
        """item id -> (image digest, vector bytes, colour family seen, kind seen) kept under
        `embedder` (the key: the embedder's name, and for garment vectors what cut the photos
        and which kind head looked)."""
        return {r["item_id"]: (r["image_sha256"], r["vector"], r["colour_family"], r["kind"])
                for r in self.db["catalog_vectors"].rows_where("embedder = ?", [embedder])}

    def save_vectors(self, embedder: str,
                     rows: list[tuple[str, str, bytes, str | None, str | None]]) -> None:
        """rows of (item id, image digest, vector bytes, colour family seen, kind seen)."""
        stamp = now()
        with self.store.transaction() as db:
            db["catalog_vectors"].upsert_all(
                ({"item_id": i, "embedder": embedder, "image_sha256": sha, "vector": vec,
                  "colour_family": fam, "kind": kind, "created_at": stamp}
                 for i, sha, vec, fam, kind in rows),
                pk=("item_id", "embedder"),
            )

    def drop_stale_vectors(self, embedder: str, current: str) -> int:
        """Delete `embedder`'s vectors kept under any key but `current` (made with an older
        product parser, or before keys named the parser): they would never be read again."""
        prefix = embedder + "|"
        with self.store.transaction() as db:
            return db.execute(
                "delete from catalog_vectors where (embedder = ? or substr(embedder, 1, ?) = ?)"
                " and embedder != ?", [embedder, len(prefix), prefix, current]).rowcount

    def record_build(self, embedder: str, path: str, items: int, dims: int,
                     seconds: float) -> int:
        return self.db["catalog_builds"].insert(
            {"embedder": embedder, "path": path, "items": items, "dims": dims,
             "seconds": round(seconds, 2), "built_at": now()}
        ).last_pk

    def builds(self) -> list[dict]:
        return list(self.db["catalog_builds"].rows_where(order_by="id desc"))

    # a user's garment queries ------------------------------------------------------------
    def save_queries(self, user_id: str, outfit_id: int, embedder: str,
                     rows: list[dict[str, Any]]) -> None:
        """Replace the garment vectors of one outfit (rows: item_index, category, colour_family,
        name, vector, kind)."""
        stamp = now()
        with self.store.transaction() as db:
            db.execute("delete from shop_queries where user_id = ? and outfit_id = ?",
                       [user_id, outfit_id])
            db["shop_queries"].insert_all(
                {**r, "user_id": user_id, "outfit_id": outfit_id, "embedder": embedder,
                 "created_at": stamp} for r in rows
            )

    def queries(self, user_id: str, outfit_id: int) -> list[dict]:
        return list(self.db["shop_queries"].rows_where(
            "user_id = ? and outfit_id = ?", [user_id, outfit_id], order_by="item_index"))
