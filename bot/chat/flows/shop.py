"""'Where can I buy this?': the photo's garments as buttons, then catalogue matches as one grid
picture of numbered tiles (inference.shop.grid) with a numbered line each (title, price when the
catalogue has one, a short "why"), shop links as link buttons; "More", "Same colour", "Cheaper"
(only when the results have prices) and "Other piece" buttons. Also the text search
(/search red floral dress).

Button payloads (≤ 64 bytes):
    shop:<outfit>                              the garment buttons of an outfit
    shopi:<outfit>:<item>:<mode>:<offset>[:<max price>[:<kind>]]   matches; mode d(efault)
                                               c(olour) p (cheaper); only that kind of item
                                               ("show me boots" after them) when given
    shopq:<offset>                             more results of the user's last text search
    look:<outfit>[:<category>:<offset>[:<max price>]]   "complete the look": catalogue pieces of
                                               a category the photo lacks (the first one the
                                               catalogue stocks when none is given), ranked by
                                               the compatibility model
Results remember what they showed (the conversation state's `last_shop`), so that words refine
them: "cheaper", "in black", "more like the second one", "show me boots", "not this brand"
(bot/chat/flows/talk.py). A brand left out holds for the words that refine those results next
("cheaper", another brand, "show me boots") and for the buttons under results about the same
garment, look or search (their payloads have no room for it: it is read from that state).
A garment's vector is stored (user-scoped, deleted by /forget) when its buttons are shown, so the
buttons keep working after the in-memory photo is gone.
"""

from __future__ import annotations

import logging
import re
from functools import partial

from bot.chat.flows import Turn, button, command
from bot.chat.flows.outfit import analyse_and_store
from bot.chat.messages import Button, ImageOut, Reply
from inference.core import wording
from inference.core.colour import FAMILY_RGB
from inference.core.decode import BadImage
from inference.core.drawing import jpeg_bytes
from inference.core.garments import DISPLAY_NAME, GARMENT_CLASSES
from inference.parsing.outfit import Outfit
from inference.shop.complete import COMPLETING, complete_the_look, missing_pieces
from inference.shop.grid import Tile, results_grid
from inference.shop.index import CatalogIndex, Filters, Hit, brand_key, reason_text
from inference.shop.kinds import kinds_of
from inference.shop.retrieval import GarmentQuery, search
from inference.text.understand import normalise, read_slots
from storage.catalog import CatalogStore
from storage.db import NotFound

log = logging.getLogger(__name__)

MODE_CODES = {"d": "default", "c": "colour", "p": "cheaper"}
#: The prompts key of the words a mode adds to "nothing found for the top ...".
FILTER_KEYS = {"default": None, "colour": "shop_filter_colour", "cheaper": "shop_filter_cheaper"}
#: Brands left out of a refinement (inference.shop.index.brand_key()s).
NoBrands = frozenset[str]


def _filter_words(turn: Turn, mode: str, not_brands: NoBrands = frozenset()) -> str:
    key = FILTER_KEYS[mode]
    words = [turn.say(key)] if key else []
    if not_brands:
        words.append(turn.say("shop_filter_brand"))
    return "".join(" " + w for w in words)


def lacking(turn: Turn, key: str, **values: object) -> Reply:
    """The catalogue has nothing of a kind (the demo has no bags or jewellery): say so, and how
    the bot's owner adds a shop's feed that has."""
    return Reply(turn.say(key, **values).rstrip() + "\n" + turn.say("shop_add_feed"))


def _page(turn: Turn, offset: int) -> str:
    """' (from #11)' on a later page of results, else ''."""
    return " " + turn.say("results_page", n=offset + 1) if offset else ""


# entry points ------------------------------------------------------------------------------
async def shop(turn: Turn, garment: str | None = None) -> list[Reply]:
    """Text "where can I buy this?" (or /shop): about the photo replied to, else the latest;
    "where can I buy the bag?" names the `garment` class to look for."""
    if turn.event.args and turn.event.command == "shop":
        return await search_text(turn, turn.event.args)
    recent = turn.recent.find(turn.user_id, turn.event.reply_to)
    if recent is None:
        return [Reply(turn.say("shop_no_photo"))]
    return await _garment_menu(turn, recent.outfit_id, recent.outfit, garment)


