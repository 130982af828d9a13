"""The kind of item in the shop through the dialogue engine: a small real catalogue of product
photos (../shared/data/products: heels, sneakers, flats, sandals, formal shoes), built with the
real models into a real Annoy index and SQLite; "show me heels" in four languages brings heels
only, "show me boots" says there are none instead of showing other shoes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from bot.catalog.build import build_catalog
from bot.catalog.feeds import FetchOptions, import_feed
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming
from bot.config import load_settings
from storage import Store
from storage.catalog import CatalogStore

TYPES = ("Heels", "Casual Shoes", "Flats", "Sandals", "Formal Shoes")
PER_TYPE = 4


@pytest.fixture(scope="module")
def kinds_index(tmp_path_factory, pipeline, shared_data) -> Path:
    root = tmp_path_factory.mktemp("kinds")
    source = shared_data / "products"
    rows = list(csv.DictReader(open(source / "catalog.csv", encoding="utf-8-sig")))
    feed = root / "feed"
    feed.mkdir()
    with open(feed / "items.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "shop_category", "colour", "image", "price"])
        for kind in TYPES:
            for r in [r for r in rows if r["articleType"] == kind][:PER_TYPE]:
                writer.writerow([r["id"], r["productDisplayName"], r["articleType"],
                                 r["baseColour"], str(source / "images" / f"{r['id']}.jpg"),
                                 "49.00"])
    settings = load_settings(None, storage__database=str(root / "db.sqlite"),
                             storage__files_dir=str(root / "files"),
                             catalog__index_dir=str(root / "index"),
                             catalog__images_dir=str(root / "images"))
    store = Store(settings.storage.database, settings.storage.files_dir)
    import_feed(feed, CatalogStore(store), root / "images", "shop",
                options=FetchOptions(progress=False))
    report = build_catalog(settings, pipeline, store, progress=False)
    store.close()
    assert report.items == len(TYPES) * PER_TYPE
    return root / "index"


@pytest.fixture
def dialog(services, kinds_index) -> Dialog:
    services.settings.catalog.index_dir = kinds_index
    return Dialog(services)


def titles(reply) -> list[str]:  # noqa: ANN001
    return [line for line in reply.text.splitlines() if re.match(r"\d+\. ", line)]


@pytest.mark.parametrize(("text", "lang"), [
    ("show me heels", "en"), ("/search black heels", "en"), ("покажи туфлі на підборах", "uk"),
    ("покажи туфли на каблуке", "ru"), ("给我看看高跟鞋", "zh")])
async def test_a_named_kind_brings_that_kind_only(dialog, services, text, lang) -> None:
    [found] = await dialog.handle(Incoming("cli:k", "cli", text=text, locale=lang))
    shown = titles(found)
    assert len(shown) == PER_TYPE, found.text  # all the heels, and nothing else
    assert all("Heels" in line for line in shown)


async def test_a_kind_the_catalogue_lacks_is_said_so(dialog) -> None:
    [said] = await dialog.handle(Incoming("cli:k", "cli", text="show me boots"))
    assert not titles(said) and "nothing filed under boots" in said.text
    [said] = await dialog.handle(Incoming("cli:k", "cli", text="покажи черевики", locale="uk"))
    assert not titles(said) and "черевики" in said.text


async def test_in_black_after_heels_stays_with_heels(dialog) -> None:
    await dialog.handle(Incoming("cli:k", "cli", text="show me heels"))
    [black] = await dialog.handle(Incoming("cli:k", "cli", text="in black"))
    shown = titles(black)
    assert shown and all("Heels" in line for line in shown)
    assert "Black" in shown[0]
