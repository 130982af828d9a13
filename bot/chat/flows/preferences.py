"""Preferences the user can see and correct: learned from Style Check choices, "another take"
presses and shop clicks (the feedback rows), corrected by buttons or by saying "I don't wear
yellow". Every feature reads them through `profile_of(...)` (see inference/styles/taste.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import prompts
from bot.chat import flows
from bot.chat.flows import Turn
from bot.chat.messages import Button, ImageOut, Reply
from inference.core import wording
from inference.core.colour import FAMILY_RGB
from inference.core.garments import DISPLAY_NAME
from inference.diary import pictures as pics
from inference.styles.detection import rules as style_rules
from inference.styles.taste import KINDS, Corrections, Profile, learn
from storage import Store
from storage.db import DatabaseError, NotFound, now

MAX_SIGNALS = 300
MAX_STATEMENT_CHARS = 160  # longer texts are not read as a correction


def _signals(store: Store, user_id: str, since: str | None) -> list[tuple[str, dict]]:
    """(signal, outfit summary) for each feedback row about an outfit, oldest first."""
    out: list[tuple[str, dict]] = []
    shopped: set[tuple[int, int]] = set()
    rows = [r for r in store.feedback(user_id) if not since or r["created_at"] >= since]
    for row in rows[-MAX_SIGNALS:]:
        try:
            if row["kind"] == "verdict" and row["value"] in ("a", "b"):
                verdict = store.verdict(user_id, int(row["target_id"]))
                other = "b" if row["value"] == "a" else "a"
                out.append(("verdict_chosen",
                            store.outfit(user_id, verdict[f"outfit_{row['value']}"])["summary"]))
                out.append(("verdict_other",
                            store.outfit(user_id, verdict[f"outfit_{other}"])["summary"]))
            elif row["kind"] == "shop" and row["target_id"] is not None:
                out.append(("shop", store.outfit(user_id, int(row["target_id"]))["summary"]))
            elif row["kind"] == "shop_item" and (item := _shopped_item(store, user_id, row,
                                                                        shopped)):
                out.append(("shop_item", {"items": [item]}))
            elif row["kind"] == "comment" and row["value"] == "another":
                out.append(("comment_more",
                            store.outfit(user_id, int(row["target_id"]))["summary"]))
        except (NotFound, TypeError, ValueError, IndexError, *DatabaseError):
            continue  # the outfit or verdict is gone; the row itself stays
    return out


def _shopped_item(store: Store, user_id: str, row: dict, seen: set) -> dict | None:
    """The garment a "shop for this item" press was about (its first press only), as an item."""
    index = int(str(row["value"]).split(":")[1])
    if (row["target_id"], index) in seen:
        return None  # more results, cheaper, ... for the same garment
    seen.add((row["target_id"], index))
    found = store.db.execute(
        "select category, colour_family from shop_queries where user_id = ? and outfit_id = ? "
        "and item_index = ?", [user_id, row["target_id"], index]).fetchone()
    if not found:
        return None
    return {"category": found[0], "area": 1.0, "colours": [{"family": found[1], "share": 1.0}]}


def profile_of(store: Store, user_id: str) -> Profile:
    """The user's taste as every feature reads it: learned scores plus corrections."""
    prefs = store.preferences(user_id)
    learned, support = learn(_signals(store, user_id, prefs.get("learned_since")))
    return Profile(learned, Corrections.from_dict(prefs.get("corrections")), support)


# Saying it in words --------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _vocabulary(lang: str) -> tuple[list[tuple[str, str]], list[re.Pattern], list[re.Pattern]]:
    """(phrase, key) longest first, and the avoid / like patterns, of one language."""
    data = prompts.load("prefs", lang)
    phrases: dict[str, str] = {}
    for family, words in data["colours"].items():
        phrases.update({w: f"colour:{family}" for w in words})
    for category, words in data["garments"].items():
        phrases.update({w: f"garment:{category}" for w in words})
    for style in style_rules():
        phrases[style] = f"style:{style}"
    for style, words in data.get("styles", {}).items():
        phrases.update({w: f"style:{style}" for w in words})
    ordered = sorted(phrases.items(), key=lambda kv: -len(kv[0]))
    compile_all = lambda key: [re.compile(p) for p in data[key]]  # noqa: E731
    return ordered, compile_all("avoid_patterns"), compile_all("like_patterns")


def things_in(text: str, lang: str = prompts.DEFAULT) -> list[str]:
    """The colour, garment and style keys named in the text, in order of appearance. A garment
    right after a colour ("mustard tops") only qualifies the colour: the colour is meant."""
    phrases, _, _ = _vocabulary(lang)
    # Chinese has no spaces between words: a phrase is found wherever it stands.
    before, after = ("", "") if lang == "zh" else (r"(?<![\w-])", r"(?![\w-])")
    found: list[tuple[int, int, str]] = []
    rest = text.lower()
    for phrase, key in phrases:
        for match in re.finditer(before + re.escape(phrase) + after, rest):
            found.append((match.start(), match.end(), key))
            rest = rest[:match.start()] + " " * len(phrase) + rest[match.end():]
    found.sort()
    keys = [key for i, (start, _, key) in enumerate(found)
            if not (key.startswith("garment:") and i and found[i - 1][2].startswith("colour:")
                    and not text[found[i - 1][1]:start].strip())]
    return list(dict.fromkeys(keys))


