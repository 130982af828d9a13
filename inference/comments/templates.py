"""Friendly netizen-style comments, grounded in the parse (after Netizen-Style Commenting, 2018).

The template backend is a small grammar (prompts/<locale>/comments.yaml): an optional opener,
a lead sentence naming real garments (one or two, a colour, a pattern or the style), an optional
follow-up about the whole look or a question, optional hype and emoji; [a|b] alternatives and
independent word banks make the same compliment rarely read the same way twice. Only garments
the parser is sure of are named (big enough, mean probability >= MIN_CONFIDENCE). Many
candidates are made; those that break a rule (a garment not detected, a word about the body,
anything negative, a repeat of what the user saw recently) are dropped; the lead families take
turns in a random order and within a family candidates are ranked for specificity and novelty.
Other languages than English fill their own templates from inference.core.wording (garment
phrases agreeing with the noun) and the banks; English-only slots ({that} {is} {a} ...) are
English's alone.
Same outfit and seed -> same comments."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha1

import prompts
from inference.core import wording
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
#: The same for any alphabet (Ukrainian, Russian): a letter after a sentence's end.
SENTENCE_START_ANY = re.compile(r"(^|[.!?…]\s+)([^\W\d_])")
#: Languages whose script has capitals ("Сукня", not "сукня"); Chinese has none.
CASED = frozenset({"en", "uk", "ru"})
#: Languages written without spaces between words (the parts of a comment are run together,
#: and a garment noun is found as a substring).
SPACELESS = frozenset({"zh"})
#: Languages whose words take endings (a banned word is matched with any ending).
INFLECTED = frozenset({"uk", "ru"})
INFLECTED_ENDINGS = frozenset("аяоеёиіїєуюьйы")
#: Punctuation that ends a sentence, Western and full-width.
SENTENCE_END = ("!", "?", ".", "！", "？", "。", "…")
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


def _banned_group(words: list[str], locale: str) -> str:
    """Banned words of `locale`, as one pattern: anywhere in Chinese; in Ukrainian and Russian
    with any ending (the word less its final vowel starts a word: "талія" bans "талію",
    "талії"); else the whole word. The word boundary is tested once at each place, not once a
    word: a comment is checked against a few hundred (7 ms a comment in Ukrainian before)."""
    if locale in SPACELESS:
        return "(?:" + "|".join(map(re.escape, words)) + ")"
    if locale in INFLECTED:
        stems = [w[:-1] if len(w) > 3 and w[-1].lower() in INFLECTED_ENDINGS else w
                 for w in words]
        return r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, stems)) + r")[^\W\d_]*"
    return r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, words)) + r")(?![^\W\d_])"


@lru_cache(maxsize=16)
def _banned(locale: str = "en") -> re.Pattern[str]:
    """The banned words of English and of `locale` (nothing about the body, in any language);
    made once per language (every candidate comment is checked against it)."""
    english = [str(w) for w in prompts.own("comments", "en").get("banned") or []]
    own = [] if locale == "en" else [
        str(w) for w in prompts.own("comments", locale).get("banned") or [] if w]
    groups = [r"\b(?:" + "|".join(map(re.escape, english)) + r")\b"] if english else []
    if own:
        groups.append(_banned_group(sorted(own, key=len, reverse=True), locale))
    return re.compile("|".join(groups) or r"(?!)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _noun_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each English garment noun (or its plural) as a whole word, compiled once."""
    return tuple((noun, re.compile(rf"\b{re.escape(noun)}s?\b", re.IGNORECASE))
                 for noun in GARMENT_NOUNS)


def _present_nouns(outfit: dict) -> set[str]:
    """The English garment nouns of an outfit: class display names and fine labels."""
    present = {DISPLAY_NAME[i["category"]] for i in outfit["items"]}
    return present | {i["fine_label"] for i in outfit["items"] if i.get("fine_label")}


