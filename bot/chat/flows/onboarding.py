"""Greeting, help, privacy note and the fallback for text we do not understand."""

from __future__ import annotations

import prompts
from bot.chat.flows import Turn, command
from bot.chat.messages import Reply


async def start(turn: Turn) -> list[Reply]:
    name = turn.event.display_name.strip()[:40]
    if not (name and name.isprintable()):
        name = prompts.reply("start_default_name")
    return [Reply(prompts.reply("start", name=name))]


async def help_(turn: Turn) -> list[Reply]:
    return [Reply(prompts.reply("help"))]


async def privacy(turn: Turn) -> list[Reply]:
    return [Reply(prompts.reply("privacy_note"))]


async def fallback(turn: Turn) -> list[Reply]:
    limit = turn.services.settings.dialog.max_text_chars
    replies = [Reply(prompts.reply("fallback_text"))]
    if len(turn.event.text) > limit:
        replies.insert(0, Reply(prompts.reply("too_long_text", limit=limit)))
    return replies


command("start", start, menu="menu_start")
command("help", help_, menu="menu_help")
command("privacy", privacy, menu="menu_privacy")
