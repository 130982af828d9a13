"""/language: which of the four languages the bot speaks with this user."""

from __future__ import annotations

import prompts
from bot.chat.flows import Turn, button, command
from bot.chat.messages import Button, Reply

#: Each language's own name, as its speakers write it (the same in every language's menu).
NAMES = {"en": "English", "uk": "Українська", "ru": "Русский", "zh": "中文"}


def choose(turn: Turn, lang: str) -> list[Reply]:
    """Set the language for good: it no longer follows what the user types."""
    turn.store.update_user(turn.user_id, lang=lang, lang_chosen=1)
    turn.lang = lang
    return [Reply(turn.say("language_set"))]


async def language(turn: Turn) -> list[Reply]:
    """/language uk, or /language for buttons."""
    wanted = turn.event.args.strip().lower()
    if wanted:
        code = next((c for c, name in NAMES.items() if wanted in (c, name.lower())), None)
        if code is None:
            return [Reply(turn.say("language_unknown"))]
        return choose(turn, code)
    buttons = [Button(NAMES[c], f"lang:{c}") for c in prompts.LANGS]
    return [Reply(turn.say("language_ask"), buttons=[buttons[:2], buttons[2:]])]


async def picked(turn: Turn, payload: str) -> list[Reply]:
    if payload not in prompts.LANGS:
        return [Reply(turn.say("feedback_stale"))]
    return choose(turn, payload)


command("language", language, menu="menu_language", aliases=("lang",))
button("lang", picked)
