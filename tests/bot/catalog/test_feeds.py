"""Catalogue import: CSV and JSON feeds, local paths and URLs fetched from a real aiohttp server
on 127.0.0.1 (a dead link, a flaky one, one that is not an image), bad rows, idempotency, and the
shop-category / colour mappings."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import threading
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from bot.catalog.feeds import FetchOptions, import_feed, parse_price
from inference.shop.catalog_terms import category_for, family_for
from storage import Store
from storage.catalog import CatalogStore

DEMO = Path(__file__).resolve().parents[3] / "bot" / "catalog" / "demo"


def demo_images(n: int) -> list[Path]:
    return sorted((DEMO / "images").glob("*.webp"))[:n]


@pytest.fixture
def image_server():
    """A real HTTP server on 127.0.0.1 serving real photos, a 404, a flaky 503 and HTML."""
    hits: Counter[str] = Counter()
    photos = demo_images(4)

    async def photo(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        hits[name] += 1
        if name == "dead.jpg":
            raise web.HTTPNotFound()
        if name == "flaky.jpg" and hits[name] == 1:
            raise web.HTTPServiceUnavailable()
        if name == "page.jpg":
            return web.Response(text="<html>not a photo</html>", content_type="text/html")
        if name == "slow.jpg":
            await asyncio.sleep(1)
        index = int(name[0]) if name[0].isdigit() else 0
        return web.Response(body=photos[index].read_bytes(), content_type="image/jpeg")

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/img/{name}", photo)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/img", hits
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "db.sqlite", tmp_path / "files")
    yield s
    s.close()


FAST = FetchOptions(concurrency=4, timeout=1.0, retries=2, backoff=0.05, progress=False)


def write_csv(path: Path, rows: list[dict]) -> None:
    fields = sorted({k for r in rows for k in r})
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_csv_and_json_with_paths_urls_bad_rows_and_dead_links(tmp_path, store, image_server):
    base, hits = image_server
    feed = tmp_path / "spring"
    (feed / "pics").mkdir(parents=True)
    local = demo_images(2)
    for p in local:
        shutil.copy(p, feed / "pics" / p.name)
    write_csv(feed / "feed.csv", [
        {"id": "a1", "title": "Navy wool blazer", "product_type": "Blazers", "color": "Navy Blue",
         "price": "79.90", "currency": "eur", "link": "https://shop.example/a1",
         "image": f"pics/{local[0].name}", "brand": "  Hugo   Boss "},
        {"id": "a2", "title": "Floral midi dress", "color": "burgundy",
         "image": f"pics/{local[1].name}"},  # no price, no link: stays without
        {"id": "a3", "title": "Denim shorts", "price": "£25", "image": f"{base}/1.jpg"},
        {"id": "a4", "title": "Retry me", "image": f"{base}/flaky.jpg"},
        {"id": "", "title": "no id", "image": f"{base}/2.jpg"},
        {"id": "a6", "title": "Bad price", "price": "cheap", "image": f"{base}/2.jpg"},
        {"id": "a7", "title": "Bad link", "link": "javascript:alert(1)", "image": f"{base}/2.jpg"},
        {"id": "a8", "title": "Dead", "image": f"{base}/dead.jpg"},
        {"id": "a9", "title": "Not a photo", "image": f"{base}/page.jpg"},
        {"id": "a10", "title": "Missing file", "image": "pics/nope.jpg"},
    ])
    (feed / "more.json").write_text(json.dumps({"items": [
        {"sku": "j1", "name": "Black leather ankle boots", "price": "€89,50",
         "image_url": f"{base}/2.jpg", "url": "https://shop.example/j1", "brand": "Dr. Martens"},
        {"sku": "j2", "name": "White sneakers", "colour": "White", "image_url": f"{base}/3.jpg"},
        "not an object",
    ]}))
    images = tmp_path / "downloads"
    catalog = CatalogStore(store)
    report = import_feed(feed, catalog, images, options=FAST)

    assert report.source == "spring"
    assert report.added == 6 and report.rows == 13
    reasons = {s["row"]: s["reason"] for s in report.skipped}
    assert len(reasons) == 7
    assert "missing or odd id" in reasons["feed.csv:6"]
    assert "not a number" in reasons["feed.csv:7"]
    assert "http(s)" in reasons["feed.csv:8"]
    assert "HTTP 404" in reasons["feed.csv:9"]
    assert "not a readable image" in reasons["feed.csv:10"]
    assert "no such file" in reasons["feed.csv:11"]
    assert "not an object" in reasons["more.json:3"]
    assert hits["dead.jpg"] == 1  # a 404 is not retried
    assert hits["flaky.jpg"] == 2  # a 503 is
    assert report.downloaded == 4  # 1.jpg, flaky.jpg (on its second try), 2.jpg, 3.jpg

    rows = {r["id"]: r for r in catalog.items()}
    blazer = rows["spring:a1"]
    assert (blazer["category"], blazer["shop_category"], blazer["colour_family"]) == \
        ("outer", "Blazers", "navy")
    assert (blazer["price"], blazer["currency"], blazer["url"]) == \
        (79.9, "EUR", "https://shop.example/a1")
    assert blazer["brand"] == "Hugo Boss"  # the feed's brand, spaces tidied
    assert rows["spring:j1"]["brand"] == "Dr. Martens"  # JSON feeds name it the same way
    dress = rows["spring:a2"]
    assert dress["category"] == "dress" and dress["colour_family"] == "red"
    assert dress["price"] is None and dress["url"] is None and dress["currency"] is None
    assert dress["brand"] is None  # none in the feed: none invented
    assert rows["spring:a3"]["category"] == "shorts" and rows["spring:a3"]["currency"] == "GBP"
    assert rows["spring:j1"]["category"] == "footwear" and rows["spring:j1"]["price"] == 89.5
    assert rows["spring:j1"]["currency"] == "EUR"
    for row in rows.values():
        assert Path(row["image_path"]).is_file() and len(row["image_sha256"]) == 64
        assert row["demo"] == 0

    # Again: nothing changes and nothing is downloaded twice.
    before = hits.copy()
    again = import_feed(feed, catalog, images, options=FAST)
    assert (again.added, again.updated, again.unchanged, again.downloaded) == (0, 0, 6, 0)
    assert hits["1.jpg"] == before["1.jpg"] and hits["flaky.jpg"] == before["flaky.jpg"]
    # A changed title is an update, not a new item.
    text = (feed / "feed.csv").read_text().replace("Navy wool blazer", "Navy blazer")
    (feed / "feed.csv").write_text(text)
    changed = import_feed(feed, catalog, images, options=FAST)
    assert (changed.added, changed.updated) == (0, 1)
    assert catalog.item("spring:a1")["title"] == "Navy blazer"
    assert catalog.count() == 6


def test_timeouts_are_retried_then_reported(tmp_path, store, image_server):
    base, hits = image_server
    feed = tmp_path / "slow.json"
    feed.write_text(json.dumps([{"id": "s", "title": "Slow", "image": f"{base}/slow.jpg"}]))
    options = FetchOptions(timeout=0.3, retries=1, backoff=0.01, progress=False)
    report = import_feed(feed, CatalogStore(store), tmp_path / "dl", options=options)
    assert report.added == 0 and "timed out after 2 tries" in report.skipped[0]["reason"]
    assert hits["slow.jpg"] == 2


def test_shared_products_feed_imports_with_its_mappings(tmp_path, store, shared_data):
    """The products/ layout (catalog.csv + images/<id>.jpg), on its first 60 rows."""
    source = shared_data / "products"
    lines = (source / "catalog.csv").read_text().splitlines()[:61]
    feed = tmp_path / "products"
    feed.mkdir()
    (feed / "catalog.csv").write_text("\n".join(lines) + "\n")
    (feed / "images").symlink_to(source / "images")
    catalog = CatalogStore(store)
    report = import_feed(feed, catalog, tmp_path / "dl", options=FAST)
    assert report.added == 60 and not report.skipped
    rows = catalog.items()
    assert all(r["price"] is None and r["url"] is None for r in rows)  # never invented
    by_id = {r["id"].split(":")[1]: r for r in rows}
    original = {r["id"]: r for r in csv.DictReader(open(feed / "catalog.csv"))}
    for key, row in by_id.items():
        assert row["category"] == category_for(original[key]["articleType"])
        assert row["colour_family"] == family_for(original[key]["baseColour"])
        assert row["title"] == original[key]["productDisplayName"]
    assert {r["category"] for r in rows} >= {"top", "pants", "footwear"}


def test_mappings() -> None:
    assert category_for("Tshirts") == "top" and category_for("Sweaters") == "top"
    assert category_for("Jackets") == "outer" and category_for("Heels") == "footwear"
    assert category_for("Briefs") == "other" and category_for("Perfume and Body Mist") == "other"
    assert category_for(None, "Floral maxi dress") == "dress"
    assert category_for(None, "Dress shirt in white") == "top"
    assert category_for("Denim jacket") == "outer" and category_for("Skinny jeans") == "pants"
    assert category_for(None, "Gift card") == "other"
    assert category_for("whatever", None, "skirt") == "skirt"
    assert family_for("Navy Blue") == "navy" and family_for("Maroon") == "red"
    assert family_for("Off White") == "white" and family_for("Multi") is None
    assert family_for("grey") == "gray" and family_for("crimson") == "red"
    assert family_for("no such colour") is None
    assert parse_price("€12,50") == (12.5, "EUR") and parse_price("") == (None, None)
    assert parse_price(1499) == (1499.0, None)
    with pytest.raises(ValueError):
        parse_price("-3")


def test_catalog_ensure_makes_an_older_demo_shops_index_again(settings, pipeline,
                                                             monkeypatch) -> None:  # noqa: ANN001
    """`stylebot catalog ensure` (the install step) after an upgrade: an index of the demo
    catalogue alone that another demo feed or other models made is made again from this one
    (an earlier release's demo shop had no kinds: "show me boots" found none); one that is up
    to date, or a catalogue with the owner's own feed in it, is left alone."""
    from bot.catalog.build import build_catalog, ensure_catalog
    from inference.shop.index import CatalogIndex, current_build
    from tests.bot.chat.test_shop import small_demo_feed

    root = Path(settings.catalog.index_dir).parent
    old, new = small_demo_feed(root / "old", 1, False), small_demo_feed(root / "new", 2, False)
    first = ensure_catalog(settings, pipeline, demo_feed=old)
    assert first is not None and first.items == 8
    assert ensure_catalog(settings, pipeline, demo_feed=old) is None  # up to date
    again = ensure_catalog(settings, pipeline, demo_feed=new)  # a release with another demo
    assert again is not None and again.items == 16
    index = CatalogIndex(current_build(settings.catalog.index_dir))
    assert len(index) == 16 and all(item["kind"] for item in index.items
                                    if item["category"] in ("footwear", "pants", "top"))
    assert ensure_catalog(settings, pipeline, demo_feed=new) is None
    monkeypatch.setattr("inference.parsing.lite0.DECODING", "other product masks")
    models = ensure_catalog(settings, pipeline, demo_feed=new)  # other models: made again
    assert models is not None and models.items == 16 and models.embedded == 16
    store = Store(settings.storage.target, settings.storage.files_dir)
    try:  # the owner's feed beside the demo: their `catalog build` decides, not the install
        import_feed(small_demo_feed(root / "shop", 1, True), CatalogStore(store),
                    settings.catalog.images_dir, options=FetchOptions(progress=False))
        build_catalog(settings, pipeline, store, progress=False)
    finally:
        store.close()
    monkeypatch.setattr("inference.parsing.lite0.DECODING", "yet other masks")
    assert ensure_catalog(settings, pipeline, demo_feed=new) is None
