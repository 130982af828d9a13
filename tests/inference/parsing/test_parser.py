"""The bundled parser: offline backbone weights, trained head, items, pictures and the eval."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from scipy.special import softmax

from inference.core.backbone import create_classifier, fold_batch_norms, pretrained_state_dict
from inference.core.drawing import cutout_picture, overlay_picture, palette_picture
from inference.core.garments import CCP_TO_CLASS, CLASS_INDEX, CLASSES, GARMENT_CLASSES
from inference.parsing.lite0 import (
    DEFAULT_WEIGHTS,
    Lite0Parser,
    decide_classes,
    pixel_confidence,
    resize_long_side,
    to_input,
)
from inference.parsing.net import load_parser_net
from inference.parsing.outfit import items_from_labels, parse_outfit
from inference.pipeline import Pipeline
from tests.conftest import SAMPLE, run_cli
from training.ccp_data import labelled_photos, merged_mask_lut
from training.eval_parser import evaluate_items
from training.parser_metrics import bootstrap_intervals


def test_every_ccp_label_is_mapped() -> None:
    labels = json.loads((SAMPLE / "labels.json").read_text())
    assert set(labels) == set(CCP_TO_CLASS)
    assert set(CCP_TO_CLASS.values()) == set(CLASSES)


def test_backbone_loads_offline_and_classifies() -> None:
    weights = pretrained_state_dict()
    assert len(weights) == 296
    model = create_classifier().eval()
    with torch.inference_mode():
        out = model(torch.zeros(1, 3, 224, 224))
    assert out.shape == (1, 1000)


def test_served_graph_gives_the_trained_networks_numbers(
    photo_paths: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot runs the parser from its exported graph (ONNX Runtime), batch norms folded into
    the convolutions: exported here into an empty folder, on real photos its logits and labels
    are those of the torch network as training left it; the folding alone changes nothing."""
    monkeypatch.setenv("STYLEBOT_COMPILED_DIR", str(tmp_path))
    served = Lite0Parser()
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.onnx")) == ["parser", "upsample"]
    plain, _ = load_parser_net(DEFAULT_WEIGHTS, fold_norms=False)
    folded, _ = load_parser_net(DEFAULT_WEIGHTS)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())
    for path in photo_paths[:3]:
        image = Image.open(path).convert("RGB")
        x = torch.from_numpy(to_input(resize_long_side(image, served.long_side)))
        with torch.inference_mode():
            want = plain.decoder(plain.backbone(x)).numpy()
            assert np.allclose(folded.decoder(folded.backbone(x)).numpy(), want,
                               atol=1e-3 * float(np.abs(want).max()))
        got = served.raw_scores(image)
        assert np.allclose(got, want, atol=1e-3 * float(np.abs(want).max()))
        assert (served.segment(image) == served.decode(want, image.size)[0]).mean() > 0.999
    classifier = create_classifier().eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.inference_mode():
        want = classifier(x)
        got = fold_batch_norms(classifier)(x)
    assert torch.allclose(got, want, atol=1e-3 * float(want.abs().max()))
    assert int(got.argmax(1)[0]) == int(want.argmax(1)[0])


