"""Running the bundled parser: preprocessing, weights on disk, label maps at photo size."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from inference.core.backbone import MEAN, STD, fold_batch_norms
from inference.core.garments import CLASS_INDEX, CLASSES, EXCLUSIVE_GROUPS
from inference.parsing.net import ParserNet
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


def to_tensor(image: Image.Image) -> torch.Tensor:
    """RGB image -> (1,3,H,W) float tensor normalised as the backbone expects."""
    arr = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
    x = arr.permute(2, 0, 1)
    x = (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]
    return x.unsqueeze(0)


def confidence_by_class(labels: np.ndarray, confidence: np.ndarray) -> dict[int, float]:
    """Mean confidence (winning-class probability) over the pixels of each class present."""
    flat = labels.ravel().astype(np.int64)
    counts = np.bincount(flat)
    sums = np.bincount(flat, weights=confidence.ravel())
    return {int(c): float(sums[c] / counts[c]) for c in np.nonzero(counts)[0]}


def decide_classes(logits: torch.Tensor, loss_weights: torch.Tensor | None) -> torch.Tensor:
    """The net's logits (1, C, h, w) turned into the scores the parser decides by.

    - One class of each exclusive group (taxonomy.EXCLUSIVE_GROUPS: the lower body's garment)
      per photo: the one with the most probability over the photo, by the net's own scores; the
      others are ruled out, so a dress is not half skirt and a skirt is not half pants.
    - Training weighted each class's loss (`loss_weights`, rare classes up, so that they get
      learnt); subtracting the weights' log turns the scores back into plain posteriors (logit
      adjustment), so rare classes stop spilling into their neighbours.
    Held-out CCP photos, garment mIoU: 0.435 as the net says; with both rules 0.468 when the
    groups were dress/skirt/shorts and shorts/pants, 0.476 with pants in one group
    (BENCHMARKS.md)."""
    mass = logits[0].softmax(0).flatten(1).sum(1)
    adjusted = adjust_logits(logits, loss_weights)
    for group in EXCLUSIVE_GROUPS:
        ids = [CLASS_INDEX[name] for name in group]
        keep = max(ids, key=lambda i: float(mass[i]))
        for i in ids:
            if i != keep:
                adjusted[:, i] = -1e4  # finite: bilinear resizing of -inf would give NaN
    return adjusted


def adjust_logits(logits: torch.Tensor, loss_weights: torch.Tensor | None) -> torch.Tensor:
    """The logit adjustment alone (a copy): the training's class weights divided back out."""
    if loss_weights is None:
        return logits.clone()
    return logits - loss_weights.log()[None, :, None, None]


def pixel_confidence(
    logits: torch.Tensor, loss_weights: torch.Tensor | None, ids: torch.Tensor
) -> torch.Tensor:
    """How sure the net is of each pixel's decided class (h, w): its probability before the
    group rule rules out the rivals, which would hand it their share. Held-out CCP comments
    name garments the parser is sure of; read after the rule, their groundedness over six seeds
    was 0.936, read before it 0.982 (BENCHMARKS.md, Comments)."""
    probs = adjust_logits(logits, loss_weights)[0].softmax(0)
    return probs.gather(0, ids[None])[0]