async def shop_photo(turn: Turn) -> list[Reply]:
    """A photo captioned "where can I buy this?"."""
    try:
        outfit_id, outfit = await analyse_and_store(turn)
    except BadImage as bad:
        return [turn.bad_image(bad)]
    turn.recent.remember(turn.user_id, turn.event.photos[0].ref, outfit_id, outfit, paired=True)
    return await _garment_menu(turn, outfit_id, outfit)


async def shop_button(turn: Turn, payload: str) -> list[Reply]:
    """The outfit reply's "Where can I buy this?" button (shop:<outfit_id>)."""
    if not payload.isdigit():
        return [Reply(turn.say("feedback_stale"))]
    outfit_id = int(payload)
    try:
        turn.store.outfit(turn.user_id, outfit_id)
    except NotFound:
        return [Reply(turn.say("feedback_stale"))]
    turn.store.add_feedback(turn.user_id, "shop", outfit_id, "asked")
    recent = turn.recent.by_outfit(turn.user_id, outfit_id)
    if recent is not None:
        return await _garment_menu(turn, outfit_id, recent.outfit)
    queries = [GarmentQuery.from_row(r)
               for r in CatalogStore(turn.store).queries(turn.user_id, outfit_id)]
    if not queries:
        return [Reply(turn.say("shop_photo_gone"))]
    problem = _catalogue_problem(turn)
    if problem:
        return [problem]
    return await _menu_or_results(turn, outfit_id, queries)


def _left_out(turn: Turn, not_brands: NoBrands | None, **same: object) -> NoBrands:
    """The brands to leave out: `not_brands` when the words said, else (a button pressed) those
    left out of the last results shown when they were about the same thing (`same`: their
    state's kind, outfit, item...), so ➡️ More after "not this brand" does not bring it back."""
    if not_brands is not None:
        return not_brands
    last = turn.store.state(turn.user_id).get("last_shop") or {}
    if all(last.get(key) == value for key, value in same.items()):
        return frozenset(last.get("not_brands") or ())
    return frozenset()


async def shop_item(turn: Turn, payload: str,
                    not_brands: NoBrands | None = None) -> list[Reply]:
    """shopi:<outfit>:<item>:<mode>:<offset>[:<max price>[:<kind>]] (an empty max price for a
    kind without one); `not_brands` when "not this brand" refines them (None: as `_left_out`
    reads them)."""
    parts = payload.split(":")
    try:
        outfit_id, index, code, offset = int(parts[0]), int(parts[1]), parts[2], int(parts[3])
        price_max = float(parts[4]) if len(parts) > 4 and parts[4] else None
        kind = parts[5] if len(parts) > 5 else None
        mode = MODE_CODES[code]
    except (IndexError, ValueError, KeyError):
        return [Reply(turn.say("feedback_stale"))]
    rows = CatalogStore(turn.store).queries(turn.user_id, outfit_id)
    query = next((GarmentQuery.from_row(r) for r in rows if r["item_index"] == index), None)
    if query is None:
        return [Reply(turn.say("shop_photo_gone"))]
    if kind is not None and kind not in kinds_of(query.category):
        return [Reply(turn.say("feedback_stale"))]
    if mode == "cheaper" and price_max is None:
        return [Reply(turn.say("shop_no_prices"))]
    turn.store.add_feedback(turn.user_id, "shop_item", outfit_id, f"{mode}:{index}:{offset}")
    not_brands = _left_out(turn, not_brands, kind="item", outfit=outfit_id, item=index)
    return await _results(turn, outfit_id, query, mode, offset, price_max, kind, not_brands)


# the garment menu --------------------------------------------------------------------------
async def _garment_menu(turn: Turn, outfit_id: int, outfit: Outfit,
                        garment: str | None = None) -> list[Reply]:
    problem = _catalogue_problem(turn)
    if problem:
        return [problem]
    if not outfit.items:
        return [Reply(turn.say("shop_no_garments"))]
    pipeline, index = turn.services.pipeline, catalogue(turn)
    queries = await turn.run(pipeline.garment_queries, outfit,
                             index.kinds if index is not None else None)
    CatalogStore(turn.store).save_queries(turn.user_id, outfit_id, pipeline.embedder.name,
                                          [q.as_row() for q in queries])
    return await _menu_or_results(turn, outfit_id, queries, garment)


