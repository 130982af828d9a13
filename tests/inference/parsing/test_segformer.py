"""The SegFormer parser backend, through a tiny randomly initialised checkpoint saved to disk,
and the Parser contract every registered parser backend must keep."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import SegformerConfig, SegformerForSemanticSegmentation, SegformerImageProcessor

from inference import backends
from inference.core.garments import ATR_TO_CLASS, CLASS_INDEX, NUM_CLASSES
from inference.parsing.outfit import Outfit, parse_outfit
from inference.parsing.segformer import Preprocessing, SegformerParser
from tests.conftest import sample_photo_paths

#: The labels of mattmdjaga/segformer_b2_clothes, in the model's order.
ATR_LABELS = (
    "Background", "Hat", "Hair", "Sunglasses", "Upper-clothes", "Skirt", "Pants", "Dress", "Belt",
    "Left-shoe", "Right-shoe", "Face", "Left-leg", "Right-leg", "Left-arm", "Right-arm", "Bag",
    "Scarf",
)


def tiny_config(labels: tuple[str, ...] = ATR_LABELS) -> SegformerConfig:
    return SegformerConfig(
        num_encoder_blocks=4, depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 32, 64],
        decoder_hidden_size=32, num_attention_heads=[1, 1, 2, 2],
        id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)},
    )


def forced_model(label: str) -> SegformerForSemanticSegmentation:
    """A tiny model whose every pixel is `label`: zero classifier weights, one-hot bias."""
    model = SegformerForSemanticSegmentation(tiny_config())
    with torch.no_grad():
        model.decode_head.classifier.weight.zero_()
        model.decode_head.classifier.bias.zero_()
        model.decode_head.classifier.bias[ATR_LABELS.index(label)] = 10.0
    return model


@pytest.fixture(scope="session")
def tiny_segformer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint folder laid out as on the hub: config, weights, preprocessor config."""
    folder = tmp_path_factory.mktemp("segformer_tiny")
    torch.manual_seed(0)
    SegformerForSemanticSegmentation(tiny_config()).save_pretrained(folder)
    SegformerImageProcessor().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_segformer(tiny_segformer_dir: Path) -> SegformerParser:
    return SegformerParser.from_pretrained(str(tiny_segformer_dir))


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    return Image.open(sample_photo_paths()[0]).convert("RGB")


def test_from_pretrained_segments_a_real_photo(
    tiny_segformer: SegformerParser, photo: Image.Image
) -> None:
    labels = tiny_segformer.segment(photo)
    assert isinstance(labels, np.ndarray)
    assert labels.dtype == np.uint8
    assert labels.shape == (photo.height, photo.width)
    assert labels.max() < NUM_CLASSES
    # Only classes some ATR label maps to can come out.
    assert set(np.unique(labels)) <= {CLASS_INDEX[c] for c in ATR_TO_CLASS.values()}


def test_processor_config_is_read(tiny_segformer: SegformerParser) -> None:
    processor = SegformerImageProcessor()
    assert tiny_segformer.preprocessing == Preprocessing.from_processor(processor)
    assert tiny_segformer.preprocessing.image_mean == pytest.approx(processor.image_mean)


def test_preprocessing_matches_the_image_processor(photo: Image.Image) -> None:
    small = photo.resize((320, 512))
    processor = SegformerImageProcessor()
    expected = processor(images=small, do_resize=False, return_tensors="pt").pixel_values
    ours = Preprocessing.from_processor(processor)(small)
    assert ours.shape == expected.shape == (1, 3, 512, 320)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_registry_creates_segformer_from_a_local_folder(
    tiny_segformer_dir: Path, tiny_segformer: SegformerParser, photo: Image.Image
) -> None:
    segmenter = backends.create("parser", "segformer-clothes", model_id=str(tiny_segformer_dir))
    assert isinstance(segmenter, SegformerParser)
    np.testing.assert_array_equal(segmenter.segment(photo), tiny_segformer.segment(photo))


@pytest.mark.parametrize("label", ATR_LABELS)
def test_every_atr_label_maps_through_the_table(
    tiny_segformer: SegformerParser, label: str
) -> None:
    assert tiny_segformer.lut[ATR_LABELS.index(label)] == CLASS_INDEX[ATR_TO_CLASS[label]]


