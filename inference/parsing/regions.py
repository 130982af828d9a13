"""One garment, one label: a connected region of rival classes is one garment, so the classes
the net spreads over it (a sweater read as top + jacket + dress) vote with their summed
probability, and those with a small share of the vote give their pixels to the others."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.special import softmax

from inference.core.garments import CLASS_INDEX

#: The zones that vote in the bot's masks: none. On the tuning half of CCP's tag-only photos the
#: upper body's vote (top/jacket/dress) cut fragmentation but missed real garments (a top seen
#: in the gap of an open jacket, under 10% of the region, is usually there: misses 12% -> 16%
#: even at a 0.1 share); the lower body's (skirt against tights) changed the lists by under
#: 0.002 and lowered held-out tights IoU 0.33 -> 0.32 (docs/experiments.md, session 10).
VOTING_ZONES: tuple[tuple[str, ...], ...] = ()
#: A class keeps its pixels in a region when it holds at least this share of the region's
#: summed probability (over the zone's classes); a region with two real garments (a top under an
#: open jacket) keeps both.
VOTE_MIN_SHARE = 0.3


def region_votes(probs: np.ndarray, regions: np.ndarray, count: int, ids: list[int]) -> np.ndarray:
    """(len(ids), count) share of each class's summed probability in each labelled region."""
    index = np.arange(1, count + 1)
    mass = np.stack([ndimage.sum_labels(probs[c], regions, index) for c in ids])
    return mass / np.maximum(mass.sum(0, keepdims=True), 1e-9)


def vote_regions(
    logits: np.ndarray,
    min_share: float = VOTE_MIN_SHARE,
    zones: tuple[tuple[str, ...], ...] = VOTING_ZONES,
) -> np.ndarray:
    """Decided logits (1, C, h, w) with each zone's losing classes ruled out region by region
    (a copy). Zones are the classes that are mistaken for one another on one part of the body;
    a top and pants meet at the waist but are never rivals, so they never vote together.
    With no zones (what ships, VOTING_ZONES) the logits come back as they are: nothing is
    copied or computed on every parse."""
    if not zones:
        return logits
    out = logits.copy()
    probs = softmax(logits[0], axis=0)
    for zone in zones:
        ids = [CLASS_INDEX[name] for name in zone]
        labels = out[0].argmax(0)
        regions, count = ndimage.label(np.isin(labels, ids))
        if count == 0:
            continue
        share = region_votes(probs, regions, count, ids)
        for row, cls in enumerate(ids):
            losing = np.nonzero(share[row] < min_share)[0] + 1
            if losing.size:
                # finite, as in decide_classes: bilinear resizing of -inf would give NaN
                out[0, cls][np.isin(regions, losing)] = -1e4
    return out