async def _menu_or_results(turn: Turn, outfit_id: int, queries: list[GarmentQuery],
                           garment: str | None = None) -> list[Reply]:
    """Buttons for the garments the catalogue has items of (straight to the matches when
    there is one, or when the user named one the photo shows: `garment`), and a word about the
    ones it has none of."""
    index = catalogue(turn)
    stocked = [q for q in queries if index is not None and index.categories.get(q.category)]
    names = _names(turn, outfit_id, queries)
    named = next((q for q in queries if q.category == garment), None)
    if named is not None:
        if named in stocked:
            return await _results(turn, outfit_id, named, "default", 0)
        return [lacking(turn, "shop_named_not_stocked", item=names[named.index])]
    missing = [names[q.index] for q in queries if q not in stocked]
    if not stocked:
        return [lacking(turn, "shop_none_stocked", items=wording.joined(missing, turn.lang))]
    if len(stocked) == 1 and not missing:
        return await _results(turn, outfit_id, stocked[0], "default", 0)
    [reply] = _menu_reply(turn, outfit_id, stocked, names)
    if missing:
        reply.text += "\n" + turn.say("shop_not_stocked", items=wording.joined(missing, turn.lang))
    return [reply]


def _names(turn: Turn, outfit_id: int, queries: list[GarmentQuery]) -> dict[int, str]:
    """Each query's garment named in the user's language from the stored parse ("striped navy
    top", "смугастий темно-синій топ"); the query's own English name where the parse is gone."""
    try:
        items = turn.store.outfit(turn.user_id, outfit_id)["summary"].get("items") or []
    except NotFound:
        items = []
    return {q.index: wording.item_phrase(items[q.index], turn.lang) if q.index < len(items)
            else q.name for q in queries}


def _menu_reply(turn: Turn, outfit_id: int, queries: list[GarmentQuery],
                names: dict[int, str]) -> list[Reply]:
    rows, row = [], []
    for q in queries[:8]:
        row.append(Button(turn.say("button_shop_garment", name=names[q.index])[:40],
                          f"shopi:{outfit_id}:{q.index}:d:0"))
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append([Button(turn.say("button_complete_look"), f"look:{outfit_id}")])
    listed = wording.joined([names[q.index] for q in queries], turn.lang)
    return [Reply(turn.say("shop_pick_garment", items=listed), buttons=rows)]


def _no_index_key(turn: Turn) -> str:
    building = turn.services.first_build.running
    return "shop_catalogue_building" if building else "shop_no_catalogue"


def _catalogue_problem(turn: Turn) -> Reply | None:
    pipeline = turn.services.pipeline
    if pipeline.embedder is None:
        return Reply(turn.say("shop_unavailable", reason=pipeline.embedder_error))
    index = catalogue(turn)
    if index is None:
        return Reply(turn.say(_no_index_key(turn)))
    if index.embedder != pipeline.embedder.name:
        log.error("catalogue index built with %s, the bot embeds with %s", index.embedder,
                  pipeline.embedder.name)
        return Reply(turn.say("shop_index_mismatch"))
    return None


def catalogue(turn: Turn) -> CatalogIndex | None:
    """The live catalogue index (None before the first build)."""
    return turn.services.pipeline.catalog(turn.services.settings.catalog.index_dir).current()