def test_a_graphs_session_is_shared_while_held_and_freed_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser at two sizes shares one session; once no model holds it, it is freed (a
    training run evaluates a new graph every epoch)."""
    from inference.core import onnx_models

    monkeypatch.setenv("STYLEBOT_COMPILED_DIR", str(tmp_path))
    photo, product = Lite0Parser(), Lite0Parser(long_side=224)
    assert photo.net is product.net and photo.long_side != product.long_side
    held = set(onnx_models._shared.values())
    assert photo.net in held
    del photo, product, held
    gc.collect()
    assert not any(str(tmp_path) in str(key[0]) for key in onnx_models._shared.keys())


def test_serving_imports_no_torch(pipeline: Pipeline) -> None:
    """The models load, parse a photo, embed its garments and a search's words without torch
    (850 MB resident on its own with the pinned build): a fresh process, its graphs exported
    by the `pipeline` fixture's."""
    pipeline.text_encoder()
    code = ("import sys, numpy as np; from PIL import Image; "
            "from inference.pipeline import Pipeline, PipelineConfig; "
            "p = Pipeline(PipelineConfig()); "
            "o = p.parse(Image.fromarray(np.full((400, 300, 3), 200, np.uint8))); "
            "p.garment_queries(o); p.text_encoder().encode(['red floral dress']); "
            "print(sorted(m for m in ('torch', 'timm', 'torchvision', 'transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[3])
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


def test_bundled_weights_are_small() -> None:
    assert DEFAULT_WEIGHTS.stat().st_size < 20 * 1024 * 1024


def test_one_lower_body_class_is_kept() -> None:
    """A dress that the net scores partly as a skirt and partly as pants stays a dress: the
    group's class with the most probability over the photo wins; a top above is untouched."""
    top, dress = CLASS_INDEX["top"], CLASS_INDEX["dress"]
    skirt, pants = CLASS_INDEX["skirt"], CLASS_INDEX["pants"]
    logits = np.zeros((1, len(CLASSES), 5, 4), np.float32)
    logits[0, top, 0] = 5.0
    logits[0, dress, 1:4] = 5.0  # three rows of dress
    logits[0, dress, 4] = 4.0  # the hem: dress too, but skirt and pants a little more surely
    logits[0, skirt, 4, :2] = 6.0
    logits[0, pants, 4, 2:] = 6.0
    decided = decide_classes(logits, None)[0].argmax(0)
    assert (decided[0] == top).all()
    assert (decided[1:] == dress).all()


def test_confidence_is_the_nets_own_not_the_group_rules() -> None:
    """A pixel the net thinks is as likely a skirt as a dress is not "sure" just because the
    group rule ruled the skirt out (comments name only garments the parser is sure of)."""
    dress, skirt = CLASS_INDEX["dress"], CLASS_INDEX["skirt"]
    logits = np.zeros((1, len(CLASSES), 2, 2), np.float32)
    logits[0, dress] = 6.0
    logits[0, skirt] = 5.9
    ids = decide_classes(logits, None)[0].argmax(0)
    assert (ids == dress).all()
    after_rule = softmax(decide_classes(logits, None)[0], axis=0).max(0)
    assert (after_rule > 0.9).all()
    assert (pixel_confidence(logits, None, ids) < 0.55).all()


def test_loss_weights_are_divided_out() -> None:
    """A rare class the loss weighted up 4x no longer wins a pixel it won by less than that."""
    top, belt = CLASS_INDEX["top"], CLASS_INDEX["belt"]
    logits = np.zeros((1, len(CLASSES), 1, 2), np.float32)
    logits[0, top] = 2.0
    logits[0, belt] = [[2.5, 4.0]]  # e^0.5 and e^2 ahead of the top
    weights = np.ones(len(CLASSES), np.float32)
    weights[belt] = 4.0  # log 4 = 1.39
    decided = decide_classes(logits, weights)[0].argmax(0)
    assert decided.tolist() == [[top, belt]]


def test_shipped_parser_divides_out_its_loss_weights(pipeline: Pipeline) -> None:
    weights = pipeline.parser.meta["loss_class_weights"]
    assert len(weights) == len(CLASSES) and min(weights) > 0
    assert pipeline.parser.loss_weights is not None


def test_parser_is_accurate_on_sample_photos(pipeline: Pipeline) -> None:
    result = evaluate_items(pipeline.parser, labelled_photos(SAMPLE), merged_mask_lut(SAMPLE))
    assert result["pixel_accuracy"] > 0.85, result
    assert result["garment_mean_iou"] > 0.3, result


def test_parse_names_items_with_colours_and_patterns(
    pipeline: Pipeline, photo_bytes: list[bytes]
) -> None:
    image, outfit = pipeline.load_and_parse(photo_bytes[0])
    assert outfit.problems == []
    assert outfit.items, "a street photo has garments"
    for item in outfit.items:
        assert item.category in GARMENT_CLASSES
        assert item.colour.name and item.colour.family
        assert item.pattern in {"solid", "striped", "checked", "dotted", "floral", "printed"}
        x0, y0, x1, y1 = item.box
        assert 0 <= x0 < x1 <= outfit.image.width and 0 <= y0 < y1 <= outfit.image.height
        assert 0 < item.area <= 1
    assert sum(i.area for i in outfit.items) <= 1.0001
    assert outfit.summary.count("·") == len(outfit.items) - 1


def test_small_garments_are_listed_specks_are_not(photo_paths: list[Path]) -> None:
    """Glasses cover about half a percent of a person: listed (the 0.8% threshold before
    session 9 dropped most of them); a 130-pixel speck, 0.2%, is not."""
    image = Image.open(photo_paths[0]).convert("RGB").resize((352, 512))
    labels = np.zeros((512, 352), dtype=np.uint8)
    labels[100:400, 50:250] = CLASS_INDEX["top"]  # 60,000 pixels of person
    labels[110:120, 100:130] = CLASS_INDEX["eyewear"]  # 300 pixels: 0.5%
    labels[300:310, 60:73] = CLASS_INDEX["accessory"]  # 130 pixels: 0.22%
    listed = {item.category for item in items_from_labels(image, labels)}
    assert listed == {"top", "eyewear"}


class _FixedLabels:
    """A segmenter that answers with given labels (what parse_outfit does with them is tested)."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def segment_scored(self, image: Image.Image) -> tuple[np.ndarray, dict[int, float]]:
        return self.labels, {}


def test_a_garment_patch_away_from_the_person_is_not_listed(photo_paths: list[Path]) -> None:
    """A wall behind someone, read as "scarf", is no one's scarf; one at their neck is."""
    image = Image.open(photo_paths[0]).convert("RGB").resize((352, 512))
    labels = np.zeros((512, 352), dtype=np.uint8)
    labels[60:480, 120:230] = CLASS_INDEX["skin"]
    labels[140:300, 110:240] = CLASS_INDEX["top"]
    labels[300:470, 125:225] = CLASS_INDEX["pants"]
    labels[20:40, 300:340] = CLASS_INDEX["scarf"]  # 800 pixels in a corner: 1.6% of the person
    outfit = parse_outfit(image, _FixedLabels(labels))
    assert {i.category for i in outfit.items} == {"top", "pants"}
    labels[125:145, 140:210] = CLASS_INDEX["scarf"]  # at the neck
    outfit = parse_outfit(image, _FixedLabels(labels))
    scarf = next(i for i in outfit.items if i.category == "scarf")
    assert scarf.box == (140, 125, 210, 145)  # the corner patch is not part of it


def test_overlay_and_cutout(pipeline: Pipeline, photo_bytes: list[bytes]) -> None:
    _, outfit = pipeline.load_and_parse(photo_bytes[1])
    overlay = overlay_picture(outfit.image, outfit.labels)
    assert overlay.width > outfit.image.width  # legend on the right
    keep = outfit.labels > 2
    cut = cutout_picture(outfit.image, keep)
    assert cut.mode == "RGBA"
    alpha = np.asarray(cut.getchannel("A"))
    assert alpha.min() == 0 and alpha.max() == 255


def test_palette_has_one_swatch_per_colour_name() -> None:
    """A black top and black shoes are one black swatch, their shares added, in the shade that
    covers most; the swatch too narrow for its name is drawn without it, not over its neighbour."""
    from inference.core.colour import Colour
    from inference.parsing.outfit import Item, Outfit

    box = (0, 0, 1, 1)
    top = Item("top", [Colour((20, 20, 20), 0.8, "black", "black"),
                       Colour((70, 130, 180), 0.2, "steel blue", "blue")], "solid", 0.5, box)
    shoes = Item("footwear", [Colour((10, 10, 12), 1.0, "black", "black")], "solid", 0.1, box)
    labels = np.zeros((4, 4), np.uint8)
    outfit = Outfit(Image.new("RGB", (4, 4)), labels, [top, shoes], 0.5, 1, 1.0)
    palette = outfit.palette()
    assert [(c.name, c.rgb) for c in palette] == [("black", (20, 20, 20)),
                                                   ("steel blue", (70, 130, 180))]
    assert palette[0].share == pytest.approx(0.5), palette
    narrow = [Colour((20, 20, 20), 0.49, "black", "black"),
              Colour((47, 79, 79), 0.02, "dark slate gray", "gray"),
              Colour((250, 250, 250), 0.49, "white", "white")]
    under_narrow = np.asarray(palette_picture(narrow))[126:160, 296:310]  # swatch: x 294-306
    assert (under_narrow == 255).all()  # no name under the 12-pixel swatch


def test_overlay_with_item_names_tints_only_the_items_and_the_person() -> None:
    """A class too small to be an item is left untinted and out of the legend."""
    photo = Image.new("RGB", (60, 80), (200, 200, 200))
    labels = np.zeros((80, 60), dtype=np.uint8)
    labels[10:40] = CLASS_INDEX["top"]
    labels[40:45] = CLASS_INDEX["skin"]
    labels[70:72, 5:7] = CLASS_INDEX["accessory"]  # a speck, not an item
    overlay = np.asarray(overlay_picture(photo, labels, {CLASS_INDEX["top"]: "navy top"}))
    assert (overlay[20, 30] != 200).any() and (overlay[42, 30] != 200).any()
    assert (overlay[71, 6] == 200).all()
    legend = overlay[:, 60:]
    rows = [y for y in (10, 32, 54) if (legend[y + 8, 10:26] != 255).any()]
    assert rows == [10, 32]  # top and skin, no accessory row


def test_no_person_in_a_flat_picture(pipeline: Pipeline) -> None:
    wall = Image.new("RGB", (600, 800), (180, 170, 160))
    assert "no_person" in parse_outfit(wall, pipeline.parser).problems


def test_no_person_in_noise_textures_but_in_every_sample_photo(
        pipeline: Pipeline, photo_paths: list[Path]) -> None:
    """Random noise reads to the parser as one big "grey dress" (colour noise) or two people
    (grey noise); a texture like that is no one's outfit. The real photos keep their person
    and garments."""
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (768, 512, 3), dtype=np.uint8)
    grey = np.repeat(rng.integers(0, 256, (768, 512, 1), dtype=np.uint8), 3, axis=2)
    flat = np.full((768, 512, 3), (120, 90, 200), dtype=np.uint8)
    for pixels in (colour, grey, flat):
        outfit = parse_outfit(Image.fromarray(pixels), pipeline.parser)
        assert "no_person" in outfit.problems and not outfit.items
    for path in photo_paths:
        outfit = parse_outfit(Image.open(path).convert("RGB"), pipeline.parser)
        assert "no_person" not in outfit.problems and outfit.items, path.name


