"""What people wear together: the co-occurrence model, fill in the blank, and the Style Check
feature built on it."""

from __future__ import annotations

import math
from pathlib import Path

from inference.core.colour import FAMILIES
from inference.stylecheck.features import outfit_features
from inference.styles.compatibility import Compatibility, HueHabits, pieces_of, shipped
from training import train_compatibility as tc

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "ccp_sample"

#: Toy street style: black tops go with black trousers, white tops with blue jeans.
TOY = [[("top", "black"), ("pants", "black"), ("footwear", "black")]] * 8 + \
      [[("top", "white"), ("pants", "blue"), ("footwear", "white")]] * 8


def test_pairs_move_the_colour_of_a_piece() -> None:
    model = Compatibility.fit(TOY, FAMILIES, strength=2, pooled_strength=2)
    assert math.isclose(sum(model.prior("pants", f) for f in FAMILIES), 1.0)
    with_white = model.rank("pants", [("top", "white"), ("footwear", "white")])
    with_black = model.rank("pants", [("top", "black"), ("footwear", "black")])
    assert with_white[0][0] == "blue" and with_black[0][0] == "black"
    assert model.lift("pants", "blue", [("top", "white")]) > 0 > model.lift(
        "pants", "blue", [("top", "black")])
    assert model.outfit_score(TOY[0]) > model.outfit_score(
        [("top", "black"), ("pants", "blue"), ("footwear", "white")])


#: Toy hue habits: jeans in denim blues, bags in reds and blacks.
JEANS = [(60 + i, 90 + i, 140 + 2 * i) for i in range(-10, 11, 2)]
BAGS = [(150 + 3 * i, 25, 35) for i in range(8)] + [(20 + i, 20, 22) for i in range(8)]


def test_hue_habits_judge_the_hue_of_a_kind() -> None:
    habits = HueHabits.from_colours([("pants", c) for c in JEANS] + [("bag", c) for c in BAGS])
    assert habits.usual("pants", (62, 92, 143)) > 0.9
    assert habits.usual("pants", (140, 90, 60)) < 0.1  # denim's lightness and chroma, brown
    assert habits.usual("bag", (170, 30, 40)) > 0.9
    assert habits.usual("pants", (70, 70, 70)) == 1.0  # grey: no hue to judge
    assert habits.usual("hat", (170, 30, 40)) == 1.0  # never seen: no opinion
    jeans = {"category": "pants", "rgb": [62, 92, 143], "area": 0.3}
    brown_jeans = {**jeans, "rgb": [140, 90, 60]}
    bag = {"category": "bag", "colours": [{"rgb": [160, 28, 38]}], "area": 0.05}
    assert habits.outfit({"pants": jeans, "bag": bag}) > 2 * habits.outfit(
        {"pants": brown_jeans, "bag": bag})
    assert habits.outfit({"pants": {"category": "pants"}}) == 0.5  # a piece named in words


def test_saved_and_loaded_alike(tmp_path) -> None:
    hues = HueHabits.from_colours([("pants", c) for c in JEANS])
    model = Compatibility.fit(TOY, FAMILIES, strength=3, pooled_strength=7, hues=hues)
    model.save(tmp_path / "c.json")
    loaded = Compatibility.load(tmp_path / "c.json")
    assert loaded == model
    assert loaded.hues.usual("pants", (140, 90, 60)) == hues.usual("pants", (140, 90, 60))


def test_pieces_keep_the_largest_of_each_category() -> None:
    outfit = {"items": [{"category": "top", "colour_family": "red", "area": 0.1},
                        {"category": "top", "colour_family": "blue", "area": 0.3},
                        {"category": "pants", "colour_family": "black", "area": 0.2}]}
    assert pieces_of(outfit) == [("top", "blue"), ("pants", "black")]


