"""One concrete suggestion: tried changes re-scored with Style Check's prior utility."""

from __future__ import annotations

import copy
import time
from datetime import date

from inference.stylecheck import advice
from inference.stylecheck.advice import MARGIN, suggest, utility

DAY = date(2026, 3, 1)


def item(category: str, family: str, rgb: tuple[int, int, int], area: float,
         box: list[int], pattern: str = "solid") -> dict:
    return {"category": category, "fine_label": None, "name": f"{family} {category}",
            "colour_name": family, "colour_family": family, "rgb": list(rgb),
            "colours": [{"name": family, "family": family, "rgb": list(rgb), "share": 1.0}],
            "pattern": pattern, "area": area, "box": box}


def clash(*extra: dict) -> dict:
    return {"skin_share": 0.3, "items": [
        item("top", "red", (200, 30, 40), 0.35, [40, 60, 200, 220]),
        item("skirt", "green", (60, 160, 70), 0.3, [45, 220, 195, 380]),
        item("bag", "pink", (240, 150, 180), 0.04, [10, 200, 60, 280]), *extra]}


def apply(outfit: dict, found) -> dict:  # noqa: ANN001
    """The outfit with the suggestion made: the garment replaced, or added."""
    items = [found.item if i == found.before else i for i in outfit["items"]]
    return {**outfit, "items": items if found.before else [*items, found.item]}


def test_a_clash_gets_the_change_that_helps_most() -> None:
    outfit = clash()
    kept = copy.deepcopy(outfit)
    found = suggest(outfit, DAY)
    assert outfit == kept  # the caller's outfit is never changed
    assert found is not None and found.gain >= MARGIN
    assert utility(apply(outfit, found), DAY) > utility(outfit, DAY) + MARGIN


def test_with_a_jacket_on_the_clash_is_fixed_by_a_colour_change() -> None:
    outfit = clash(item("outer", "black", (25, 25, 25), 0.15, [40, 60, 200, 240]),
                   item("footwear", "black", (25, 25, 25), 0.04, [60, 380, 180, 400]))
    found = suggest(outfit, DAY)
    assert found is not None and found.kind == "recolour"
    assert found.before["colour_family"] in {"red", "green", "pink"}
    assert found.family != found.before["colour_family"]
    assert found.reason  # a feature to say why
    assert utility(apply(outfit, found), DAY) >= utility(outfit, DAY) + MARGIN


def test_a_calm_usual_outfit_gets_nothing_or_a_change_worth_the_margin() -> None:
    outfit = {"skin_share": 0.2, "items": [
        item("top", "white", (240, 240, 235), 0.3, [40, 60, 200, 220]),
        item("pants", "navy", (30, 40, 70), 0.35, [45, 220, 195, 420]),
        item("outer", "beige", (200, 180, 150), 0.2, [30, 50, 210, 240]),
        item("footwear", "white", (240, 240, 235), 0.04, [60, 420, 180, 440]),
        item("bag", "brown", (120, 75, 40), 0.04, [10, 200, 60, 280]),
        item("belt", "brown", (120, 75, 40), 0.01, [50, 215, 190, 225])]}
    found = suggest(outfit, DAY)
    assert found is None or utility(apply(outfit, found), DAY) - utility(outfit, DAY) >= MARGIN


def test_two_competing_patterns_may_be_made_plain_and_it_is_fast() -> None:
    outfit = clash()
    outfit["items"][0]["pattern"] = "striped"
    outfit["items"][1]["pattern"] = "floral"
    start = time.perf_counter()
    found = suggest(outfit, DAY)
    assert (time.perf_counter() - start) < 0.3
    assert found is not None and found.gain >= MARGIN


def test_one_garment_says_nothing() -> None:
    assert suggest({"items": [item("dress", "red", (200, 30, 40), 0.6, [0, 0, 10, 10])]}) is None


def test_deliberate_colours_are_left_alone() -> None:
    """A matching red set and the one accent on neutrals are the point of an outfit."""
    red_suit = {"skin_share": 0.2, "items": [
        item("top", "red", (200, 30, 40), 0.35, [40, 60, 200, 220]),
        item("pants", "red", (190, 35, 45), 0.3, [45, 220, 195, 380]),
        item("footwear", "black", (25, 25, 25), 0.03, [60, 380, 180, 400])]}
    found = suggest(red_suit, DAY)
    assert found is None or found.category not in ("top", "pants")
    accent = {"skin_share": 0.2, "items": [
        item("top", "white", (245, 245, 240), 0.3, [40, 60, 200, 220]),
        item("outer", "black", (25, 25, 25), 0.3, [30, 60, 210, 260]),
        item("pants", "pink", (240, 150, 180), 0.3, [45, 220, 195, 380]),
        item("footwear", "black", (25, 25, 25), 0.03, [60, 380, 180, 400])]}
    found = suggest(accent, DAY)
    assert found is None or found.category != "pants"


def test_one_accent_piece_on_neutrals_is_left_alone() -> None:
    """Cobalt heels with a black skirt and a white blouse are the outfit's point."""
    cobalt = {"skin_share": 0.2, "items": [
        item("top", "white", (245, 245, 240), 0.3, [40, 60, 200, 220]),
        item("skirt", "black", (25, 25, 25), 0.3, [45, 220, 195, 380]),
        item("footwear", "blue", (40, 70, 200), 0.03, [60, 380, 180, 400])]}
    found = suggest(cobalt, DAY)
    assert found is None or found.category != "footwear"
    # with a second accent (a green bag) the two compete, and either may change
    assert advice._deliberate(cobalt, cobalt["items"][2])
    clashing = {**cobalt, "items": [*cobalt["items"],
                                    item("bag", "green", (60, 160, 70), 0.03, [0, 0, 5, 5])]}
    assert not advice._deliberate(clashing, clashing["items"][2])


def test_how_common_a_colour_is_is_no_reason_alone(monkeypatch) -> None:
    """Light grey shoes with a pale blue dress: most people's shoes are black, which is no
    reason to say so."""
    dress = {"skin_share": 0.2, "items": [
        {**item("dress", "blue", (170, 200, 230), 0.5, [40, 60, 200, 380]),
         "colour_name": "light blue"},
        {**item("bag", "navy", (30, 40, 70), 0.04, [10, 200, 60, 280]), "colour_name": "navy"},
        {**item("footwear", "gray", (200, 200, 200), 0.03, [60, 380, 180, 400]),
         "colour_name": "light grey"}]}
    monkeypatch.setattr(advice, "POPULARITY", ())
    counted = suggest(dress, DAY)
    assert counted is not None and counted.reason == "usual_colours"  # what it used to say
    monkeypatch.undo()
    found = suggest(dress, DAY)
    assert found is None or found.reason not in advice.POPULARITY


def test_a_change_is_shown_only_when_the_colour_code_reads_it_back(photo_bytes) -> None:
    import io

    import numpy as np
    from PIL import Image

    from inference.core.garments import CLASS_INDEX
    from inference.parsing.outfit import Outfit
    from inference.stylecheck.advice import confirmed_photo

    image = Image.open(io.BytesIO(photo_bytes[0])).convert("RGB").resize((120, 180))
    labels = np.zeros((180, 120), np.uint8)
    labels[60:120, 30:90] = CLASS_INDEX["top"]
    outfit = Outfit(image, labels, [], 0.3, 1, 0.8)
    after = confirmed_photo(outfit, "top", "navy")
    assert after is not None and after.size == image.size
    assert confirmed_photo(outfit, "skirt", "navy") is None  # no such region to change
