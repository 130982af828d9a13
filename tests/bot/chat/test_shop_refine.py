"""Shop refinements in words through the dialogue engine, on the small real catalogue of
test_shop.py (real photos, models, Annoy index and SQLite; the test shop's priced items carry
brands, the demo ones none): "no more Nike" / "not this brand" / "not the second one's brand",
"show me boots" right after a photo's matches narrowing those matches, the honest answer of a
catalogue without brands, and one user's words never reaching another user's results."""

from __future__ import annotations

import re
from pathlib import Path

import prompts
from bot.catalog.build import build_catalog
from bot.catalog.feeds import FetchOptions, import_feed
from bot.chat.dialog import Dialog
from bot.chat.messages import PhotoIn
from inference.shop.index import CatalogIndex, current_build
from storage.catalog import CatalogStore
from tests.bot.chat import test_shop
from tests.bot.chat.test_shop import (
    BRANDS,
    event,
    lines,
    payloads,
    shown_ids,
    small_demo_feed,
    tiles,
)

#: test_shop.py's fixtures: its small catalogue, and the dialogue over it.
shop_index = test_shop.shop_index
dialog = test_shop.dialog

ORDINALS = {"en": ("first", "second", "third", "fourth", "fifth"),
            "uk": ("першого", "другого", "третього", "четвертого")}
#: "not the Nth one's brand" in words.
NOT_NTH_BRAND = {"en": "not the {nth} one's brand", "uk": "не бренд {nth}"}
#: A named brand left out.
NO_BRAND = {"en": "no more {brand}", "uk": "без {brand}"}
#: A kind of shoes asked for, by its first word in prefs.yaml.
SHOW_ME = {"en": "show me {kind}", "uk": "покажи {kind}"}


def catalogue(services) -> CatalogIndex:  # noqa: ANN001
    return CatalogIndex(current_build(services.settings.catalog.index_dir))


def shown(services, user: str) -> list[dict]:  # noqa: ANN001
    """The catalogue items the user was last shown, in order."""
    items = {i["id"]: i for i in catalogue(services).items}
    return [items[i] for i in shown_ids(services, user)]


async def photo_matches(dialog, services, user: str, photo: bytes, category: str):  # noqa: ANN001, ANN201
    """"Where can I buy this?" on a photo, then its `category` garment's button: the grid."""
    [menu] = await dialog.handle(event(user, text="where can I buy this?",
                                       photos=(PhotoIn(photo, ref=f"{user}-p"),)))
    outfit = int(next(p for p in payloads(menu) if p.startswith("shopi:")).split(":")[1])
    rows = CatalogStore(services.store).queries(user, outfit)
    item = next(r["item_index"] for r in rows if r["category"] == category)
    [grid] = await dialog.handle(event(user, callback=f"shopi:{outfit}:{item}:d:0"))
    assert tiles(grid) == len(lines(grid)) >= 1
    return grid


async def test_no_brand_named_and_by_ordinal_in_english_and_ukrainian(dialog, services,
                                                                       photo_bytes) -> None:
    for lang in ("en", "uk"):
        user = f"cli:brand-{lang}"
        await dialog.handle(event(user, text=f"/language {lang}"))
        [found] = await dialog.handle(event(user, text="/search shoes"))
        before = shown(services, user)
        assert {i["brand"] for i in before} & set(BRANDS), found.text
        named = next(i["brand"] for i in before if i.get("brand"))
        [without] = await dialog.handle(event(user, text=NO_BRAND[lang].format(brand=named)))
        left_out = prompts.reply("shop_brand_left_out", lang, brands=named)
        assert without.text.startswith(left_out), without.text
        after = shown(services, user)
        assert after and named not in {i.get("brand") for i in after}
        assert all(i["category"] == "footwear" for i in after)  # the same search, narrowed
        assert tiles(without) == len(lines(without)) == len(after)
        # "not the Nth one's brand": the brand of that tile, left out as well as the first
        n, other = next((n, i["brand"]) for n, i in enumerate(after) if i.get("brand"))
        said = NOT_NTH_BRAND[lang].format(nth=ORDINALS[lang][n])
        [again] = await dialog.handle(event(user, text=said))
        assert other in again.text.splitlines()[0] and named in again.text.splitlines()[0]
        assert {named, other}.isdisjoint(i.get("brand") for i in shown(services, user))
        assert f"({other})" not in again.text and f"({named})" not in again.text
    # a bare "nope" names no brand and points at no tile: nothing is left out on a guess
    [nope] = await dialog.handle(event("cli:brand-en", text="nope"))
    assert not nope.text.startswith("Leaving out")


async def test_not_this_brand_after_a_photos_matches(dialog, services, photo_bytes) -> None:
    """The brand of the first tile shown; a tile without a brand (a demo item) is said so."""
    grid = await photo_matches(dialog, services, "cli:p", photo_bytes[0], "top")
    first = shown(services, "cli:p")[0]
    [reply] = await dialog.handle(event("cli:p", text="not this brand"))
    if not first.get("brand"):
        assert reply.text == prompts.reply("shop_brand_unknown") and not reply.images
        return
    assert reply.text.startswith(f"Leaving out {first['brand']}.")
    assert first["brand"] not in {i.get("brand") for i in shown(services, "cli:p")}
    # the same garment's matches: the header names the photo's piece as before
    assert reply.text.splitlines()[1].split(":")[0] == grid.text.splitlines()[0].split(":")[0]
    assert all(i["category"] == "top" for i in shown(services, "cli:p"))


