"""The user's taste as Style Check's "personal" feature reads it: colour families and garments,
added up over the outfits they chose and subtracted over the ones they did not."""

from __future__ import annotations

import numpy as np


def taste_vector(outfit: dict) -> dict[str, float]:
    """What an outfit is made of, for the personal feature: colour families and garments."""
    vec: dict[str, float] = {}
    for item in outfit["items"]:
        for colour in item["colours"]:
            key = f"colour:{colour['family']}"
            vec[key] = vec.get(key, 0.0) + item["area"] * colour["share"]
        key = f"garment:{item['category']}"
        vec[key] = vec.get(key, 0.0) + 0.5
    return vec


def personal_score(outfit: dict, taste: dict[str, float]) -> float:
    """Cosine similarity between the outfit and the user's taste, mapped to [0, 1]."""
    vec = taste_vector(outfit)
    dot = sum(v * taste.get(k, 0.0) for k, v in vec.items())
    norm = np.sqrt(sum(v * v for v in vec.values()) * sum(v * v for v in taste.values()))
    return 0.5 + 0.5 * dot / norm if norm > 0 else 0.5


def update_taste(taste: dict[str, float], chosen: dict, other: dict) -> dict[str, float]:
    """Move the taste toward the chosen outfit and away from the other one."""
    out = dict(taste)
    for key, value in taste_vector(chosen).items():
        out[key] = out.get(key, 0.0) + value
    for key, value in taste_vector(other).items():
        out[key] = out.get(key, 0.0) - value
    return out