# results -----------------------------------------------------------------------------------
async def _results(turn: Turn, outfit_id: int, query: GarmentQuery, mode: str, offset: int,
                   price_max: float | None = None, kind: str | None = None,
                   not_brands: NoBrands = frozenset()) -> list[Reply]:
    """A page of the garment's matches; only `kind` of item when given, without `not_brands`."""
    problem = _catalogue_problem(turn)
    if problem:
        return [problem]
    index = catalogue(turn)
    assert index is not None
    k = turn.services.settings.catalog.results_per_page
    hits = await turn.run(partial(search, kind=kind, not_brands=not_brands), index, query, mode,
                          k + 1, offset, price_max)
    what = _names(turn, outfit_id, [query])[query.index]
    if not hits and kind and not offset and not not_brands:  # no boots at all: say so
        return [lacking(turn, "search_no_category", noun=wording.noun_word(kind, turn.lang))]
    if not hits:
        key = "shop_no_more" if offset else "shop_no_matches"
        return [Reply(turn.say(key, what=what, filter=_filter_words(turn, mode, not_brands)),
                      buttons=[[Button(turn.say("button_other_piece"),
                                       f"shop:{outfit_id}")]])]
    more, hits = len(hits) > k, hits[:k]
    matches = turn.say("shop_matches_one" if len(hits) == 1 else "shop_matches_many",
                            n=len(hits))
    header = turn.say("shop_results", what=what[:1].upper() + what[1:], matches=matches,
                           page=_page(turn, offset))
    base = f"shopi:{outfit_id}:{query.index}"
    code = {v: k for k, v in MODE_CODES.items()}[mode]
    nav = []
    if more:
        nav.append(Button(turn.say("button_more"),
                          f"{base}:{code}:{offset + k}{item_tail(price_max, kind)}"))
    nav.append(Button(turn.say("button_same_colour"), f"{base}:c:0{item_tail(None, kind)}"))
    if (cheaper := _cheaper_than(hits)) is not None:  # no prices shown: nothing to undercut
        nav.append(Button(turn.say("button_cheaper"), f"{base}:p:0{item_tail(cheaper, kind)}"))
    reply = await _grid(turn, header, hits, [
        nav, [Button(turn.say("button_other_piece"), f"shop:{outfit_id}")]])
    _remember_results(turn, hits, not_brands, kind="item", outfit=outfit_id, item=query.index,
                      category=query.category, only_kind=kind,
                      noun=_kind_noun(query.category, kind or query.kind))
    return [reply]


def item_tail(price_max: float | None, kind: str | None) -> str:
    """The optional end of a shopi payload: ":<max price>[:<kind>]", the price empty before a
    kind without one."""
    price = f"{price_max:g}" if price_max is not None else ""
    return f":{price}:{kind}" if kind else (f":{price}" if price else "")


def _cheaper_than(hits: list[Hit]) -> float | None:
    """The price "cheaper" searches under: a cent below the cheapest shown; None without
    prices."""
    prices = [h.item["price"] for h in hits if h.item.get("price") is not None]
    return round(max(0.0, min(prices) - 0.01), 2) if prices else None


def _remember_results(turn: Turn, hits: list[Hit], not_brands: NoBrands = frozenset(),
                      **what: object) -> None:
    """What was shown, so "cheaper", "in black", "the second one" and "not this brand" refer to
    it (user-scoped: the state is the user's own)."""
    turn.remember(last="shop", last_shop={**what, "hits": [h.item["id"] for h in hits],
                                          "not_brands": sorted(not_brands),
                                          "cheaper_than": _cheaper_than(hits)})


def item_row(index: CatalogIndex, item_id: str) -> int | None:
    """The index row of a catalogue item (None when this build no longer has it)."""
    return next((i for i, item in enumerate(index.items) if item["id"] == item_id), None)


async def more_like_item(turn: Turn, item_id: str, price_max: float | None = None,
                         not_brands: NoBrands = frozenset()) -> list[Reply]:
    """Catalogue items that look like one already shown ("more like the second one"), at most
    `price_max` when given ("cheaper" after them), without `not_brands`."""
    index = catalogue(turn)
    if index is None:
        return [Reply(turn.say(_no_index_key(turn)))]
    row = item_row(index, item_id)
    if row is None:
        return [Reply(turn.say("feedback_stale"))]
    item = index.items[row]
    k = turn.services.settings.catalog.results_per_page
    filters = Filters(category=item.get("category"), price_max=price_max,
                      exclude=frozenset({item_id}), exclude_brands=not_brands)
    hits = await turn.run(index.search, index.vector(row), k, filters)
    if not hits:
        mode = "cheaper" if price_max is not None else "default"
        return [Reply(turn.say("shop_no_matches", what=shown_title(item),
                               filter=_filter_words(turn, mode, not_brands)))]
    matches = turn.say("shop_matches_one" if len(hits) == 1 else "shop_matches_many",
                       n=len(hits))
    header = turn.say("shop_results", what=shown_title(item), matches=matches, page="")
    reply = await _grid(turn, header, hits)
    _remember_results(turn, hits, not_brands, kind="like", item_id=item_id,
                      noun=DISPLAY_NAME.get(item.get("category") or "", ""))
    return [reply]