def test_parse_is_deterministic(pipeline: Pipeline, photo_bytes: list[bytes]) -> None:
    a = pipeline.load_and_parse(photo_bytes[2])[1].as_dict()
    b = pipeline.load_and_parse(photo_bytes[2])[1].as_dict()
    assert a == b


def test_cli_parse_json_and_overlay(tmp_path: Path, photo_paths: list[Path]) -> None:
    out, cut = tmp_path / "overlay.png", tmp_path / "cut.png"
    done = run_cli("parse", str(photo_paths[0]), "--json", "--out", str(out), "--cutout", str(cut))
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert parsed["items"] and {"category", "colour_name", "rgb", "pattern", "area", "box"} <= set(
        parsed["items"][0]
    )
    assert Image.open(io.BytesIO(out.read_bytes())).format == "PNG"
    cutout = Image.open(cut)  # the garments only: transparent around them, cropped to them
    alpha = np.asarray(cutout.getchannel("A"))
    assert cutout.mode == "RGBA" and 0 < (alpha > 0).mean() < 1
    assert cutout.size[0] < Image.open(photo_paths[0]).size[0]


def test_cli_parse_refuses_a_non_image(tmp_path: Path) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    done = run_cli("parse", str(bad))
    assert done.returncode == 1 and "cannot use" in done.stderr


