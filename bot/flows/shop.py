"""'Where can I buy this?': until a catalogue is connected, say so and name what we'd look for."""

from __future__ import annotations

import prompts
from bot.flows import Turn
from bot.flows.outfit import analyse_and_store
from bot.messages import Reply
from inference.images import BadImage
from storage.db import NotFound


def _items_text(items: list[dict]) -> str:
    return ", ".join(i["name"] for i in items) or "nothing I could name"


async def shop(turn: Turn) -> list[Reply]:
    recent = turn.recent.find(turn.user_id, turn.event.reply_to)
    if recent is None:
        return [Reply(prompts.reply("shop_no_photo"))]
    return [Reply(prompts.reply("shop_not_ready",
                                items=_items_text([i.as_dict() for i in recent.outfit.items])))]


async def shop_photo(turn: Turn) -> list[Reply]:
    try:
        _, outfit = await analyse_and_store(turn)
    except BadImage as bad:
        return [Reply(prompts.reply("bad_image", reason=bad.reason))]
    return [Reply(prompts.reply("shop_not_ready",
                                items=_items_text([i.as_dict() for i in outfit.items])))]


async def shop_button(turn: Turn, payload: str) -> list[Reply]:
    try:
        outfit = turn.store.outfit(turn.user_id, int(payload)) if payload.isdigit() else None
    except NotFound:
        outfit = None
    if outfit is None:
        return [Reply(prompts.reply("feedback_stale"))]
    turn.store.add_feedback(turn.user_id, "shop", outfit["id"], "asked")
    return [Reply(prompts.reply("shop_not_ready", items=_items_text(outfit["summary"]["items"])))]
