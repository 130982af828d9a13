"""The README documents every way in: each CLI subcommand (and each `eval`, `train` and
`catalog` action) and each chat command a user can type (as sqlite-utils tests its docs)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli.main import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _subcommands() -> list[str]:
    """'parse', 'eval parser', 'catalog import', ... from the real argument parser."""
    found = []
    for action in build_parser()._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            found.append(name)
            for inner in sub._actions:
                if inner.dest in ("what", "action") and inner.choices:
                    found += [f"{name} {choice}" for choice in inner.choices]
    return found


def test_the_subcommand_list_is_read_from_the_parser() -> None:
    commands = _subcommands()
    assert {"web", "run", "parse", "check", "eval parser", "train embedder",
            "catalog build"} <= set(commands)


@pytest.mark.parametrize("command", _subcommands())
def test_every_cli_subcommand_is_in_the_readme(command: str) -> None:
    assert re.search(rf"\bstylebot {re.escape(command)}\b", README), (
        f"`stylebot {command}` is not documented in README.md")


def _chat_commands() -> list[str]:
    from bot.chat import flows

    return [name for name, _ in flows.menu()]


def test_the_chat_command_list_is_read_from_the_flows() -> None:
    assert {"start", "help", "prefs", "search", "history", "forget"} <= set(_chat_commands())


@pytest.mark.parametrize("command", _chat_commands())
def test_every_chat_command_is_in_the_readme(command: str) -> None:
    assert re.search(rf"`/{re.escape(command)}\b", README), (
        f"the chat command /{command} is not documented in README.md")
