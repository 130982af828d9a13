"""One outfit photo in: the garments with colours and patterns, an overlay and a palette."""

from __future__ import annotations

import logging

import prompts
from bot.flows import Turn
from bot.messages import Button, ImageOut, Reply
from inference import pictures
from inference.images import BadImage
from inference.parse import Outfit
from inference.taxonomy import CLASS_INDEX, DISPLAY_NAME, NON_GARMENT

log = logging.getLogger(__name__)


def item_rows(outfit: Outfit) -> list[dict]:
    """Items as storage rows."""
    import json

    return [
        {"category": i.category, "fine_label": i.fine_label, "colour_name": i.colour.name,
         "colour_family": i.colour.family, "rgb": json.dumps(i.colour.rgb), "pattern": i.pattern,
         "area": round(i.area, 4), "box": json.dumps(i.box)}
        for i in outfit.items
    ]


def render_outfit(outfit: Outfit) -> list[ImageOut]:
    """Overlay (with the items' own names in the legend) and palette, as PNGs."""
    names = {CLASS_INDEX[i.category]: i.name for i in outfit.items}
    overlay = pictures.overlay_picture(outfit.image, outfit.labels, names)
    images = [ImageOut(pictures.png_bytes(overlay), "What I see", "overlay.png")]
    palette = outfit.palette()
    if palette:
        images.append(ImageOut(pictures.png_bytes(pictures.palette_picture(palette)),
                               "Outfit colours", "palette.png"))
    return images


async def analyse_and_store(turn: Turn, index: int = 0) -> tuple[int, Outfit]:
    """Decode and parse photo `index` of the event off the loop, then store it; BadImage passes up."""
    photo = turn.event.photos[index]
    image, outfit = await turn.run(turn.services.pipeline.load_and_parse, photo.data)
    keep = bool(turn.user.get("keep_photos"))
    photo_id = turn.store.add_photo(turn.user_id, photo.data, image.width, image.height, keep)
    outfit_id = turn.store.add_outfit(turn.user_id, photo_id, outfit.as_dict(), item_rows(outfit))
    return outfit_id, outfit


def describe(outfit: Outfit) -> str:
    if "no_person" in outfit.problems:
        return prompts.reply("no_person")
    if not outfit.items:
        return prompts.reply("outfit_nothing")
    summary = outfit.summary
    if "tiny" in outfit.problems:
        return prompts.reply("tiny_person", summary=summary)
    if "several_people" in outfit.problems:
        return prompts.reply("several_people", summary=summary)
    text = prompts.reply("outfit_seen", summary=summary)
    colours = ", ".join(dict.fromkeys(c.name for c in outfit.palette()[:4]))
    return f"{text}\n{prompts.reply('outfit_colours', colours=colours)}" if colours else text


async def outfit_feedback(turn: Turn) -> list[Reply]:
    try:
        outfit_id, outfit = await analyse_and_store(turn)
    except BadImage as bad:
        return [Reply(prompts.reply("bad_image", reason=bad.reason))]
    turn.recent.remember(turn.user_id, turn.event.photos[0].ref, outfit_id, outfit)
    reply = Reply(describe(outfit))
    if outfit.items:
        reply.images = await turn.run(render_outfit, outfit)
        reply.buttons = [[Button("✂️ Cut-out", f"cut:{outfit_id}"),
                          Button("🛍 Where can I buy this?", f"shop:{outfit_id}")]]
    replies = [reply]
    settings = turn.services.settings
    state = turn.store.state(turn.user_id)
    if (turn.user.get("keep_photos") is None and settings.privacy.ask_before_keeping_photos
            and not state.get("asked_keep_photos")):
        turn.store.set_state(turn.user_id, {**state, "asked_keep_photos": True})
        replies.append(Reply(prompts.reply("keep_photos_ask"), buttons=[[
            Button("Yes, keep them", "keep:yes"), Button("No, thanks", "keep:no")]]))
    return replies


async def cutout(turn: Turn, payload: str) -> list[Reply]:
    """The outfit with the background (and skin, hair) removed, as a transparent PNG."""
    recent = turn.recent.by_outfit(turn.user_id, int(payload)) if payload.isdigit() else None
    if recent is None:
        return [Reply(prompts.reply("feedback_stale"))]
    outfit = recent.outfit
    garment_ids = [CLASS_INDEX[c] for c in DISPLAY_NAME if c not in NON_GARMENT]

    def render() -> bytes:
        import numpy as np

        keep = np.isin(outfit.labels, garment_ids)
        return pictures.png_bytes(pictures.cutout_picture(outfit.image, keep))

    png = await turn.run(render)
    return [Reply("Here's your outfit without the background.",
                  images=[ImageOut(png, "Cut-out", "cutout.png")])]
