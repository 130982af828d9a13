"""Masks for CCP's tag-only photos, made by a trained parser and corrected by the photo's tags.

CCP has 894 photos with image-level tags ("blouse, heels, skirt") and no mask, more than the 804
with masks. A trained parser (the teacher) labels their pixels, averaged over two scales and a
flip; every garment class the tags do not name is ruled out first, and pixels the teacher is not
sure of are left unlabelled (ignored by the loss). Ruling out absent classes is what the parser
cannot do on its own: on the held-out photos it lifts garment mIoU from 0.47 to 0.57
(BENCHMARKS.md, session 4), so these masks are better than the parser that made them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from inference.ccp_data import IGNORE
from inference.segment import Lite0Segmenter, resize_long_side, to_tensor
from inference.taxonomy import CCP_TO_CLASS, CLASS_INDEX, NON_GARMENT, NUM_CLASSES

#: Long sides the teacher looks at (its training saw 358-666); each also flipped.
TEACHER_SCALES = (512, 640)


def tagged_photos(root: Path) -> list[tuple[Path, list[str]]]:
    """Photos with image-level tags only (image_tags.json), by id; photos with masks left out."""
    tags_file = root / "image_tags.json"
    if not tags_file.exists():
        return []
    masked = {p.stem for p in (root / "masks").glob("*.png")}
    tags: dict[str, list[str]] = json.loads(tags_file.read_text())
    return [
        (root / "photos" / f"{k}.jpg", tags[k])
        for k in sorted(tags)
        if k not in masked and (root / "photos" / f"{k}.jpg").exists()
    ]


def allowed_classes(tags: list[str]) -> np.ndarray:
    """bool[NUM_CLASSES]: the person's own classes always, garments only where a tag names them."""
    allowed = np.zeros(NUM_CLASSES, dtype=bool)
    for name in NON_GARMENT:
        allowed[CLASS_INDEX[name]] = True
    for tag in tags:
        if tag in CCP_TO_CLASS:
            allowed[CLASS_INDEX[CCP_TO_CLASS[tag]]] = True
    return allowed


@torch.inference_mode()
def teacher_probabilities(teacher: Lite0Segmenter, image: Image.Image) -> torch.Tensor:
    """(C, H, W) class probabilities at the image's size: scales and flips averaged.

    The training loss's class weights are divided out (logit adjustment, as the parser does)."""
    total = torch.zeros(NUM_CLASSES, image.height, image.width)
    adjust = (
        teacher.loss_weights.log()[None, :, None, None] if teacher.loss_weights is not None else 0
    )
    for long_side in TEACHER_SCALES:
        x = to_tensor(resize_long_side(image, long_side))
        for flip in (False, True):
            xi = x.flip(-1) if flip else x
            logits = teacher.model.decoder(
                teacher.model.backbone(xi.contiguous(memory_format=torch.channels_last))
            )
            logits = logits.flip(-1) if flip else logits
            logits = F.interpolate(
                logits - adjust, size=(image.height, image.width), mode="bilinear"
            )
            total += logits[0].softmax(0)
    return total / (2 * len(TEACHER_SCALES))


def pseudo_mask(probs: torch.Tensor, allowed: np.ndarray, min_confidence: float) -> np.ndarray:
    """uint8 (H, W) merged class ids; classes not allowed ruled out, unsure pixels IGNORE."""
    probs = probs * torch.from_numpy(allowed).float()[:, None, None]
    probs = probs / probs.sum(0, keepdim=True).clamp_min(1e-8)
    confidence, ids = probs.max(0)
    mask = ids.to(torch.uint8).numpy()
    mask[confidence.numpy() < min_confidence] = IGNORE
    return mask


def build_pseudo_masks(
    data: Path, teacher_weights: Path, out_dir: Path, long_side: int, min_confidence: float
) -> list[tuple[Path, Path]]:
    """Write one mask PNG per tagged photo (at `long_side`), reusing masks already written.

    Returns (photo, mask) pairs; the mask holds merged class ids, not CCP label ids."""
    out_dir.mkdir(parents=True, exist_ok=True)
    teacher: Lite0Segmenter | None = None
    pairs = []
    for photo, tags in tqdm(tagged_photos(data), desc="pseudo masks", leave=False):
        target = out_dir / f"{photo.stem}.png"
        if not target.exists():
            teacher = teacher or Lite0Segmenter(teacher_weights)
            image = resize_long_side_exact(Image.open(photo).convert("RGB"), long_side)
            probs = teacher_probabilities(teacher, image)
            mask = pseudo_mask(probs, allowed_classes(tags), min_confidence)
            Image.fromarray(mask).save(target)
        pairs.append((photo, target))
    return pairs


def resize_long_side_exact(image: Image.Image, long_side: int) -> Image.Image:
    """Resize so the longer side is exactly `long_side` (the training cache's size)."""
    scale = long_side / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.BILINEAR)
