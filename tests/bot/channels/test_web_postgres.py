"""The web chat over real HTTP with its store on the session's PostgreSQL server: a photo, a
button, a reload, /export and /forget, as on SQLite (skips where PostgreSQL is not installed)."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.app import build_services
from bot.channels.web import create_app
from storage.db import USER_TABLES
from tests.bot.channels.test_web import browser_session, fetch, flat_buttons, post, reload


@pytest.fixture
def pg_services(settings, pipeline, postgres_cluster):
    url = postgres_cluster.create_database()
    settings.storage.url = SecretStr(url)
    services = build_services(settings, pipeline)
    yield services
    services.close()
    postgres_cluster.drop_database(url)


async def test_a_photo_and_forget_through_the_web_chat_on_postgresql(pg_services, photo_bytes):
    store = pg_services.store
    assert store.url and store.path is None
    server = TestServer(create_app(pg_services), host="127.0.0.1")
    await server.start_server()
    try:
        async with browser_session(server) as alice, browser_session(server) as bob:
            replies = await post(alice, photos=(photo_bytes[0],))
            assert replies[0]["text"].startswith("Here's what I see")
            [alice_id] = [row["id"] for row in store.db["users"].rows]
            [outfit] = store.outfits(alice_id)
            assert store.outfit(alice_id, outfit["id"])["items"]  # rows in PostgreSQL
            [after_press] = await post(alice, callback=flat_buttons(replies[0])[0]["payload"])
            await post(bob, photos=(photo_bytes[1],))
            history = await reload(alice)
            assert history[-1]["text"] == after_press["text"]

            [export] = await post(alice, text="/export")
            _, _, body = await fetch(alice, export["file"]["url"])
            exported = json.loads(body)
            assert exported["user"]["id"] == alice_id and len(exported["outfits"]) == 1
            await post(alice, text="/forget")
            await post(alice, callback="forget:yes")
            for table in USER_TABLES:
                [(count,)] = store.db.execute(
                    f"select count(*) from [{table}] where user_id = ?", [alice_id])
                assert count == 0, table
            assert await reload(alice) == [] and await reload(bob)  # Bob keeps his
            assert store.db["outfits"].count == 1
            async with alice.get("/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["ok"] is True
    finally:
        await server.close()
