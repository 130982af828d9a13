"""The store on real databases, each test on both an SQLite file and a PostgreSQL server (the
`database` fixture): migrations, user scoping, concurrent writers, restart, forget."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from storage import Store
from storage.db import NotFound, _wal
from storage.migrations import migrations
from storage.web_history import WebHistory


@pytest.fixture
def store(database: Path | str, tmp_path: Path) -> Store:
    s = Store(database, tmp_path / "files")
    yield s
    s.close()


def test_schema_applied_once(empty_database: Path | str, tmp_path: Path) -> None:
    Store(empty_database, tmp_path / "files").close()
    again = Store(empty_database, tmp_path / "files")  # a restart applies nothing twice
    applied = [m.name for m in migrations.applied(again.db)]
    assert applied == ["m001_initial", "m002_comments", "m003_catalog_index", "m004_diary",
                       "m005_web_history", "m006_language", "m007_kinds", "m008_brands",
                       "m009_shared_state"]
    if again.path:
        assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {
        "users",
        "photos",
        "outfits",
        "items",
        "verdicts",
        "feedback",
        "preferences",
        "catalog",
    } <= set(again.db.table_names())


def test_rows_survive_a_restart(database: Path | str, tmp_path: Path) -> None:
    first = Store(database, tmp_path / "files")
    first.ensure_user("tg:1", "telegram")
    verdict = first.add_verdict("tg:1", None, None, 0.6, {"colour": 1.0}, [])
    first.add_feedback("tg:1", "verdict", verdict, "a")
    first.close()
    second = Store(database, tmp_path / "files")
    assert [f["value"] for f in second.feedback("tg:1")] == ["a"]
    assert second.verdict("tg:1", verdict)["features"] == {"colour": 1.0}


def test_queries_are_scoped_to_the_user(store: Store) -> None:
    store.ensure_user("tg:a", "telegram")
    store.ensure_user("tg:b", "telegram")
    photo = store.add_photo("tg:a", b"jpeg bytes", 10, 10, keep=False)
    outfit = store.add_outfit("tg:a", photo, {"items": []}, [{"category": "top"}])
    verdict = store.add_verdict("tg:a", outfit, outfit, 0.5, {}, [])
    store.set_preference("tg:a", "avoid_colours", ["yellow"])
    with pytest.raises(NotFound):
        store.outfit("tg:b", outfit)
    with pytest.raises(NotFound):
        store.verdict("tg:b", verdict)
    with pytest.raises(NotFound):
        store.photo("tg:b", photo)
    assert store.outfits("tg:b") == []
    assert store.preferences("tg:b") == {}
    exported = store.export_user("tg:b")
    assert all(exported[t] == [] for t in ("outfits", "items", "verdicts", "photos"))


def test_concurrent_writers_lose_nothing(store: Store, tmp_path: Path) -> None:
    users = [f"web:{i}" for i in range(4)]
    for user in users:
        store.ensure_user(user, "web")
    errors: list[BaseException] = []

    def write(user: str) -> None:
        try:
            for n in range(50):
                outfit = store.add_outfit(user, None, {"n": n}, [{"category": "top"}] * 3)
                store.add_feedback(user, "verdict", outfit, "a")
        except BaseException as err:  # noqa: BLE001 - surfaced below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for user in users:
        assert len(store.outfits(user, limit=1000)) == 50
        assert len(store.feedback(user)) == 50
    # Another store on the same database (a second process's) sees everything committed.
    other = Store(store.path or store.url, tmp_path / "files")
    assert other.db["items"].count == 4 * 50 * 3
    other.close()


def test_forget_removes_rows_and_files(store: Store) -> None:
    store.ensure_user("tg:a", "telegram")
    store.ensure_user("tg:b", "telegram")
    kept = store.add_photo("tg:a", b"photo of a", 10, 10, keep=True)
    store.add_photo("tg:b", b"photo of b", 10, 10, keep=True)
    path = Path(store.photo("tg:a", kept)["path"])
    assert path.read_bytes() == b"photo of a"
    store.add_outfit("tg:a", kept, {}, [{"category": "top"}])
    store.set_state("tg:a", {"x": 1})
    assert store.forget_user("tg:a") > 0
    assert not path.exists()
    for table in ("users", "photos", "outfits", "items", "dialog_state"):
        column = "id" if table == "users" else "user_id"
        assert (
            store.db.execute(f"select count(*) from {table} where {column}='tg:a'").fetchone()[0]
            == 0
        )
    assert len(list(store.db["photos"].rows)) == 1  # the other user's photo stays


def test_photos_are_not_written_without_opt_in(store: Store) -> None:
    store.ensure_user("tg:a", "telegram")
    photo = store.add_photo("tg:a", b"bytes", 10, 10, keep=False)
    assert store.photo("tg:a", photo)["path"] is None
    assert not store.user_dir("tg:a").exists()


def test_web_history_is_scoped_capped_exported_and_forgotten(store: Store) -> None:
    history = WebHistory(store, cap=5)
    assert not history.add_turn("web:a", [("user", {"text": "hi"})])  # no such user yet
    for user in ("web:a", "web:b"):
        store.ensure_user(user, "web")
    assert history.add_turn("web:a", [
        ("user", {"text": "hi", "photos": 0}),
        ("bot", {"text": "hello", "buttons": [[{"label": "Yes", "payload": "keep:yes"}]]})])
    history.add_turn("web:b", [("user", {"text": "b's secret", "photos": 0})])
    assert [m["text"] for m in history.messages("web:a")] == ["hi", "hello"]
    assert [m["role"] for m in history.messages("web:a")] == ["user", "bot"]
    assert history.button_label("web:a", "keep:yes") == "Yes"
    assert history.button_label("web:b", "keep:yes") is None  # a's buttons are not b's
    for i in range(10):
        history.add_turn("web:a", [("user", {"text": f"n{i}"})])
    assert [m["text"] for m in history.messages("web:a")] == [f"n{i}" for i in range(5, 10)]
    [(count,)] = store.db.execute("select count(*) from web_history where user_id = 'web:a'")
    assert count == 5  # trimmed in the table, not only in what is read
    assert [m["body"]["text"] for m in store.export_user("web:a")["web_history"]][-1] == "n9"
    store.forget_user("web:a")
    assert history.messages("web:a") == []
    assert not history.add_turn("web:a", [("user", {"text": "after forget"})])
    assert history.messages("web:b")[0]["text"] == "b's secret"


def test_a_database_made_before_postgresql_support_opens_unchanged(tmp_path: Path) -> None:
    """tests/data/storage/db-772b177.sql: an SQLite database written by the code of commit
    772b177 (the last before PostgreSQL), dumped as SQL. The store opens it, applies nothing
    again and reads every row as that code wrote it."""
    import sqlite3

    dump = Path(__file__).parent.parent / "data" / "storage" / "db-772b177.sql"
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(dump.read_text())
    conn.close()
    store = Store(path, tmp_path / "files")
    assert not migrations.pending(store.db)
    [outfit] = store.outfits("tg:old")
    assert outfit["summary"]["palette"] == ["navy"] and outfit["embedding"] == b"\x01\x02\x03\x04"
    assert store.outfit("tg:old", outfit["id"])["items"][0]["area"] == 0.4
    assert store.preferences("tg:old") == {"avoid_colours": ["yellow"]}
    assert store.user("tg:old")["daily_time"] == "08:30"
    assert WebHistory(store).messages("tg:old") == [{"role": "user", "text": "привіт"}]
    assert store.add_outfit("tg:old", None, {}, []) == outfit["id"] + 1  # and takes new rows


def test_an_old_database_gets_the_brand_column(tmp_path: Path) -> None:
    """The dump above was written before brands (up to m007): opening it adds the catalogue's
    `brand` column (m008), the old item reads no brand, and a feed's brand is then kept."""
    import sqlite3

    from storage.catalog import CatalogStore

    dump = Path(__file__).parent.parent / "data" / "storage" / "db-772b177.sql"
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(dump.read_text())
        assert "brand" not in [c[1] for c in conn.execute("pragma table_info(catalog)")]
    conn.close()
    store = Store(path, tmp_path / "files")
    assert "m008_brands" in [m.name for m in migrations.applied(store.db)]
    catalog = CatalogStore(store)
    old = catalog.item("demo-1")
    assert old["brand"] is None and old["title"] == "Navy coat"
    result = catalog.upsert([{**old, "brand": "Zara"}])
    assert result.updated == ["demo-1"] and catalog.item("demo-1")["brand"] == "Zara"
    store.close()