def brands(index: CatalogIndex) -> dict[str, str]:
    """The catalogue's brands: brand_key() -> the feed's spelling ({} for the demo shop)."""
    return {brand_key(i["brand"]): i["brand"] for i in index.items if i.get("brand")}


def brand_named(text: str, known: dict[str, str]) -> str | None:
    """The catalogue brand a message names ("no more Nike", "不要Nike"), longest first; Latin
    names are whole words even between Chinese characters."""
    said = brand_key(text)
    for key in sorted(known, key=len, reverse=True):
        edge = "a-z0-9" if key.isascii() else r"\w"
        if re.search(rf"(?<![{edge}]){re.escape(key)}(?![{edge}])", said):
            return known[key]
    return None


def shown_title(item: dict) -> str:
    """The title a result shows, with the feed's brand where it has one and the title does not
    already name it: "White sneakers (Nike)"."""
    brand, title = item.get("brand"), item["title"]
    if not brand or brand.casefold() in title.casefold():
        return title
    return f"{title} ({brand})"


def _price(item: dict) -> str | None:
    if item.get("price") is None:
        return None
    return f"{item['price']:.2f} {item.get('currency') or ''}".strip()


def describe_hit(turn: Turn, n: int, hit: Hit) -> str:
    """"2. Blue jacket · demo item · why: same type (jacket), same colour (blue)": the tile's
    number, title and price, and why it was chosen (the link is a button)."""
    item = hit.item
    bits = [f"{n}. {shown_title(item)}", _price(item) or (
        turn.say("shop_demo_item") if item.get("demo") else None)]
    if hit.why:
        reasons = wording.joined([reason_text(r, turn.lang) for r in hit.why], turn.lang)
        bits.append(turn.say("shop_why", reasons=reasons))
    return " · ".join(b for b in bits if b)


async def _grid(turn: Turn, header: str, hits: list[Hit],
                buttons: list[list[Button]] | None = None) -> Reply:
    """The results as one grid picture, a line per tile, `buttons`, then the shop links."""
    lines = [header] + [describe_hit(turn, n, h) for n, h in enumerate(hits, start=1)]
    if any(h.item.get("demo") for h in hits):
        lines.append(turn.say("shop_demo_note"))
    picture = await turn.run(_grid_picture, hits)
    links = [Button(turn.say("button_shop_link", n=n), url=h.item["url"])
             for n, h in enumerate(hits, start=1) if h.item.get("url")]
    rows = [*(buttons or []), *(links[i:i + 5] for i in range(0, len(links), 5))]
    return Reply("\n".join(lines), images=[picture], buttons=[r for r in rows if r])


def _grid_picture(hits: list[Hit]) -> ImageOut:
    tiles = [Tile(h.item.get("image_path"), shown_title(h.item), _price(h.item),
                  FAMILY_RGB.get(h.item.get("colour_family") or "")) for h in hits]
    return ImageOut(jpeg_bytes(results_grid(tiles)), name="results.jpg")


# complete the look -------------------------------------------------------------------------
def _noun(turn: Turn, category: str) -> str:
    return wording.noun_word(DISPLAY_NAME.get(category, category), turn.lang)


def _look_buttons(turn: Turn, outfit_id: int, categories: list[str]) -> list[Button]:
    """A button per category: "✨ Shoes" (look:<outfit>:footwear:0)."""
    nouns = {c: _noun(turn, c) for c in categories}
    return [Button(turn.say("button_look_piece", Noun=n[:1].upper() + n[1:]),
                   f"look:{outfit_id}:{c}:0") for c, n in nouns.items()]