def test_fill_in_the_blank_questions() -> None:
    outfits = [{"photo": str(i), "items": [
        {"category": c, "colour_family": f, "area": 0.3 - 0.1 * n} for n, (c, f) in
        enumerate(pieces)]} for i, pieces in enumerate(TOY)]
    model = Compatibility.fit(map(pieces_of, outfits), FAMILIES, 2, 2)
    questions = tc.blanks(outfits, model, seed=3)
    assert len(questions) == 3 * len(outfits)
    for category, family, others, candidates in questions:
        assert len(candidates) == len(set(candidates)) == 4 and family in candidates
        assert category not in [c for c, _ in others] and len(others) == 2
    assert questions == tc.blanks(outfits, model, seed=3)  # seeded
    result = tc.fill_in_the_blank(model, questions)
    assert result["ours"] == 1.0 and result["chance"] == 0.25  # the toy is fully predictable


def test_learning_curve_refits_on_subsets_of_the_training_outfits(monkeypatch) -> None:
    from training import eval_complete

    outfits = [{"photo": str(i), "items": [
        {"category": c, "colour_family": f, "area": 0.3 - 0.1 * n} for n, (c, f) in
        enumerate(pieces)]} for i, pieces in enumerate(TOY)]
    asked = []
    monkeypatch.setattr(eval_complete, "true_outfits",
                        lambda data, split: asked.append(split) or outfits)
    shipped_like = Compatibility.fit(map(pieces_of, outfits), FAMILIES, 2, 2)
    curve = eval_complete.learning_curve(Path("ccp"), sizes=(4, None), repeats=3, seeds=2,
                                         model=shipped_like)
    assert sorted(set(asked)) == ["train", "val"] and curve["questions"] == 2 * 3 * len(TOY)
    few, every = curve["points"]
    assert few["outfits"] == 4 and len(few["per_subset"]) == 3
    assert every["outfits"] == len(TOY) and len(every["per_subset"]) == 1
    # fitted on every outfit, the toy's pairs answer every question
    assert every["over_frequency"] == round(1.0 - curve["frequency"], 4) > 0


def test_true_outfits_are_read_with_the_bots_colour_code(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(tc, "CACHE_DIR", tmp_path)
    outfits = tc.true_outfits(SAMPLE, None, workers=1)
    assert [o["photo"] for o in outfits] == sorted(p.stem for p in (SAMPLE / "masks").iterdir())
    assert all(o["items"] and {"category", "colour_family", "colours", "area"} <= set(
        o["items"][0]) for o in outfits)
    assert list(tmp_path.glob("ccp-true-outfits-*.json"))  # cached for the next run


def test_the_shipped_model_and_the_style_check_feature() -> None:
    model = shipped()
    assert model is not None and model.photos > 500
    # Street photos: blue is the usual colour of jeans-like trousers, purple is not.
    assert model.prior("pants", "blue") > 3 * model.prior("pants", "purple")
    usual = {"items": [
        {"category": "top", "colour_family": "white", "colour_name": "white", "area": 0.3,
         "pattern": "solid",
         "box": [10, 10, 90, 60],
         "colours": [{"family": "white", "name": "white", "rgb": [240, 240, 240], "share": 1}]},
        {"category": "pants", "colour_family": "navy", "colour_name": "navy", "area": 0.25,
         "pattern": "solid",
         "box": [20, 60, 80, 140],
         "colours": [{"family": "blue", "name": "denim", "rgb": [60, 90, 140], "share": 1}]}]}
    odd = {"items": [dict(usual["items"][0]), {**usual["items"][1], "colour_family": "purple",
                                               "colour_name": "lilac"}]}
    assert outfit_features(usual)["worn_together"] > outfit_features(odd)["worn_together"]
    assert outfit_features(usual)["usual_colours"] > 2 * outfit_features(odd)["usual_colours"]
    assert model.usual("pants", "navy") > 5 * model.usual("pants", "lilac")
    # which hue, not how much colour: a red top is as usual as a black one, a green one is not
    hues = model.hues
    assert hues is not None
    assert hues.usual("top", (170, 30, 40)) > 0.9 and hues.usual("top", (20, 20, 20)) == 1
    assert hues.usual("top", (30, 150, 60)) < 0.1
    assert hues.usual("pants", (60, 90, 140)) > 5 * hues.usual("pants", (30, 150, 60))
