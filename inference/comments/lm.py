"""Optional comment backend: any causal language model through transformers, grounded by the
same parse and held to the same rules as the templates (inference.comments.templates.violations). A
generation that breaks a rule is dropped; when none survives, the template backend answers."""

from __future__ import annotations

import logging
import re
from typing import Any

import torch

import prompts
from inference.comments.templates import (
    SPACELESS,
    Comment,
    TemplateCommenter,
    acceptable,
    mentionable_items,
    named_items,
)
from inference.core import wording
from inference.styles.detection import detect_styles

log = logging.getLogger(__name__)


class LMCommenter:
    def __init__(self, model: Any, tokenizer: Any, max_new_tokens: int = 40) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.fallback = TemplateCommenter()

    @classmethod
    def from_pretrained(cls, model_id: str, **kwargs: Any) -> LMCommenter:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        return cls(
            AutoModelForCausalLM.from_pretrained(model_id, **kwargs),
            AutoTokenizer.from_pretrained(model_id),
        )

    def prompt(self, outfit: dict, locale: str = "en") -> str:
        """The model's instructions in `locale` (comment_prompt.txt), naming the sure garments
        and the style in that language."""
        locale = prompts.normalise(locale)
        items = mentionable_items(outfit)
        styles = detect_styles(outfit)
        template = prompts.text_file("comment_prompt.txt", locale)
        if locale == "en":
            return template.format(
                items=", ".join(i["name"] for i in items[:4]) or "the outfit",
                style=styles[0].style if styles else "its own",
            )
        texts = prompts.load("comments", locale)
        return template.format(
            items=wording.list_words([wording.item_phrase(i, locale) for i in items[:4]], locale)
            or texts.get("lm_no_items", "the outfit"),
            style=wording.style_word(styles[0].style, locale) if styles
            else texts.get("lm_no_style", "its own"),
        )

    @torch.inference_mode()
    def generate(self, outfit: dict, n: int, seed: int, locale: str = "en") -> list[str]:
        torch.manual_seed(seed)
        inputs = self.tokenizer(self.prompt(outfit, locale), return_tensors="pt")
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        out = self.model.generate(
            **inputs,
            do_sample=True,
            top_p=0.92,
            temperature=0.9,
            num_return_sequences=n,
            max_new_tokens=self.max_new_tokens,
            pad_token_id=pad,
        )
        start = inputs["input_ids"].shape[1]
        texts = self.tokenizer.batch_decode(out[:, start:], skip_special_tokens=True)
        return [re.sub(r"\s+", " ", t.split("\n")[0]).strip() for t in texts]

    def comments(
        self,
        outfit: dict,
        n: int = 3,
        seed: int = 0,
        recent_keys: frozenset[str] = frozenset(),
        recent_templates: tuple[str, ...] = (),
        locale: str = "en",
    ) -> list[Comment]:
        items = mentionable_items(outfit)
        kept: list[Comment] = []
        short = 4 if prompts.normalise(locale) in SPACELESS else 8  # Chinese: more per sign
        for text in self.generate(outfit, max(4, 2 * n), seed, locale) if items else []:
            if len(text) < short or not acceptable(text, outfit, recent_keys, locale):
                continue
            named = named_items(text, items, locale)
            kept.append(
                Comment(
                    text,
                    [i["name"] for i in named],
                    [i["category"] for i in named],
                    "lm",
                    extras={"template": "lm"},
                )
            )
        if len(kept) < n:
            log.info("language model gave %d usable comments; templates fill in", len(kept))
            kept += self.fallback.comments(
                outfit, n - len(kept), seed, recent_keys, recent_templates, locale=locale
            )
        return kept[:n]
