"""What a free-text message asks for: an intent and its slots, offline, in four languages.

Two layers (docs/conversation.md):
1. Each language's own patterns (prompts/<lang>/intents.yaml): precise regular expressions,
   tried in the file's order; the first match decides. They carry the phrasings that must never
   be missed ("why?", "cheaper") and read the same in every context.
2. Otherwise a small classifier (IntentModel): hashed character and word n-grams plus the
   conversation's context, a linear softmax trained by training/train_intents.py on the labelled
   utterances in training/data/utterances/. Below its confidence floor the answer is "unknown",
   and the dialogue asks a clarifying question instead of guessing.
Slots come from the lexicons in prompts/<lang>/ (intents.yaml and prefs.yaml), read the same way
whichever layer found the intent.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

import prompts

INTENTS: tuple[str, ...] = (
    "greeting", "thanks", "bye", "smalltalk", "help", "pair_with", "occasion_fit", "suggest_item",
    "verdict_why", "verdict_which", "verdict_improve", "occasion_advice", "restyle", "shop_this",
    "search", "refine_cheaper", "refine_colour", "more_like", "refine_brand", "preference",
    "diary", "other",
)
CONTEXTS: tuple[str, ...] = ("none", "photo", "verdict", "shop")
#: The slots each intent's answer reads. Other slot words in the message are not its arguments
#: ("a first date" names no Style Check side, "2+2" no price); the rest of the intents take none.
INTENT_SLOTS: dict[str, tuple[str, ...]] = {
    "pair_with": ("garment", "kind", "colour"), "occasion_fit": ("occasion",),
    "suggest_item": ("garment", "colour", "occasion"), "verdict_why": ("side",),
    "verdict_which": ("side", "occasion"), "verdict_improve": ("side", "garment", "colour"),
    "occasion_advice": ("occasion",), "restyle": ("style",), "shop_this": ("garment", "colour"),
    "search": ("garment", "kind", "colour", "price", "occasion"),
    "refine_cheaper": ("price", "ordinal"),
    "refine_colour": ("colour", "ordinal", "garment", "kind"),
    "more_like": ("ordinal", "garment", "colour"), "refine_brand": ("ordinal",),
    "preference": ("garment", "colour", "style"),
    "diary": ("day", "garment", "colour"),
}
MODEL_PATH = Path(__file__).with_name("intent_model.npz")
SPACES = re.compile(r"\s+")
NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)")
#: A sum in Chinese numerals before a money or limit word: "五十块以下", "两百元内".
HAN_SUM = re.compile(r"([零一二两三四五六七八九十百千万]+)\s*(?:块|元|以内|以下|内)")
HAN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
HAN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}


def han_number(numerals: str) -> int:
    """"五十" -> 50, "两百" -> 200, "一千二百" -> 1200, "十五" -> 15."""
    total = section = digit = 0
    for char in numerals:
        if char in HAN_DIGITS:
            digit = HAN_DIGITS[char]
        elif char == "万":
            total, section, digit = (total + section + digit) * 10_000, 0, 0
        else:
            section, digit = section + (digit or 1) * HAN_UNITS[char], 0
    return total + section + digit


@dataclass(frozen=True)
class Understood:
    intent: str  # one of INTENTS, or "unknown"
    confidence: float
    slots: dict[str, str | int] = field(default_factory=dict)
    by: str = "pattern"  # "pattern", "classifier" or "none"
    words: dict[str, str] = field(default_factory=dict)  # slot -> the user's own word for it

    @classmethod
    def of(cls, intent: str, confidence: float, slots: dict, by: str,
           words: dict) -> Understood:
        """The intent with the slots it takes (all of them while the intent is unknown: the
        clarifying question may still use them)."""
        if intent != "unknown":
            keep = INTENT_SLOTS.get(intent, ())
            slots = {k: v for k, v in slots.items() if k in keep}
            words = {k: v for k, v in words.items() if k in keep}
        return cls(intent, confidence, slots, by, words)


def normalise(text: str) -> str:
    return SPACES.sub(" ", text.lower().replace("ё", "е")).strip()


# features ----------------------------------------------------------------------------------
def _hash(token: str, dims: int) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "little") % dims


def model_slots(slots: dict) -> tuple[str, ...]:
    """The slot names the intent model reads: all but "kind", which only refines "garment" (its
    words are garment words) and came after the model."""
    return tuple(sorted(s for s in slots if s != "kind"))


def features(text: str, context: str, dims: int, slots: tuple[str, ...] = ()) -> np.ndarray:
    """Hashed, L2-normalised counts of character 1-4-grams (within words, with edges marked),
    word unigrams and bigrams, the context crossed with the first word, and which slots the
    lexicons found (an occasion, a colour...: what lets a few hundred examples generalise)."""
    text = normalise(text)
    words = re.findall(r"\w+|[?!]", text)
    tokens: list[str] = [f"w:{w}" for w in words]
    tokens += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        padded = f"<{w}>"
        for n in (1, 2, 3, 4):
            tokens += [f"c{n}:{padded[i:i + n]}" for i in range(len(padded) - n + 1)]
    tokens.append(f"ctx:{context}")
    if words:
        tokens.append(f"ctx:{context}:{words[0]}")
    tokens += [f"slot:{s}" for s in slots for _ in range(3)]
    tokens += [f"slot:{context}:{s}" for s in slots]
    vec = np.zeros(dims, np.float32)
    for t in tokens:
        vec[_hash(t, dims)] += 1.0
    vec = np.log1p(vec)
    return vec / max(float(np.linalg.norm(vec)), 1e-6)


@dataclass(frozen=True)
class IntentModel:
    weights: np.ndarray  # (dims, intents)
    bias: np.ndarray
    intents: tuple[str, ...]
    #: Below this probability the best guess is not acted on: chosen by cross-validation on
    #: the training part (training/train_intents.py) and saved with the weights.
    floor: float = 0.35

    @property
    def dims(self) -> int:
        return self.weights.shape[0]

    def probabilities(self, text: str, context: str, slots: tuple[str, ...] = ()) -> np.ndarray:
        logits = features(text, context, self.dims, slots) @ self.weights + self.bias
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(path, weights=self.weights.astype(np.float16), bias=self.bias,
                            intents=np.array(self.intents), floor=np.float32(self.floor))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> IntentModel | None:
        if not path.exists():
            return None
        with np.load(path) as data:
            floor = float(data["floor"]) if "floor" in data else cls.floor
            return cls(data["weights"].astype(np.float32), data["bias"].astype(np.float32),
                       tuple(str(i) for i in data["intents"]), floor)


# lexicons ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lexicon:
    lang: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    slots: dict[str, tuple[tuple[str, str], ...]]  # slot -> ((word, value), ...), longest first
    this_words: re.Pattern[str]  # "this", "цієї"...: ends with one, as the text before a noun

    def word_at(self, text: str, word: str) -> re.Match[str] | None:
        """`word` in `text` as a whole word; Chinese as a substring; Ukrainian and Russian also in
        its other endings (the stem: all but the last two letters, at least four)."""
        return _word_pattern(self.lang, word).search(text)


@cache  # a few thousand lexicon words: compiled once, not per message
def _word_pattern(lang: str, word: str) -> re.Pattern[str]:
    if lang == "zh":
        return re.compile(re.escape(word))
    if lang in ("uk", "ru") and len(word) >= 5 and " " not in word:
        stem = re.escape(word[:max(4, len(word) - 2)])
        return re.compile(rf"(?<!\w){stem}\w{{0,4}}(?!\w)")
    return re.compile(rf"(?<!\w){re.escape(word)}(?:s|es)?(?!\w)")


def _pairs(table: dict, key: str | None = None) -> list[tuple[str, str]]:
    out = []
    for value, words in (table or {}).items():
        if isinstance(words, dict):
            words = words.get(key or "words", [])
        out += [(normalise(str(w)), str(value)) for w in words or []]
    return out


@lru_cache(maxsize=8)
def lexicon(lang: str) -> Lexicon:
    own = prompts.own("intents", lang)
    prefs = prompts.own("prefs", lang)
    patterns = tuple(
        (intent, re.compile(p)) for intent, ps in (own.get("patterns") or {}).items()
        for p in ps or ()
    )
    tables = {
        "garment": _pairs(prefs.get("garments", {})),
        "kind": _pairs(prefs.get("kinds", {})),
        "colour": _pairs(prefs.get("colours", {})),
        "occasion": _pairs(own.get("occasions", {})),
        "style": _pairs(own.get("restyle", {})),
        "day": _pairs(own.get("days", {})),
        "ordinal": _pairs(own.get("ordinals", {})),
        "side": _pairs(own.get("sides", {})),
        "cheaper": [(normalise(str(w)), "cheaper") for w in own.get("cheaper", []) or []],
    }
    slots = {k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in tables.items()}
    this = "|".join(re.escape(normalise(w)) for w in sorted(own.get("this_words") or [], key=len,
                                                             reverse=True)) or r"(?!)"
    edge = "" if lang == "zh" else r"(?<!\w)"
    return Lexicon(lang, patterns, slots, re.compile(rf"{edge}(?:{this})\s*(?:\w+\s+)?$"))


LETTER = r"[A-Za-zЀ-ӿ]"
#: A capital letter on its own; Chinese characters may touch it ("为啥A分高").
CAPITAL_SIDE = re.compile(rf"(?<!{LETTER})([ABАБ])(?!{LETTER})")


def _side(text: str, raw: str) -> str | None:
    """A Style Check letter written as such: "A"/"B" in capitals (Latin or Cyrillic), or "b" (a
    lower-case "a" is the English article unless it stands alone or right before better/worse)."""
    for m in CAPITAL_SIDE.finditer(raw):
        if m[1] == "А" and not raw[:m.start()].strip() and re.match(rf"\s*{LETTER}",
                                                                   raw[m.end():]):
            continue  # Cyrillic "А" opening a sentence is "and" / "but": "А чому?"
        return "b" if m[1] in ("B", "Б") else "a"
    if re.search(r"(?<![\w])[bб](?![\w])", text):
        return "b"
    if re.search(r"(?<![\w])a(?=\s*(\?|$|better|worse|win|won|lose|lost))", text):
        return "a"
    return None


def _garment(lex: Lexicon, text: str) -> tuple[str, str] | None:
    """The garment a message asks about: of those it names, the first one not pointed at with
    "this" ("which shoes go with this dress?" asks about shoes; "can I wear these jeans with brown
    boots?" about boots); else the first named."""
    named: list[tuple[int, int, str, str]] = []  # start, end, value, word
    for word, value in lex.slots["garment"]:  # longest first: "trench coat" before "coat"
        m = lex.word_at(text, word) if word else None
        if m and not any(s < m.end() and m.start() < e for s, e, _, _ in named):
            named.append((m.start(), m.end(), value, m.group(0)))
    if not named:
        return None
    named.sort()
    free = [n for n in named if not lex.this_words.search(text[:n[0]])]
    _, _, value, word = (free or named)[0]
    return value, word


def read_slots(text: str, raw: str, langs: tuple[str, ...]) -> tuple[dict, dict]:
    """(slots, the words they were read from) using the lexicons of `langs`, first found wins."""
    slots: dict[str, str | int] = {}
    words: dict[str, str] = {}
    for lang in langs:
        lex = lexicon(lang)
        for slot, table in lex.slots.items():
            if slot in slots:
                continue
            if slot == "garment":
                if found := _garment(lex, text):
                    slots[slot], words[slot] = found
                continue
            for word, value in table:
                if word and (m := lex.word_at(text, word)):
                    slots[slot], words[slot] = value, m.group(0)
                    break
    if "side" not in slots and (side := _side(text, raw)):
        slots["side"] = side
    if "ordinal" in slots:
        slots["ordinal"] = int(slots["ordinal"])
    if "ordinal" not in slots:
        if m := NUMBER.search(text):
            slots["price"] = float(m.group(1).replace(",", "."))
        elif m := HAN_SUM.search(text):
            slots["price"] = float(han_number(m.group(1)))
    return slots, words


class Understanding:
    """Intent and slots of a message, given its language and the conversation's context."""

    def __init__(self, model: IntentModel | None = None) -> None:
        self.model = model if model is not None else IntentModel.load()

    def __call__(self, text: str, lang: str, context: str = "none") -> Understood:
        raw = text.strip()
        norm = normalise(raw)
        langs = tuple(dict.fromkeys((prompts.normalise(lang), "en")))
        slots, words = read_slots(norm, raw, langs)
        for each in langs:
            for intent, pattern in lexicon(each).patterns:
                if pattern.search(norm):
                    return Understood.of(intent, 1.0, slots, "pattern", words)
        if self.model is not None and re.search(r"[^\W\d_]", norm):  # letters, not just emoji
            probs = self.model.probabilities(norm, context, model_slots(slots))
            best = int(probs.argmax())
            if probs[best] >= self.model.floor:
                return Understood.of(self.model.intents[best], float(probs[best]), slots,
                                     "classifier", words)
        return Understood("unknown", 0.0, slots, "none", words)