def garment_words(locale: str) -> dict[str, tuple[str, str]]:
    """How a garment can be named in `locale`: word (lower-cased) -> (kind, key), where kind
    "noun" is a vocab.yaml noun (key: the English noun, "jeans") and "class" a prefs.yaml
    garment word (key: the garment class, "pants"). Only the locale's own files count (English
    has GARMENT_NOUNS); a vocab noun wins over a prefs word that is spelt the same."""
    words: dict[str, tuple[str, str]] = {}
    for category, said in (prompts.own("prefs", locale).get("garments") or {}).items():
        for word in said or []:
            words[str(word).casefold()] = ("class", category)
    for noun, entry in (prompts.own("vocab", locale).get("nouns") or {}).items():
        word = entry.get("word") if isinstance(entry, dict) else entry
        if word:
            words[str(word).casefold()] = ("noun", noun)
    return words


def _find(word: str, text: str, locale: str) -> re.Match[str] | None:
    """`word` in `text` as a whole word (anywhere in a language written without spaces)."""
    if locale in SPACELESS:
        return re.search(re.escape(word), text, re.IGNORECASE)
    return re.search(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", text, re.IGNORECASE)


@lru_cache(maxsize=8)
def _longest_first(locale: str) -> tuple[tuple[str, str, str], ...]:
    """garment_words(locale) as (word, kind, key), longest word first."""
    return tuple((word, kind, key) for word, (kind, key) in
                 sorted(garment_words(locale).items(), key=lambda kv: -len(kv[0])))


def _localised_mentions(text: str, locale: str) -> list[tuple[str, str, str]]:
    """The garment words of `locale` a text uses, longest first, each span used once (so
    "连衣裙", a dress, is not also read as "裙", a skirt): (word, kind, key). A word not in the
    text at all (a substring test) is not searched for as a whole word: most are not, and a
    comment is checked against a few hundred words."""
    found, folded = [], text.casefold()
    for word, kind, key in _longest_first(locale):
        if word not in folded:  # the spans blanked below only take words away
            continue
        while match := _find(word, text, locale):
            found.append((word, kind, key))
            text = text[: match.start()] + " " * len(match.group(0)) + text[match.end():]
    return found


def mentionable_items(outfit: dict) -> list[dict]:
    items = [
        i
        for i in outfit["items"]
        if i["category"] in MENTIONABLE
        and i["area"] >= MIN_AREA
        and i.get("confidence", 1.0) >= MIN_CONFIDENCE
    ]
    return sorted(items, key=lambda i: -i["area"])


def violations(text: str, outfit: dict, locale: str = "en") -> list[str]:
    """Why a comment may not be sent: banned words, or a garment the parse did not find
    (English garment nouns in any language; in another language also its vocab.yaml nouns,
    which must be a garment found, and its prefs.yaml garment words, whose class must be)."""
    locale = prompts.normalise(locale)
    problems = [f"banned word {m.group(0)!r}" for m in _banned(locale).finditer(text)]
    present, folded = _present_nouns(outfit), text.casefold()
    for noun, pattern in _noun_patterns():
        # the substring test first: most nouns are not in the text at all
        if noun not in present and noun.casefold() in folded and pattern.search(text):
            problems.append(f"mentions {noun!r}, not in the photo")
    if locale != "en":
        classes = {i["category"] for i in outfit["items"]}
        for word, kind, key in _localised_mentions(text, locale):
            if key not in (present if kind == "noun" else classes):
                problems.append(f"mentions {word!r} ({key}), not in the photo")
    return problems


def named_items(text: str, items: list[dict], locale: str = "en") -> list[dict]:
    """The garments a comment names, read from its text (not assumed from a template): by
    the noun in `locale` (the English noun too, for a model that answers in English)."""
    locale = prompts.normalise(locale)
    if locale == "en":
        return [i for i in items
                if re.search(rf"\b{re.escape(_noun(i))}\b", text, re.IGNORECASE)]
    return [i for i in items
            if _find(wording.noun_word(_noun(i), locale), text, locale)
            or re.search(rf"\b{re.escape(_noun(i))}\b", text, re.IGNORECASE)]


def acceptable(text: str, outfit: dict, recent_keys: frozenset[str], locale: str = "en") -> bool:
    """A comment may be sent: it breaks no rule and the user has not seen it lately."""
    return not violations(text, outfit, locale) and text_key(text) not in recent_keys


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    """Pick one of each [a|b|c] (innermost first), then fill the {slots}."""
    while ALTERNATIVES.search(template):
        template = ALTERNATIVES.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    lowered = dict(slots)
    lowered.update({_cap(k): _cap(v) for k, v in slots.items()})
    return re.sub(r"\s+", " ", template.format(**lowered)).strip()


def _join(opener: str, sentence: str, locale: str = "en") -> str:
    """'Okay,' + 'The bag...' -> 'Okay, the bag...'; 'Yes!' keeps the capital; 'I' stays 'I'.
    An opener ending in ':' is left out before a sentence with its own colon. Chinese is run
    together with no space."""
    if not opener or (opener.endswith((":", "：")) and (":" in sentence or "：" in sentence)):
        return sentence
    if locale == "en":
        if not opener.endswith(("!", "?", ".")) and not re.match(r"I\b", sentence):
            sentence = sentence[:1].lower() + sentence[1:]
    elif locale in CASED and not opener.endswith(SENTENCE_END):
        sentence = sentence[:1].lower() + sentence[1:]
    return opener + _separator(locale) + sentence


def _separator(locale: str) -> str:
    """What goes between the parts of a comment: a space, or nothing in Chinese."""
    return "" if locale in SPACELESS else " "


def fix_articles(text: str) -> str:
    """ "an" before a vowel sound ("an effortless duo", "an olive bag", but "a unique")."""
    return ARTICLE.sub(
        lambda m: m.group(0) if m.group(2).lower().startswith(CONSONANT_U) else m.group(1) + "n ",
        text,
    )


def with_article(noun: str) -> str:
    """ "a dress", "an accessory", "shoes"."""
    return noun if noun in PLURAL_NOUNS else fix_articles(f"a {noun}")


def _tidy(text: str, locale: str = "en") -> str:
    """Sentence capitals (in scripts that have them), and in English "an" before a vowel
    sound."""
    if locale == "en":
        return SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), fix_articles(text))
    if locale in CASED:
        return SENTENCE_START_ANY.sub(lambda m: m.group(1) + m.group(2).upper(), text)
    return text


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


