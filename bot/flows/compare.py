"""Two photos in: both outfits side by side and the user's pick stored as feedback."""

from __future__ import annotations

import prompts
from bot.flows import Turn
from bot.flows.memory import Recent
from bot.flows.outfit import analyse_and_store
from bot.messages import Button, ImageOut, Reply
from inference import pictures
from inference.images import BadImage
from inference.parse import Outfit
from storage.db import NotFound


async def _compare(turn: Turn, first: tuple[int, Outfit], second: tuple[int, Outfit],
                   note: str = "") -> list[Reply]:
    (a_id, a), (b_id, b) = first, second
    verdict_id = turn.store.add_verdict(turn.user_id, a_id, b_id, None, {}, [])

    def render() -> bytes:
        return pictures.png_bytes(pictures.side_by_side(a.image, b.image, ("A", "B")))

    png = await turn.run(render)
    text = prompts.reply("compare_intro", a=a.summary or "hard to read",
                         b=b.summary or "hard to read")
    text = "\n".join(t for t in (note, text, prompts.reply("compare_pick")) if t)
    return [Reply(text, images=[ImageOut(png, "A · B", "compare.png")], buttons=[[
        Button("I prefer A", f"pick:{verdict_id}:a"), Button("I prefer B", f"pick:{verdict_id}:b"),
    ]])]


async def compare_album(turn: Turn) -> list[Reply]:
    try:
        first = await analyse_and_store(turn, 0)
        second = await analyse_and_store(turn, 1)
    except BadImage as bad:
        return [Reply(prompts.reply("bad_image", reason=bad.reason))]
    for (outfit_id, outfit), photo in zip((first, second), turn.event.photos, strict=False):
        turn.recent.remember(turn.user_id, photo.ref, outfit_id, outfit, paired=True)
    note = prompts.reply("compare_need_two") if len(turn.event.photos) > 2 else ""
    return await _compare(turn, first, second, note)


async def compare_with_recent(turn: Turn, earlier: Recent) -> list[Reply]:
    try:
        second = await analyse_and_store(turn, 0)
    except BadImage as bad:
        return [Reply(prompts.reply("bad_image", reason=bad.reason))]
    earlier.paired = True
    turn.recent.remember(turn.user_id, turn.event.photos[0].ref, *second, paired=True)
    return await _compare(turn, (earlier.outfit_id, earlier.outfit), second)


async def picked(turn: Turn, payload: str) -> list[Reply]:
    verdict_id, _, choice = payload.partition(":")
    if not verdict_id.isdigit() or choice not in ("a", "b"):
        return [Reply(prompts.reply("feedback_stale"))]
    try:
        turn.store.verdict(turn.user_id, int(verdict_id))  # only the user's own verdicts
    except NotFound:
        return [Reply(prompts.reply("feedback_stale"))]
    turn.store.add_feedback(turn.user_id, "verdict", int(verdict_id), choice)
    return [Reply(prompts.reply("feedback_thanks"))]