@pytest.mark.parametrize(
    ("label", "category"),
    [("Left-shoe", "footwear"), ("Right-shoe", "footwear"), ("Face", "skin"),
     ("Upper-clothes", "top"), ("Sunglasses", "eyewear"), ("Background", "background")],
)
def test_predicted_label_reaches_the_label_map_as_our_class(
    photo: Image.Image, label: str, category: str
) -> None:
    segmenter = SegformerParser(forced_model(label), SegformerImageProcessor(), long_side=256)
    labels = segmenter.segment(photo)
    assert labels.shape == (photo.height, photo.width)
    assert (labels == CLASS_INDEX[category]).all()


def test_unknown_label_names_read_as_background_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    labels = ("Background", "Hat", "Glove")
    model = SegformerForSemanticSegmentation(tiny_config(labels))
    with caplog.at_level(logging.WARNING, logger="inference.parsing.segformer"):
        segmenter = SegformerParser(model, None)
    assert list(segmenter.lut) == [CLASS_INDEX["background"], CLASS_INDEX["hat"],
                                   CLASS_INDEX["background"]]
    assert "2:Glove" in caplog.text


def test_long_side_sets_the_network_input(
    tiny_segformer_dir: Path, photo: Image.Image
) -> None:
    segmenter = SegformerParser.from_pretrained(str(tiny_segformer_dir), long_side=256)
    seen: list[tuple[int, ...]] = []
    hook = segmenter.model.register_forward_pre_hook(
        lambda _m, _args, kwargs: seen.append(tuple(kwargs["pixel_values"].shape)),
        with_kwargs=True,
    )
    try:
        labels = segmenter.segment(photo)
    finally:
        hook.remove()
    assert seen == [(1, 3, 256, 160)]  # 550x842 -> long side 256, sides multiples of 32
    assert labels.shape == (photo.height, photo.width)


def test_offline_mode_reads_only_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="HF_HUB_OFFLINE"):
        SegformerParser.from_pretrained("stylebot-tests/no-such-model")


def test_parse_outfit_runs_end_to_end(
    tiny_segformer: SegformerParser, photo: Image.Image
) -> None:
    outfit = parse_outfit(photo, tiny_segformer)
    assert isinstance(outfit, Outfit)
    assert max(outfit.image.size) == 512
    assert outfit.labels.shape == (outfit.image.height, outfit.image.width)
    assert outfit.as_dict()["size"] == list(outfit.image.size)


def test_parse_outfit_lists_the_predicted_garment(photo: Image.Image) -> None:
    segmenter = SegformerParser(forced_model("Upper-clothes"), SegformerImageProcessor())
    outfit = parse_outfit(photo, segmenter)
    assert outfit.problems == []
    assert [item.category for item in outfit.items] == ["top"]
    assert outfit.items[0].area == pytest.approx(1.0)


# --- The Parser contract, for every registered parser backend ------------------------------

#: Options that let a backend load offline in tests; backends not listed are created bare.
BACKEND_OPTIONS: dict[str, Any] = {
    "segformer-clothes": lambda folder: {"model_id": str(folder)},
}


@pytest.mark.parametrize("backend", backends.names("parser"))
def test_parser_backend_keeps_the_segmenter_contract(
    backend: str, tiny_segformer_dir: Path, photo: Image.Image
) -> None:
    options = BACKEND_OPTIONS.get(backend, lambda _folder: {})(tiny_segformer_dir)
    segmenter = backends.create("parser", backend, **options)
    images = [
        photo,  # as uploaded (550x842)
        photo.resize((336, 512)),  # as parse_outfit sends it
        photo.resize((301, 177)),  # odd landscape size, not a multiple of 32
        photo.convert("L"),  # not RGB
    ]
    for image in images:
        labels = segmenter.segment(image)
        assert isinstance(labels, np.ndarray), backend
        assert labels.dtype == np.uint8, backend
        assert labels.shape == (image.height, image.width), (backend, image.size)
        assert int(labels.max()) < NUM_CLASSES, backend
        scored, confidence = segmenter.segment_scored(image)
        np.testing.assert_array_equal(scored, labels)
        assert all(0.0 < c <= 1.0 for c in confidence.values()), (backend, confidence)
        biggest = int(np.bincount(labels.ravel()).argmax())
        assert biggest in confidence, (backend, "the dominant class has a confidence")
    np.testing.assert_array_equal(segmenter.segment(photo), segmenter.segment(photo))
