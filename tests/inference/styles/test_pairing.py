"""Stylist judgements on parsed outfits: the answers to "does this go with...?", "is this OK
for...?", "what colour...?" and "make it more...", each about real items of the outfit."""

from __future__ import annotations

from inference.styles import pairing


def item(category: str, family: str, area: float, **extra: object) -> dict:
    return {"category": category, "colour_family": family, "colour_name": family, "area": area,
            "pattern": "solid", "fine_label": None,
            "colours": [{"name": family, "family": family, "share": 1.0}], **extra}


JEANS_LOOK = {"items": [item("top", "white", 0.2), item("pants", "blue", 0.18, fine_label="jeans"),
                        item("legwear", "black", 0.25), item("footwear", "white", 0.03)]}
NAVY_SUIT = {"items": [item("outer", "navy", 0.3), item("pants", "navy", 0.2),
                       item("top", "white", 0.05), item("footwear", "black", 0.03)]}
RED_AND_GREEN = {"items": [item("top", "red", 0.2), item("skirt", "green", 0.15)]}


def test_largest_first() -> None:
    sizes = [i["area"] for i in pairing.by_size(JEANS_LOOK)]
    assert sizes == sorted(sizes, reverse=True)


def test_pairing_a_colour() -> None:
    assert pairing.pairs_with(JEANS_LOOK, "bag", "black").reason == "neutral"
    assert pairing.pairs_with(NAVY_SUIT, "bag", "red").reason == "accent"
    busy = pairing.pairs_with(RED_AND_GREEN, "bag", "yellow")
    assert busy.verdict == "no" and {i["colour_family"] for i in busy.about} == {"red", "green"}
    # shoes when the photo has shoes: judged with the rest, in place of the pair worn
    swap = pairing.pairs_with(JEANS_LOOK, "footwear", "white")
    assert (swap.verdict, swap.reason) == ("yes", "neutral")
    assert [i["category"] for i in swap.replaces] == ["footwear"]
    assert "footwear" not in [i["category"] for i in swap.about]
    clash = pairing.pairs_with(RED_AND_GREEN, "skirt", "yellow")  # the green skirt goes
    assert clash.reason == "clash" and clash.about[0]["colour_family"] == "red"
    assert clash.replaces[0]["colour_family"] == "green"
    same = pairing.pairs_with(JEANS_LOOK, "footwear", None)  # no colour: nothing to judge
    assert same.reason == "same_kind" and same.about[0]["category"] == "footwear"


def test_colour_suggestions_repeat_the_accent_or_pick_a_neutral() -> None:
    assert pairing.suggest_colours(RED_AND_GREEN, "bag").colours[0] == "red"
    assert pairing.suggest_colours(NAVY_SUIT, "bag").colours[0] == "brown"


def test_occasions() -> None:
    assert pairing.formality(JEANS_LOOK) == 0
    casual = pairing.fits_occasion(JEANS_LOOK, "interview")
    assert casual.reason == "too_casual" and casual.about[0].get("fine_label") == "jeans"
    ok = pairing.fits_occasion(JEANS_LOOK, "beach")
    assert ok.verdict == "yes"
    # The reason names the pieces that set the tone, never the tights.
    assert [i["category"] for i in ok.about] == ["top", "pants"]
    white = {"items": [item("dress", "white", 0.4)]}
    assert pairing.fits_occasion(white, "wedding").reason == "wrong_colour"
    assert pairing.fits_occasion(RED_AND_GREEN, "funeral").verdict == "no"


def test_one_piece_to_restyle() -> None:
    assert pairing.piece_to_restyle(NAVY_SUIT, "casual")[0]["category"] == "outer"
    assert pairing.piece_to_restyle(JEANS_LOOK, "formal")[0].get("fine_label") == "jeans"
    assert pairing.piece_to_restyle(NAVY_SUIT, "colourful")[0]["colour_family"] in pairing.NEUTRALS


def test_every_occasion_the_conversation_knows_has_a_dress_code() -> None:
    import prompts

    slot_values = set(prompts.own("intents", "en")["occasions"])
    codes = pairing.occasions()
    assert set(codes) == slot_values
    changes = prompts.own("talk", "en")["occasion_fit_changes"]
    rules = prompts.own("talk", "en")["occasion_colour_rules"]
    for key, code in codes.items():
        assert code.level in (0, 1, 2) and code.fits and code.colours and code.wear, key
        assert code.avoid_why in changes, key
        assert all(not fams for garment, fams in code.avoid) or key in rules, key
        assert not code.avoid_colours or key in rules, key
        # every suggested piece is one the dress code itself accepts
        assert all(code.suits(item(c, f, 0.1)) for c, f in code.wear), key


def test_the_dress_code_names_the_offending_garment() -> None:
    shorts = {"items": [item("top", "white", 0.2), item("shorts", "beige", 0.15),
                        item("footwear", "brown", 0.03)]}
    judged = pairing.fits_occasion(shorts, "interview")
    assert judged.verdict == "no" and judged.reason == "too_casual"
    assert [i["category"] for i in judged.about] == ["shorts"]
    gym = {"items": [item("top", "gray", 0.2), item("pants", "black", 0.2, fine_label="leggings"),
                     item("footwear", "white", 0.03, fine_label="sneakers")]}
    assert pairing.fits_occasion(gym, "sport").verdict == "yes"
    heels = {"items": [*gym["items"][:2], item("footwear", "black", 0.03, fine_label="heels")]}
    judged = pairing.fits_occasion(heels, "sport")
    assert judged.reason == "impractical" and judged.about[0]["fine_label"] == "heels"
    bride = {"items": [item("dress", "white", 0.4), item("footwear", "beige", 0.03)]}
    judged = pairing.fits_occasion(bride, "wedding")
    assert judged.verdict == "no" and judged.about[0]["category"] == "dress"
    guest = {"items": [item("dress", "blue", 0.4), item("footwear", "white", 0.03)]}
    assert pairing.fits_occasion(guest, "wedding").verdict == "yes"  # white shoes are fine
    coat = {"items": [item("outer", "brown", 0.3), item("dress", "yellow", 0.2)]}
    judged = pairing.fits_occasion(coat, "beach")
    assert judged.reason == "too_warm" and judged.about[0]["category"] == "outer"
