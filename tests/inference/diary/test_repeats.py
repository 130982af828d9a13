"""The repeat embedding: the parse's own features pooled over the garments, or, for a parser
without them, the ImageNet backbone's pooled the same way."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import ImageOps

from inference.diary import repeats
from inference.pipeline import Pipeline


def test_the_parse_gives_the_appearance_and_a_mirror_image_repeats(
        pipeline: Pipeline, photo_bytes: list[bytes]) -> None:
    image, outfit = pipeline.load_and_parse(photo_bytes[0])
    assert outfit.appearance is not None and outfit.appearance.shape == (repeats.APPEARANCE_DIM,)
    assert abs(np.linalg.norm(outfit.appearance) - 1) < 1e-6
    vec = pipeline.embed_outfit(outfit)
    assert vec is not None and vec.shape == (repeats.DIM,)
    mirrored = pipeline.embed_outfit(pipeline.parse(ImageOps.mirror(image)))
    other = pipeline.embed_outfit(pipeline.load_and_parse(photo_bytes[1])[1])
    same, different = (repeats.similarity(vec, v) for v in (mirrored, other))
    assert same >= repeats.REPEAT_THRESHOLD > different


def test_a_parser_without_features_gets_the_imagenet_backbone_pooled(
        pipeline: Pipeline, photo_bytes: list[bytes]) -> None:
    _, outfit = pipeline.load_and_parse(photo_bytes[0])
    plain = replace(outfit, appearance=None)  # as SegFormer's parse comes
    vec = pipeline.embed_outfit(plain)
    assert vec is not None and vec.shape == (repeats.DIM,)
    look = vec[:repeats.APPEARANCE_DIM]
    assert abs(np.linalg.norm(look) - 1) < 1e-6
    assert not np.allclose(look, outfit.appearance)  # another network's features
    assert repeats.similarity(vec, pipeline.embed_outfit(plain)) > 0.999  # deterministic
