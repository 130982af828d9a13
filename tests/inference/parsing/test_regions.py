"""Perception people can trust: one garment one label, the main person, small photos refused,
and `stylebot eval phantoms` on real CCP photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import prompts
from bot.chat.flows.outfit import describe
from inference.core.garments import CLASS_INDEX, NUM_CLASSES, RIVAL_ZONES
from inference.parsing import outfit as parse
from inference.parsing.lite0 import decide_classes
from inference.parsing.outfit import parse_outfit, resize_long_side
from inference.parsing.regions import vote_regions
from inference.pipeline import Pipeline
from tests.conftest import SAMPLE, run_cli
from training.eval_phantoms import evaluate_phantoms, half_of, split_classes

TOP, OUTER, DRESS, SKIRT, LEGWEAR = (
    CLASS_INDEX[c] for c in ("top", "outer", "dress", "skirt", "legwear"))


def _logits(regions: dict[int, tuple[slice, slice, float]]) -> np.ndarray:
    """(1, C, 20, 20) logits: background everywhere, each class strong over its block."""
    logits = np.zeros((1, NUM_CLASSES, 20, 20), np.float32)
    logits[0, 0] = 5.0
    for cls, (rows, cols, strength) in regions.items():
        logits[0, 0, rows, cols] = 0.0
        logits[0, cls, rows, cols] = strength
    return logits


def test_a_region_takes_the_class_with_most_probability() -> None:
    # one skirt, its hem read as tights in a thin strip
    logits = _logits({SKIRT: (slice(8, 14), slice(4, 16), 6.0),
                      LEGWEAR: (slice(13, 14), slice(4, 16), 7.0)})
    voted = vote_regions(logits, zones=RIVAL_ZONES)[0].argmax(0)
    assert set(np.unique(voted).tolist()) == {0, SKIRT}
    # the bot's masks vote in no zone by default (votes missed real layers on CCP's tags)
    assert np.array_equal(vote_regions(logits), logits)
    logits = _logits({OUTER: (slice(2, 12), slice(4, 16), 6.0),
                      TOP: (slice(2, 4), slice(4, 8), 7.0),
                      DRESS: (slice(10, 12), slice(4, 16), 7.0)})
    assert set(np.unique(vote_regions(logits)[0].argmax(0)).tolist()) == {0, TOP, OUTER, DRESS}
    voted = vote_regions(logits, zones=RIVAL_ZONES)[0].argmax(0)
    assert set(np.unique(voted).tolist()) == {0, OUTER}


def test_two_real_garments_and_non_rivals_keep_their_labels() -> None:
    # a skirt over tights (each a fair share of the region) and a top above the skirt: a top
    # and a skirt are never rivals, so the waist they share does not make them one garment
    logits = _logits({TOP: (slice(2, 8), slice(4, 16), 6.0),
                      SKIRT: (slice(8, 13), slice(4, 16), 6.0),
                      LEGWEAR: (slice(13, 19), slice(6, 14), 6.0)})
    voted = vote_regions(logits, zones=RIVAL_ZONES)[0].argmax(0)
    assert set(np.unique(voted).tolist()) == {0, TOP, SKIRT, LEGWEAR}


def test_region_vote_on_real_photos(pipeline: Pipeline) -> None:
    """CCP 0100: a real skirt over real tights keeps both. CCP 0350 is a dress that the net
    also reads as a top and a jacket: voted with the upper body's zone, the top is gone."""
    parser = pipeline.parser

    def decided(name: str) -> np.ndarray:
        image = Image.open(SAMPLE / "photos" / name).convert("RGB")
        return decide_classes(parser.raw_scores(resize_long_side(image, 512)), parser.loss_weights)

    skirt = vote_regions(decided("0100.jpg"), zones=RIVAL_ZONES)[0].argmax(0)
    assert (skirt == SKIRT).sum() > 300 and (skirt == LEGWEAR).sum() > 80
    dress = decided("0350.jpg")
    before = dress[0].argmax(0)
    after = vote_regions(dress, zones=RIVAL_ZONES)[0].argmax(0)
    assert {"top", "outer", "dress"} in split_classes(before, None)
    assert TOP in before and TOP not in after
    assert all(len(split) < 3 for split in split_classes(after, None))
    assert (after == DRESS).sum() >= (before == DRESS).sum()


