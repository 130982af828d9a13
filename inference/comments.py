"""Friendly netizen-style comments, grounded in the parse (after Netizen-Style Commenting, 2018).

The template backend fills sentence templates (prompts/en/comments.yaml) with the photo's real
garments, colours, patterns and style, makes many candidates, drops any that break the rules
(a garment that was not detected, a word about the body, anything negative, a repeat of what the
user saw recently) and ranks the rest for specificity (real things named) and variety (template
families and words not used lately). Same outfit and seed -> same comments.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha1

import prompts
from inference.styles import detect_styles
from inference.taxonomy import DISPLAY_NAME

#: Garment classes whose parse is reliable enough to mention (small ones get confused).
MENTIONABLE = (
    "dress",
    "outer",
    "top",
    "pants",
    "skirt",
    "footwear",
    "bag",
    "shorts",
    "hat",
    "scarf",
    "legwear",
)
MIN_AREA = 0.03
GARMENT_NOUNS = frozenset(DISPLAY_NAME.values()) | {
    "jeans",
    "sneakers",
    "boots",
    "coat",
    "blazer",
    "shirt",
    "trousers",
    "sunglasses",
}


@dataclass
class Comment:
    text: str
    items: list[str]  # garment names mentioned
    categories: list[str]  # their classes
    family: str  # template family: one_item, two_items, colour, style, pattern, ...
    score: float = 0.0
    extras: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "items": self.items,
            "categories": self.categories,
            "template": self.family,
            "score": round(self.score, 3),
        }


@lru_cache(maxsize=1)
def _banned() -> re.Pattern[str]:
    words = prompts.load("comments")["banned"]
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


def mentionable_items(outfit: dict) -> list[dict]:
    items = [i for i in outfit["items"] if i["category"] in MENTIONABLE and i["area"] >= MIN_AREA]
    return sorted(items, key=lambda i: -i["area"])


def violations(text: str, outfit: dict) -> list[str]:
    """Why a comment may not be sent: banned words, or a garment the parse did not find."""
    problems = [f"banned word {m.group(0)!r}" for m in _banned().finditer(text)]
    present = {DISPLAY_NAME[i["category"]] for i in outfit["items"]}
    present |= {i["fine_label"] for i in outfit["items"] if i.get("fine_label")}
    for noun in GARMENT_NOUNS:
        if re.search(rf"\b{re.escape(noun)}s?\b", text, re.IGNORECASE) and noun not in present:
            problems.append(f"mentions {noun!r}, not in the photo")
    return problems


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(template: str, slots: dict[str, str]) -> str:
    lowered = {k: v for k, v in slots.items()}
    lowered.update({_cap(k): _cap(v) for k, v in slots.items()})
    text = template.format(**lowered)
    return re.sub(r"\s+", " ", text).strip()


def _candidates(outfit: dict, rng: random.Random, count: int) -> list[Comment]:
    data = prompts.load("comments")
    items = mentionable_items(outfit)
    if not items:
        return []
    styles = detect_styles(outfit)
    style = styles[0].style if styles and styles[0].score >= 0.3 else None
    patterned = [i for i in items if i["pattern"] not in ("solid", "printed")]
    families = (
        ["one_item"]
        + (["two_items"] if len(items) >= 2 else [])
        + (["three_items"] if len(items) >= 3 else [])
        + ["colour"]
        + (["style"] if style else [])
        + (["pattern"] if patterned else [])
    )
    out: list[Comment] = []
    for _ in range(count):
        family = rng.choice(families)
        template = rng.choice(data["templates"][family])
        pool = patterned if family == "pattern" else items
        # Bigger garments first: they are both what people notice and what the parser gets right.
        chosen = rng.sample(pool[:4], min(len(pool[:4]), 3))
        main = chosen[0]
        slots = {
            "item": main["name"],
            "noun": DISPLAY_NAME[main["category"]],
            "colour": main["colour_name"],
            "pattern": main["pattern"],
            "item2": chosen[1]["name"] if len(chosen) > 1 else "",
            "item3": chosen[2]["name"] if len(chosen) > 2 else "",
            "item_cap": _cap(main["name"]),
            "style": style or "",
            "opener": rng.choice(data["openers"]),
            "adj": rng.choice(data["adjectives"]),
            "hype": rng.choice(data["hype"]),
            "emoji": rng.choice(data["emoji"]),
        }
        used = [main] + [
            c
            for c, key in zip(chosen[1:], ("{item2}", "{item3}"), strict=False)
            if key in template
        ]
        if family in ("colour", "pattern"):
            used = [main]
        text = _fill(template, slots)
        out.append(
            Comment(
                text,
                [u["name"] for u in used],
                [u["category"] for u in used],
                family,
                extras={"template": template, "jitter": rng.random() * 0.8},
            )
        )
    return out


def _specificity(comment: Comment) -> float:
    """Real things named: garments (two are as specific as three), a colour, a pattern, a style."""
    return min(len(set(comment.items)), 2) + 0.6 * (
        comment.family in ("colour", "pattern", "style")
    )


def text_key(text: str) -> str:
    """What counts as 'the same comment': letters only, case-folded, hashed."""
    return sha1(re.sub(r"[^a-z]", "", text.lower()).encode()).hexdigest()[:16]


def make_comments(
    outfit: dict,
    n: int = 3,
    seed: int = 0,
    recent_keys: frozenset[str] = frozenset(),
    recent_templates: tuple[str, ...] = (),
) -> list[Comment]:
    """n ranked comments for an outfit (Outfit.as_dict()), none repeating `recent_keys`."""
    rng = random.Random(f"{seed}:{outfit.get('summary', '')}")  # varies per outfit, repeatable
    pool = [
        c
        for c in _candidates(outfit, rng, 40)
        if not violations(c.text, outfit) and text_key(c.text) not in recent_keys
    ]
    chosen: list[Comment] = []
    seen_templates = list(recent_templates)
    seen_words: set[str] = set()
    while pool and len(chosen) < n:
        for c in pool:
            words = set(re.findall(r"[a-z']+", c.text.lower()))
            novelty = len(words - seen_words) / max(len(words), 1)
            c.score = (
                _specificity(c)
                + novelty
                + c.extras["jitter"]
                - 1.5 * (c.extras["template"] in seen_templates)
                - 0.8 * sum(c.family == x.family for x in chosen)
            )
        best = max(pool, key=lambda c: (c.score, c.text))
        chosen.append(best)
        seen_templates.append(best.extras["template"])
        seen_words |= set(re.findall(r"[a-z']+", best.text.lower()))
        pool = [c for c in pool if text_key(c.text) != text_key(best.text)]
    return chosen


class TemplateCommenter:
    """The default comment backend: templates and word lists from prompts/en/comments.yaml.
    Every backend offers `comments(outfit, n, seed, recent_keys, recent_templates)`."""

    comments = staticmethod(make_comments)