async def test_show_me_a_kind_right_after_a_photos_matches_narrows_them(dialog, services,
                                                                        photo_bytes) -> None:
    index = catalogue(services)
    kinds = {i.get("kind") for i in index.items if i["category"] == "footwear"} - {None}
    assert kinds, "the kind head gave the demo shoes no kinds"
    kind = sorted(kinds)[0]
    absent = next(k for k in ("boots", "sandals", "heels", "flats", "loafers", "sneakers")
                  if k not in kinds)
    for lang in ("en", "uk"):
        user = f"cli:kind-{lang}"
        await dialog.handle(event(user, text=f"/language {lang}"))
        words = prompts.load("prefs", lang)["kinds"]
        grid = await photo_matches(dialog, services, user, photo_bytes[0], "footwear")
        outfit, item = payloads(grid)[0].split(":")[1:3]
        [narrowed] = await dialog.handle(event(user, text=SHOW_ME[lang].format(
            kind=words[kind][0])))
        # the photo's shoe again (same header, same buttons' garment), that kind only
        assert narrowed.text.splitlines()[0].split(":")[0] == grid.text.splitlines()[0].split(
            ":")[0], narrowed.text
        assert {i["kind"] for i in shown(services, user)} == {kind}
        assert all(p.startswith(f"shopi:{outfit}:{item}:") and p.endswith(f":{kind}")
                   for p in payloads(narrowed) if p.startswith("shopi:"))
        assert all(len(p.encode()) <= 64 for p in payloads(narrowed))
        colour = next(p for p in payloads(narrowed) if p and ":c:0" in p)
        [same] = await dialog.handle(event(user, callback=colour))
        assert not same.images or {i["kind"] for i in shown(services, user)} == {kind}
        # a kind the catalogue has none of: said so, not other shoes
        await photo_matches(dialog, services, user, photo_bytes[0], "footwear")
        [none] = await dialog.handle(event(user, text=SHOW_ME[lang].format(
            kind=words[absent][0])))
        assert not none.images and "stylebot catalog import" in none.text
    # without a photo's matches just before, the same words are a text search
    [search] = await dialog.handle(event("cli:fresh", text=f"show me {words[kind][0]}"))
    assert search.text.startswith("🔎")


async def test_buttons_under_results_a_brand_was_left_out_of_keep_it_out(
        dialog, services, photo_bytes) -> None:  # noqa: ANN001
    """➡️ More under a search and 🎨 Same colour under a photo's matches, after "no more X":
    X stays out (the buttons' payloads have no room for it; the results' state says it), and
    the next page repeats nothing of the first."""
    user = "cli:brand-buttons"
    await dialog.handle(event(user, text="/search shoes"))
    named = next(i["brand"] for i in shown(services, user) if i.get("brand"))
    [without] = await dialog.handle(event(user, text=f"no more {named}"))
    first_page = shown_ids(services, user)
    [more] = [p for p in payloads(without) if p.startswith("shopq:")]
    [page] = await dialog.handle(event(user, callback=more))
    assert page.images and named not in {i.get("brand") for i in shown(services, user)}
    assert not set(shown_ids(services, user)) & set(first_page)
    await photo_matches(dialog, services, user, photo_bytes[0], "footwear")
    named = next(i["brand"] for i in shown(services, user) if i.get("brand"))
    [without] = await dialog.handle(event(user, text=f"no more {named}"))
    colour = next(p for p in payloads(without) if ":c:0" in p)
    [same] = await dialog.handle(event(user, callback=colour))
    if same.images:
        assert named not in {i.get("brand") for i in shown(services, user)}
    else:  # the small shop has no other brand in that colour: said so, with the filter
        assert prompts.reply("shop_filter_brand") in same.text, same.text


async def test_ones_words_never_refine_anothers_results(dialog, services, photo_bytes) -> None:
    await photo_matches(dialog, services, "cli:a", photo_bytes[0], "footwear")
    mine = shown_ids(services, "cli:a")
    [nothing] = await dialog.handle(event("cli:b", text="not this brand"))
    assert nothing.text == prompts.reply("need_shop") and not nothing.images
    [search] = await dialog.handle(event("cli:b", text="show me sneakers"))
    assert search.text.startswith("🔎")  # b's own text search, not a's photo
    [cheap] = await dialog.handle(event("cli:b", text="no more Nike"))
    assert "Nike" in cheap.text.splitlines()[0]
    assert all(i.get("brand") != "Nike" for i in shown(services, "cli:b"))
    assert shown_ids(services, "cli:a") == mine  # a's results untouched


async def test_a_catalogue_without_brands_says_so_kindly(services) -> None:
    settings = services.settings
    import_feed(small_demo_feed(Path(settings.catalog.images_dir).parent / "f", 2, False),
                CatalogStore(services.store), settings.catalog.images_dir, "demo", demo=True,
                options=FetchOptions(progress=False))
    build_catalog(settings, services.pipeline, services.store, progress=False)
    chat = Dialog(services)
    for lang, words in (("en", "not this brand"), ("uk", "не цей бренд"),
                        ("ru", "другие бренды"), ("zh", "换个牌子")):
        user = f"cli:demo-{lang}"
        await chat.handle(event(user, text=f"/language {lang}"))
        [found] = await chat.handle(event(user, text="/search shoes"))
        assert found.images
        [said] = await chat.handle(event(user, text=words))
        assert said.text == prompts.reply("shop_no_brands", lang) and not said.images
        assert re.search(r"`brand`", said.text)