async def complete_look(turn: Turn, payload: str,
                        not_brands: NoBrands | None = None) -> list[Reply]:
    """look:<outfit>[:<category>:<offset>[:<max price>]]; works from the stored parse, so it
    still answers after the photo has left memory. `not_brands`: "not this brand" after them
    (None: as `_left_out` reads them)."""
    parts = payload.split(":")
    try:
        outfit_id = int(parts[0])
        category = parts[1] if len(parts) > 1 else None
        offset = int(parts[2]) if len(parts) > 2 else 0
        price_max = float(parts[3]) if len(parts) > 3 else None
        outfit = turn.store.outfit(turn.user_id, outfit_id)["summary"]
    except (ValueError, NotFound):
        return [Reply(turn.say("feedback_stale"))]
    if category is not None and category not in GARMENT_CLASSES:
        return [Reply(turn.say("feedback_stale"))]
    index = catalogue(turn)
    if index is None:
        return [Reply(turn.say(_no_index_key(turn)))]
    missing = missing_pieces(outfit)
    if category is None:
        turn.store.add_feedback(turn.user_id, "look", outfit_id, "asked")
        stocked = [c for c in missing if index.categories.get(c)]
        if not missing:
            buttons = _look_buttons(turn, outfit_id,
                                    [c for c in COMPLETING if index.categories.get(c)])
            return [Reply(turn.say("look_nothing_missing"), buttons=[buttons] if buttons else [])]
        if not stocked:
            nouns = wording.joined([_noun(turn, c) for c in missing], turn.lang)
            return [lacking(turn, "look_not_stocked", noun=nouns)]
        category = stocked[0]
    not_brands = _left_out(turn, not_brands, kind="look", outfit=outfit_id, category=category)
    return await _look_results(turn, index, outfit_id, outfit, category, offset, price_max,
                               missing, not_brands)


async def _look_results(turn: Turn, index: CatalogIndex, outfit_id: int, outfit: dict,
                        category: str, offset: int, price_max: float | None,
                        missing: list[str], not_brands: NoBrands) -> list[Reply]:
    noun = _noun(turn, category)
    if not index.categories.get(category):
        return [lacking(turn, "look_not_stocked", noun=noun)]
    k = turn.services.settings.catalog.results_per_page
    hits = await turn.run(partial(complete_the_look, not_brands=not_brands), index, outfit,
                          category, k + 1, offset, price_max)
    if not hits:
        mode = "cheaper" if price_max is not None else "default"
        return [Reply(turn.say("shop_no_more" if offset else "shop_no_matches", what=noun,
                               filter=_filter_words(turn, mode, not_brands)))]
    more, hits = len(hits) > k, hits[:k]
    base = f"look:{outfit_id}:{category}"
    tail = f":{price_max:g}" if price_max is not None else ""
    nav = [Button(turn.say("button_more"), f"{base}:{offset + k}{tail}")] if more else []
    if (cheaper := _cheaper_than(hits)) is not None:
        nav.append(Button(turn.say("button_cheaper"), f"{base}:0:{cheaper:g}"))
    others = [c for c in missing if c != category]
    stocked = [c for c in others if index.categories.get(c)]
    reply = await _grid(turn, turn.say("look_results", noun=noun, page=_page(turn, offset)),
                        hits, [nav, _look_buttons(turn, outfit_id, stocked)])
    if unstocked := [_noun(turn, c) for c in others if c not in stocked]:
        reply.text += "\n" + turn.say("shop_not_stocked",
                                      items=wording.joined(unstocked, turn.lang))
    _remember_results(turn, hits, not_brands, kind="look", outfit=outfit_id, category=category,
                      noun=DISPLAY_NAME.get(category, category))
    return [reply]


# text search -------------------------------------------------------------------------------
async def search_command(turn: Turn) -> list[Reply]:
    """/search red floral dress."""
    if not turn.event.args:
        return [Reply(turn.say("search_usage"))]
    return await search_text(turn, turn.event.args)


