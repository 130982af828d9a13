"""One outfit photo in: the garments with colours and patterns, an overlay and a palette."""

from __future__ import annotations

import functools
import logging
from dataclasses import replace

from PIL import Image

import prompts
from bot.app import worker_step, worker_warm_up
from bot.chat.flows import Turn, button, diary, preferences
from bot.chat.messages import Button, ImageOut, Reply
from inference.comments.templates import Comment, text_key
from inference.core import drawing as pictures
from inference.core import recolour, wording
from inference.core.decode import BadImage, encode_kept
from inference.core.garments import CLASS_INDEX, PLURAL_NOUNS
from inference.parsing.outfit import Outfit, drawn_outfit
from inference.pipeline import Pipeline
from inference.stylecheck import advice
from inference.styles.detection import detect_styles
from storage.db import NotFound

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


def overlay_image(outfit: Outfit, lang: str = prompts.DEFAULT) -> Image.Image:
    """The photo with its garments tinted and a legend naming them as the user says them."""
    names = {CLASS_INDEX[part]: prompts.reply(f"legend_{part}", lang) for part in ("skin", "hair")}
    names |= {CLASS_INDEX[i.category]: wording.item_phrase(i.as_dict(), lang)
              for i in outfit.items}
    measured = {CLASS_INDEX[i.category]: i.colour.rgb for i in outfit.items}
    return pictures.overlay_picture(outfit.image, outfit.labels, names, measured=measured)


def render_outfit(outfit: Outfit, lang: str = prompts.DEFAULT) -> list[ImageOut]:
    """Overlay (a JPEG: it is the photo) and palette (a PNG: flat swatches)."""
    images = [ImageOut(pictures.jpeg_bytes(overlay_image(outfit, lang)),
                       prompts.reply("caption_overlay", lang), "overlay.jpg")]
    # the swatches named as the user says the colours
    palette = [replace(c, name=wording.colour_word(c.name, lang)) for c in outfit.palette()]
    if palette:
        images.append(ImageOut(pictures.png_bytes(pictures.palette_picture(palette)),
                               prompts.reply("caption_palette", lang), "palette.png"))
    return images


def recoloured(outfit: Outfit, category: str, family: str, lang: str = prompts.DEFAULT,
               after: Image.Image | None = None) -> ImageOut:
    """The photo beside a copy with the main person's `category` garment in `family`, its
    shading and texture kept (inference/core/recolour.py): the user's own photo, one thing
    changed (`after`, when it is made already)."""
    after = after or advice.recoloured_photo(outfit, category, family)
    labels = (prompts.reply("suggest_label_now", lang),
              prompts.reply("suggest_label_idea", lang,
                            colour=wording.family_word(family, lang)))
    picture = recolour.before_after(outfit.image, after, labels)
    return ImageOut(pictures.jpeg_bytes(picture), prompts.reply("caption_suggest", lang),
                    "before-after.jpg")


def _with_article(item: dict, phrase: str, lang: str) -> str:
    """English names a new piece with its article ("a black belt", "an orange bag", "black
    shoes"); the other languages have none."""
    if lang != "en" or wording.noun_key(item) in PLURAL_NOUNS:
        return phrase
    return f"{'an' if phrase[:1] in 'aeiou' else 'a'} {phrase}"


def suggestion_line(found: advice.Suggestion, lang: str = prompts.DEFAULT) -> str:
    """The suggestion in one kind sentence naming the photo's own garments."""
    reason = prompts.load("stylecheck", lang)["feature_words"].get(found.reason, found.reason)
    values = {"reason": reason, "colour": wording.family_word(found.family, lang),
              "before": wording.item_phrase(found.before, lang) if found.before else "",
              "item": _with_article(found.item, wording.item_phrase(found.item, lang, True),
                                    lang)}
    return prompts.reply(f"suggest_{found.kind}", lang, **values)


@worker_step
def outfit_pictures(outfit: Outfit, lang: str = prompts.DEFAULT
                    ) -> tuple[list[ImageOut], str, str]:
    """A photo reply's pictures (overlay, palette, and the before/after of a suggestion), the
    suggestion's line and the Style Check feature behind it ("" when there is none): one call,
    so that with worker processes the outfit is sent to one once, not twice."""
    line, reason, picture = suggestion_replies(outfit, lang)
    return render_outfit(outfit, lang) + picture, line, reason


