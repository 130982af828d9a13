"""What we keep and the user's control over it: /prefs, /keepphotos, /export, /forget."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

from bot.chat.flows import Turn, button, command, compare, preferences
from bot.chat.messages import Button, FileOut, ImageOut, Reply
from inference.core import drawing as pictures
from inference.core import wording
from inference.core.colour import FAMILIES, FAMILY_RGB
from inference.core.garments import DISPLAY_NAME
from inference.stylecheck.model import ALL_FEATURES, PRIOR


def taste_summary(turn: Turn) -> tuple[Counter, Counter, Counter]:
    """Colour families and garments the user wears (by outfits), and Style Check picks."""
    families: Counter = Counter()
    garments: Counter = Counter()
    for outfit in turn.store.outfits(turn.user_id, limit=200):
        for item in outfit["summary"].get("items", []):
            families[item["colour_family"]] += 1
            garments[item["category"]] += 1
    picks = Counter(f["value"] for f in turn.store.feedback(turn.user_id, "verdict"))
    return families, garments, picks


async def prefs(turn: Turn) -> list[Reply]:
    """What the bot has learned: colours and garments worn, Style Check taste in words and bars."""
    families, garments, picks = taste_summary(turn)
    taste = await preferences.prefs_view(turn)  # learned favourites, corrections, buttons
    if not families and not picks and not taste.lines:
        return [Reply(turn.say("prefs_empty"))]
    lines = []
    if families:
        worn = wording.joined([wording.family_word(f, turn.lang)
                               for f, _ in families.most_common(4)], turn.lang)
        lines.append(turn.say("prefs_worn_colours", colours=worn))
    if garments:
        worn = wording.joined([wording.noun_word(DISPLAY_NAME.get(g, g), turn.lang)
                               for g, _ in garments.most_common(4)], turn.lang)
        lines.append(turn.say("prefs_worn_garments", garments=worn))
    if picks:
        lines.append(turn.say("prefs_answers", n=sum(picks.values())))
        lines += [f"• {line}" for line in compare.taste_lines(turn)]
    reply = Reply(turn.say("prefs_summary", lines="\n".join(lines + taste.lines)),
                  images=list(taste.images), buttons=taste.buttons)
    if families:
        counts = [(f, families[f]) for f in FAMILIES if families[f]]
        reply.images.append(ImageOut(await turn.run(_family_chart, counts, turn.lang),
                                     turn.say("caption_prefs_colours"),
                                     "prefs-colours.png"))
    if picks:
        words = turn.texts("stylecheck")["feature_words"]
        rows = [(words[name], float(w), float(p)) for name, w, p in
                zip(ALL_FEATURES, compare.user_weight_vector(turn), PRIOR, strict=True)]
        note = turn.say("weights_chart_note")
        chart = await turn.run(lambda: pictures.png_bytes(pictures.weights_chart(rows, note)))
        reply.images.append(ImageOut(chart, turn.say("caption_prefs_stylecheck"),
                                     "prefs-stylecheck.png"))
    return [reply]


def _family_chart(counts: list[tuple[str, int]], lang: str) -> bytes:
    from inference.core.colour import Colour

    total = sum(n for _, n in counts)
    colours = [Colour(FAMILY_RGB[f], n / total, wording.family_word(f, lang), f)
               for f, n in counts]
    return pictures.png_bytes(pictures.palette_picture(colours))


async def keep_photos_command(turn: Turn) -> list[Reply]:
    arg = turn.event.args.lower()
    if arg in ("on", "yes"):
        return await keep_photos_button(turn, "yes")
    if arg in ("off", "no"):
        return await keep_photos_button(turn, "no")
    state = turn.say("keep_photos_state_on" if turn.user.get("keep_photos")
                          else "keep_photos_state_off")
    return [Reply(turn.say("keep_photos_usage", state=state))]


async def keep_photos_button(turn: Turn, payload: str) -> list[Reply]:
    keep = payload == "yes"
    turn.store.update_user(turn.user_id, keep_photos=int(keep))
    return [Reply(turn.say("keep_photos_on" if keep else "keep_photos_off"))]


async def forget(turn: Turn) -> list[Reply]:
    return [Reply(turn.say("forget_confirm"), buttons=[[
        Button(turn.say("button_forget_yes"), "forget:yes"),
        Button(turn.say("button_forget_no"), "forget:no")]])]


async def forget_button(turn: Turn, payload: str) -> list[Reply]:
    if payload != "yes":
        return [Reply(turn.say("forget_cancelled"))]
    turn.store.forget_user(turn.user_id)
    turn.recent.forget(turn.user_id)
    return [Reply(turn.say("forget_done"))]


async def export(turn: Turn) -> list[Reply]:
    data = turn.store.export_user(turn.user_id)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
    # the same photo sent twice is two rows with one file (named by its hash): zip it once
    kept = [Path(path) for path in dict.fromkeys(p["path"] for p in data["photos"] if p["path"])]
    if kept and turn.services.settings.privacy.export_includes_photos:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("stylebot-data.json", body)
            for path in kept:
                if path.exists():
                    archive.write(path, f"photos/{path.name}")
        file = FileOut(buf.getvalue(), "stylebot-export.zip", "application/zip")
    else:
        file = FileOut(body, "stylebot-data.json", "application/json")
    return [Reply(turn.say("export_ready"), file=file)]


command("prefs", prefs, menu="menu_prefs")
command("keepphotos", keep_photos_command, menu="menu_keepphotos")
command("export", export, menu="menu_export")
command("forget", forget, menu="menu_forget")
button("keep", keep_photos_button)
button("forget", forget_button)
