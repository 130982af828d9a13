"""Running the bundled parser: preprocessing, the exported network (ONNX Runtime, see
inference/core/onnx_models.py), and the decision rules that turn its scores into label maps at
photo size. No torch here: the network is trained and exported by inference/parsing/net.py."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.special import softmax

from inference.core.garments import CLASS_INDEX, CLASSES, EXCLUSIVE_GROUPS
from inference.core.lite0_spec import MEAN, STD, bundled_weights
from inference.core.onnx_models import CompiledModel, compiled, shared_model
from inference.parsing.regions import VOTE_MIN_SHARE, VOTING_ZONES, vote_regions

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "parser_lite0_fpn.pt"
#: How labels are read from the net's scores; caches of parsed masks are keyed by it, so change
#: it whenever decide_classes or the upsampling changes.
DECODING = "one-bottom-group+logit-adjustment+bilinear" + (
    f"+region-vote-{VOTE_MIN_SHARE}-{VOTING_ZONES}" if VOTING_ZONES else ""
)


def parser_digest() -> str:
    """The bundled parser's weights and how labels are read from its scores: either changes
    the masks, so caches of parsed masks (and what is made from them) are keyed by this."""
    return hashlib.sha256(DEFAULT_WEIGHTS.read_bytes() + DECODING.encode()).hexdigest()[:12]


def resize_long_side(image: Image.Image, long_side: int) -> Image.Image:
    """Resize so the longer side is `long_side`, both sides multiples of 32 (the net's stride)."""
    w, h = image.size
    scale = long_side / max(w, h)
    size = (max(32, round(w * scale / 32) * 32), max(32, round(h * scale / 32) * 32))
    return image.resize(size, Image.Resampling.BILINEAR)


#: (x / 255 - mean) / std as one scale and offset per channel.
_SCALE = (1 / (255.0 * np.asarray(STD, np.float64))).astype(np.float32)[:, None, None]
_OFFSET = (-np.asarray(MEAN, np.float64) / np.asarray(STD, np.float64)
           ).astype(np.float32)[:, None, None]


def to_input(image: Image.Image) -> np.ndarray:
    """RGB image -> (1, 3, H, W) float32 normalised as the backbone expects: two passes over
    the pixels, written straight into the network's layout (6 times faster than converting,
    normalising and transposing in turn; the same values to 1.2e-7)."""
    rgb = np.asarray(image.convert("RGB"))
    out = np.empty((1, 3, *rgb.shape[:2]), np.float32)
    np.multiply(rgb.transpose(2, 0, 1), _SCALE, out=out[0])
    out[0] += _OFFSET
    return out


def confidence_by_class(labels: np.ndarray, confidence: np.ndarray) -> dict[int, float]:
    """Mean confidence (winning-class probability) over the pixels of each class present."""
    flat = labels.ravel().astype(np.int64)
    counts = np.bincount(flat)
    sums = np.bincount(flat, weights=confidence.ravel())
    return {int(c): float(sums[c] / counts[c]) for c in np.nonzero(counts)[0]}


def decide_classes(logits: np.ndarray, loss_weights: np.ndarray | None) -> np.ndarray:
    """The net's logits (1, C, h, w) turned into the scores the parser decides by (a copy).

    - One class of each exclusive group (taxonomy.EXCLUSIVE_GROUPS: the lower body's garment)
      per photo: the one with the most probability over the photo, by the net's own scores; the
      others are ruled out, so a dress is not half skirt and a skirt is not half pants.
    - Training weighted each class's loss (`loss_weights`, rare classes up, so that they get
      learnt); subtracting the weights' log turns the scores back into plain posteriors (logit
      adjustment), so rare classes stop spilling into their neighbours.
    Held-out CCP photos, garment mIoU: 0.435 as the net says; with both rules 0.468 when the
    groups were dress/skirt/shorts and shorts/pants, 0.476 with pants in one group
    (BENCHMARKS.md)."""
    mass = softmax(logits[0], axis=0).reshape(logits.shape[1], -1).sum(1)
    adjusted = adjust_logits(logits, loss_weights)
    for group in EXCLUSIVE_GROUPS:
        ids = [CLASS_INDEX[name] for name in group]
        keep = max(ids, key=lambda i: float(mass[i]))
        for i in ids:
            if i != keep:
                adjusted[:, i] = -1e4  # finite: bilinear resizing of -inf would give NaN
    return adjusted


def adjust_logits(logits: np.ndarray, loss_weights: np.ndarray | None) -> np.ndarray:
    """The logit adjustment alone (a copy): the training's class weights divided back out."""
    if loss_weights is None:
        return logits.copy()
    return logits - np.log(loss_weights)[None, :, None, None].astype(logits.dtype)


def pixel_confidence(logits: np.ndarray, loss_weights: np.ndarray | None,
                     ids: np.ndarray) -> np.ndarray:
    """How sure the net is of each pixel's decided class (h, w): its probability before the
    group rule rules out the rivals, which would hand it their share. Held-out CCP comments
    name garments the parser is sure of; read after the rule, their groundedness over six seeds
    was 0.936, read before it 0.982 (BENCHMARKS.md, Comments)."""
    probs = softmax(adjust_logits(logits, loss_weights)[0], axis=0)
    return np.take_along_axis(probs, ids[None].astype(np.int64), 0)[0]


def export_parser_graphs(weights: Path) -> tuple[Path, Path]:
    """The network's graph for `weights` and the upsampling graph, exported when missing."""
    def network(path: Path) -> None:
        from inference.parsing.net import export_parser

        export_parser(weights, path)

    def upsample(path: Path) -> None:
        from inference.core.onnx_export import export_upsample_argmax

        export_upsample_argmax(path)

    return (compiled("parser", [Path(weights), bundled_weights()], network),
            compiled("upsample-argmax", [], upsample))


class Lite0Parser:
    """The default parser: bundled EfficientNet-Lite0 + the FPN decoder trained on CCP, run from
    its exported graph."""

    def __init__(self, weights: Path = DEFAULT_WEIGHTS, long_side: int | None = None) -> None:
        network, upsample = export_parser_graphs(Path(weights))
        self.net: CompiledModel = shared_model(network)
        self.upsample: CompiledModel = shared_model(upsample)
        self.meta: dict = self.net.meta
        if tuple(self.meta["classes"]) != CLASSES:
            raise ValueError(f"{weights} was trained for other classes: {self.meta['classes']}")
        self.long_side = long_side or int(self.meta["long_side"])
        weights = self.meta.get("loss_class_weights")  # absent in weights from before session 3
        self.loss_weights = np.asarray(weights, np.float32) if weights else None
        # evaluations try other shares and zones (scripts/tune_phantoms.py)
        self.vote_share, self.vote_zones = VOTE_MIN_SHARE, VOTING_ZONES

    def raw_scores_batch(self, images: list[Image.Image]
                         ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per photo, the net's own stride-4 logits (1, C, h, w) at the parser's size (what
        evaluations cache, since every decision rule is read from them: `decode`) and the
        backbone's deepest features (1, 320, h/8, w/8), which the diary's repeat embedding pools
        instead of running a second backbone. Photos of the same size at the parser's scale run
        as one batch."""
        inputs = [to_input(resize_long_side(image, self.long_side)) for image in images]
        by_size: dict[tuple[int, ...], list[int]] = {}
        for i, x in enumerate(inputs):
            by_size.setdefault(x.shape, []).append(i)
        out: list = [None] * len(images)
        for members in by_size.values():
            logits, deep = self.net.run(x=np.concatenate([inputs[i] for i in members]))
            for j, i in enumerate(members):
                out[i] = logits[j:j + 1], deep[j:j + 1]
        return out

    def raw_scores(self, image: Image.Image) -> np.ndarray:
        """One photo's stride-4 logits (what evaluations cache)."""
        return self.raw_scores_batch([image])[0][0]

    def decode(self, raw: np.ndarray, size: tuple[int, int]
               ) -> tuple[np.ndarray, dict[int, float]]:
        """Labels (H, W) at `size` (width, height) and each class's mean confidence, from raw
        scores: the decision rules, then one garment region one class (regions.vote_regions).

        The stride-4 logits go straight to the photo's size (one bilinear resampling, no
        nearest-neighbour step); confidences are read at stride 4, where they cost nothing."""
        raw = np.asarray(raw, np.float32)
        logits = decide_classes(raw, self.loss_weights)
        logits = vote_regions(logits, self.vote_share, self.vote_zones)
        ids = logits[0].argmax(0)
        scores = confidence_by_class(ids, pixel_confidence(raw, self.loss_weights, ids))
        # Only the classes that win somewhere at stride 4 are resampled (about half of them):
        # one that wins nowhere there wins almost nowhere between (37 pixels in 21 million
        # on 47 CCP photos), and the resampling costs a third less.
        present = np.flatnonzero(np.bincount(ids.ravel(), minlength=logits.shape[1]))
        sizes = np.array([1, len(present), size[1], size[0]], np.int64)
        (labels,) = self.upsample.run(logits=np.ascontiguousarray(logits[:, present]),
                                      sizes=sizes)
        return present.astype(np.uint8)[labels[0]], scores

    def segment_scored(self, image: Image.Image) -> tuple[np.ndarray, dict[int, float]]:
        """uint8 (H, W) class ids at the photo's own size, and each class's mean confidence."""
        return self.decode(self.raw_scores(image), image.size)

    def segment_many(self, images: list[Image.Image]
                     ) -> list[tuple[np.ndarray, dict[int, float], np.ndarray]]:
        """segment_scored's labels and confidences for each photo, and its deepest features
        (320, h, w); the photos go through the net in batches of one size."""
        return [(*self.decode(raw, image.size), deep[0])
                for image, (raw, deep) in zip(images, self.raw_scores_batch(images), strict=True)]

    def segment(self, image: Image.Image) -> np.ndarray:
        """uint8 (H, W) class ids at the photo's own size."""
        return self.segment_scored(image)[0]