def suggestion_replies(outfit: Outfit, lang: str = prompts.DEFAULT
                       ) -> tuple[str, str, list[ImageOut]]:
    """One suggestion for the photo (its line and the feature behind it), with its
    before/after picture when it is a colour change; ("", "", []) when no change helps (model
    work: run it off the event loop)."""
    found = advice.suggest(outfit.as_dict())
    if found is None:
        return "", "", []
    if found.kind != "recolour":
        return suggestion_line(found, lang), found.reason, []
    # Checked on the photo itself: a change the colour code cannot read back is not offered.
    after = advice.confirmed_photo(outfit, found.category, found.family)
    if after is None:
        return "", "", []
    return suggestion_line(found, lang), found.reason, [
        recoloured(outfit, found.category, found.family, lang, after)]


async def analyse_and_store(turn: Turn, index: int = 0,
                            diary_entry: bool = False) -> tuple[int, Outfit]:
    """Decode and parse photo `index` of the event off the loop, then store it (as a diary entry
    with its embedding and repeat link when `diary_entry`); BadImage passes up."""
    photo = turn.event.photos[index]
    image, outfit = await turn.run_batched(turn.services.pipeline.load_and_parse_many,
                                           photo.data)
    fields = await diary.entry_fields(turn, outfit) if diary_entry else {}
    keep = bool(turn.user.get("keep_photos"))
    # Kept as the decoded photo re-encoded (orientation applied, capped, EXIF gone).
    encoded = encode_kept(image, turn.services.settings.storage.kept_jpeg_quality) if keep \
        else None
    stored = turn.store.add_analysed_photo(
        turn.user_id, photo.data, image.width, image.height, keep, outfit.as_dict(),
        item_rows(outfit), encoded, **fields)
    if not stored.kept:  # answered all the same; the user hears the photo is not in the diary
        turn.note("photo_not_kept")
    return stored.outfit_id, outfit


def describe(outfit: Outfit, lang: str = prompts.DEFAULT) -> str:
    """What the photo shows, in words: its garments and colours, or why there is nothing to say."""
    say = functools.partial(prompts.reply, locale=lang)
    if "low_resolution" in outfit.problems:
        return say("low_resolution")
    if "no_person" in outfit.problems:
        return say("no_person")
    if not outfit.items:
        return say("outfit_nothing")
    summary = wording.summary(outfit.as_dict(), lang)
    if "tiny" in outfit.problems:
        return say("tiny_person", summary=summary)
    if "several_people" in outfit.problems:
        return say("several_people", summary=summary)
    text = say("outfit_seen", summary=summary)
    colours = wording.joined([wording.colour_word(c.name, lang) for c in outfit.palette()[:4]],
                             lang)
    return f"{text}\n{say('outfit_colours', colours=colours)}" if colours else text


async def new_comment(turn: Turn, outfit_id: int, outfit: dict) -> Comment | None:
    """A comment this user has not seen lately, stored so it is not repeated."""
    recent = turn.store.recent_comments(turn.user_id)
    seed = sum(1 for r in recent if r["outfit_id"] == outfit_id)
    profile = preferences.profile_of(turn.store, turn.user_id)  # never praise what they avoid
    found = await turn.run(
        turn.services.pipeline.comment, profile.comment_view(outfit), 3, seed,
        frozenset(r["key"] for r in recent), tuple(r["template"] for r in recent[:10]), turn.lang)
    found = [c for c in found if profile.allows(c.text, outfit)][:1]
    if not found:
        return None
    comment = found[0]
    turn.store.add_comment(turn.user_id, outfit_id, text_key(comment.text),
                           comment.extras["template"], comment.text)
    return comment


async def outfit_feedback(turn: Turn) -> list[Reply]:
    try:
        outfit_id, outfit = await analyse_and_store(turn, diary_entry=True)
    except BadImage as bad:
        return [turn.bad_image(bad)]
    photo = turn.event.photos[0]
    turn.recent.remember(turn.user_id, photo.ref, outfit_id, outfit, digest=photo.digest)
    return await feedback_replies(turn, outfit_id, outfit)