def _local_garment_slots(item: dict, rng: random.Random, locale: str,
                         suffix: str = "") -> dict[str, str]:
    """A garment's slots in another language, all from inference.core.wording: {item} (by
    colour name or, varied as in English, by colour family), {noun}, and {colour} {family}
    {pattern} agreeing with the noun. English's agreement slots ({that} {is} ...) are absent."""
    noun = _noun(item)
    gender = wording.noun_gender(noun, locale)
    names = [wording.item_phrase(item, locale)]
    if item["colour_family"] not in item["colour_name"].split():
        names.append(wording.item_phrase(item, locale, by_family=True))
    return {
        f"item{suffix}": rng.choice(names),
        f"noun{suffix}": wording.noun_word(noun, locale),
        f"colour{suffix}": wording.colour_word(item["colour_name"], locale, gender),
        f"family{suffix}": wording.family_word(item["colour_family"], locale, gender),
        f"pattern{suffix}": wording.pattern_word(item["pattern"], locale, gender),
    }


def _garment_slots(item: dict, rng: random.Random, suffix: str = "",
                   locale: str = "en") -> dict[str, str]:
    if locale != "en":
        return _local_garment_slots(item, rng, locale, suffix)
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


def _bank_word(entry: object, gender: str) -> str:
    """A bank entry: a plain string, or an adjective's {m, f, n, pl} forms (Ukrainian,
    Russian) of which the one agreeing with the garment's gender."""
    if isinstance(entry, dict):
        return str(entry.get(gender) or entry.get("m") or next(iter(entry.values()), ""))
    return str(entry)


