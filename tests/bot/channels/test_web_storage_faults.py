"""Storage faults through the real web chat (aiohttp on 127.0.0.1, real photos, real SQLite):
an honest reply, /healthz 503 while the last write failed, a photo answered though not kept.

Root ignores file modes, so the read-only database is SQLite's `PRAGMA query_only` on the
server's connection (the SQLITE_READONLY a read-only file or mount gives), and the unwritable
files folder is a path under a regular file for root (chmod 0o555 otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp

import prompts
from tests.bot.channels.test_web import browser_session, post, server  # noqa: F401 - fixture


async def health(session: aiohttp.ClientSession) -> tuple[int, dict]:
    async with session.get("/healthz") as resp:
        body = await resp.json()
    assert body.pop("models")["threads"] >= 1  # the models are fine throughout
    return resp.status, body


async def test_a_read_only_database_is_told_honestly_and_health_says_503(server,  # noqa: F811
                                                                          services):
    async with browser_session(server) as client:
        await post(client, text="hello there")  # the user exists, in English
        assert await health(client) == (200, {"ok": True})
        services.store.db.execute("PRAGMA query_only = ON")
        [reply] = await post(client, text="/keepphotos on")
        assert reply["text"].strip() == prompts.reply("storage_error", "en").strip()
        assert "lost" not in reply["text"]
        status, body = await health(client)
        assert status == 503 and body["ok"] is False
        assert "readonly" in body["storage"]["database"]
        services.store.db.execute("PRAGMA query_only = OFF")
        [reply] = await post(client, text="/keepphotos on")
        assert reply["text"].strip() != prompts.reply("storage_error", "en").strip()
        assert await health(client) == (200, {"ok": True})


async def test_the_honest_reply_speaks_the_users_language(server, services):  # noqa: F811
    async with browser_session(server) as client:
        await post(client, text="/language uk")
        services.store.db.execute("PRAGMA query_only = ON")
        [reply] = await post(client, text="/keepphotos on")
        services.store.db.execute("PRAGMA query_only = OFF")
    assert reply["text"].strip() == prompts.reply("storage_error", "uk").strip()


async def test_a_photo_is_answered_when_it_cannot_be_kept(server, services,  # noqa: F811
                                                          photo_bytes, tmp_path: Path):
    store = services.store
    async with browser_session(server) as client:
        await post(client, text="/keepphotos on")
        good_dir = store.files_dir
        if os.geteuid() == 0:  # root writes anywhere: a folder under a file cannot be made
            (tmp_path / "a-file").write_text("not a folder")
            store.files_dir = tmp_path / "a-file" / "files"
        else:
            good_dir.chmod(0o555)
        replies = await post(client, photos=(photo_bytes[0],))
        assert replies[0]["text"].startswith("Here's what I see") and replies[0]["images"]
        assert replies[-1]["text"].strip() == prompts.reply("photo_not_kept", "en").strip()
        [photo] = store.db["photos"].rows
        assert photo["path"] is None and store.db["outfits"].count == 1
        status, body = await health(client)
        assert status == 503 and "files" in body["storage"]

        store.files_dir = good_dir
        good_dir.chmod(0o755)
        replies = await post(client, photos=(photo_bytes[1],))
        assert all(r["text"].strip() != prompts.reply("photo_not_kept", "en").strip()
                   for r in replies)
        assert await health(client) == (200, {"ok": True})
        kept = [p["path"] for p in store.db["photos"].rows if p["path"]]
        assert len(kept) == 1 and Path(kept[0]).is_file()