def test_cli_eval_parser_json() -> None:
    done = run_cli("eval", "parser", "--data", str(SAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["photos"] == 4
    assert {
        "pixel_accuracy",
        "mean_iou",
        "mean_iou_no_background",
        "garment_mean_iou",
        "per_class_iou",
        "photos_per_second",
    } <= set(result)
    low, high = result["bootstrap_95"]["garment_mean_iou"]
    assert low <= result["garment_mean_iou"] <= high
    done = run_cli("eval", "parser", "--data", str(SAMPLE), "--split", "val", "--json")
    held_out = json.loads(done.stdout)  # every 10th photo by id: the first of the four
    assert held_out["photos"] == 1 and held_out["split"] == "val"
    assert held_out["bootstrap_95"] is None  # one photo: nothing to resample


def test_bootstrap_interval_is_as_wide_as_the_photos_disagree() -> None:
    """Photos the parser gets equally right give a zero-width interval at the pooled figure;
    a perfect photo and a hopeless one give an interval spanning most of the range."""
    classes = len(CLASSES)
    top, background = CLASS_INDEX["top"], CLASS_INDEX["background"]
    good = np.zeros((classes, classes), dtype=np.int64)
    good[background, background], good[top, top] = 900, 100
    bad = np.zeros_like(good)
    bad[background, background], bad[top, background] = 900, 100
    same = bootstrap_intervals(np.stack([good] * 20))
    assert same == {"pixel_accuracy": [1.0, 1.0], "garment_mean_iou": [1.0, 1.0]}
    mixed = bootstrap_intervals(np.stack([good, bad] * 10))
    low, high = mixed["garment_mean_iou"]
    assert low < 0.4 and high > 0.6  # pooled: 0.5
    assert mixed == bootstrap_intervals(np.stack([good, bad] * 10))  # seeded


@pytest.mark.slow
def test_eval_on_shared_ccp(shared_data: Path, pipeline: Pipeline) -> None:
    items = labelled_photos(shared_data / "ccp")[::20]
    result = evaluate_items(pipeline.parser, items, merged_mask_lut(shared_data / "ccp"))
    assert result["pixel_accuracy"] > 0.88


def test_several_people_are_noticed(pipeline: Pipeline, photo_paths: list[Path]) -> None:
    left = Image.open(photo_paths[0]).convert("RGB")
    right = Image.open(photo_paths[3]).convert("RGB").resize(left.size)
    pair = Image.new("RGB", (left.width * 2, left.height))
    pair.paste(left, (0, 0))
    pair.paste(right, (left.width, 0))
    outfit = parse_outfit(pair, pipeline.parser)
    assert outfit.people >= 2 and outfit.problems == ["several_people"]
    assert outfit.items  # the biggest person's garments are still described


def test_a_tiny_person_is_noticed(pipeline: Pipeline, photo_paths: list[Path]) -> None:
    person = Image.open(photo_paths[1]).convert("RGB")
    person.thumbnail((400, 400))
    canvas = Image.new("RGB", (1800, 1800), (128, 128, 128))
    canvas.paste(person, (700, 1000))
    outfit = parse_outfit(canvas, pipeline.parser)
    assert outfit.problems and outfit.problems[0] in ("tiny", "no_person")


def test_lovasz_loss_is_one_minus_the_iou_of_hard_predictions() -> None:
    """On confident predictions the Lovasz-softmax loss is exactly 1 - mean IoU of the classes in
    the ground truth (the property that makes it an IoU surrogate), and it ignores IGNORE."""
    from training.train_parser import IGNORE, lovasz_loss

    truth = torch.zeros(1, 8, 8, dtype=torch.long)
    truth[0, :4, :4], truth[0, 4:, :] = 1, 2
    guess = truth.clone()
    guess[0, :4, 4:6] = 1  # class 1 grows into class 0: IoU of class 1 16/24, of class 0 8/16

    def confident(labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels, len(CLASSES)).permute(0, 3, 1, 2).float() * 100

    assert lovasz_loss(confident(guess), truth).item() == pytest.approx(
        1 - (16 / 24 + 8 / 16 + 1) / 3, abs=1e-5)
    assert lovasz_loss(confident(truth), truth).item() == pytest.approx(0, abs=1e-6)
    truth[0, :2, :2] = IGNORE  # ignored pixels leave both sides: class 1 now 12/20
    assert lovasz_loss(confident(guess), truth).item() == pytest.approx(
        1 - (12 / 20 + 8 / 16 + 1) / 3, abs=1e-5)


def test_training_runs_seeded_and_continues_from_weights(tmp_path: Path) -> None:
    """`stylebot train parser` end to end on the four sample photos (one held out): a first
    stage from the bundled backbone, then a second stage from its weights; the same seed gives
    the same weights (each run in its own process, as the command runs), and the stages are
    recorded in the weights."""
    graphs = tmp_path / "graphs"  # the bot's own graphs: training's evaluations stay out of it
    env = {**os.environ, "STYLEBOT_COMPILED_DIR": str(graphs)}

    def train(out: Path, *extra: str) -> None:
        run_cli("train", "parser", "--data", str(SAMPLE), "--out", str(out), "--epochs", "1",
                "--batch", "2", "--channels", "16", "--seed", "3", *extra, env=env, check=True)

    first, again, second = tmp_path / "first.pt", tmp_path / "again.pt", tmp_path / "second.pt"
    train(first)
    train(again)
    a = torch.load(first, weights_only=True)["state_dict"]
    b = torch.load(again, weights_only=True)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    train(second, "--init", str(first), "--lr-scale", "0.5", "--crop", "256", "192",
          "--max-tilt", "10", "--weight-decay", "0.05", "--ema", "0.9", "--region-loss", "lovasz")
    meta = load_parser_net(second)[1]
    assert [s["init"] for s in meta["stages"]] == [None, first.name]
    assert meta["stages"][1]["lr_scale"] == 0.5 and meta["stages"][1]["crop"] == [256, 192]
    assert meta["stages"][1]["ema"] == 0.9 and meta["stages"][1]["max_tilt"] == 10
    assert meta["stages"][1]["region_loss"] == "lovasz"
    assert meta["stages"][0]["region_loss"] == "dice"
    # the second stage saved its moving average, which differs from the first stage's weights
    c = torch.load(second, weights_only=True)["state_dict"]
    assert c.keys() == a.keys() and not all(torch.equal(a[k], c[k]) for k in a)
    assert not list(graphs.glob("parser-*.onnx"))
    assert meta["val_photos"] == 1
    assert len(meta["loss_class_weights"]) == len(CLASSES)
