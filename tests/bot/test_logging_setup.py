"""Secrets never reach the logs: the real webhook set-up against the Bot API stand-in, with the
telegram and httpx loggers at DEBUG, and the start-up logging of every `stylebot` command."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from bot.channels.telegram import build_application, running, start_webhook
from bot.logging_setup import REDACTED, Redact, redact_secrets, setup_logging
from tests.botapi_standin import TOKEN

SECRET = "hook-SECRET_4f7c9e2a81"
LOGGERS = ("", "telegram", "httpx", "httpcore")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, through the only root handler (as at a command's start)."""
    root, out = logging.getLogger(), io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved_handlers, saved_levels = root.handlers[:], {n: logging.getLogger(n).level
                                                      for n in LOGGERS}
    root.handlers = [handler]
    try:
        yield out
    finally:
        for other in root.handlers:  # pytest's own handlers live on from test to test
            for redact in [f for f in other.filters if isinstance(f, Redact)]:
                other.removeFilter(redact)
        root.handlers = saved_handlers
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def debug_everywhere() -> None:
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


async def test_webhook_setup_at_debug_logs_neither_token_nor_secret(
        tg_settings, services, api, captured):
    tg_settings.telegram.webhook_secret = SecretStr(SECRET)
    tg_settings.telegram.webhook_port = 0
    setup_logging(tg_settings)
    application = build_application(tg_settings, services)
    debug_everywhere()  # after build_application, which quietens httpx
    url = "https://bot.example.org/tg/hook"
    async with running(application, polling=False):
        await (await start_webhook(application, tg_settings, url)).cleanup()
        assert api.webhook["secret_token"] == SECRET
        tg_settings.telegram.webhook_secret = None  # unset: a random secret is made and hidden
        await (await start_webhook(application, tg_settings, url)).cleanup()
    made_up = api.webhook["secret_token"]
    text = captured.getvalue()
    # The calls were logged, with their URLs and parameters...
    assert "setWebhook" in text and "HTTP Request" in text and "secret_token" in text
    # ...and no secret in any form.
    for secret in (TOKEN, quote(TOKEN, safe=""), TOKEN.partition(":")[2], SECRET, made_up):
        assert secret not in text
    assert REDACTED in text


def test_redact_covers_args_url_forms_and_tracebacks(captured):
    secret = "abc:DEF/ghi"  # percent-encoded in a URL: abc%3ADEF%2Fghi
    logging.getLogger().addHandler(logging.NullHandler())  # a second handler gets one too
    log = logging.getLogger("any.library")
    log.setLevel(logging.DEBUG)
    redact_secrets(secret, None, "")
    redact_secrets(secret)  # again: one filter per handler
    log.debug("params %s", {"secret_token": secret})
    log.info("GET https://x/%s/y", quote(secret, safe=""))
    try:
        raise RuntimeError(f"failed with {secret}")
    except RuntimeError:
        log.exception("boom")
    text = captured.getvalue()
    assert secret not in text and quote(secret, safe="") not in text
    assert text.count(REDACTED) == 3 and "failed with" in text
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, Redact) for f in handler.filters) == 1
    # A bad format is left for the handler to report: the filter itself never raises.
    bad = logging.LogRecord("x", logging.INFO, __file__, 1, "bad %d", ("x",), None)
    assert Redact([secret]).filter(bad) and bad.args == ("x",)


def test_the_database_password_is_a_configured_secret(monkeypatch) -> None:
    from bot.config import load_settings
    from bot.logging_setup import configured_secrets

    monkeypatch.setenv("STYLEBOT_STORAGE__URL", "postgresql://bot:p%40ss@db.example.org/bot")
    assert "p@ss" in configured_secrets(load_settings())  # quoted forms follow (Redact)
    monkeypatch.delenv("STYLEBOT_STORAGE__URL")
    monkeypatch.setenv("STYLEBOT_TELEGRAM__TOKEN", "1:x")
    assert configured_secrets(load_settings()) == ["1:x", "x"]
