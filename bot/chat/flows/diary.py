"""The outfit diary: each outfit photo is an entry (its local day, styles, embedding, repeat link),
/history lists the last entries, /week sends the weekly summary picture; streaks."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from PIL import Image

import prompts
from bot.app import Services
from bot.chat.flows import Say, Turn, command, speaker
from bot.chat.flows.reminders import local_now
from bot.chat.messages import ImageOut, Reply
from inference.core import wording
from inference.diary import pictures as pics
from inference.diary import repeats, stats
from inference.parsing.outfit import Outfit
from storage.diary import DiaryStore

HISTORY_ENTRIES = 6


def _days(say: Say, n: int) -> str:
    return say("days_one" if n == 1 else "days_many", n=n)


def _outfits(say: Say, n: int) -> str:
    return say("outfits_one" if n == 1 else "outfits_many", n=n)


async def entry_fields(turn: Turn, outfit: Outfit) -> dict:
    """The diary columns of a new outfit: local day, styles, embedding and the earlier outfit it
    repeats (if any); stored with the outfit in one transaction by Store.add_outfit."""
    today = local_now(turn.user).date()
    fields: dict = {"diary": 1, "local_date": today.isoformat(),
                    "style": json.dumps(stats.top_styles(outfit.as_dict()))}
    vec = await turn.run(turn.services.pipeline.embed_outfit, outfit) if outfit.items else None
    if vec is None:
        return fields
    fields["embedding"] = repeats.to_bytes(vec)
    lookback = turn.services.settings.diary.repeat_lookback_days
    earlier = DiaryStore(turn.store).embeddings(
        turn.user_id, before=today.isoformat(),
        since=(today - timedelta(days=lookback)).isoformat())
    match = repeats.best_match(vec, [(e.outfit_id, e.embedding) for e in earlier])
    if match is not None:
        fields["repeat_of"] = match[0]
    return fields


def repeat_line(turn: Turn, outfit_id: int) -> str:
    """'You wore this on Monday' when the stored outfit repeats an earlier one, else ''."""
    diary = DiaryStore(turn.store)
    row = turn.store.outfit(turn.user_id, outfit_id)
    if not row.get("repeat_of") or not row.get("local_date"):
        return ""
    earlier = diary.entry_date(turn.user_id, int(row["repeat_of"]))
    if earlier is None:
        return ""
    when = stats.when_phrase(date.fromisoformat(earlier), date.fromisoformat(row["local_date"]),
                             turn.lang)
    return turn.say("repeat_seen", when=when)


def _picture(entry: dict, keep: bool, lang: str) -> Image.Image:
    """A kept photo's thumbnail for users who opted in; else the item card (no photo)."""
    path = entry.get("photo_path")
    if keep and path and Path(path).is_file():
        return pics.thumbnail(path)
    return pics.item_card(entry["summary"], lang)


def _verdicts_by_outfit(services: Services, user_id: str, outfit_ids: list[int],
                        say: Say) -> dict[int, list[str]]:
    """Each Style Check's line under the outfit it compared that comes first in `outfit_ids`
    (newest first: a check of two listed entries shows once, with the later one); a check of
    outfits not listed is about none of them and is left out."""
    by_outfit: dict[int, list[str]] = {}
    for v in DiaryStore(services.store).verdicts_about(user_id, outfit_ids):
        compared = {v["outfit_a"], v["outfit_b"]}
        shown_with = next(i for i in outfit_ids if i in compared)
        a = round((v["p_a"] or 0.5) * 100)
        line = (say("history_verdict_picked", a=a, b=100 - a, side=v["preferred"].upper())
                if v["preferred"] else say("history_verdict", a=a, b=100 - a))
        by_outfit.setdefault(shown_with, []).append(line)
    return by_outfit


def _entry_text(say: Say, lang: str, entry: dict, verdicts: list[str],
                earlier: dict[int, str]) -> str:
    day = prompts.short_date(date.fromisoformat(entry["local_date"]), lang)
    lines = [f"• {day}: {wording.summary(entry['summary'], lang) or '—'}"]
    styles = entry.get("style") or []
    if styles:
        lines.append("   " + say("history_style", styles=", ".join(
            wording.style_word(s, lang) for s in styles)))
    if entry.get("comment"):
        lines.append(f"   💬 {entry['comment']}")
    if entry.get("repeat_of") and entry["repeat_of"] in earlier:
        first = date.fromisoformat(earlier[entry["repeat_of"]])
        lines.append("   " + say("history_repeat", day=prompts.short_date(first, lang)))
    lines += ["   " + say("history_check", verdict=v) for v in verdicts]
    return "\n".join(lines)


