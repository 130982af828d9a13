"""Numbers behind the diary: streaks, weeks, colours and styles worn (plain data in and out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

import prompts
from inference.core.colour import FAMILIES
from inference.styles.detection import detect_styles

#: A style counts as "worn" when the outfit shows at least this share of its indicators.
STYLE_MIN_SCORE = 0.3


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days with an outfit. The current streak is still
    alive today until the day ends, so it counts back from yesterday when today has none yet."""
    seen = set(days)
    day = today if today in seen else today - timedelta(days=1)
    current = 0
    while day in seen:
        current += 1
        day -= timedelta(days=1)
    longest, run, previous = 0, 0, None
    for day in sorted(seen):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest, previous = max(longest, run), day
    return current, longest


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the day's week."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def colour_shares(outfits: Iterable[dict]) -> dict[str, float]:
    """Colour families over the outfits, weighted by garment area (sums to 1), FAMILIES order."""
    totals: Counter = Counter()
    for outfit in outfits:
        for item in outfit.get("items", []):
            for colour in item.get("colours") or [{"family": item["colour_family"], "share": 1}]:
                totals[colour["family"]] += item["area"] * colour["share"]
    whole = sum(totals.values()) or 1.0
    return {f: totals[f] / whole for f in FAMILIES if totals[f] > 0}


def top_styles(outfit: dict, n: int = 2) -> list[str]:
    return [s.style for s in detect_styles(outfit) if s.score >= STYLE_MIN_SCORE][:n]


def styles_worn(outfits: Iterable[dict]) -> Counter:
    """How many outfits showed each style (its leading style only)."""
    return Counter(styles[0] for o in outfits if (styles := top_styles(o, 1)))


def garments_worn(outfits: Iterable[dict]) -> Counter:
    return Counter(item["category"] for o in outfits for item in o.get("items", []))


def when_phrase(earlier: date, today: date, locale: str = prompts.DEFAULT) -> str:
    """'today', 'yesterday', 'on Monday' (this past week) or 'on Monday 3 Nov', in `locale`."""
    texts = prompts.load("talk", locale)
    days = (today - earlier).days
    if days in (0, 1):
        return texts["days"]["yesterday" if days else "today"]
    on_day = texts["on_weekdays"][earlier.weekday()]
    if 1 < days < 7:
        return on_day
    return texts["on_date"].format(weekday=on_day,
                                   date=prompts.short_date(earlier, locale, "day_month"))
