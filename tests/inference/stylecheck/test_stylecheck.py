"""Style Check: symmetric, deterministic, explained in garment words, and it learns."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import prompts
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn
from inference.pipeline import Pipeline
from inference.stylecheck import check
from inference.stylecheck.features import FEATURE_NAMES, FEATURES, outfit_features
from inference.stylecheck.model import ALL_FEATURES, PRIOR, Example, fit_weights, judge
from inference.stylecheck.registry import Look
from inference.stylecheck.rules import hue_harmony
from inference.styles.taste import Profile, taste_vector
from tests.conftest import run_cli

TODAY = date(2026, 11, 29)
BODY_WORDS = re.compile(
    r"\b(body|figure|weight|slim|thin|fat|curvy|legs|hips|waist|skinny)\b", re.IGNORECASE
)


@pytest.fixture(scope="module")
def outfits(pipeline: Pipeline, photo_bytes: list[bytes]) -> list[dict]:
    return [pipeline.load_and_parse(data)[1].as_dict() for data in photo_bytes]


def test_features_are_named_scores(outfits: list[dict]) -> None:
    for outfit in outfits:
        features = outfit_features(outfit, TODAY)
        assert tuple(features) == FEATURE_NAMES
        assert all(0.0 <= v <= 1.0 for v in features.values()), features


def test_harmony_templates() -> None:
    assert hue_harmony([(10, 1), (14, 1)]).template == "i"  # near-identical hues
    complementary = hue_harmony([(20, 1), (200, 1)])
    assert complementary.score == 1.0 and complementary.template == "I"
    clash = hue_harmony([(0, 1), (72, 1), (144, 1), (216, 1), (288, 1)])
    assert clash.score < complementary.score


def test_swap_gives_complementary_percentages(outfits: list[dict]) -> None:
    ab = check(outfits[0], outfits[1], [], [], Profile(), TODAY)
    ba = check(outfits[1], outfits[0], [], [], Profile(), TODAY)
    assert ab.verdict.p_a == pytest.approx(1 - ba.verdict.p_a, abs=1e-12)
    assert ab.verdict.percentages == tuple(reversed(ba.verdict.percentages))
    assert sum(ab.verdict.percentages) == 100
    assert ab.verdict.winner != ba.verdict.winner or ab.verdict.p_a == 0.5


def test_same_pair_same_answer(outfits: list[dict]) -> None:
    first = check(outfits[2], outfits[3], [], [], Profile(), TODAY).as_dict()
    again = check(outfits[2], outfits[3], [], [], Profile(), TODAY).as_dict()
    assert first == again


def test_reasons_name_real_garments_never_the_body(outfits: list[dict]) -> None:
    for i in range(len(outfits)):
        for j in range(len(outfits)):
            if i == j:
                continue
            result = check(outfits[i], outfits[j], [], [], Profile(), TODAY)
            assert 1 <= len(result.reasons) <= 3
            winner = outfits[i] if result.verdict.winner == "a" else outfits[j]
            names = {item["name"] for item in winner["items"]}
            for reason in result.reasons:
                assert reason["aspect"] in {"colour", "fit", "styling", "trend", "personal"}
                assert not BODY_WORDS.search(reason["text"]), reason["text"]
            named = [n for n in names if any(n in r["text"] for r in result.reasons)]
            assert named or all(
                r["feature"]
                in (
                    None,
                    "formality_match",
                    "colour_count",
                    "coverage",
                    "personal",
                    "pattern_mixing",
                )
                for r in result.reasons
            )


def test_feedback_moves_the_weights_toward_the_choice() -> None:
    a = {k: 0.0 for k in ALL_FEATURES} | {"accessories": 1.0}
    b = {k: 0.0 for k in ALL_FEATURES} | {"hue_harmony": 1.0}
    before = judge(a, b, PRIOR)
    assert before.winner == "b"  # the prior values harmony over accessories
    examples = [Example(a, b, "a")] * 10  # this user keeps preferring accessories
    after = judge(a, b, fit_weights(PRIOR, examples, strength=0.5))
    assert after.winner == "a"
    assert after.p_a > before.p_a


def test_user_feedback_changes_the_next_verdict(outfits: list[dict]) -> None:
    base = check(outfits[0], outfits[1], [], [], Profile(), TODAY)
    loser = "b" if base.verdict.winner == "a" else "a"
    rows = [
        {
            "features": {"a": base.verdict.features_a, "b": base.verdict.features_b},
            "preferred": loser,
        }
    ] * 8
    learned = check(outfits[0], outfits[1], rows, rows, Profile(), TODAY)
    assert (
        abs(learned.verdict.p_a - 0.5) < abs(base.verdict.p_a - 0.5)
        or learned.verdict.winner == loser
    )
    assert not np.allclose(list(learned.verdict.weights.values()), PRIOR)


async def test_dialog_style_check_and_feedback(services, photo_bytes: list[bytes]) -> None:
    dialog = Dialog(services)
    user = "web:style"
    album = Incoming(
        user, "web", photos=(PhotoIn(photo_bytes[0], ref="1"), PhotoIn(photo_bytes[1], ref="2"))
    )
    [reply] = await dialog.handle(album)
    assert re.search(r"\d+%", reply.text)
    assert reply.images and reply.images[0].data.startswith(b"\xff\xd8\xff")
    payloads = [b.payload for b in reply.buttons[0]]
    verdict_id = int(payloads[0].split(":")[1])
    first = services.store.verdict(user, verdict_id)
    [thanks] = await dialog.handle(Incoming(user, "web", callback=payloads[1]))  # the other one
    assert "noted" in thanks.text.lower()
    preferred = services.store.feedback(user, "verdict")[0]["value"]
    assert preferred == ("b" if first["p_a"] >= 0.5 else "a")
    # Same two photos again: the verdict moves toward what the user chose.
    [again] = await dialog.handle(album)
    second_id = int(again.buttons[0][0].payload.split(":")[1])
    second = services.store.verdict(user, second_id)
    moved = second["p_a"] - first["p_a"]
    assert moved < 0 if preferred == "b" else moved > 0
    # /prefs now shows what was learned, with a chart.
    [prefs] = await dialog.handle(Incoming(user, "web", text="/prefs"))
    names = [i.name for i in prefs.images]  # the taste picture of the diary's /prefs comes too
    assert "Style Check" in prefs.text and {"prefs-colours.png", "prefs-stylecheck.png"} <= set(
        names)
    # Another user's verdict cannot be answered by this one.
    [stale] = await dialog.handle(Incoming("web:other", "web", callback=payloads[0]))
    assert "expired" in stale.text


def test_cli_check_json(photo_paths: list[Path], tmp_path: Path) -> None:
    done = run_cli(
        "check", str(photo_paths[0]), str(photo_paths[1]), "--json",
        "--out", str(tmp_path / "pair.png"),
        env={"STYLEBOT_STORAGE__DATABASE": str(tmp_path / "db.sqlite"), "PATH": "/usr/bin"},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["a"] + result["b"] == pytest.approx(1.0)
    assert result["winner"] in ("a", "b")
    assert result["reasons"] and {"aspect", "text", "weight"} <= set(result["reasons"][0])
    assert Image.open(tmp_path / "pair.png").format == "PNG"  # as the --out name says


def _recoloured(outfit: dict) -> dict:
    """The outfit with two chromatic, patterned garments (so every sentence has something to
    name: harmony needs two colours, pattern mixing a patterned rival)."""
    out = copy.deepcopy(outfit)
    for item, (family, name, rgb) in zip(
        out["items"], [("red", "crimson", [200, 30, 40]), ("blue", "royal blue", [40, 70, 200])],
        strict=False,
    ):
        item.update(colour_family=family, colour_name=name, rgb=rgb, pattern="striped")
        item["colours"][0].update(family=family, name=name, rgb=rgb)
    return out


def test_every_reason_sentence_is_filled_by_its_features_slots(outfits: list[dict]) -> None:
    sentences = prompts.load("stylecheck")["reasons"]
    looks = [Look(o, TODAY) for o in [*outfits, *map(_recoloured, outfits)]]
    filled = set()
    for win in looks:
        for lose in looks:
            for name, f in FEATURES.items():
                slots = f.explain(win, lose)
                if slots is not None:
                    text = sentences[name].format(W="A", L="B", **slots)
                    assert "{" not in text and not BODY_WORDS.search(text), text
                    filled.add(name)
    assert filled == set(FEATURES)


async def test_chat_and_cli_give_the_same_check_for_a_corrected_user(
    services, pipeline: Pipeline, photo_bytes: list[bytes], photo_paths: list[Path]
) -> None:
    """One check() with the same profile: a user who said "I don't wear <colour>" gets the same
    verdict and reasons in the chat and from `stylebot check --user`."""
    a = pipeline.load_and_parse(photo_bytes[0])[1].as_dict()
    b = pipeline.load_and_parse(photo_bytes[1])[1].as_dict()
    ta, tb = taste_vector(a), taste_vector(b)
    family = max({k for k in ta if k.startswith("colour:")},
                 key=lambda k: ta[k] - tb.get(k, 0.0)).split(":")[1]
    user = "cli:same"
    dialog = Dialog(services)
    await dialog.handle(Incoming(user, "cli", text=f"I don't wear {family}"))
    [reply] = await dialog.handle(
        Incoming(user, "cli", photos=(PhotoIn(photo_bytes[0], ref="1"),
                                      PhotoIn(photo_bytes[1], ref="2"))))
    chat = services.store.verdict(user, int(reply.buttons[0][0].payload.split(":")[1]))

    done = run_cli(
        "check", str(photo_paths[0]), str(photo_paths[1]), "--json", "--user", user,
        env={"STYLEBOT_STORAGE__DATABASE": str(services.settings.storage.database),
             "STYLEBOT_STORAGE__FILES_DIR": str(services.settings.storage.files_dir),
             "PATH": "/usr/bin"},
    )
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    assert cli["features"] == chat["features"]  # same outfits, same taste
    assert cli["a"] == round(chat["p_a"], 4)
    assert cli["reasons"] == chat["reasons"]
    assert cli["headline"] in reply.text
    # The correction mattered: without the profile the verdict differs.
    assert check(a, b, [], [], Profile()).verdict.p_a != pytest.approx(chat["p_a"], abs=1e-6)
