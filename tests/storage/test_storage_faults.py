"""Storage faults on real SQLite files, a real PostgreSQL server and real folders: the start-up
check, the store's Health, and a photo with its outfit written all or nothing.

Root ignores file modes, so where a test needs a read-only database it uses SQLite's own
`PRAGMA query_only` (the same SQLITE_READONLY a read-only file gives), and an unwritable folder
is a path under a regular file (mkdir fails for root too); the chmod variants skip as root.
PostgreSQL's read-only is a session's `default_transaction_read_only`, as a hot standby answers.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from storage import StorageError, Store
from storage.db import DatabaseError, IntegrityError, is_storage_fault
from tests.conftest import read_only_database
from tests.postgres import PASSWORD, free_port

AS_ROOT = os.geteuid() == 0
ROWS = ("photos", "outfits", "items")


@pytest.fixture
def store(database: Path | str, tmp_path: Path) -> Store:
    s = Store(database, tmp_path / "files")
    s.ensure_user("tg:a", "telegram")
    yield s
    s.close()


def counts(store: Store) -> dict[str, int]:
    return {table: store.db[table].count for table in ROWS}


def read_only(store: Store, on: bool) -> None:
    """Make this thread's connection refuse writes (on), or take them again."""
    if store.url:
        store.db.execute(f"set default_transaction_read_only = {'on' if on else 'off'}")
    else:
        store.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


@pytest.mark.skipif(AS_ROOT, reason="chmod cannot stop root writing")
def test_start_up_refuses_a_read_only_copy_of_the_database(tmp_path: Path) -> None:
    copy = read_only_database(tmp_path)
    with pytest.raises(StorageError) as raised:
        Store(copy, tmp_path / "files")
    assert raised.value.setting == "database" and "readonly" in raised.value.reason


def test_start_up_names_a_database_path_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "a-file" / "db.sqlite"
    with pytest.raises(StorageError) as raised:
        Store(path, tmp_path / "files")
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    assert "storage.database" in message and "STYLEBOT_STORAGE__DATABASE" in message


def test_start_up_refuses_a_files_folder_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    files = tmp_path / "a-file" / "files"
    with pytest.raises(StorageError) as raised:
        Store(tmp_path / "db.sqlite", files)
    assert raised.value.setting == "files_dir" and str(files) in str(raised.value)
    assert "STYLEBOT_STORAGE__FILES_DIR" in str(raised.value)


@pytest.mark.skipif(AS_ROOT, reason="chmod cannot stop root writing")
def test_start_up_refuses_a_read_only_files_folder(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir(mode=0o555)
    with pytest.raises(StorageError) as raised:
        Store(tmp_path / "db.sqlite", files)
    assert raised.value.setting == "files_dir" and "Permission denied" in raised.value.reason
    assert list(files.iterdir()) == []  # the check leaves nothing behind


def test_a_good_start_leaves_no_check_file(tmp_path: Path) -> None:
    Store(tmp_path / "db.sqlite", tmp_path / "files").close()
    assert list((tmp_path / "files").iterdir()) == []


def test_health_follows_the_last_database_write(store: Store) -> None:
    assert store.health.faults == {}
    read_only(store, True)  # as a read-only file or mount (a standby server) answers
    with pytest.raises(DatabaseError) as raised:
        store.set_preference("tg:a", "x", 1)
    assert is_storage_fault(raised.value)
    assert re.search("read.?only", store.health.faults["database"])
    store.preferences("tg:a")  # reads do not count as a write that succeeded
    assert "database" in store.health.faults
    read_only(store, False)
    store.set_preference("tg:a", "x", 1)
    assert store.health.faults == {}


def test_a_query_error_is_not_a_storage_fault(store: Store) -> None:
    with pytest.raises(DatabaseError) as raised:
        store.db.execute("select * from no_such_table")
    assert not is_storage_fault(raised.value) and store.health.faults == {}


def test_photo_outfit_and_items_are_all_or_nothing_on_a_full_database(store: Store) -> None:
    """A real SQLITE_FULL ("database or disk is full"): the page limit is the file's size now,
    so the outfit's rows do not fit. Before, the photo row was committed on its own."""
    if store.url:
        pytest.skip("a full disk cannot be made for one PostgreSQL database")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 1}")
    summary, items = {"notes": "x" * 200_000}, [{"category": "top"}]  # needs many new pages
    with pytest.raises(sqlite3.OperationalError) as raised:
        store.add_analysed_photo("tg:a", b"jpeg", 10, 10, True, summary, items)
    assert "full" in str(raised.value) and is_storage_fault(raised.value)
    assert counts(store) == dict.fromkeys(ROWS, 0)  # no orphan photo row
    assert not list(store.user_dir("tg:a").glob("photos/*.jpg"))  # nor its kept file
    assert "full" in store.health.faults["database"]
    store.db.execute("PRAGMA max_page_count = 1073741823")
    stored = store.add_analysed_photo("tg:a", b"jpeg", 10, 10, True, summary, items)
    assert counts(store) == dict.fromkeys(ROWS, 1) and stored.kept
    assert store.health.faults == {}


