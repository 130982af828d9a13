"""An optional local language model for open-ended questions ("what shoes go with this?").

Why it is shaped like this:
- The model only ever sees what stylebot knows for sure (the last parse, the Style Check verdict,
  the user's stated preferences, a few recent turns), so its answer is grounded in the photo and
  not in the model's imagination; `grounded()` then holds the answer to the same rules as the
  comments (no words about bodies, no garment the parser did not find) and anything else is
  dropped: the caller falls back to its own texts.
- Two backends behind one small protocol: `OpenAIChat` talks to any OpenAI-compatible server
  (llama.cpp's `llama-server` or llama-cpp-python's server, Ollama, vLLM) so the model runs in
  its own process; `TransformersChat` runs a transformers causal LM in a worker thread.
- Every failure (server down, timeout, empty or refused answer) is `None` and a warning in the
  log, never an exception: the bot must answer even when the model does not.
No Telegram and no SQLite here (inference knows nothing of chats or databases).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import prompts
from inference.comments.templates import GARMENT_NOUNS, violations
from inference.core.garments import DISPLAY_NAME

log = logging.getLogger(__name__)

#: The longest answer sent: the instructions ask for three short sentences.
MAX_ANSWER_CHARS = 600
#: Recent turns given to the model; older ones cost time and rarely help.
MAX_HISTORY_TURNS = 6
SYSTEM_PROMPT = "llm_system.txt"


@dataclass
class Grounding:
    """Everything the model may rely on, in the shapes the rest of stylebot already has."""

    locale: str = "en"  # "en", "uk", "ru" or "zh": the instructions' language
    outfit: dict | None = None  # Outfit.as_dict() of the last photo
    verdict: dict | None = None  # {"p_a": ..., "reasons": [{"text": ...}, ...]}
    preferences: dict = field(default_factory=dict)  # avoid / love: colours, garments, styles
    history: Sequence[tuple[str, str]] = ()  # the last few (role, text) turns, oldest first


def _things(value: Any) -> str:
    """A preference value (list, set, dict, string) as 'a, b, c'."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_things(v)}" for k, v in value.items() if v)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v).replace(":", " ") for v in sorted(value, key=str))
    return str(value)


def context(grounding: Grounding) -> str:
    """What is known, stated plainly, and nothing else (the model is told to use only this)."""
    lines: list[str] = []
    items = (grounding.outfit or {}).get("items") or []
    if grounding.outfit is None:
        lines.append("No photo yet: no garments are known.")
    elif not items:
        lines.append("Known garments: none were found in the last photo.")
    else:
        lines.append("Known garments in the last photo (mention only these):")
        for item in items:
            colour = item.get("colour_name") or "?"
            family = item.get("colour_family")
            pattern = item.get("pattern")
            extra = f" ({family} family)" if family and family != colour else ""
            patterned = f", {pattern}" if pattern and pattern not in ("solid",) else ""
            lines.append(
                f"- {item.get('name') or item.get('category')}: "
                f"{item.get('category')}, colour {colour}{extra}{patterned}"
            )
    if grounding.verdict:
        p_a = grounding.verdict.get("p_a")
        if isinstance(p_a, int | float):
            a = round(100 * p_a)
            lines.append(f"Style Check verdict: outfit A {a}%, outfit B {100 - a}%.")
        reasons = [r.get("text", "") for r in grounding.verdict.get("reasons") or []]
        if reasons := [r for r in reasons if r]:
            lines.append("Reasons: " + " ".join(reasons))
    prefs = [f"{k.replace('_', ' ')}: {_things(v)}" for k, v in grounding.preferences.items() if v]
    lines.append("User preferences: " + ("; ".join(prefs) if prefs else "none stated."))
    return "\n".join(lines)