async def history(turn: Turn) -> list[Reply]:
    """/history: the last diary entries with their comment, styles, repeats and the Style
    Checks that compared them; a strip of thumbnails (kept photos) or colour cards."""
    diary = DiaryStore(turn.store)
    entries = diary.entries(turn.user_id, limit=HISTORY_ENTRIES)
    if not entries:
        return [Reply(turn.say("history_empty"))]
    verdicts = _verdicts_by_outfit(turn.services, turn.user_id, [e["id"] for e in entries],
                                   turn.say)
    earlier = {e["repeat_of"]: d for e in entries if e.get("repeat_of")
               and (d := diary.entry_date(turn.user_id, int(e["repeat_of"])))}
    blocks = [_entry_text(turn.say, turn.lang, entry, verdicts.get(entry["id"], []), earlier)
              for entry in entries]
    keep = bool(turn.user.get("keep_photos"))
    text = "\n".join([turn.say("history_header", n=len(entries)), *blocks])
    if not keep:
        text += "\n\n" + turn.say("history_no_thumbs")

    def render() -> bytes:
        cards = []
        for entry in entries:
            day = date.fromisoformat(entry["local_date"])
            cards.append((prompts.short_date(day, turn.lang), _picture(entry, keep, turn.lang)))
        return pics.history_strip(cards)

    png = await turn.run(render)
    return [Reply(text, images=[ImageOut(png, turn.say("caption_diary"), "diary.png")])]


async def week_reply(services: Services, user: dict, day: date) -> Reply:
    """The weekly summary of the week holding `day`: text and the picture (or a kind nudge)."""
    say, lang = speaker(user), prompts.normalise(user.get("lang"))
    monday, sunday = stats.week_of(day)
    diary = DiaryStore(services.store)
    entries = diary.entries(user["id"], limit=100, since=monday.isoformat(),
                            until=sunday.isoformat())
    span = {"start": prompts.short_date(monday, lang), "end": prompts.short_date(sunday, lang)}
    if not entries:
        return Reply(say("week_empty", **span))
    summaries = [e["summary"] for e in entries]
    colours = stats.colour_shares(summaries)
    styles = stats.styles_worn(summaries).most_common(6)
    current, best = stats.streaks(diary.entry_dates(user["id"]), local_now(user).date())
    days_worn = sorted({e["local_date"] for e in entries})
    top_colours = ", ".join(wording.family_word(f, lang)
                            for f in sorted(colours, key=lambda f: -colours[f])[:3])
    style_text = ("\n" + say("week_styles", styles=", ".join(
                      f"{wording.style_word(s, lang)} ×{n}" for s, n in styles))
                  if styles else "")
    outfits = _outfits(say, len(entries))
    text = say("week_text", outfits=outfits, days=_days(say, len(days_worn)),
                         streak=_days(say, current), best=_days(say, best), colours=top_colours,
                         styles=style_text, **span)
    keep = bool(user.get("keep_photos"))

    def render() -> bytes:
        week = [pics.WeekDay(monday + timedelta(days=i), []) for i in range(7)]
        for entry in entries:  # newest first, so each day's first picture is its latest
            index = (date.fromisoformat(entry["local_date"]) - monday).days
            week[index].pictures.append(_picture(entry, keep, lang))
        title = say("week_picture_title", start=prompts.short_date(monday, lang, "day_month"),
                    end=prompts.short_date(sunday, lang, "day_month", year=True))
        subtitle = say("week_picture_subtitle", outfits=outfits,
                                 days=_days(say, len(days_worn)), streak=_days(say, current),
                                 best=_days(say, best))
        return pics.weekly_picture(week, colours, styles, title, subtitle, lang)

    png = await services.runner.run(render)
    return Reply(text, images=[ImageOut(png, say("caption_week"), "week.png")])


async def week(turn: Turn) -> list[Reply]:
    """/week (this week) or /week last."""
    today = local_now(turn.user).date()
    if turn.event.args.lower().startswith("last"):
        today -= timedelta(days=7)
    return [await week_reply(turn.services, turn.user, today)]


command("history", history, menu="menu_history", aliases=("diary",))
command("week", week, menu="menu_week")
