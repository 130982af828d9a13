"""Fair use of the web chat under abuse, over real HTTP: server-signed sessions, a per-address
limit, a bounded model queue, the picture cache bounded per session, kept photos re-encoded and
held to a quota. A real aiohttp server on 127.0.0.1, the real dialog and models, real photos."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

import prompts
from bot.app import Services
from bot.channels.web import BLOBS, COOKIE, Blob, BlobCache, create_app, user_id_of
from inference.core.runner import ModelRunner, RunnerBusy
from tests.bot.channels.test_web import browser_session, fetch, form


async def started(services: Services) -> TestServer:
    srv = TestServer(create_app(services), host="127.0.0.1")
    await srv.start_server()
    return srv


@pytest.fixture
async def server(services: Services) -> AsyncIterator[TestServer]:
    srv = await started(services)
    yield srv
    await srv.close()


def users(services: Services) -> list[str]:
    return [row["id"] for row in services.store.db["users"].rows]


def cookieless(server: TestServer, address: str = "127.0.0.1") -> aiohttp.ClientSession:
    """A client that never sends a cookie back (a script), from a loopback `address`."""
    return aiohttp.ClientSession(base_url=str(server.make_url("/")),
                                 cookie_jar=aiohttp.DummyCookieJar(),
                                 connector=aiohttp.TCPConnector(local_addr=(address, 0)))


async def say(session: aiohttp.ClientSession, text: str = "hi",
              **headers: str) -> aiohttp.ClientResponse:
    async with session.post("/api/message", data=form(text=text), headers=headers) as resp:
        await resp.read()
        return resp


# ---- 1. sessions are minted by the server only -------------------------------------------------
async def test_a_forged_cookie_is_no_identity_and_no_user_row(server, services):
    forged = "A" * 43  # what any client could pick: the old server took it as an identity
    async with browser_session(server) as client:
        client.cookie_jar.update_cookies({COOKIE: forged}, server.make_url("/"))
        async with client.get("/") as resp:
            assert resp.status == 200 and resp.cookies[COOKIE].value != forged
        async with client.get("/api/history") as resp:
            assert resp.status == 200
        async with client.post("/api/message", data=b"x") as resp:  # refused: not multipart
            assert resp.status == 415
        assert users(services) == []  # neither a page load nor a refused post makes a user
        minted = next(c.value for c in client.cookie_jar if c.key == COOKIE)
        resp = await say(client)
        assert resp.status == 200 and COOKIE not in resp.cookies  # the minted one is kept
    assert users(services) == [user_id_of(minted)] != [user_id_of(forged)]

    tampered = minted[:-1] + ("A" if minted[-1] != "A" else "B")
    async with browser_session(server) as other:
        other.cookie_jar.update_cookies({COOKIE: tampered}, server.make_url("/"))
        async with other.get("/") as resp:
            assert resp.cookies[COOKIE].value not in (tampered, minted)


async def test_sessions_survive_a_restart(services):
    first = await started(services)
    async with browser_session(first) as client:
        assert (await say(client)).status == 200
        token = next(c.value for c in client.cookie_jar if c.key == COOKIE)
    await first.close()
    again = await started(services)  # a new app: the secret is read back from the files dir
    try:
        async with browser_session(again) as client:
            client.cookie_jar.update_cookies({COOKIE: token}, again.make_url("/"))
            resp = await say(client)
            assert resp.status == 200 and COOKIE not in resp.cookies
    finally:
        await again.close()
    assert users(services) == [user_id_of(token)]
    secret = Path(services.settings.storage.files_dir) / "session_secret"
    assert secret.stat().st_mode & 0o077 == 0  # the owner's alone


# ---- 2. limits per client address --------------------------------------------------------------
async def test_a_cookieless_flood_from_one_address_gets_429_another_is_served(services):
    services.settings.web.address_burst = 5
    services.settings.web.address_refill_per_second = 0.01
    server = await started(services)
    try:
        async with cookieless(server) as flood:
            statuses = [(await say(flood)).status for _ in range(8)]
            assert statuses == [200] * 5 + [429] * 3
            async with flood.post("/api/message", data=form(text="hi"),
                                  headers={"X-Forwarded-For": "203.0.113.9"}) as resp:
                body = await resp.json()  # the header counts only from a trusted proxy
                assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
        assert body["error"] == "too_many_requests"
        assert body["message"] == prompts.load("web", "en")["too_many_requests"].format(
            seconds=resp.headers["Retry-After"])
        async with cookieless(server, "127.0.0.2") as neighbour:
            assert (await say(neighbour)).status == 200
        assert len(users(services)) == 6  # the refused posts made no users
    finally:
        await server.close()


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(services):
    services.settings.web.address_burst = 2
    services.settings.web.address_refill_per_second = 0.01
    services.settings.web.trusted_proxies = ["127.0.0.1"]
    server = await started(services)
    try:
        async with cookieless(server) as proxy:
            hop = {"X-Forwarded-For": "198.51.100.7, 203.0.113.1"}
            assert [(await say(proxy, **hop)).status for _ in range(3)] == [200, 200, 429]
            other = {"X-Forwarded-For": "198.51.100.7, 203.0.113.2"}
            assert (await say(proxy, **other)).status == 200
    finally:
        await server.close()


# ---- 3. a bounded model queue ------------------------------------------------------------------
async def test_a_full_model_queue_answers_busy_without_running_the_model(services, photo_bytes):
    services.runner.close()
    services.runner = ModelRunner(workers=1, max_queue=1)
    gate = threading.Event()
    slow = [asyncio.ensure_future(services.runner.run(gate.wait, 30)) for _ in range(2)]
    await asyncio.sleep(0.05)
    assert services.runner.pending == 2
    with pytest.raises(RunnerBusy):
        await services.runner.run(print, "never runs")
    server = await started(services)
    try:
        async with browser_session(server) as client:
            async with client.post("/api/message", data=form(photos=(photo_bytes[0],))) as resp:
                body = await resp.json()
                assert resp.status == 503, body
            assert body == {"error": "busy",
                            "message": prompts.reply("busy", locale="en").strip()}
            assert services.store.db["photos"].count == 0  # nothing was parsed or stored
            gate.set()
            assert await asyncio.gather(*slow) == [True, True]
            assert services.runner.pending == 0
            async with client.post("/api/message", data=form(photos=(photo_bytes[0],))) as resp:
                assert resp.status == 200
            assert services.store.db["photos"].count == 1
    finally:
        gate.set()
        await server.close()


async def test_one_address_cannot_take_the_whole_queue(services, photo_bytes):
    services.runner.close()
    services.runner = ModelRunner(workers=2, max_queue=2)  # a share: 1 of 4
    gate = threading.Event()
    slow = asyncio.ensure_future(services.runner.run_for("addr:127.0.0.1", gate.wait, 30))
    server = await started(services)
    try:
        async with cookieless(server) as flood, cookieless(server, "127.0.0.2") as neighbour:
            async with flood.post("/api/message", data=form(photos=(photo_bytes[0],))) as resp:
                assert resp.status == 503  # its address already has its share in the queue
            async with neighbour.post("/api/message",
                                      data=form(photos=(photo_bytes[1],))) as resp:
                assert resp.status == 200  # served while the flood's job still waits
            assert not slow.done()
    finally:
        gate.set()
        await slow
        await server.close()


# ---- 4. the picture cache, bounded per session -------------------------------------------------
def test_one_sessions_big_files_never_evict_the_others():
    cache = BlobCache(max_bytes=1000, per_owner=60, owner_share=0.25)
    alice = [cache.put(Blob("alice", b"a" * 80, "image/png", "a.png", False)) for _ in range(3)]
    for _ in range(20):  # 4000 bytes from one session into a 1000-byte cache
        cache.put(Blob("bob", b"b" * 200, "application/zip", "b.zip", True))
    assert all(cache.get("alice", key) for key in alice)
    assert cache.put(Blob("bob", b"b" * 251, "application/zip", "big.zip", True)) is None
    mine = cache.put(Blob("bob", b"b" * 250, "application/zip", "ok.zip", True))
    assert cache.get("bob", mine) and all(cache.get("alice", key) for key in alice)


def phone_photo(photo: bytes) -> bytes:
    """A CCP photo as a phone uploads it: 12 megapixels, quality 95, with EXIF (make, GPS)."""
    image = Image.open(io.BytesIO(photo)).convert("RGB").resize((2800, 4200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (50.0, 27.0, 0.0)}  # GPSInfo: where the photo was taken
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95, exif=exif)
    return buf.getvalue()


async def test_kept_photos_are_reencoded_and_an_export_over_the_share_is_refused_kindly(
        services, photo_bytes):
    services.settings.web.blob_cache_mb = 1
    services.settings.storage.photo_quota_mb = 100
    server = await started(services)
    try:
        async with browser_session(server) as alice, browser_session(server) as bob:
            async with alice.post("/api/message", data=form(photos=(photo_bytes[1],))) as resp:
                pictures = [i["url"] for r in (await resp.json())["replies"] for i in r["images"]]
            assert pictures
            await say(bob, "/keepphotos on")
            upload = phone_photo(photo_bytes[0])
            for photo in (upload, *(phone_photo(p) for p in photo_bytes[2:4])):
                async with bob.post("/api/message", data=form(photos=(photo,))) as resp:
                    assert resp.status == 200
            kept = [Path(row["path"]) for row in services.store.db["photos"].rows
                    if row["path"]]
            assert len(kept) == 3
            for path in kept:
                on_disk = Image.open(path)
                assert on_disk.format == "JPEG" and not on_disk.getexif()
                assert max(on_disk.size) <= 1024 and path.stat().st_size < len(upload) / 4
            async with bob.post("/api/message", data=form(text="/export")) as resp:
                [reply] = (await resp.json())["replies"]
            share = server.app[BLOBS].owner_bytes
            assert reply["file"] is None and sum(p.stat().st_size for p in kept) > share
            assert prompts.load("web", "en")["file_too_big"].format(max_mb="0.25") in reply["text"]
            for url in pictures:  # alice's pictures are all still there
                status, content_type, _ = await fetch(alice, url)
                assert status == 200 and content_type in ("image/jpeg", "image/png")
    finally:
        await server.close()


async def test_the_quota_drops_the_oldest_kept_photos(services, photo_bytes):
    from storage import Store

    store = Store(services.settings.storage.database, services.settings.storage.files_dir,
                  photo_quota_bytes=250_000)
    store.ensure_user("web:a", "web")
    paths = []
    for i in range(5):  # each ~100 kB on disk: two fit
        photo = Image.open(io.BytesIO(photo_bytes[i % len(photo_bytes)])).rotate(i * 3)
        buf = io.BytesIO()
        photo.convert("RGB").resize((900, 1350)).save(buf, "JPEG", quality=90)
        photo_id = store.add_photo("web:a", buf.getvalue(), 900, 1350, keep=True)
        paths.append(Path(store.photo("web:a", photo_id)["path"]))
    rows = list(store.db["photos"].rows_where("user_id = ?", ["web:a"], order_by="id"))
    kept = [row["path"] for row in rows if row["path"]]
    assert kept == [str(p) for p in paths[-len(kept):]] and 1 <= len(kept) < 5
    assert sum(Path(p).stat().st_size for p in kept) <= 250_000
    assert [p.exists() for p in paths[: 5 - len(kept)]] == [False] * (5 - len(kept))
    assert len(rows) == 5  # the rows stay (the diary needs them); only the files went
    store.close()