def messages(grounding: Grounding, question: str) -> list[dict]:
    """OpenAI-style chat messages: instructions, what is known, recent turns, the question."""
    out = [
        {"role": "system", "content": prompts.text_file(SYSTEM_PROMPT, grounding.locale).strip()},
        {"role": "system", "content": context(grounding)},
    ]
    for role, text in list(grounding.history)[-MAX_HISTORY_TURNS:]:
        if text:
            out.append({"role": "user" if role == "user" else "assistant", "content": text})
    out.append({"role": "user", "content": question})
    return out


class ChatBackend(Protocol):
    async def answer(self, messages: list[dict], timeout: float) -> str | None:
        """The model's reply to `messages`, or None on any failure or after `timeout` seconds."""


class OpenAIChat:
    """Any OpenAI-compatible /v1/chat/completions server: llama.cpp (`llama-server`, or
    `python -m llama_cpp.server`), Ollama (http://127.0.0.1:11434) or vLLM."""

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        max_tokens: int = 160,
        temperature: float = 0.7,
    ) -> None:
        base = url.rstrip("/")
        path = "/chat/completions" if base.endswith("/v1") else "/v1/chat/completions"
        self.endpoint = base + path
        self.model = model
        self.api_key = api_key
        self.max_tokens = max_tokens
        self.temperature = temperature

    async def answer(self, messages: list[dict], timeout: float) -> str | None:
        import aiohttp

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": False,
        }
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s:
                async with s.post(self.endpoint, json=body, headers=headers) as response:
                    if response.status != 200:
                        log.warning("LLM server %s answered HTTP %d: %s", self.endpoint,
                                    response.status, (await response.text())[:200])
                        return None
                    data = await response.json(content_type=None)
            content = data["choices"][0]["message"]["content"]
        except TimeoutError:
            log.warning("LLM server %s gave no answer within %.1f s", self.endpoint, timeout)
            return None
        except Exception as err:  # noqa: BLE001 - any failure means "no answer"
            log.warning("LLM server %s failed: %s: %s", self.endpoint, type(err).__name__, err)
            return None
        text = content.strip() if isinstance(content, str) else ""
        if not text:
            log.warning("LLM server %s gave an empty answer", self.endpoint)
        return text or None


class TransformersChat:
    """A transformers causal LM in this process. Generation runs in a worker thread so the event
    loop never blocks; one generation at a time (a lock), since the model is shared."""

    def __init__(
        self,
        model_id: str,
        max_new_tokens: int = 160,
        temperature: float = 0.7,
        *,
        model: Any = None,
        tokenizer: Any = None,
    ) -> None:
        self.model_id = model_id
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.model = model.eval() if model is not None else None
        self.tokenizer = tokenizer
        self._lock = threading.Lock()

    def _load(self) -> None:
        """Load the model on first use (in the worker thread, outside the answer's timeout)."""
        with self._lock:
            if self.model is None or self.tokenizer is None:
                from transformers import AutoModelForCausalLM, AutoTokenizer

                self.tokenizer = AutoTokenizer.from_pretrained(self.model_id)
                self.model = AutoModelForCausalLM.from_pretrained(self.model_id).eval()

    def _prompt_ids(self, messages: list[dict]) -> Any:
        """Token ids of the conversation through the tokenizer's chat template; when it has none
        (or the template refuses a second system message), plain 'role: text' lines."""
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            merged = _merge_system(messages)
            for attempt in (messages, merged):
                try:
                    encoded = tok.apply_chat_template(
                        attempt, add_generation_prompt=True, return_tensors="pt",
                        return_dict=True,
                    )
                    return encoded["input_ids"]
                except Exception as err:  # noqa: BLE001 - e.g. "roles must alternate"
                    log.info("chat template refused the messages (%s); retrying", err)
        text = "\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\nassistant:"
        return tok(text, return_tensors="pt")["input_ids"]

    def _generate(self, messages: list[dict], timeout: float) -> str | None:
        import torch

        if not self._lock.acquire(timeout=timeout):
            log.warning("the language model is busy; no answer within %.1f s", timeout)
            return None
        try:
            ids = self._prompt_ids(messages)
            pad = self.tokenizer.pad_token_id
            if pad is None:
                pad = self.tokenizer.eos_token_id
            with torch.inference_mode():
                out = self.model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    do_sample=self.temperature > 0,
                    temperature=self.temperature if self.temperature > 0 else None,
                    max_new_tokens=self.max_new_tokens,
                    pad_token_id=pad,
                )
            return self.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()
        finally:
            self._lock.release()

    async def answer(self, messages: list[dict], timeout: float) -> str | None:
        try:
            if self.model is None or self.tokenizer is None:
                await asyncio.to_thread(self._load)
            text = await asyncio.wait_for(
                asyncio.to_thread(self._generate, messages, timeout), timeout
            )
        except TimeoutError:
            # the thread finishes its generation in the background; its answer is dropped
            log.warning("language model %s gave no answer within %.1f s", self.model_id, timeout)
            return None
        except Exception as err:  # noqa: BLE001 - any failure means "no answer"
            log.warning("language model %s failed: %s: %s", self.model_id,
                        type(err).__name__, err)
            return None
        if not text:
            log.warning("language model %s gave an empty answer", self.model_id)
        return text or None