def test_migrations_give_both_databases_the_same_schema(postgres_cluster,
                                                         tmp_path: Path) -> None:
    sqlite = Store(tmp_path / "db.sqlite", tmp_path / "files")
    url = postgres_cluster.create_database(migrated=False)  # every step run here
    pg = Store(url, tmp_path / "files")
    try:
        tables = sorted(t for t in sqlite.db.table_names() if not t.startswith("sqlite_"))
        assert tables == pg.db.table_names()
        for table in tables:
            assert sqlite.db[table].columns_dict == pg.db[table].columns_dict, table
            assert sqlite.db[table].pks == pg.db[table].pks, table
    finally:
        pg.close()
        postgres_cluster.drop_database(url)


def test_workers_starting_together_migrate_once(empty_database: Path | str,
                                                tmp_path: Path) -> None:
    """Several workers started at once on an empty database (a compose file's bot workers):
    one applies the migrations, the others wait for it and find nothing left to do."""
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store(empty_database, tmp_path / "files").close()
        except BaseException as err:  # noqa: BLE001 - surfaced below
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store = Store(empty_database, tmp_path / "files")
    assert len(migrations.applied(store.db)) == len(migrations._migrations)
    store.close()


def test_switching_to_wal_waits_out_a_lock_sqlite_refuses_at_once(tmp_path: Path) -> None:
    """A new file's switch to WAL can be refused at once ("database is locked", no busy wait)
    while another connection holds it: the store's connection tries again."""
    path = tmp_path / "new.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    opener = sqlite3.connect(path, timeout=0, isolation_level=None)  # no busy wait of its own
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        opener.execute("PRAGMA journal_mode=WAL")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    _wal(opener)
    assert time.monotonic() - started >= 0.25
    assert opener.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    release.join()
    holder.close()
    opener.close()
