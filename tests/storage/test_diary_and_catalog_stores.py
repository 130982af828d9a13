"""DiaryStore and CatalogStore on both databases (the `database` fixture): the diary's joins and
subqueries, reminder claims, catalogue upserts, cached vectors and a user's garment queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Store
from storage.catalog import CatalogStore
from storage.diary import DiaryStore


@pytest.fixture
def store(database: Path | str, tmp_path: Path) -> Store:
    s = Store(database, tmp_path / "files")
    for user in ("tg:a", "tg:b"):
        s.ensure_user(user, "telegram")
    yield s
    s.close()


def test_diary_entries_embeddings_and_style_checks(store: Store) -> None:
    diary = DiaryStore(store)
    photo = store.add_photo("tg:a", b"jpeg", 10, 10, keep=True)
    first = store.add_outfit("tg:a", photo, {"n": 1}, [], embedding=b"\x01" * 8,
                             local_date="2026-11-28", diary=1, style='{"casual": 1}')
    second = store.add_outfit("tg:a", None, {"n": 2}, [], embedding=b"\x02" * 8,
                              local_date="2026-11-29", diary=1)
    store.add_outfit("tg:b", None, {"n": 3}, [], local_date="2026-11-29", diary=1)
    store.add_comment("tg:a", first, "k", "t", "Nice.")
    entries = diary.entries("tg:a")
    assert [e["id"] for e in entries] == [second, first]
    assert entries[1]["comment"] == "Nice." and entries[1]["photo_path"].endswith(".jpg")
    assert entries[1]["summary"] == {"n": 1} and entries[1]["style"] == {"casual": 1}
    assert [e["id"] for e in diary.entries("tg:a", since="2026-11-29")] == [second]
    assert {d.isoformat() for d in diary.entry_dates("tg:a")} == {"2026-11-28", "2026-11-29"}
    assert diary.entry_date("tg:b", first) is None  # not b's outfit
    [earlier] = diary.embeddings("tg:a", before="2026-11-29", since="2026-11-01")
    assert earlier.outfit_id == first and earlier.embedding == b"\x01" * 8
    verdict = store.add_verdict("tg:a", first, second, 0.7, {}, [])
    store.add_feedback("tg:a", "verdict", verdict, "b")
    [about] = diary.verdicts_about("tg:a", [first])
    assert about["id"] == verdict and about["preferred"] == "b" and about["p_a"] == 0.7
    assert diary.verdicts_about("tg:b", [first]) == []
    assert store.verdict_examples("tg:a")[0]["preferred"] == "b"


def test_reminder_claims_once_per_day_and_log_rows(store: Store) -> None:
    diary = DiaryStore(store)
    store.update_user("tg:a", daily_time="08:30")
    assert [u["id"] for u in diary.reminder_users()] == ["tg:a"]
    claimed = diary.claim("tg:a", "daily", "2026-11-29")
    assert claimed is not None and diary.claim("tg:a", "daily", "2026-11-29") is None
    diary.mark_sent("tg:a", claimed)
    [row] = diary.reminders("tg:a")
    assert row["sent_at"] and row["local_date"] == "2026-11-29"
    # Already in the log (the users column reset by hand): the unique index refuses it.
    store.update_user("tg:a", last_daily_sent=None)
    assert diary.claim("tg:a", "daily", "2026-11-29") is None
    assert diary.claim("tg:a", "daily", "2026-11-30") is not None


def test_catalogue_upserts_vectors_and_garment_queries(store: Store) -> None:
    catalog = CatalogStore(store)
    coat = {"id": "c1", "title": "Coat", "category": "outerwear", "price": 99.5, "demo": 1,
            "source": "demo"}
    first = catalog.upsert([coat, {**coat, "id": "c2"}])
    assert first.added == ["c1", "c2"]
    again = catalog.upsert([coat, {**coat, "id": "c2", "price": 80.0}])
    assert again.unchanged == ["c1"] and again.updated == ["c2"]
    assert catalog.item("c2")["price"] == 80.0 and catalog.count() == 2
    catalog.save_vectors("lite0|v2", [("c1", "sha", b"\x00\x01", "blue", "coat")])
    catalog.save_vectors("lite0|v2", [("c1", "sha2", b"\x02", "navy", None)])  # replaces
    catalog.save_vectors("lite0|v1", [("c2", "sha", b"\x03", None, None)])
    assert catalog.cached_vectors("lite0|v2") == {"c1": ("sha2", b"\x02", "navy", None)}
    assert catalog.drop_stale_vectors("lite0", "lite0|v2") == 1
    assert catalog.cached_vectors("lite0|v1") == {}
    build = catalog.record_build("lite0|v2", "/x.ann", 2, 64, 1.234)
    assert catalog.builds()[0]["id"] == build and catalog.builds()[0]["seconds"] == 1.23
    outfit = store.add_outfit("tg:a", None, {}, [])
    query = {"item_index": 0, "category": "top", "colour_family": "blue", "name": "Top",
             "vector": b"\x04", "kind": None}
    catalog.save_queries("tg:a", outfit, "lite0", [query, {**query, "item_index": 1}])
    catalog.save_queries("tg:a", outfit, "lite0", [query])  # replaces the outfit's rows
    assert [q["item_index"] for q in catalog.queries("tg:a", outfit)] == [0]
    assert catalog.queries("tg:b", outfit) == []
    assert catalog.delete_source("demo") == 2 and catalog.items() == []
