"""Reminder settings in the chat (/daily, /timezone, /weekly) and what is due when.

The schedule lives in the users table (daily_time, timezone, weekly_day);
bot/channels/reminder_jobs.py looks for
due users every few seconds, so reminders survive restarts and need no per-user timers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.chat.flows import Turn, button, command
from bot.chat.messages import Button, Reply

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TIME_RE = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$")
#: Offered as buttons when the time zone is asked for: (prompts key of the label, zone).
COMMON_ZONES = (("button_tz_london", "Europe/London"), ("button_tz_berlin", "Europe/Berlin"),
                ("button_tz_new_york", "America/New_York"),
                ("button_tz_los_angeles", "America/Los_Angeles"),
                ("button_tz_tokyo", "Asia/Tokyo"), ("button_tz_utc", "UTC"))


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def find_zone(name: str) -> str | None:
    """The IANA name for `name` (any case, spaces for underscores), or None."""
    key = name.strip().replace(" ", "_").lower()
    zones = _zones_by_lower()
    if key in zones or key in ("utc", "gmt", "z"):
        return zones.get(key, "UTC")
    cities = [z for k, z in zones.items() if k.rsplit("/", 1)[-1] == key and "/" in k]
    return min(cities, key=len) if cities else None  # "berlin" -> Europe/Berlin


def user_zone(user: dict) -> ZoneInfo:
    try:
        return ZoneInfo(user.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(user: dict, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(user_zone(user))


def parse_time(text: str) -> time | None:
    """'08:30', '8.30', '8h30', '7pm', '19' -> a time; None when it is not one."""
    match = TIME_RE.match(text.strip().lower())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_day(text: str) -> int | None:
    word = text.strip().lower()
    matches = [i for i, day in enumerate(DAYS) if len(word) >= 2 and day.startswith(word)]
    return matches[0] if len(matches) == 1 else None


def due(user: dict, now: datetime, grace: timedelta, weekly_time: str) -> list[tuple[str, str]]:
    """The (kind, local day) reminders due for the user at `now`: the daily reminder from its
    time until `grace` later, the weekly summary on its day from the daily time (or
    `weekly_time`); each at most once per local day (see storage.diary.DiaryStore.claim)."""
    local = local_now(user, now)
    today = local.date().isoformat()
    out = []
    wanted = [("daily", user.get("daily_time"), user.get("last_daily_sent"))]
    if user.get("weekly_day") is not None and int(user["weekly_day"]) == local.weekday():
        wanted.append(("weekly", user.get("daily_time") or weekly_time,
                       user.get("last_weekly_sent")))
    for kind, at, last in wanted:
        at_time = parse_time(at) if at else None
        if at_time is None or last == today:
            continue
        start = datetime.combine(local.date(), at_time, local.tzinfo)
        if start <= local < start + grace:
            out.append((kind, today))
    return out


def _state(turn: Turn) -> str:
    user = turn.user
    if user.get("daily_time"):
        return turn.say("daily_state_on", time=user["daily_time"])
    return turn.say("daily_state_off")


def _zone_name(turn: Turn) -> str:
    return turn.user.get("timezone") or turn.say("tz_unset")


def _ask_zone_once(turn: Turn) -> list[Reply]:
    """Ask for the time zone, the first time only; later the UTC note in replies suffices."""
    state = turn.store.state(turn.user_id)
    if turn.user.get("timezone") or state.get("asked_timezone"):
        return []
    turn.store.set_state(turn.user_id, {**state, "asked_timezone": True})
    buttons = [Button(turn.say(label), f"tz:{zone}") for label, zone in COMMON_ZONES]
    return [Reply(turn.say("timezone_ask"), buttons=[buttons[:3], buttons[3:]])]


async def daily(turn: Turn) -> list[Reply]:
    """/daily on 08:30 · /daily 08:30 · /daily off · /daily (status).

    In the web chat, reminders cannot reach anyone (the page cannot be written to while it is
    closed): it says so plainly and offers the diary instead, and sets nothing."""
    if turn.event.channel == "web":
        return [Reply(turn.say("daily_web"))]
    words = turn.event.args.lower().split()
    if words[:1] == ["off"]:
        turn.store.update_user(turn.user_id, daily_time=None)
        return [Reply(turn.say("daily_off"))]
    if words[:1] == ["on"]:
        words = words[1:] or ["08:00"]
    if not words:
        return [Reply(turn.say("daily_usage", state=_state(turn),
                                    tz=_zone_name(turn)))]
    at = parse_time(words[0])
    if at is None:
        return [Reply(turn.say("daily_bad_time"))]
    fields = {"daily_time": f"{at:%H:%M}"}
    weekly_day = turn.user.get("weekly_day")
    if weekly_day is None and not turn.store.state(turn.user_id).get("weekly_chosen"):
        weekly_day = turn.services.settings.diary.weekly_default_day
        fields["weekly_day"] = weekly_day
    turn.store.update_user(turn.user_id, **fields)
    day = (DAYS[weekly_day].capitalize() if weekly_day is not None
           else turn.say("weekly_no_day"))
    reply = Reply(turn.say("daily_on", time=fields["daily_time"], tz=_zone_name(turn),
                                weekly_day=day))
    return [reply, *_ask_zone_once(turn)]


async def timezone(turn: Turn) -> list[Reply]:
    """/timezone Europe/Berlin (any IANA name) · /timezone (shows it)."""
    if not turn.event.args:
        return [Reply(turn.say("timezone_usage", tz=_zone_name(turn)))]
    return await timezone_button(turn, turn.event.args)


async def timezone_button(turn: Turn, payload: str) -> list[Reply]:
    zone = find_zone(payload)
    if zone is None:
        return [Reply(turn.say("timezone_unknown", name=payload[:60]))]
    turn.store.update_user(turn.user_id, timezone=zone)
    local = datetime.now(UTC).astimezone(ZoneInfo(zone))
    return [Reply(turn.say("timezone_set", tz=zone, local=f"{local:%H:%M}"))]


async def weekly(turn: Turn) -> list[Reply]:
    """/weekly sun (any day) · /weekly off · /weekly (status)."""
    arg = turn.event.args.lower().strip()
    state = turn.store.state(turn.user_id)
    if arg in ("off", "no"):
        turn.store.update_user(turn.user_id, weekly_day=None)
        turn.store.set_state(turn.user_id, {**state, "weekly_chosen": True})
        return [Reply(turn.say("weekly_off"))]
    day = parse_day(arg) if arg else None
    if day is None:
        current = turn.user.get("weekly_day")
        text = (turn.say("weekly_state_on", day=DAYS[current].capitalize())
                if current is not None else turn.say("weekly_state_off"))
        return [Reply(turn.say("weekly_usage", state=text))]
    turn.store.update_user(turn.user_id, weekly_day=day)
    turn.store.set_state(turn.user_id, {**state, "weekly_chosen": True})
    at = turn.user.get("daily_time") or turn.services.settings.diary.weekly_time
    return [Reply(turn.say("weekly_on", day=DAYS[day].capitalize(), time=at,
                                tz=_zone_name(turn))), *_ask_zone_once(turn)]


async def daily_button(turn: Turn, payload: str) -> list[Reply]:
    """The reminder's own "stop" button."""
    if payload == "off":
        turn.store.update_user(turn.user_id, daily_time=None)
        return [Reply(turn.say("daily_off"))]
    return [Reply(turn.say("feedback_stale"))]


command("daily", daily, menu="menu_daily")
command("timezone", timezone, menu="menu_timezone")
command("weekly", weekly, menu="menu_weekly")
button("tz", timezone_button)
button("daily", daily_button)
