""""You wore this on Monday": an outfit embedding and the similarity used to spot repeats.

The embedding of a parsed outfit has two parts, both L2-normalised:
- appearance: the parser's own deepest EfficientNet-Lite0 features (320 channels, stride 32)
  averaged over the garment pixels (Outfit.appearance, computed with the parse: no second
  backbone pass); a parser without such features (SegFormer) gets the bundled ImageNet Lite0's
  features of the photo pooled the same way;
- colour: a CIELAB histogram of the garment pixels (a*b* 8x8 plus 5 lightness bins, lightly
  smoothed), square-rooted so that the dot product is the Bhattacharyya affinity.

similarity = APPEARANCE_WEIGHT * cos(appearance) + (1 - APPEARANCE_WEIGHT) * affinity(colour).
Two outfits count as the same when similarity >= REPEAT_THRESHOLD. The weight and threshold were
chosen on one half of 300 CCP photos (each against its own crop / flip / colour-jittered copies,
and against every other photo) and measured on the other half: `stylebot eval repeats`, figures in
BENCHMARKS.md ("Diary"). Stored as float16 bytes in outfits.embedding; an entry stored with
another length (before the shared features, 1280 + 69) is left out of the search.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.color import rgb2lab

from inference.core.garments import GARMENT_IDS
from inference.core.lite0_spec import FEATURE_CHANNELS
from inference.parsing.outfit import PARSE_LONG_SIDE, Outfit, masked_mean

APPEARANCE_DIM = FEATURE_CHANNELS[-1]
AB_BINS, L_BINS = 8, 5
COLOUR_DIM = AB_BINS * AB_BINS + L_BINS
DIM = APPEARANCE_DIM + COLOUR_DIM
#: Measured with `stylebot eval repeats` (see the module docstring and BENCHMARKS.md).
APPEARANCE_WEIGHT = 0.6
REPEAT_THRESHOLD = 0.916
MIN_GARMENT_PIXELS = 400


def garment_mask(outfit: Outfit) -> np.ndarray:
    return np.isin(outfit.labels, GARMENT_IDS)


def colour_descriptor(image: Image.Image, mask: np.ndarray, max_pixels: int = 6000) -> np.ndarray:
    """Square-rooted, smoothed CIELAB histogram of the garment pixels (unit length)."""
    pixels = np.asarray(image.convert("RGB"))[mask]
    step = max(1, len(pixels) // max_pixels)
    lab = rgb2lab(pixels[::step][None].astype(np.float64) / 255.0)[0]
    ab, _, _ = np.histogram2d(np.clip(lab[:, 1], -63.9, 63.9), np.clip(lab[:, 2], -63.9, 63.9),
                              bins=AB_BINS, range=[[-64, 64], [-64, 64]])
    ab = ndimage.gaussian_filter(ab, 0.6, mode="constant")
    light, _ = np.histogram(lab[:, 0], bins=L_BINS, range=(0, 100))
    ab = ab.ravel() / max(ab.sum(), 1e-9)
    light = light / max(light.sum(), 1e-9)
    vec = np.sqrt(np.concatenate([0.8 * ab, 0.2 * light]))
    return vec / (np.linalg.norm(vec) + 1e-12)


class OutfitEmbedder:
    """Embeds parsed outfits for repeat detection; made once by the pipeline and safe to call
    from several threads. The ImageNet backbone (torch: such parsers are hub-backed and bring it
    in anyway) loads only for a parser that gives no features."""

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def _backbone(self):  # noqa: ANN202 - a torch module
        if self._model is None:
            from inference.core.backbone import create_feature_extractor, fold_batch_norms

            self._model = fold_batch_norms(create_feature_extractor(pretrained=True))
        return self._model

    def appearance(self, outfit: Outfit, mask: np.ndarray) -> np.ndarray | None:
        """The parse's own pooled features, else the ImageNet backbone's pooled the same way."""
        if outfit.appearance is not None:
            return outfit.appearance
        import torch

        from inference.parsing.lite0 import resize_long_side, to_input

        x = torch.from_numpy(to_input(resize_long_side(outfit.image, PARSE_LONG_SIDE)))
        with self._lock, torch.inference_mode():
            deep = self._backbone()(x)[-1][0].numpy()
        return masked_mean(deep, mask)

    def embed(self, outfit: Outfit) -> np.ndarray | None:
        """The outfit's embedding (DIM floats), or None when too little garment is visible."""
        mask = garment_mask(outfit)
        if int(mask.sum()) < MIN_GARMENT_PIXELS:
            return None
        look = self.appearance(outfit, mask)
        if look is None:
            return None
        return np.concatenate([look, colour_descriptor(outfit.image, mask)])


def to_bytes(vec: np.ndarray) -> bytes:
    return vec.astype(np.float16).tobytes()


def from_bytes(data: bytes | None) -> np.ndarray | None:
    """The stored embedding, or None for a missing or foreign (other length) one."""
    if not data or len(data) != DIM * 2:
        return None
    return np.frombuffer(data, dtype=np.float16).astype(np.float64)


def parts_similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(appearance cosine, colour affinity)."""
    n = APPEARANCE_DIM
    return float(a[:n] @ b[:n]), float(a[n:] @ b[n:])


def similarity(a: np.ndarray, b: np.ndarray, weight: float = APPEARANCE_WEIGHT) -> float:
    look, colour = parts_similarity(a, b)
    return weight * look + (1 - weight) * colour


def best_match(vec: np.ndarray, earlier: list[tuple[int, bytes]],
               threshold: float = REPEAT_THRESHOLD) -> tuple[int, float] | None:
    """The first (most recent) earlier outfit at or over the threshold, with its similarity."""
    for outfit_id, data in earlier:
        other = from_bytes(data)
        if other is not None and (score := similarity(vec, other)) >= threshold:
            return outfit_id, score
    return None