async def feedback_replies(turn: Turn, outfit_id: int, outfit: Outfit) -> list[Reply]:
    """What one outfit photo gets: what I see, a comment, the pictures and the buttons."""
    # what "this" now refers to; a "why?" asks about this photo's suggestion, if it gets one
    turn.remember(last="photo", last_outfit=outfit_id, why=None)
    reply = Reply(describe(outfit, turn.lang))
    if repeat := diary.repeat_line(turn, outfit_id):
        reply.text += f"\n{repeat}"
    if outfit.items:
        comment = await new_comment(turn, outfit_id, outfit.as_dict())
        if comment:
            reply.text += "\n\n" + turn.say("comment_line", comment=comment.text)
        reply.images, line, reason = await turn.run(outfit_pictures, outfit, turn.lang)
        if line:
            reply.text += "\n\n" + line
        if reason:
            turn.remember(why={"tip": reason})
        reply.buttons = [[Button(turn.say("button_another_take"), f"more:{outfit_id}"),
                          Button(turn.say("button_cutout"), f"cut:{outfit_id}")],
                         [Button(turn.say("button_my_style"), f"style:{outfit_id}"),
                          Button(turn.say("button_shop"), f"shop:{outfit_id}")],
                         [Button(turn.say("button_complete_look"), f"look:{outfit_id}")]]
    replies = [reply]
    settings = turn.services.settings
    state = turn.store.state(turn.user_id)
    if (turn.user.get("keep_photos") is None and settings.privacy.ask_before_keeping_photos
            and not state.get("asked_keep_photos")):
        turn.store.set_state(turn.user_id, {**state, "asked_keep_photos": True})
        replies.append(Reply(turn.say("keep_photos_ask"), buttons=[[
            Button(turn.say("button_keep_yes"), "keep:yes"),
            Button(turn.say("button_keep_no"), "keep:no")]]))
    return replies


def _stored_outfit(turn: Turn, payload: str) -> dict | None:
    try:
        return turn.store.outfit(turn.user_id, int(payload)) if payload.isdigit() else None
    except NotFound:
        return None


async def another_comment(turn: Turn, payload: str) -> list[Reply]:
    """'Another take': a fresh comment on the same outfit."""
    outfit = _stored_outfit(turn, payload)
    if outfit is None:
        return [Reply(turn.say("feedback_stale"))]
    turn.store.add_feedback(turn.user_id, "comment", outfit["id"], "another")
    comment = await new_comment(turn, outfit["id"], outfit["summary"])
    text = turn.say("comment_line", comment=comment.text) if comment \
        else turn.say("comments_used_up")
    return [Reply(text, buttons=[[Button(turn.say("button_another_take"),
                                         f"more:{outfit['id']}")]])]


async def style_of(turn: Turn, payload: str) -> list[Reply]:
    """The styles the outfit shows, with the indicators behind each."""
    outfit = _stored_outfit(turn, payload)
    if outfit is None:
        return [Reply(turn.say("feedback_stale"))]
    scores = [s for s in detect_styles(outfit["summary"]) if s.score > 0][:3]
    if not scores:
        return [Reply(turn.say("style_none"))]
    lines = [f"• {s.style} {round(s.score * 100)}%: {' + '.join(s.indicators)}" for s in scores]
    return [Reply(turn.say("style_found", lines="\n".join(lines)))]


async def cutout(turn: Turn, payload: str) -> list[Reply]:
    """The outfit with the background (and skin, hair) removed, as a transparent PNG."""
    recent = turn.recent.by_outfit(turn.user_id, int(payload)) if payload.isdigit() else None
    if recent is None:
        return [Reply(turn.say("feedback_stale"))]
    outfit = recent.outfit

    def render() -> bytes:
        return pictures.png_bytes(pictures.outfit_cutout(outfit.image, outfit.labels))

    png = await turn.run(render)
    return [Reply(turn.say("cutout_ready"),
                  images=[ImageOut(png, turn.say("caption_cutout"), "cutout.png")])]


button("more", another_comment)
button("style", style_of)
button("cut", cutout)


@worker_warm_up
def warm_up(pipeline: Pipeline) -> None:
    """A worker process's first photo reply, before its first user: the network's first run
    (a photo decoded and parsed), then the pictures, suggestion and comments of a drawn outfit
    in every language (prompts, fonts and models are read on first use). Without it each
    worker's first photos took 100-200 ms longer. (Not the diary embedding: a drawn outfit has
    no network features, and the fallback for that would load torch.)"""
    outfit = drawn_outfit()
    pipeline.load_and_parse_many([pictures.jpeg_bytes(outfit.image)])
    for lang in prompts.LANGS:
        outfit_pictures(outfit, lang)
        pipeline.comment(outfit.as_dict(), 3, 0, frozenset(), (), lang)
