"""Two real web chat workers (`stylebot serve` on two ports, one database: an SQLite file, then
PostgreSQL; workers.shared):
one browser's messages alternate between them and every follow-up works on the other worker,
the picture URLs too; a user's rate limit holds across both; /metrics moved after a photo.

The catalogue is built once into the shared database before the workers start (a few demo items
per class, two results a page), so "the next page" is a real second page.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.probe import Server
from bot.catalog.build import build_catalog
from bot.catalog.feeds import FetchOptions, import_feed
from bot.config import load_settings
from storage import Store
from storage.catalog import CatalogStore
from tests.bot.chat.test_shop import small_demo_feed

#: A Style Check's verdict: "I'd go with B (57% vs 43%)", "It's a close one, 52% to 48%".
VERDICT = re.compile(r"\d+%.*\d+%")
BURST = 30  # texts one user may send before the limit (refilled far slower than the test runs)


def shared_env(root: Path) -> dict[str, str]:
    return {"STYLEBOT_WORKERS__SHARED": "true",
            "STYLEBOT_INFERENCE__WORKERS": "1", "STYLEBOT_INFERENCE__THREADS": "1",
            "STYLEBOT_CATALOG__DEMO_AT_FIRST_START": "false",
            "STYLEBOT_CATALOG__INDEX_DIR": str(root / "index"),
            "STYLEBOT_CATALOG__IMAGES_DIR": str(root / "images"),
            "STYLEBOT_CATALOG__RESULTS_PER_PAGE": "2",
            "STYLEBOT_DIALOG__PAIR_WINDOW_SECONDS": "600",
            "STYLEBOT_TELEGRAM__RATE_BURST": str(BURST),
            "STYLEBOT_TELEGRAM__RATE_REFILL_PER_SECOND": "0.001",
            "STYLEBOT_WEB__ADDRESS_BURST": "500"}


def build_shop(root: Path, database: Path | str, pipeline) -> None:  # noqa: ANN001
    settings = load_settings(None, storage__database=str(root / "probe.db"),
                             storage__files_dir=str(root / "files"),
                             catalog__index_dir=str(root / "index"),
                             catalog__images_dir=str(root / "images"),
                             **({"storage__url": database} if isinstance(database, str) else {}))
    store = Store(settings.storage.target, settings.storage.files_dir)
    import_feed(small_demo_feed(root / "demo", 3, False), CatalogStore(store), root / "images",
                "demo", demo=True, options=FetchOptions(progress=False))
    build_catalog(settings, pipeline, store, progress=False)
    store.close()


async def say(http: aiohttp.ClientSession, server: Server, **fields: object) -> list[dict]:
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        if name == "photo":
            form.add_field("photo", value, filename="outfit.jpg", content_type="image/jpeg")
        else:
            form.add_field(name, str(value))
    async with http.post(server.url + "/api/message", data=form) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["replies"]


def payloads(replies: list[dict], prefix: str) -> list[str]:
    return [b["payload"] for r in replies for row in r["buttons"] for b in row
            if b.get("payload", "").startswith(prefix)]


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The samples of a worker's /metrics, as 'name{label="value",...}' (labels sorted)."""
    async with http.get(url + "/metrics") as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        text = await resp.text()
    return {sample.name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            + "}": sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.fixture
async def workers(tmp_path, database, pipeline):  # noqa: ANN001, ANN201
    """Two workers on one database: the SQLite file, or a PostgreSQL database (storage.url)."""
    build_shop(tmp_path, database, pipeline)
    env = shared_env(tmp_path)
    if isinstance(database, str):
        env["STYLEBOT_STORAGE__URL"] = database
    servers = [Server(tmp_path, env) for _ in range(2)]
    try:
        for server in servers:
            await server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def test_each_follow_up_works_on_the_other_worker(workers, photo_bytes) -> None:
    a, b = workers
    jar = aiohttp.CookieJar(unsafe=True)  # one browser; cookies are per host, not per port
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        before = await scrape(http, a.url)
        [seen, *_] = await say(http, a, photo=photo_bytes[0])
        assert seen["text"].startswith("Here's what I see") and seen["images"]
        after = await scrape(http, a.url)
        photo_count = 'stylebot_reply_seconds_count{channel="web",kind="photo"}'
        assert after[photo_count] == before.get(photo_count, 0) + 1
        ok = 'stylebot_http_requests_total{app="web",route="/api/message",status="200"}'
        assert after[ok] == before.get(ok, 0) + 1
        assert after['stylebot_inference_queue_depth{}'] == 0

        # The picture URL worker A gave is served by worker B, to this session only.
        url = seen["images"][0]["url"]
        async with http.get(b.url + url) as resp:
            assert resp.status == 200 and resp.content_type == "image/jpeg"
            assert (await resp.read())[:2] == b"\xff\xd8"
        async with aiohttp.ClientSession() as stranger, stranger.get(b.url + url) as resp:
            assert resp.status == 404

        [judged] = await say(http, b, text="does this go with white sneakers?")
        assert "sneakers" in judged["text"] and "Send me a photo" not in judged["text"]

        # The cut-out needs the parse itself: B parses A's photo again from the kept copy.
        [cut] = await say(http, b, callback=payloads([seen], "cut:")[0])
        assert cut["images"] and cut["images"][0]["url"]

        # A second photo on B pairs with the first one (sent to A); the answer goes to A.
        [ask] = await say(http, b, photo=photo_bytes[1])
        assert "Two photos" in ask["text"]
        verdict = await say(http, a, callback=payloads([ask], "pair:compare:")[0])
        assert VERDICT.search(verdict[0]["text"]), verdict[0]["text"]

        # A search on A, its next page on B.
        [found] = await say(http, a, text="/search black shoes")
        assert found["images"] and payloads([found], "shopq:")
        [more] = await say(http, b, callback=payloads([found], "shopq:")[0])
        assert "(from #3)" in more["text"], more["text"]
        [privacy] = await say(http, b, text="/privacy")
        assert "held for up to 60 minutes" in privacy["text"]  # said where it is true

    # A second user's texts alternate between the workers: one bucket for both.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as flood:
        answers = [await say(flood, (a, b)[i % 2], text="hello") for i in range(BURST + 2)]
    skipped = [i for i, replies in enumerate(answers)
               if any("skipped" in r["text"].lower() for r in replies)]
    assert skipped == [BURST], skipped  # the first refusal says so; the next one is silent
    assert answers[BURST + 1] == []