async def search_text(turn: Turn, query: str, offset: int = 0, price_max: float | None = None,
                      not_brands: NoBrands = frozenset()) -> list[Reply]:
    from inference.shop.text_search import text_search

    query = query.strip()[:200]
    index = catalogue(turn)
    if index is None:
        return [Reply(turn.say(_no_index_key(turn)))]
    if index.text_vectors() is None:  # built without the optional title model
        return [Reply(turn.say("search_unavailable"))]
    state = turn.store.state(turn.user_id)
    turn.store.set_state(turn.user_id, {**state, "shop_query": query})
    k = turn.services.settings.catalog.results_per_page
    encoder = await turn.run(turn.services.pipeline.text_encoder)
    narrowed = price_max is not None or bool(not_brands)
    # "cheaper" (under the cheapest shown) or "not this brand": the same search, filtered from
    # its start, so that a page's offset counts the items that pass (no page repeats another)
    fetch = (offset + k + 1) * 8 if narrowed else k + 1
    parsed, hits = await turn.run(text_search, index, encoder, title_words(turn, query), fetch,
                                  0 if narrowed else offset)
    if narrowed:
        accepts = Filters(price_max=price_max, exclude_brands=not_brands).accepts
        hits = [h for h in hits if accepts(h.item)][offset:offset + k + 1]
    noun = _kind_noun(parsed.category, parsed.kind)
    if not hits and noun and not offset:
        return [lacking(turn, "search_no_category", noun=wording.noun_word(noun, turn.lang))]
    if not hits and not_brands:
        return [Reply(turn.say("shop_no_matches", what=query,
                               filter=_filter_words(turn, "default", not_brands)))]
    if not hits:
        return [Reply(turn.say("search_nothing", query=query))]
    more, hits = len(hits) > k, hits[:k]
    understood = (wording.item_phrase({"category": parsed.category, "colour_name": "",
                                       "colour_family": parsed.colour_family or "",
                                       "fine_label": noun}, turn.lang, by_family=True)
                  if parsed.category else wording.family_word(parsed.colour_family or "",
                                                              turn.lang))
    header = turn.say(
        "search_results", query=query,
        items=turn.say("search_items_one" if len(hits) == 1 else "search_items_many",
                            n=len(hits)),
        # its own spacing ("(black boots)" after a space, "（黑色）" after none): not say()'s strip
        understood=turn.texts("replies")["search_understood"].format(what=understood)
        if understood else "",
        page=_page(turn, offset))
    reply = await _grid(turn, header, hits,
                        [[Button(turn.say("button_more"), f"shopq:{offset + k}")]] if more else [])
    _remember_results(turn, hits, not_brands, kind="query", query=query, noun=noun,
                      price_max=price_max)
    return [reply]


def title_words(turn: Turn, text: str) -> str:
    """What the catalogue's title model (an English MiniLM) and query parser read for `text`:
    the user's own words in English; in another language the colour and the kind (or the
    class) its lexicon finds, in English ("红色连衣裙" -> "red dress": read as they are, Chinese
    words brought purple hats), else the words as they are (a brand, a shop's own word)."""
    if turn.lang == "en":
        return text
    slots, _ = read_slots(normalise(text), text, (turn.lang,))
    parts = [slots.get("colour"),
             slots.get("kind") or DISPLAY_NAME.get(str(slots.get("garment") or ""), "")]
    return " ".join(str(p) for p in parts if p) or text


def _kind_noun(category: str | None, kind: str | None) -> str:
    """The English noun of what was asked for: the kind ("boots") where the class has several,
    else the class ("dress"); "" for neither."""
    if kind and len(kinds_of(category or "")) > 1:
        return kind
    return DISPLAY_NAME.get(category or "", "")


async def search_more(turn: Turn, payload: str) -> list[Reply]:
    """shopq:<offset>: the next page of the last text search (without the brands left out of
    it, at most the price it was narrowed to)."""
    query = turn.store.state(turn.user_id).get("shop_query")
    if not query or not payload.isdigit():
        return [Reply(turn.say("feedback_stale"))]
    last = turn.store.state(turn.user_id).get("last_shop") or {}
    price_max = last.get("price_max") if last.get("query") == query else None
    return await search_text(turn, query, int(payload), price_max,
                             _left_out(turn, None, kind="query", query=query))


command("shop", shop, menu="menu_shop")
command("search", search_command, menu="menu_search")
button("shop", shop_button)
button("shopi", shop_item)
button("shopq", search_more)
button("look", complete_look)
