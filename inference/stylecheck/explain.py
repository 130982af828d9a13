"""Style Check explanations in plain words, naming the real garments and colours of each outfit."""

from __future__ import annotations

import random
from datetime import date

import numpy as np

import prompts
from inference.core.colour import NEUTRAL_FAMILIES
from inference.core.garments import DISPLAY_NAME
from inference.stylecheck.features import (
    ACCESSORY_CLASSES,
    LOWER,
    TEMPLATE_WORDS,
    UPPER,
    harmony_of,
    season_for,
)
from inference.stylecheck.model import ASPECT_OF, PRIOR, Verdict
from inference.styles.detection import detect_styles


def _name(item: dict) -> str:
    return item.get("name") or f"{item['colour_name']} {DISPLAY_NAME[item['category']]}"


def _join(words: list[str]) -> str:
    words = list(dict.fromkeys(w for w in words if w))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _by_lightness(outfit: dict) -> list[dict]:
    return sorted(outfit["items"], key=lambda i: sum(i["rgb"]))


def _slots(feature: str, win: dict, lose: dict, today: date) -> dict[str, object] | None:
    """Values for a reason's template; None when the outfit lacks what the sentence names."""
    items = win["items"]
    by_cat = {i["category"]: i for i in items}
    if feature == "hue_harmony":
        chromatic = [i for i in items if i["colour_family"] not in NEUTRAL_FAMILIES]
        if len(chromatic) < 2:
            return None
        return {
            "colours": _join([_name(i) for i in chromatic[:2]]),
            "template": TEMPLATE_WORDS[harmony_of(win).template],
        }
    if feature == "lightness_contrast":
        ordered = _by_lightness(win)
        return (
            {"light": _name(ordered[-1]), "dark": _name(ordered[0])} if len(ordered) > 1 else None
        )
    if feature == "colour_count":
        families = sorted({i["colour_family"] for i in items})
        return {"n": len(families), "families": _join(families)} if families else None
    if feature == "neutral_balance":
        accent = [i for i in items if i["colour_family"] not in NEUTRAL_FAMILIES]
        neutral = [i for i in items if i["colour_family"] in NEUTRAL_FAMILIES]
        if not accent or not neutral:
            return None
        return {"accent": _name(accent[0]), "neutrals": _join([_name(i) for i in neutral[:2]])}
    if feature == "proportion":
        top = next((i for i in items if i["category"] in UPPER), None)
        bottom = next((i for i in items if i["category"] in LOWER), None)
        return {"top": _name(top), "bottom": _name(bottom)} if top and bottom else None
    if feature == "layering":
        inner = by_cat.get("top") or by_cat.get("dress")
        return (
            {"outer": _name(by_cat["outer"]), "inner": _name(inner)}
            if "outer" in by_cat and inner
            else None
        )
    if feature == "pattern_mixing":
        n_other = sum(1 for i in lose["items"] if i["pattern"] != "solid")
        return {"n_other": n_other} if n_other >= 2 else None
    if feature == "accessories":
        acc = [_name(i) for i in items if i["category"] in ACCESSORY_CLASSES]
        return {"accessories": _join(acc[:2])} if acc else None
    if feature == "shoes_match":
        return {"shoes": _name(by_cat["footwear"])} if "footwear" in by_cat else None
    if feature == "style_clarity":
        top = detect_styles(win)[0]
        if not top.indicators or not items:
            return None
        biggest = max(items, key=lambda i: i["area"])
        return {
            "style": top.style,
            "indicators": " + ".join(top.indicators[:2]),
            "item": _name(biggest),
        }
    if feature in ("trend_colours", "trend_items"):
        season = season_for(today)
        if not season:
            return None
        if feature == "trend_colours":
            hits = [
                _name(i)
                for i in items
                if i["colour_family"] in season["colours"]
                or i["colour_name"] in season["colour_names"]
            ]
            return {"colours": _join(hits[:2]), "season": season["name"]} if hits else None
        hits = [
            _name(i)
            for i in items
            if i["category"] in season["categories"] or i["pattern"] in season["patterns"]
        ]
        return {"items": _join(hits[:2]), "season": season["name"]} if hits else None
    return {}


def explain(
    verdict: Verdict, outfit_a: dict, outfit_b: dict, today: date | None = None, n: int = 3
) -> list[dict]:
    """Up to n reasons, strongest first: {"aspect", "feature", "text", "weight"}."""
    texts = prompts.load("stylecheck")
    winner, loser = ("A", "B") if verdict.winner == "a" else ("B", "A")
    win, lose = (outfit_a, outfit_b) if verdict.winner == "a" else (outfit_b, outfit_a)
    reasons = []
    for feature, value in verdict.top_reasons(n + 3):
        slots = _slots(feature, win, lose, today or date.today())
        if slots is None:
            continue
        text = texts["reasons"][feature].format(W=winner, L=loser, **slots)
        reasons.append(
            {
                "aspect": ASPECT_OF[feature],
                "feature": feature,
                "text": text,
                "weight": round(abs(value), 3),
            }
        )
        if len(reasons) == n:
            break
    if not reasons:
        aspect = max(verdict.aspects().items(), key=lambda kv: abs(kv[1]))[0]
        reasons.append(
            {
                "aspect": aspect,
                "feature": None,
                "weight": 0.0,
                "text": texts["fallback_reason"].format(W=winner, aspect=aspect),
            }
        )
    return reasons


def headline(verdict: Verdict, seed: int) -> str:
    texts = prompts.load("stylecheck")
    pa, pb = verdict.percentages
    win, lose = (pa, pb) if verdict.winner == "a" else (pb, pa)
    if abs(pa - pb) <= 8:
        return texts["close_call"].format(pa=pa, pb=pb)
    letter = "A" if verdict.winner == "a" else "B"
    return random.Random(seed).choice(texts["headline"]).format(W=letter, pa=win, pb=lose)


def learned_taste(
    weights: np.ndarray, names: tuple[str, ...], threshold: float = 0.3
) -> list[str]:
    """Plain-words differences between a user's weights and the prior (for /prefs)."""
    texts = prompts.load("stylecheck")
    lines = []
    for name, w, prior in sorted(
        zip(names, weights, PRIOR, strict=True), key=lambda t: -abs(t[1] - t[2])
    ):
        delta = w - prior
        if abs(delta) < threshold:
            continue
        key = "learned_more" if delta > 0 else "learned_less"
        lines.append(texts[key].format(what=texts["feature_words"][name]))
    return lines[:4]
