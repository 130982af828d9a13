"""The flows declare their commands (with a menu text) and button prefixes; the router and the
Telegram command menu are built from those declarations, and every text a user sees, button
labels included, comes from prompts/."""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import prompts
from bot.channels import telegram
from bot.chat import dialog, flows
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, Reply
from inference.core import decode

ROOT = Path(__file__).resolve().parents[3]
FLOW_FILES = sorted((ROOT / "bot" / "chat" / "flows").glob("*.py"))
#: Every file that builds replies: where `prompts.reply` keys and button payloads are looked for.
REPLY_FILES = [*FLOW_FILES, *(ROOT / "bot" / "chat").glob("*.py"),
               *(ROOT / "bot" / "channels").glob("*.py")]
#: What users should find in the menu, whatever else is declared.
BAD_IMAGE_CODES = {"empty", "megapixels", "format", "not_image", "damaged", "too_small"}
MUST_BE_LISTED = {"start", "help", "privacy", "shop", "search", "prefs", "keepphotos", "export",
                  "forget", "history", "week", "daily", "timezone", "weekly"}


def calls(path: Path, name: str) -> list[ast.Call]:
    """The calls of `name(...)` (or `x.name(...)`) in a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                    isinstance(func, ast.Attribute) and func.attr == name):
                found.append(node)
    return found


def argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def is_text_literal(node: ast.expr | None) -> bool:
    """A text written in the code: "…", or an f"…" with more than its {fields}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    return isinstance(node, ast.JoinedStr) and any(
        isinstance(v, ast.Constant) and str(v.value).strip() for v in node.values)


def test_every_flow_module_is_loaded_for_the_declarations() -> None:
    modules = {m.name for m in pkgutil.iter_modules([str(ROOT / "bot" / "chat" / "flows")])}
    assert modules == set(flows.FLOWS)


def test_every_declared_command_has_a_menu_text_in_prompts() -> None:
    replies = prompts.load("replies")
    declared = flows.commands()
    assert MUST_BE_LISTED <= set(declared)
    for name, command in declared.items():
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name), name  # Telegram's rule for commands
        assert isinstance(replies.get(command.menu), str), f"/{name}: no text {command.menu!r}"
        assert 3 <= len(prompts.reply(command.menu)) <= 256, name  # and for descriptions
        assert command.alias_of is None or command.alias_of in declared


def test_declaring_a_command_twice_is_refused() -> None:
    async def other(turn: flows.Turn) -> list[Reply]:
        return []

    with pytest.raises(ValueError, match="/search"):
        flows.command("search", other, menu="menu_search")
    with pytest.raises(ValueError, match="shopi"):
        flows.button("shopi", other)
    assert flows.commands()["search"].handler is not other


def test_the_router_answers_exactly_the_declared_commands_and_buttons() -> None:
    assert dialog.COMMANDS == {name: c.handler for name, c in flows.commands().items()}
    assert dialog.BUTTONS == flows.buttons()
    assert dialog.COMMANDS["diary"] is dialog.COMMANDS["history"]  # an alias


async def test_every_declared_button_prefix_is_dispatched_to_its_handler(monkeypatch) -> None:
    pressed: list[tuple[str, str]] = []

    def recorder(prefix: str):  # noqa: ANN202
        async def handler(turn: flows.Turn, payload: str) -> list[Reply]:
            pressed.append((prefix, payload))
            return [Reply(prefix)]
        return handler

    monkeypatch.setattr(dialog, "BUTTONS", {p: recorder(p) for p in flows.buttons()})
    engine = object.__new__(Dialog)  # routing only: no services needed
    for prefix in flows.buttons():
        turn = SimpleNamespace(event=Incoming("cli:a", "cli", callback=f"{prefix}:1:x"),
                               say=prompts.reply)
        assert [r.text for r in await engine._route(turn)] == [prefix]
    assert pressed == [(p, "1:x") for p in flows.buttons()]
    stale = SimpleNamespace(event=Incoming("cli:a", "cli", callback="nosuchbutton:1"),
                            say=prompts.reply)
    assert [r.text for r in await engine._route(stale)] == [prompts.reply("feedback_stale")]


def test_every_button_the_bot_shows_is_answered() -> None:
    """Each Button(...) payload's prefix (the text before the first ':') is declared."""
    prefixes = set()
    for path in REPLY_FILES:
        for call in calls(path, "Button"):
            payload = argument(call, 1, "payload")
            first = payload.values[0] if isinstance(payload, ast.JoinedStr) else payload
            if isinstance(first, ast.Constant) and ":" in str(first.value):
                prefixes.add((path.name, str(first.value).split(":")[0]))
    assert {p for _, p in prefixes} >= {"fb", "keep", "forget", "more", "cut", "style", "shop",
                                        "shopi", "shopq", "tz", "daily", "pref"}
    assert [(f, p) for f, p in prefixes if p not in flows.buttons()] == []


async def test_the_telegram_menu_is_the_declared_commands_less_aliases() -> None:
    sent: dict = {}

    async def set_my_commands(commands: list, language_code: str | None = None) -> bool:
        sent[language_code] = commands
        return True

    application = SimpleNamespace(bot=SimpleNamespace(set_my_commands=set_my_commands,
                                                      username="stylebot"))
    await telegram._post_init(application)
    assert list(sent) == [None, "uk", "ru", "zh"]  # the default (English), then per language
    assert dict((c.command, c.description) for c in sent["uk"])["help"] == prompts.reply(
        "menu_help", "uk") != prompts.reply("menu_help")
    menu = [(c.command, c.description) for c in sent[None]]
    declared = flows.commands()
    assert menu == [(name, prompts.reply(c.menu)) for name, c in declared.items()
                    if c.alias_of is None]
    assert {name for name, _ in menu} == {n for n, c in declared.items() if c.alias_of is None}
    assert {name for name, _ in menu} >= MUST_BE_LISTED
    assert "diary" in dialog.COMMANDS and "diary" not in dict(menu)
    assert dict(menu)["search"] == prompts.reply("menu_search")


def test_no_button_label_is_written_in_the_flows() -> None:
    hard_coded = [f"{path.name}:{call.lineno}" for path in FLOW_FILES
                  for call in calls(path, "Button")
                  if is_text_literal(argument(call, 0, "label"))]
    assert hard_coded == [], "button labels belong in prompts/en/replies.yaml (button_*)"


def test_every_reply_key_used_in_the_code_exists() -> None:
    replies = prompts.load("replies")
    used = set()
    for path in REPLY_FILES:
        for call in calls(path, "reply"):
            key = argument(call, 0, "key")
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                used.add(key.value)
            elif isinstance(key, ast.IfExp):  # "a" if … else "b"
                used |= {k.value for k in (key.body, key.orelse) if isinstance(k, ast.Constant)}
    from bot.chat.flows import reminders
    from inference.styles.taste import KINDS

    used |= {label for label, _ in reminders.COMMON_ZONES}
    used |= {f"taste_title_{kind}" for kind in KINDS}
    used |= {f"not_photo_{kind}" for kind in (*telegram.NOT_PHOTOS, "pdf", "text")}
    used |= {f"bad_image_{code}" for code in BAD_IMAGE_CODES}
    assert sorted(k for k in used if k not in replies) == []
    labels = [k for k in replies if k.startswith("button_")]
    assert all(isinstance(replies[k], str) and replies[k].strip() for k in labels)


def test_bad_image_codes_are_the_ones_decode_raises() -> None:
    source = (Path(decode.__file__)).read_text()
    assert set(re.findall(r'BadImage\(\s*"(\w+)"', source)) == BAD_IMAGE_CODES
