"""`stylebot colour IMAGE...` and `stylebot parse PHOTO...`: several images in one call, JSON
in order, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from inference.core.colour_names import FASHION_COLOURS
from tests.conftest import run_cli
from tests.inference.core.test_colour_pattern import garment, labelled, main_colours

NAMES = {name for name, _, _ in FASHION_COLOURS}


def _on_white(row: dict, path: Path) -> Path:
    rgb, mask = garment(row)
    canvas = np.full((rgb.shape[0] + 40, rgb.shape[1] + 40, 3), 255, dtype=np.uint8)
    canvas[20:-20, 20:-20][mask] = rgb[mask]
    Image.fromarray(canvas).save(path)
    return path


def test_cli_colour_json_is_one_entry_per_image_in_order(tmp_path: Path) -> None:
    # garments whose colour the eye and our rules agree on, so the test is about the command
    agreed = [r for r, (colour, eye) in zip(labelled(), main_colours(), strict=True)
              if colour.family == eye]
    rows = [next(r for r in agreed if r["colour_family"] == f) for f in ("red", "green")]
    paths = [_on_white(r, tmp_path / f"{i}.png") for i, r in enumerate(rows)]
    done = run_cli("colour", *map(str, paths), "--json")
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)
    assert [e["image"] for e in entries] == [str(p) for p in paths]
    assert [e["main"]["family"] for e in entries] == ["red", "green"]
    for entry in entries:
        assert entry["main"] == entry["colours"][0]
        assert entry["main"]["name"] in NAMES and entry["main"]["hex"].startswith("#")
        shares = [c["share"] for c in entry["colours"]]  # colours under 8% are left out
        assert shares == sorted(shares, reverse=True) and 0.8 <= sum(shares) <= 1.001
    plain = run_cli("colour", str(paths[0]))
    assert plain.returncode == 0 and str(paths[0]) in plain.stdout


def test_cli_colour_says_which_image_it_cannot_use(tmp_path: Path) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    good = _on_white(labelled()[0], tmp_path / "ok.png")
    done = run_cli("colour", str(bad), str(good), "--json")
    assert done.returncode == 1 and "cannot use" in done.stderr
    entries = json.loads(done.stdout)
    assert "error" in entries[0] and "main" in entries[1]


def test_cli_parse_several_photos_is_a_list_in_order(photo_paths: list[Path]) -> None:
    photos = [str(p) for p in photo_paths[:2]]
    done = run_cli("parse", *photos, "--json")
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert isinstance(parsed, list) and len(parsed) == 2
    one = json.loads(run_cli("parse", photos[1], "--json", check=True).stdout)
    assert parsed[1] == one  # the same parse as alone; one photo is still one object
    for outfit in parsed:
        for item in outfit["items"]:
            assert item["colour_name"] in NAMES and item["css_name"]


def test_cli_eval_colours_reports_train_and_val(tmp_path: Path) -> None:
    """A small catalogue folder laid out like ../shared/data/products, made of the eye-labelled
    garments on white (baseColour: the eye's family as Myntra words it)."""
    words = {"navy": "Navy Blue", "gray": "Grey"}
    (tmp_path / "images").mkdir()
    lines = ["id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,"
             "productDisplayName"]
    for i, row in enumerate(labelled()[:30]):
        _on_white(row, tmp_path / "images" / f"{100 + i}.jpg")
        colour = words.get(row["colour_family"], row["colour_family"].title())
        lines.append(f"{100 + i},Women,Apparel,Topwear,Tops,{colour},Summer,2012,Casual,top")
    lines.append("200,Women,Apparel,Topwear,Tops,Multi,Summer,2012,Casual,top")  # left out
    (tmp_path / "catalog.csv").write_text("\n".join(lines) + "\n")
    done = run_cli("eval", "colours", "--data", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    train, val = result["products"]
    assert (train["split"], train["items"], val["split"], val["items"]) == ("train", 27, "val", 3)
    assert train["family_accuracy"] >= 0.5
    assert result["street"] is None  # no CCP photos next to this folder