def save_weights(
    model: ParserNet, path: Path, meta: dict, frozen: tuple[str, ...]
) -> None:
    """Store only what training changed (fp16); frozen stem/blocks come from the package."""
    state = {
        k: (v.half() if v.is_floating_point() else v)
        for k, v in model.state_dict().items()
        if not k.startswith(frozen)
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": meta, "state_dict": state}, path)


class Lite0Parser:
    """The default parser: bundled EfficientNet-Lite0 + the FPN decoder trained on CCP."""

    def __init__(self, weights: Path = DEFAULT_WEIGHTS, long_side: int | None = None,
                 fold_norms: bool = True) -> None:
        """`fold_norms`: batch norms folded into the convolutions (about 30% faster, same
        labels); False for a model that goes on training (training/train_parser.py --init)."""
        checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
        self.meta: dict = checkpoint["meta"]
        if tuple(self.meta["classes"]) != CLASSES:
            raise ValueError(f"{weights} was trained for other classes: {self.meta['classes']}")
        self.model = ParserNet(len(CLASSES), channels=self.meta["channels"])
        state = {
            k: v.float() if v.is_floating_point() else v
            for k, v in checkpoint["state_dict"].items()
        }
        missing, unexpected = self.model.load_state_dict(state, strict=False)
        frozen = tuple(self.meta["frozen_prefixes"])
        if unexpected or any(not k.startswith(frozen) for k in missing):
            raise ValueError(f"{weights} does not fit the network: {missing=} {unexpected=}")
        if fold_norms:
            fold_batch_norms(self.model)
        # channels_last runs the CPU convolutions about 35% faster (67 vs 113 ms at 512x352)
        self.model.eval().to(memory_format=torch.channels_last)
        self.long_side = long_side or int(self.meta["long_side"])
        weights = self.meta.get("loss_class_weights")  # absent in weights from before session 3
        self.loss_weights = torch.tensor(weights) if weights else None
        # evaluations try other shares and zones (scripts/tune_phantoms.py)
        self.vote_share, self.vote_zones = VOTE_MIN_SHARE, VOTING_ZONES

    @torch.inference_mode()
    def raw_scores_batch(self, images: list[Image.Image]
                         ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per photo, the net's own stride-4 logits (1, C, h, w) at the parser's size (what
        evaluations cache, since every decision rule is read from them: `decode`) and the
        backbone's deepest features (1, 320, h/8, w/8), which the diary's repeat embedding pools
        instead of running a second backbone. Photos of the same size at the parser's scale run
        as one batch."""
        tensors = [to_tensor(resize_long_side(image, self.long_side)) for image in images]
        by_size: dict[tuple[int, ...], list[int]] = {}
        for i, x in enumerate(tensors):
            by_size.setdefault(tuple(x.shape), []).append(i)
        out: list = [None] * len(images)
        for members in by_size.values():
            x = torch.cat([tensors[i] for i in members]).contiguous(
                memory_format=torch.channels_last)
            features = self.model.backbone(x)
            logits = self.model.decoder(features)
            for j, i in enumerate(members):
                out[i] = logits[j:j + 1], features[-1][j:j + 1]
        return out

    def raw_scores(self, image: Image.Image) -> torch.Tensor:
        """One photo's stride-4 logits (what evaluations cache)."""
        return self.raw_scores_batch([image])[0][0]

    @torch.inference_mode()
    def decode(
        self, raw: torch.Tensor, size: tuple[int, int]
    ) -> tuple[np.ndarray, dict[int, float]]:
        """Labels (H, W) at `size` (width, height) and each class's mean confidence, from raw
        scores: the decision rules, then one garment region one class (regions.vote_regions).

        The stride-4 logits go straight to the photo's size (one bilinear resampling, no
        nearest-neighbour step); confidences are read at stride 4, where they cost nothing."""
        logits = decide_classes(raw, self.loss_weights)
        logits = vote_regions(logits, self.vote_share, self.vote_zones)
        ids = logits[0].argmax(0)
        best = pixel_confidence(raw, self.loss_weights, ids)
        scores = confidence_by_class(ids.numpy(), best.numpy())
        full = F.interpolate(logits, size=size[::-1], mode="bilinear", align_corners=False)
        return full[0].argmax(0).to(torch.uint8).numpy(), scores

    def segment_scored(self, image: Image.Image) -> tuple[np.ndarray, dict[int, float]]:
        """uint8 (H, W) class ids at the photo's own size, and each class's mean confidence."""
        return self.decode(self.raw_scores(image), image.size)

    def segment_many(self, images: list[Image.Image]
                     ) -> list[tuple[np.ndarray, dict[int, float], np.ndarray]]:
        """segment_scored's labels and confidences for each photo, and its deepest features
        (320, h, w); the photos go through the net in batches of one size."""
        return [(*self.decode(raw, image.size), deep[0].float().numpy())
                for image, (raw, deep) in zip(images, self.raw_scores_batch(images), strict=True)]

    def segment(self, image: Image.Image) -> np.ndarray:
        """uint8 (H, W) class ids at the photo's own size."""
        return self.segment_scored(image)[0]
