"""Friendly netizen-style comments, grounded in the parse (after Netizen-Style Commenting, 2018).

The template backend is a small grammar (prompts/en/comments.yaml): an optional opener, a lead
sentence naming real garments (one or two, a colour, a pattern or the style), an optional
follow-up about the whole look or a question, optional hype and emoji; [a|b] alternatives and
independent word banks make the same compliment rarely read the same way twice. Only garments
the parser is sure of are named (big enough, mean probability >= MIN_CONFIDENCE). Many
candidates are made; those that break a rule (a garment not detected, a word about the body,
anything negative, a repeat of what the user saw recently) are dropped; the lead families take
turns in a random order and within a family candidates are ranked for specificity and novelty.
Same outfit and seed -> same comments."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha1

import prompts
from inference.core.garments import DISPLAY_NAME, PLURAL_NOUNS
from inference.styles.detection import detect_styles

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
#: The parser's mean probability over the garment's pixels needed to name it. Share of named
#: garments really there, on the parser's own training photos: 0.84 with no threshold, 0.94 at
#: 0.7, 0.97 at 0.85; on the 81 held-out photos, one comment each: 0.88 at 0.7, 0.93 at 0.8,
#: 0.94 at 0.85 (mean of six seeds). Photos with nothing this sure (2 of 81) get a comment on
#: the whole look. Since session 9 the probability is read before the parser's group rule hands a
#: class its ruled-out rivals' share (segment.pixel_confidence): held-out 0.98 at 0.85.
MIN_CONFIDENCE = 0.85
SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")
ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")  # [a|b|c] in a template
ARTICLE = re.compile(r"\b([Aa]) (?=([aeiouAEIOU]\w*))")
CONSONANT_U = ("uni", "use", "usu", "uti", "one")  # "a unique", "a useful": no "an"
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
    items = [
        i
        for i in outfit["items"]
        if i["category"] in MENTIONABLE
        and i["area"] >= MIN_AREA
        and i.get("confidence", 1.0) >= MIN_CONFIDENCE
    ]
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


def named_items(text: str, items: list[dict]) -> list[dict]:
    """The garments a comment names, read from its text (not assumed from a template)."""
    return [i for i in items if re.search(rf"\b{re.escape(_noun(i))}\b", text, re.IGNORECASE)]


def acceptable(text: str, outfit: dict, recent_keys: frozenset[str]) -> bool:
    """A comment may be sent: it breaks no rule and the user has not seen it lately."""
    return not violations(text, outfit) and text_key(text) not in recent_keys


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    """Pick one of each [a|b|c] (innermost first), then fill the {slots}."""
    while ALTERNATIVES.search(template):
        template = ALTERNATIVES.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    lowered = dict(slots)
    lowered.update({_cap(k): _cap(v) for k, v in slots.items()})
    return re.sub(r"\s+", " ", template.format(**lowered)).strip()


def _join(opener: str, sentence: str) -> str:
    """'Okay,' + 'The bag...' -> 'Okay, the bag...'; 'Yes!' keeps the capital; 'I' stays 'I'.
    An opener ending in ':' is left out before a sentence with its own colon."""
    if not opener or (opener.endswith(":") and ":" in sentence):
        return sentence
    if not opener.endswith(("!", "?", ".")) and not re.match(r"I\b", sentence):
        sentence = sentence[:1].lower() + sentence[1:]
    return f"{opener} {sentence}"


def fix_articles(text: str) -> str:
    """ "an" before a vowel sound ("an effortless duo", "an olive bag", but "a unique")."""
    return ARTICLE.sub(
        lambda m: m.group(0) if m.group(2).lower().startswith(CONSONANT_U) else m.group(1) + "n ",
        text,
    )


def with_article(noun: str) -> str:
    """ "a dress", "an accessory", "shoes"."""
    return noun if noun in PLURAL_NOUNS else fix_articles(f"a {noun}")


def _tidy(text: str) -> str:
    """Sentence capitals, and "an" before a vowel sound."""
    return SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), fix_articles(text))


def _noun(item: dict) -> str:
    return item.get("fine_label") or DISPLAY_NAME[item["category"]]


def _item_name(item: dict, rng: random.Random) -> str:
    """The garment as people would name it, varied but true: by its colour name ("dim gray
    jacket") or its colour family ("gray jacket"). (Naming its second colour as well, "black
    and dim gray top", was tried: it repeats colour words and lowered distinct-2.)"""
    noun = _noun(item)
    prefix = f"{item['pattern']} " if item["pattern"] not in ("solid", "printed") else ""
    names = [item["name"]]
    if item["colour_family"] not in item["colour_name"].split():
        names.append(f"{prefix}{item['colour_family']} {noun}")
    return rng.choice(names)


def _garment_slots(item: dict, rng: random.Random, suffix: str = "") -> dict[str, str]:
    noun = _noun(item)
    plural = noun in PLURAL_NOUNS
    return {
        f"item{suffix}": _item_name(item, rng),
        f"noun{suffix}": noun,
        f"colour{suffix}": item["colour_name"],
        f"family{suffix}": item["colour_family"],
        f"pattern{suffix}": item["pattern"],
        f"that{suffix}": "those" if plural else "that",
        f"is{suffix}": "are" if plural else "is",
        f"it{suffix}": "them" if plural else "it",
        f"they{suffix}": "they" if plural else "it",
        f"has{suffix}": "have" if plural else "has",
        f"s{suffix}": "" if plural else "s",  # "the bag make{s}", "the shoes make{s}"
        f"es{suffix}": "" if plural else "es",
        f"ies{suffix}": "y" if plural else "ies",
        f"these{suffix}": "these" if plural else "this one",
        f"a{suffix}": "" if plural else "a ",
    }


def _word_slots(data: dict, rng: random.Random) -> dict[str, str]:
    adjective, adjective2, before, before2 = rng.sample(data["adjectives"], 4)
    love = rng.choice(data["love"])

    def determiner(adjective: str) -> str:  # "the", "your", now and then "your sleek"
        return rng.choice(("the", "your")) + (f" {adjective}" if rng.random() < 0.3 else "")

    return {
        "opener": rng.choice(data["openers"]),
        "I_love": "I'm " + love.removeprefix("am ") if love.startswith("am ") else f"I {love}",
        "the": determiner(before),
        "the2": determiner(before2),
        "adj": adjective,
        "adj2": adjective2,
        # praise: an adjective half the time, else a phrase ("a whole mood")
        "praise": adjective if rng.random() < 0.5 else rng.choice(data["praise"]),
        "adv": (adverbs := rng.sample(data["adverbs"], 2))[0],
        "adv2": adverbs[1],
        "vibe": rng.choice(data["vibe"]),
        "nice": rng.choice(data["nice"]),
        "hype": rng.choice(data["hype"]),
        "emoji": "".join(rng.sample(data["emoji"], rng.choice((1, 1, 1, 2, 2, 3)))),
    }


def _candidates(outfit: dict, rng: random.Random, count: int) -> list[Comment]:
    """Comments made of an optional opener, a lead sentence naming real garments, an optional
    follow-up (about the whole look, or a question about a garment already named), an optional
    hype line and emoji."""
    data = prompts.load("comments")
    templates = data["templates"]
    items = mentionable_items(outfit)
    if not items:  # nothing the parser is sure of: warm words about the whole look, no garment
        return _whole_look(data, rng, count)
    styles = detect_styles(outfit)
    style = styles[0].style if styles and styles[0].score >= 0.3 else None
    patterned = [i for i in items if i["pattern"] not in ("solid", "printed")]
    families = (
        ["one_item", "one_item"]
        + (["two_items", "two_items"] if len(items) >= 2 else [])
        + ["colour"]
        + (["style"] if style else [])
        + (["pattern"] if patterned else [])
    )
    out: list[Comment] = []
    for _ in range(count):
        family = rng.choice(families)
        lead = rng.randrange(len(templates[family]))
        pool = patterned if family == "pattern" else items
        # Bigger garments first: they are both what people notice and what the parser gets right.
        chosen = rng.sample(pool[:3], min(len(pool[:3]), 2)) if family == "two_items" else [
            rng.choice(pool[:3])
        ]
        slots = {
            **_word_slots(data, rng),
            **_garment_slots(chosen[0], rng),
            **(_garment_slots(chosen[1], rng, "2") if len(chosen) > 1 else {}),
            "style": style or "",
        }
        parts = [_fill(templates[family][lead], slots, rng)]
        keys = [f"{family}:{lead}"]
        roll = rng.random()
        if roll < 0.45:
            extra = "follow_up" if roll < 0.35 else "question"
            follow = rng.randrange(len(templates[extra]))
            fresh = {**slots, **_word_slots(data, rng)}  # its own words, not the lead's again
            parts.append(_fill(templates[extra][follow], fresh, rng))
            keys.append(f"{extra}:{follow}")
        if rng.random() < 0.55:
            parts[0] = _join(slots["opener"], parts[0])
        if rng.random() < 0.3:
            parts.append(slots["hype"])
        if rng.random() < 0.8:
            parts.append(slots["emoji"])
        text = _tidy(" ".join(parts))
        named = named_items(text, chosen)
        if not named:
            continue
        out.append(
            Comment(
                text,
                [c["name"] for c in named],
                [c["category"] for c in named],
                family,
                extras={"template": "+".join(keys), "jitter": rng.random() * 0.8},
            )
        )
    return out


def _whole_look(data: dict, rng: random.Random, count: int) -> list[Comment]:
    out = []
    for _ in range(count):
        slots = _word_slots(data, rng)
        follow = rng.randrange(len(data["templates"]["follow_up"]))
        parts = [_join(slots["opener"], _fill(data["templates"]["follow_up"][follow], slots, rng))]
        parts += [slots["hype"], slots["emoji"]]
        key = f"follow_up:{follow}"
        text = _tidy(" ".join(parts))
        out.append(Comment(text, [], [], "whole_look", extras={"template": key, "jitter": 0.0}))
    return out


def _specificity(comment: Comment) -> float:
    """Real things named: a second garment, a colour, a pattern or a style each count a little
    (a strong weight would always pick the two-garment templates, and every user would read
    the same few sentence shapes)."""
    return 0.5 * (len(set(comment.items)) > 1) + 0.5 * (
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
    pool = [c for c in _candidates(outfit, rng, 40) if acceptable(c.text, outfit, recent_keys)]
    # The lead sentence families take turns in a random order weighted by their number of
    # templates (so every sentence pattern is about equally likely to lead); within a family the
    # candidates are ranked. Ranking across families would let the family with the biggest
    # bonus win every time, and everyone would read the same few shapes.
    sizes = {k: len(v) for k, v in prompts.load("comments")["templates"].items()}
    families = sorted({c.family for c in pool})
    order = sorted(families, key=lambda f: -(rng.random() ** (1 / sizes.get(f, 1))))
    chosen: list[Comment] = []
    seen_templates = list(recent_templates)
    seen_words: set[str] = set()
    while pool and len(chosen) < n:
        target = order[len(chosen) % len(order)]
        for c in pool:
            words = set(re.findall(r"[a-z']+", c.text.lower()))
            novelty = len(words - seen_words) / max(len(words), 1)
            c.score = (
                _specificity(c)
                + novelty
                + c.extras["jitter"]
                - 1.5 * (c.extras["template"] in seen_templates)
            )
        best = max(pool, key=lambda c: (c.family == target, c.score, c.text))
        chosen.append(best)
        seen_templates.append(best.extras["template"])
        seen_words |= set(re.findall(r"[a-z']+", best.text.lower()))
        pool = [c for c in pool if text_key(c.text) != text_key(best.text)]
    return chosen


class TemplateCommenter:
    """The default comment backend: templates and word lists from prompts/en/comments.yaml.
    Every backend offers `comments(outfit, n, seed, recent_keys, recent_templates)`."""

    comments = staticmethod(make_comments)
