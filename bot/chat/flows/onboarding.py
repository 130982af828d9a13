"""Greeting, help and the privacy note."""

from __future__ import annotations

from bot.chat.flows import Turn, command
from bot.chat.messages import Reply


async def start(turn: Turn) -> list[Reply]:
    name = turn.event.display_name.strip()[:40]
    if not (name and name.isprintable()):
        name = turn.say("start_default_name")
    return [Reply(turn.say("start", name=name))]


async def help_(turn: Turn) -> list[Reply]:
    return [Reply(turn.say("help"))]


async def privacy(turn: Turn) -> list[Reply]:
    text = turn.say("privacy_note")
    workers = turn.services.settings.workers
    if workers.shared:  # recent photos wait in the database, not only in memory
        minutes = f"{workers.recent_photo_minutes:g}"
        text += "\n" + turn.say("privacy_shared_photos", minutes=minutes)
    return [Reply(text)]



command("start", start, menu="menu_start")
command("help", help_, menu="menu_help")
command("privacy", privacy, menu="menu_privacy")
