"""Logging for every `stylebot` command: one stderr handler, and secrets kept out of every line.

Libraries log secrets we hand them: python-telegram-bot logs setWebhook's parameters (the
webhook's `secret_token`) at DEBUG, and httpx logs request URLs, which carry the bot token
(`.../bot<TOKEN>/sendMessage`), at INFO. So a filter on the root logger's handlers rewrites
every record that reaches them, whatever the logger or level, before it is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

from bot.config import Settings

REDACTED = "<redacted>"


class Redact(logging.Filter):
    """Replaces each secret (and its percent-encoded URL form) in a record with `REDACTED`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._forms: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""))}
        # Longest first, so a secret containing another is replaced whole.
        self._forms = sorted(forms | set(self._forms), key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format is the handler's to report, not ours
            return True
        # The message is formatted here, so the args (a dict of parameters, a URL) go too.
        record.msg, record.args = self._scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


def redact_secrets(*secrets: str | None) -> None:
    """Keep these secrets out of everything the root logger's handlers write (again: adds)."""
    wanted = [s for s in secrets if s]
    for handler in logging.getLogger().handlers:
        found = next((f for f in handler.filters if isinstance(f, Redact)), None)
        if found is None:
            handler.addFilter(Redact(wanted))
        else:
            found.add(wanted)


def configured_secrets(settings: Settings) -> list[str]:
    """The secrets in the settings: the bot token (and its secret half, after the bot's id),
    the webhook secret, the LLM server's key, the database URL's password."""
    held = (settings.telegram.token, settings.telegram.webhook_secret,
            settings.conversation.llm_api_key)
    values = [s.get_secret_value() for s in held if s is not None]
    token = settings.telegram.token
    url = settings.storage.url
    password = url and urlsplit(url.get_secret_value()).password
    return values + ([token.get_secret_value().partition(":")[2]] if token else []) + (
        [unquote(password)] if password else [])


def setup_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, with the configured secrets redacted."""
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact_secrets(*configured_secrets(settings))