def test_items_failing_takes_the_photo_and_outfit_back(store: Store) -> None:
    if store.url:
        store.db.execute("create function no_items() returns trigger language plpgsql as $$ "
                         "begin raise exception 'items refused' using errcode = '23514'; end $$")
        store.db.execute("create trigger no_items before insert on items for each row "
                         "execute function no_items()")
    else:
        store.db.execute("create trigger no_items before insert on items "
                         "begin select raise(abort, 'items refused'); end")
    with pytest.raises(IntegrityError):
        store.add_analysed_photo("tg:a", b"jpeg", 10, 10, False, {}, [{"category": "top"}])
    assert counts(store) == dict.fromkeys(ROWS, 0)


def test_an_unwritable_files_folder_still_stores_the_analysis(store: Store,
                                                              tmp_path: Path) -> None:
    if AS_ROOT:  # root writes anywhere: a folder under a regular file cannot be made
        (tmp_path / "a-file").write_text("not a folder")
        store.files_dir = tmp_path / "a-file" / "files"
    else:
        store.files_dir.chmod(0o555)
    stored = store.add_analysed_photo("tg:a", b"jpeg", 10, 10, True, {}, [{"category": "top"}])
    assert not stored.kept and counts(store) == dict.fromkeys(ROWS, 1)
    assert store.photo("tg:a", stored.photo_id)["path"] is None
    assert "files" in store.health.faults
    store.files_dir = tmp_path / "files"
    store.files_dir.chmod(0o755)
    again = store.add_analysed_photo("tg:a", b"jpeg 2", 10, 10, True, {}, [])
    assert again.kept and Path(store.photo("tg:a", again.photo_id)["path"]).is_file()
    assert store.health.faults == {}


def test_start_up_names_the_url_setting_when_the_server_is_unreachable(tmp_path: Path) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")
    url = f"postgresql://stylebot:{PASSWORD}@127.0.0.1:{free_port()}/stylebot"
    with pytest.raises(StorageError) as raised:
        Store(url, tmp_path / "files")
    message = str(raised.value)
    assert "\n" not in message and "storage.url" in message and "STYLEBOT_STORAGE__URL" in message
    assert "Connection refused" in message and PASSWORD not in message
    assert "stylebot:***@127.0.0.1" in message


def test_start_up_names_the_url_setting_on_a_wrong_password(postgres_cluster,
                                                            tmp_path: Path) -> None:
    wrong = "not-the-password"
    with pytest.raises(StorageError) as raised:
        Store(postgres_cluster.url(password=wrong), tmp_path / "files")
    message = str(raised.value)
    assert "\n" not in message and "storage.url" in message
    assert "password authentication failed" in message and wrong not in message


def test_a_lost_connection_is_a_fault_and_the_next_call_reconnects(postgres_cluster,
                                                                   tmp_path: Path) -> None:
    """The server ends the session (a restart, a failover); the store says so, then opens a new
    connection for the next call."""
    psycopg = pytest.importorskip("psycopg")
    url = postgres_cluster.create_database()
    store = Store(url, tmp_path / "files")
    try:
        store.ensure_user("tg:a", "telegram")
        with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                          "where datname = %s and pid <> pg_backend_pid()", [url.rsplit("/")[-1]])
        with pytest.raises(DatabaseError) as raised:
            store.set_preference("tg:a", "x", 1)
        assert is_storage_fault(raised.value) and "database" in store.health.faults
        store.set_preference("tg:a", "x", 1)
        assert store.preferences("tg:a") == {"x": 1} and store.health.faults == {}
    finally:
        store.close()
        postgres_cluster.drop_database(url)