def _local_word_slots(data: dict, rng: random.Random, gender: str) -> dict[str, str]:
    """The banks' slots in another language: {opener} {adj} {praise} {adv} {vibe} {nice}
    {hype} {emoji}; adjectives given as gender forms agree with the lead garment."""

    def pick(bank: str, k: int = 1) -> list[str]:
        words = list(data.get(bank) or [""])
        chosen = rng.sample(words, min(k, len(words)))
        chosen += chosen[-1:] * (k - len(chosen))  # a bank shorter than k repeats its last
        return [_bank_word(w, gender) for w in chosen]

    adjective, adjective2 = pick("adjectives", 2)
    adverb, adverb2 = pick("adverbs", 2)
    praise = pick("praise")[0] if data.get("praise") and rng.random() >= 0.5 else adjective
    emoji = data.get("emoji") or [""]
    return {
        "opener": pick("openers")[0],
        "adj": adjective,
        "adj2": adjective2,
        "praise": praise,
        "adv": adverb,
        "adv2": adverb2,
        "vibe": pick("vibe")[0],
        "nice": pick("nice")[0],
        "hype": pick("hype")[0],
        "emoji": "".join(rng.sample(emoji, min(len(emoji), rng.choice((1, 1, 1, 2, 2, 3))))),
    }


def _word_slots(data: dict, rng: random.Random, locale: str = "en",
                gender: str = "m") -> dict[str, str]:
    if locale != "en":
        return _local_word_slots(data, rng, gender)
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


def comment_texts(locale: str = "en") -> tuple[str, dict, dict[str, list[str]]]:
    """(the language comments are written in, its comments.yaml with English banks filled
    in, its templates by family). Another language's own templates only (English ones need
    English-only slots); a language whose comments.yaml has no one_item and follow_up
    templates yet comments in English."""
    locale = prompts.normalise(locale)
    if locale != "en":
        own = prompts.own("comments", locale).get("templates") or {}
        if own.get("one_item") and own.get("follow_up"):
            return locale, prompts.load("comments", locale), {k: v for k, v in own.items() if v}
    data = prompts.load("comments")
    return "en", data, data["templates"]


def _candidates(outfit: dict, rng: random.Random, count: int,
                locale: str = "en") -> list[Comment]:
    """Comments made of an optional opener, a lead sentence naming real garments, an optional
    follow-up (about the whole look, or a question about a garment already named), an optional
    hype line and emoji."""
    locale, data, templates = comment_texts(locale)
    items = mentionable_items(outfit)
    if not items:  # nothing the parser is sure of: warm words about the whole look, no garment
        return _whole_look(data, rng, count, locale, templates)
    styles = detect_styles(outfit)
    style = styles[0].style if styles and styles[0].score >= 0.3 else None
    patterned = [i for i in items if i["pattern"] not in ("solid", "printed")]
    families = [
        f
        for f in (
            ["one_item", "one_item"]
            + (["two_items", "two_items"] if len(items) >= 2 else [])
            + ["colour"]
            + (["style"] if style else [])
            + (["pattern"] if patterned else [])
        )
        if templates.get(f)  # a language still being written may lack a family
    ]
    # English says the style by its key, as it always has; another language by its word.
    style_said = style or ""
    if style and locale != "en":
        style_said = wording.style_word(style, locale)
    out: list[Comment] = []
    for _ in range(count):
        family = rng.choice(families)
        lead = rng.randrange(len(templates[family]))
        pool = patterned if family == "pattern" else items
        # Bigger garments first: they are both what people notice and what the parser gets right.
        chosen = rng.sample(pool[:3], min(len(pool[:3]), 2)) if family == "two_items" else [
            rng.choice(pool[:3])
        ]
        gender = "m" if locale == "en" else wording.noun_gender(_noun(chosen[0]), locale)
        slots = {
            **_word_slots(data, rng, locale, gender),
            **_garment_slots(chosen[0], rng, locale=locale),
            **(_garment_slots(chosen[1], rng, "2", locale) if len(chosen) > 1 else {}),
            "style": style_said,
        }
        parts = [_fill(templates[family][lead], slots, rng)]
        keys = [f"{family}:{lead}"]
        roll = rng.random()
        if roll < 0.45:
            extra = "follow_up" if roll < 0.35 or not templates.get("question") else "question"
            follow = rng.randrange(len(templates[extra]))
            # its own words, not the lead's again
            fresh = {**slots, **_word_slots(data, rng, locale, gender)}
            parts.append(_fill(templates[extra][follow], fresh, rng))
            keys.append(f"{extra}:{follow}")
        if rng.random() < 0.55:
            parts[0] = _join(slots["opener"], parts[0], locale)
        if rng.random() < 0.3:
            parts.append(slots["hype"])
        if rng.random() < 0.8:
            parts.append(slots["emoji"])
        text = _tidy(_separator(locale).join(parts), locale)
        named = named_items(text, chosen, locale)
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