def test_the_main_person_is_the_central_one(pipeline: Pipeline) -> None:
    """A woman in a coat in the middle (CCP 0005), another in a hat at the right edge (0777,
    partly behind her): the outfit is the middle one's, and the reply says the other was left
    out."""
    main = Image.open(SAMPLE / "photos" / "0005.jpg").convert("RGB")
    side = Image.open(SAMPLE / "photos" / "0777.jpg").convert("RGB").resize(main.size)
    canvas = Image.new("RGB", (main.width * 5 // 2, main.height), (235, 235, 235))
    canvas.paste(side, (canvas.width - side.width, 0))
    canvas.paste(main, ((canvas.width - main.width) // 2, 0))
    outfit = parse_outfit(canvas, pipeline.parser)
    listed = {item.category for item in outfit.items}
    assert outfit.problems == ["several_people"] and outfit.people == 2
    assert "outer" in listed and "hat" not in listed
    assert outfit.main is not None
    columns = np.nonzero(outfit.main.any(0))[0] / outfit.main.shape[1]
    assert 0.3 < columns.mean() < 0.7  # the middle third of the canvas
    assert "left the others out" in describe(outfit)


@pytest.mark.parametrize("side", [40, 80])
def test_a_tiny_photo_gets_a_word_about_quality(pipeline: Pipeline, side: int) -> None:
    photo = Image.open(SAMPLE / "photos" / "0777.jpg").convert("RGB")
    photo.thumbnail((side * 2, side))  # portrait: the shorter side is about side * 0.66
    outfit = parse_outfit(photo, pipeline.parser)
    assert outfit.problems == ["low_resolution"] and outfit.items == []
    assert describe(outfit) == prompts.reply("low_resolution")


def test_a_normal_photo_is_not_refused(pipeline: Pipeline) -> None:
    photo = Image.open(SAMPLE / "photos" / "0777.jpg").convert("RGB")
    assert min(photo.size) >= parse.MIN_PHOTO_SIDE
    outfit = parse_outfit(photo, pipeline.parser)
    assert outfit.problems == [] and outfit.items


def _tagged_sample(root: Path) -> Path:
    """The four sample photos as a tag-only folder: each tagged with its mask's fine labels."""
    labels = json.loads((SAMPLE / "labels.json").read_text())
    (root / "photos").mkdir(parents=True)
    tags = {}
    for photo in sorted((SAMPLE / "photos").glob("*.jpg")):
        (root / "photos" / photo.name).write_bytes(photo.read_bytes())
        mask = np.asarray(Image.open(SAMPLE / "masks" / f"{photo.stem}.png"))
        tags[photo.stem] = [labels[i] for i in np.unique(mask) if i < len(labels)]
    (root / "image_tags.json").write_text(json.dumps(tags))
    return root


def test_eval_phantoms_command(tmp_path: Path) -> None:
    data = _tagged_sample(tmp_path / "ccp")
    done = run_cli("eval", "phantoms", "--data", str(data), "--json",
                   "--cache", str(tmp_path / "raw.npz"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["all"]["photos"] == 4
    assert sum(result[h]["photos"] for h in ("tune", "report")) == 4
    assert {half_of(p.stem) for p in (SAMPLE / "photos").glob("*.jpg")} <= {"tune", "report"}
    for half in ("tune", "report", "all"):
        for key in ("phantom_rate", "miss_rate", "fragmentation"):
            assert 0.0 <= result[half][key] <= 1.0
    assert result["all"]["miss_rate"] <= 0.25  # tagged from the masks: main garments are found
    assert (tmp_path / "raw.npz").exists()
    # read again from the cache: the same figures
    again = evaluate_phantoms(data, cache=tmp_path / "raw.npz")
    assert again["all"] == result["all"]


@pytest.mark.slow
def test_eval_phantoms_on_shared_ccp(shared_data: Path) -> None:
    result = evaluate_phantoms(shared_data / "ccp", limit=60)
    assert result["all"]["photos"] == 60
    assert result["all"]["phantom_rate"] < 0.2 and result["all"]["miss_rate"] < 0.25