def _merge_system(messages: list[dict]) -> list[dict]:
    """All system messages as one first message (for chat templates that allow only one)."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [m for m in messages if m["role"] != "system"]
    return ([{"role": "system", "content": system}] if system else []) + rest


#: An outfit in which every garment noun counts as found: `violations()` on it reports only
#: banned words (used when no photo is known, so "what goes with a dress?" may be answered).
_EVERY_GARMENT = {
    "items": [{"category": next(iter(DISPLAY_NAME)), "fine_label": noun}
              for noun in sorted(GARMENT_NOUNS)]
}


def grounded(text: str | None, grounding: Grounding) -> bool:
    """The answer may be sent: not empty, not over MAX_ANSWER_CHARS, and it breaks none of the
    comments' rules (no word about bodies; with a photo, no garment the parse did not find)."""
    if not text or not text.strip() or len(text) > MAX_ANSWER_CHARS:
        return False
    problems = violations(text, grounding.outfit if grounding.outfit else _EVERY_GARMENT)
    if problems:
        log.info("language model answer refused: %s", "; ".join(problems))
    return not problems


async def ask(
    backend: ChatBackend, grounding: Grounding, question: str, timeout: float
) -> str | None:
    """The model's grounded answer to `question`, or None (no answer, or one that breaks a
    rule): the caller then answers with its own texts."""
    try:
        text = await backend.answer(messages(grounding, question), timeout)
    except Exception as err:  # noqa: BLE001 - a backend that breaks the contract still
        log.warning("chat backend raised %s: %s", type(err).__name__, err)  # must not
        return None
    return text if text is not None and grounded(text, grounding) else None


class LLMSettings(Protocol):
    """The fields of bot.config's `conversation:` section this module reads (inference never
    imports bot, so the section is described here by its shape)."""

    llm: str
    llm_url: str
    llm_model: str
    llm_api_key: Any
    llm_max_tokens: int


def create_chat_backend(settings: LLMSettings) -> ChatBackend | None:
    """The backend the config names, or None for `llm: none` (the default: fully offline)."""
    kind = (settings.llm or "none").lower()
    if kind == "none":
        return None
    if kind == "openai":
        key = settings.llm_api_key
        if key is not None and hasattr(key, "get_secret_value"):
            key = key.get_secret_value()
        return OpenAIChat(settings.llm_url, settings.llm_model, api_key=key or None,
                          max_tokens=settings.llm_max_tokens)
    if kind == "transformers":
        return TransformersChat(settings.llm_model, max_new_tokens=settings.llm_max_tokens)
    raise ValueError(f"unknown llm backend {settings.llm!r}: none, openai or transformers")