def _whole_look(data: dict, rng: random.Random, count: int, locale: str = "en",
                templates: dict[str, list[str]] | None = None) -> list[Comment]:
    follow_ups = (templates or data["templates"])["follow_up"]
    out = []
    for _ in range(count):
        slots = _word_slots(data, rng, locale)
        follow = rng.randrange(len(follow_ups))
        parts = [_join(slots["opener"], _fill(follow_ups[follow], slots, rng), locale)]
        parts += [slots["hype"], slots["emoji"]]
        key = f"follow_up:{follow}"
        text = _tidy(_separator(locale).join(parts), locale)
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
    """What counts as 'the same comment': letters only (of any alphabet or script), case-folded,
    hashed. (English keys are what they were: for a-z, casefold is lower.)"""
    return sha1(re.sub(r"[\W\d_]", "", text.casefold()).encode()).hexdigest()[:16]


def _words(text: str, locale: str = "en") -> set[str]:
    """The words of a comment, for novelty: English as before; other alphabets' words; each
    character of Chinese."""
    if locale == "en":
        return set(re.findall(r"[a-z']+", text.lower()))
    if locale in SPACELESS:
        return set(re.findall(r"[^\W\d_]", text.casefold()))
    return set(re.findall(r"[^\W\d_][^\W\d_'’-]*", text.casefold()))


def make_comments(
    outfit: dict,
    n: int = 3,
    seed: int = 0,
    recent_keys: frozenset[str] = frozenset(),
    recent_templates: tuple[str, ...] = (),
    locale: str = "en",
) -> list[Comment]:
    """n ranked comments for an outfit (Outfit.as_dict()), none repeating `recent_keys`, in
    `locale` (English while that language has no comment templates)."""
    locale, _, templates = comment_texts(locale)
    rng = random.Random(f"{seed}:{outfit.get('summary', '')}")  # varies per outfit, repeatable
    pool = [c for c in _candidates(outfit, rng, 40, locale)
            if acceptable(c.text, outfit, recent_keys, locale)]
    # The lead sentence families take turns in a random order weighted by their number of
    # templates (so every sentence pattern is about equally likely to lead); within a family the
    # candidates are ranked. Ranking across families would let the family with the biggest
    # bonus win every time, and everyone would read the same few shapes.
    sizes = {k: len(v) for k, v in templates.items()}
    families = sorted({c.family for c in pool})
    order = sorted(families, key=lambda f: -(rng.random() ** (1 / sizes.get(f, 1))))
    chosen: list[Comment] = []
    seen_templates = list(recent_templates)
    seen_words: set[str] = set()
    while pool and len(chosen) < n:
        target = order[len(chosen) % len(order)]
        for c in pool:
            words = _words(c.text, locale)
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
        seen_words |= _words(best.text, locale)
        pool = [c for c in pool if text_key(c.text) != text_key(best.text)]
    return chosen


class TemplateCommenter:
    """The default comment backend: templates and word lists from prompts/<locale>/comments.yaml.
    Every backend offers `comments(outfit, n, seed, recent_keys, recent_templates, locale=)`."""

    comments = staticmethod(make_comments)