def parse_statement(text: str, lang: str = prompts.DEFAULT) -> tuple[str, list[str]] | None:
    """('avoid' | 'like', keys) for "I don't wear yellow", "I love green skirts"; else None."""
    if len(text) > MAX_STATEMENT_CHARS:
        return None
    _, avoid, like = _vocabulary(lang)
    lowered = text.lower().replace("’", "'")
    for verb, patterns in (("avoid", avoid), ("like", like)):
        for pattern in patterns:
            match = pattern.search(lowered)
            if match and (keys := things_in(match.group("what"), lang)):
                return verb, keys
    return None


def label(key: str, lang: str = prompts.DEFAULT) -> str:
    """A preference key ("colour:yellow", "garment:outer", "style:goth") in words."""
    kind, _, value = key.partition(":")
    if kind == "garment":
        return wording.noun_word(DISPLAY_NAME.get(value, value), lang)
    if kind == "colour":
        return wording.family_word(value, lang)
    return wording.style_word(value, lang)


def _join(keys: list[str], lang: str) -> str:
    return wording.list_words([label(k, lang) for k in keys], lang)


def _save(turn: Turn, corrections: Corrections) -> None:
    turn.store.set_preference(turn.user_id, "corrections", corrections.as_dict())


async def from_text(turn: Turn) -> list[Reply] | None:
    """A correction said in words, or None when the text is not one."""
    parsed = parse_statement(turn.event.text, turn.lang)
    if parsed is None:
        return None
    verb, keys = parsed
    corrections = profile_of(turn.store, turn.user_id).corrections
    for key in keys:
        corrections = corrections.avoiding(key) if verb == "avoid" else corrections.liking(key)
    _save(turn, corrections)
    key = "prefs_said_avoid" if verb == "avoid" else "prefs_said_like"
    return [Reply(turn.say(key, things=_join(keys, turn.lang)))]


async def button(turn: Turn, payload: str) -> list[Reply]:
    """pref:avoid|like|undo:<kind>:<value>, or pref:reset."""
    if payload == "reset":
        turn.store.set_preference(turn.user_id, "learned_since", now())
        _save(turn, Corrections())
        return [Reply(turn.say("prefs_reset"))]
    verb, _, key = payload.partition(":")
    if verb not in ("avoid", "like", "undo") or key.partition(":")[0] not in KINDS:
        return [Reply(turn.say("feedback_stale"))]
    corrections = profile_of(turn.store, turn.user_id).corrections
    if verb == "undo":
        _save(turn, corrections.without(key))
        return [Reply(turn.say("prefs_undone", thing=label(key, turn.lang)))]
    _save(turn, corrections.avoiding(key) if verb == "avoid" else corrections.liking(key))
    reply = "prefs_said_avoid" if verb == "avoid" else "prefs_said_like"
    return [Reply(turn.say(reply, things=label(key, turn.lang)))]


# What /prefs shows -----------------------------------------------------------------------
@dataclass
class PrefsView:
    lines: list[str] = field(default_factory=list)
    images: list[ImageOut] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)


def _chart(profile: Profile, lang: str) -> bytes:
    sections = []
    for kind in KINDS:
        rows = [pics.TasteRow(label(key, lang), score,
                              FAMILY_RGB.get(key.partition(":")[2]) if kind == "colour"
                              else None, said)
                for key, score, said in profile.ranked(kind, 4)]
        sections.append((prompts.reply(f"taste_title_{kind}", lang), rows))
    return pics.taste_picture(sections, lang)


async def prefs_view(turn: Turn) -> PrefsView:
    """The learned favourites and the corrections, a picture of them, and buttons to correct."""
    profile = profile_of(turn.store, turn.user_id)
    view = PrefsView()
    avoid_buttons: list[Button] = []
    for kind in KINDS:
        ranked = profile.ranked(kind, 3)
        learned = [k for k, _, said in ranked if not said]
        if learned:
            what = turn.texts("replies")["prefs_learned_what"][kind]
            view.lines.append(turn.say("prefs_learned_line", what=what,
                                            things=_join(learned, turn.lang)))
            avoid_buttons += [Button(turn.say("button_avoid", thing=label(k, turn.lang)),
                                     f"pref:avoid:{k}") for k in learned[:2]]
    corrections = profile.corrections
    if corrections.like:
        view.lines.append(turn.say("prefs_love_line",
                                   things=_join(sorted(corrections.like), turn.lang)))
    if corrections.avoid:
        view.lines.append(turn.say("prefs_avoid_line",
                                        things=_join(sorted(corrections.avoid), turn.lang)))
    undo = [Button(turn.say("button_undo", thing=label(k, turn.lang)), f"pref:undo:{k}")
            for k in sorted(corrections.avoid | corrections.like)][:6]
    rows = [avoid_buttons[i:i + 3] for i in range(0, len(avoid_buttons), 3)]
    rows += [undo[i:i + 3] for i in range(0, len(undo), 3)]
    if not view.lines:
        return view
    view.lines.append(turn.say("prefs_corrections"))
    view.buttons = rows + [[Button(turn.say("button_forget_taste"), "pref:reset")]]
    chart = await turn.run(_chart, profile, turn.lang)
    view.images.append(ImageOut(chart, turn.say("caption_taste"), "taste.png"))
    return view


flows.button("pref", button)  # this module's own `button` handles pref:...
