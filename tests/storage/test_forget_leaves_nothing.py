"""/forget leaves nothing readable on disk: after the dialogue engine's /forget, the user's id
and words are in none of the SQLite files (the database, its WAL, its shared-memory index)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn
from storage.web_history import WebHistory

USER = "cli:zq81-forget-me"
WORDS = "my violet-heron wedding outfit, size 38"


@pytest.fixture
def secure_delete_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections start as SQLite's own default has it (Debian's build turns it on, others
    do not), so the test sees what the store itself does."""
    connect = sqlite3.connect

    def off(*args, **kwargs) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", off)


def sqlite_files(db: Path) -> dict[str, bytes]:
    paths = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return {p.name: p.read_bytes() for p in paths if p.exists()}


def holding(files: dict[str, bytes], needle: str) -> list[str]:
    return [name for name, data in files.items() if needle.encode() in data]


async def test_forget_leaves_no_trace_in_the_database_files(
        secure_delete_off_by_default, services, photo_bytes) -> None:
    dialog, store = Dialog(services), services.store
    assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    await dialog.handle(Incoming(USER, "cli", text="/keepphotos on"))
    await dialog.handle(Incoming(USER, "cli", photos=(PhotoIn(photo_bytes[0]),)))
    await dialog.handle(Incoming("cli:other", "cli", photos=(PhotoIn(photo_bytes[1]),)))
    # The user's own words, as the web chat keeps them (a hundred turns: many pages).
    for i in range(100):
        assert WebHistory(store).add_turn(USER, [("user", {"text": f"{WORDS} #{i}"})])
    before = sqlite_files(store.path)
    assert holding(before, USER) and holding(before, WORDS)  # the needles are there to find

    [confirm] = await dialog.handle(Incoming(USER, "cli", text="/forget"))
    assert [b.payload for b in confirm.buttons[0]] == ["forget:yes", "forget:no"]
    await dialog.handle(Incoming(USER, "cli", callback="forget:yes"))

    after = sqlite_files(store.path)
    assert holding(after, USER) == [] and holding(after, WORDS) == []
    assert holding(after, "cli:other")  # the other user's rows are still there
    assert store.outfits("cli:other")
