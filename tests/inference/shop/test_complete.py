"""'Complete the look': which pieces a parse lacks, and the catalogue's pieces of one ranked by
the shipped compatibility model (a small real Annoy build; the ranking never reads vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from inference.shop.complete import complete_the_look, missing_pieces
from inference.shop.index import CatalogIndex, build_index, reason_text
from inference.styles.compatibility import shipped

FAMILIES = ("pink", "black", "white", "brown", "beige", "red", "green")


def item(category: str, family: str, area: float = 0.2, confidence: float = 0.9) -> dict:
    return {"category": category, "colour_family": family, "colour_name": family,
            "area": area, "confidence": confidence}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> CatalogIndex:
    """Two shoes of each family (pink first, so the catalogue's order is not the answer),
    priced 10, 20, ...; three jackets; no bags."""
    items = [{"id": f"f{family}{n}", "title": f"{family} shoes {n}", "category": "footwear",
              "colour_family": family, "price": 10.0 * (i * 2 + n + 1)}
             for i, family in enumerate(FAMILIES) for n in range(2)]
    items += [{"id": f"o{f}", "title": f"{f} jacket", "category": "outer", "colour_family": f,
               "price": None} for f in ("beige", "black", "navy")]
    vectors = np.random.default_rng(0).normal(size=(len(items), 8)).astype(np.float32)
    root = tmp_path_factory.mktemp("look")
    return CatalogIndex(build_index(root, vectors, items, "test", n_trees=2))


def test_missing_pieces_skips_the_tiny_and_unsure() -> None:
    assert missing_pieces({"items": [item("top", "white"), item("pants", "black")]}) == [
        "footwear", "bag", "outer"]
    worn = {"items": [item("top", "white"), item("footwear", "black", area=0.03),
                      item("bag", "brown", area=0.001), item("outer", "gray", confidence=0.2)]}
    assert missing_pieces(worn) == ["bag", "outer"]
    assert missing_pieces({"items": [item("footwear", "black"), item("bag", "red"),
                                     item("outer", "navy")]}) == []


def test_ranking_follows_the_compatibility_model(index) -> None:
    model = shipped()
    assert model is not None and model.photos > 100  # trained on real outfits, not hand-picked
    for outfit in ({"items": [item("top", "black"), item("pants", "black")]},
                   {"items": [item("dress", "pink", area=0.5)]},
                   {"items": [item("top", "white"), item("skirt", "red")]}):
        hits = complete_the_look(index, outfit, "footwear", k=len(FAMILIES) * 2)
        pieces = [(i["category"], i["colour_family"]) for i in outfit["items"]]
        order = [f for f, _ in model.rank("footwear", pieces, FAMILIES)]
        shown = [h.item["colour_family"] for h in hits]
        assert shown == [f for f in order for _ in range(2)]
        # ties keep the catalogue's order; scores never rise
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
        assert [h.item["id"] for h in hits[:2]] == [f"f{order[0]}0", f"f{order[0]}1"]


def test_pages_prices_reasons_and_an_unstocked_category(index) -> None:
    outfit = {"items": [item("top", "black"), item("pants", "black")]}
    everything = complete_the_look(index, outfit, "footwear", k=100)
    page2 = complete_the_look(index, outfit, "footwear", k=3, offset=3)
    assert [h.item["id"] for h in page2] == [h.item["id"] for h in everything[3:6]]
    cheap = complete_the_look(index, outfit, "footwear", k=100, price_max=50)
    assert cheap and all(h.item["price"] <= 50 for h in cheap)
    assert [h.item["id"] for h in cheap] == [h.item["id"] for h in everything
                                             if h.item["price"] <= 50]
    code, values = everything[0].why[0]
    assert code in {"goes_with", "usual_colour"} and values["category"] == "footwear"
    if code == "goes_with":  # the black pieces speak for it
        assert values["with"] == "black" and values["piece"] in {"top", "pants"}
    for lang in ("en", "uk", "ru", "zh"):
        text = reason_text(everything[0].why[0], lang)
        assert "{" not in text and text
    assert complete_the_look(index, outfit, "bag") == []  # the catalogue has no bags
    jackets = complete_the_look(index, outfit, "outer", k=5)
    assert {h.item["colour_family"] for h in jackets} == {"beige", "black", "navy"}
