"""Free-text understanding: lexicon slots, the shipped classifier, and its held-out figures."""

from __future__ import annotations

import pytest

from inference.text.understand import (
    INTENT_SLOTS,
    IntentModel,
    Understanding,
    han_number,
    normalise,
    read_slots,
)
from training import eval_talk, train_intents


def slots(text: str, lang: str) -> dict:
    return read_slots(normalise(text), text, (lang, "en"))[0]


@pytest.mark.parametrize(("numerals", "value"), [
    ("五十", 50), ("两百", 200), ("一千二百", 1200), ("十五", 15), ("三万", 30_000)])
def test_chinese_numerals(numerals: str, value: int) -> None:
    assert han_number(numerals) == value


def test_a_price_in_chinese_numerals_is_read() -> None:
    assert slots("能不能控制在两百块内", "zh")["price"] == 200
    assert "price" not in slots("第一个", "zh")


@pytest.mark.parametrize(("text", "lang", "garment"), [
    ("can i pair these jeans with brown boots", "en", "footwear"),
    ("which skirt would go with this blouse", "en", "skirt"),
    ("какие брюки к этому свитеру подобрать", "ru", "pants"),
    ("що взути до цих штанів?", "uk", "footwear"),
    ("这件外套配什么鞋", "zh", "footwear"),
    ("does this go with white sneakers?", "en", "footwear"),
])
def test_the_garment_asked_about_is_not_the_one_pointed_at(text, lang, garment) -> None:
    assert slots(text, lang)["garment"] == garment


@pytest.mark.parametrize(("text", "lang", "side"), [
    ("почему А", "ru", "a"), ("Б краще", "uk", "b"), ("为啥A分高", "zh", "a"),
    ("A or B?", "en", "a"), ("А чому?", "uk", None), ("what about a scarf", "en", None)])
def test_style_check_letters(text, lang, side) -> None:
    assert slots(text, lang).get("side") == side


def test_an_intent_keeps_only_the_slots_its_answer_reads() -> None:
    understand = Understanding()
    date = understand("first date tomorrow what do i wear 😬", "en")
    assert date.intent == "occasion_advice" and date.slots == {"occasion": "date"}
    more = understand("more like the second one", "en", "shop")
    assert more.intent == "more_like" and more.slots == {"ordinal": 2}
    why = understand("why did you pick the first one", "en", "verdict")
    assert why.intent == "verdict_why" and why.slots == {"side": "a"}
    assert set(INTENT_SLOTS) < set(Understanding().model.intents)


def test_a_trained_model_round_trips_with_its_floor(tmp_path) -> None:
    rows = [r for r in train_intents.load() if r["lang"] == "en"][::3]
    model = train_intents.fit(rows, dims=1 << 10)
    model = IntentModel(model.weights, model.bias, model.intents, floor=0.25)
    model.save(tmp_path / "m.npz")
    loaded = IntentModel.load(tmp_path / "m.npz")
    assert loaded.floor == 0.25 and loaded.intents == model.intents
    assert Understanding(loaded)("thank you so much!", "en").intent == "thanks"


def test_held_out_figures_meet_the_targets() -> None:
    """The shipped model and lexicons on the held-out utterances (never tuned on)."""
    report = eval_talk.evaluate()["per_language"]
    assert set(report) == {"en", "uk", "ru", "zh"}
    for lang, m in report.items():
        assert m["n"] >= 100, lang
        assert m["intent"] >= 0.9 and m["fallback"] <= 0.05, (lang, m)
        assert m["language"] >= 0.98, (lang, m)
