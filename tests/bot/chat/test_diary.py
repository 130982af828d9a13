"""The outfit diary through the dialogue engine, with the real models and a fresh SQLite file:
entries, "you wore this on ...", /history (thumbnails only after opt-in), /week and streaks,
/export and /forget of the diary, and one user's diary never reaching another."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from bot.chat.dialog import Dialog
from bot.chat.flows import diary, speaker
from bot.chat.messages import Incoming, PhotoIn
from inference.diary import pictures as pics
from inference.diary import repeats
from inference.diary.stats import streaks, week_of, when_phrase
from storage.db import USER_TABLES
from storage.diary import DiaryStore


def event(user: str, **kw) -> Incoming:
    return Incoming(user, "cli", **kw)


def photo(data: bytes, ref: str) -> tuple[PhotoIn]:
    return (PhotoIn(data, ref=ref),)


def mirrored(data: bytes) -> bytes:
    """The same outfit as a mirror selfie, re-encoded as a new JPEG."""
    buf = io.BytesIO()
    ImageOps.mirror(Image.open(io.BytesIO(data)).convert("RGB")).save(buf, "JPEG", quality=88)
    return buf.getvalue()


def today() -> datetime:
    return datetime.now(UTC)


def set_day(services, outfit_id: int, day) -> None:  # noqa: ANN001
    """Move an entry to another day, as if it had been sent then."""
    services.store.db.execute("update outfits set local_date = ? where id = ?",
                              [day.isoformat(), outfit_id])


def last_outfit_id(services, user: str) -> int:  # noqa: ANN001
    return services.store.outfits(user, limit=1)[0]["id"]


def dialog_for(services) -> Dialog:  # noqa: ANN001
    services.settings.dialog.pair_window_seconds = 0  # each photo is its own diary entry
    return Dialog(services)


def test_streaks_and_phrases() -> None:
    d = datetime(2026, 11, 29).date()  # a Sunday
    days = {d - timedelta(n) for n in (0, 1, 2, 5, 6, 7, 8)}
    assert streaks(days, d) == (3, 4)
    assert streaks(days - {d}, d) == (2, 4)  # today is not over: yesterday's streak is alive
    assert streaks(set(), d) == (0, 0)
    assert week_of(d) == (d - timedelta(6), d)
    assert when_phrase(d - timedelta(1), d) == "yesterday"
    assert when_phrase(d, d) == "today" and when_phrase(d, d, "uk") == "сьогодні"
    assert when_phrase(d - timedelta(6), d) == "on Monday"
    assert when_phrase(d - timedelta(26), d) == "on Tuesday 3 Nov"
    assert when_phrase(d - timedelta(1), d, "uk") == "вчора"
    assert when_phrase(d - timedelta(6), d, "ru") == "в понедельник"
    assert when_phrase(d - timedelta(26), d, "uk") == "у вівторок, 3 лист."
    assert when_phrase(d - timedelta(26), d, "zh") == "11月3日（周二）"


def test_a_diary_line_is_dated_and_worded_in_the_users_language() -> None:
    item = {"category": "top", "fine_label": None, "colour_name": "navy", "pattern": "solid"}
    entry = {"local_date": "2026-01-05", "summary": {"items": [item], "summary": "navy top"},
             "style": ["casual"], "repeat_of": 7}
    say = speaker({"lang": "uk"})
    text = diary._entry_text(say, "uk", entry, [], {7: "2025-12-29"})
    assert text.startswith("• Пн, 5 січ.: темно-синій топ")
    assert "Пн, 29 груд." in text and "navy" not in text and "Mon" not in text
    assert diary._entry_text(speaker({}), "en", entry, [], {}).startswith("• Mon 5 Jan: navy top")


async def test_repeat_is_spotted_days_later_and_only_for_that_user(services, photo_bytes):
    dialog = dialog_for(services)
    [first, *_] = await dialog.handle(event("cli:a", photos=photo(photo_bytes[0], "1")))
    assert "You wore this" not in first.text
    earlier = (today() - timedelta(days=3)).date()
    first_id = last_outfit_id(services, "cli:a")
    set_day(services, first_id, earlier)

    [again, *_] = await dialog.handle(event("cli:a", photos=photo(mirrored(photo_bytes[0]), "2")))
    assert f"You wore this on {earlier:%A}" in again.text
    row = services.store.outfit("cli:a", last_outfit_id(services, "cli:a"))
    assert row["repeat_of"] == first_id and row["diary"] == 1
    assert len(row["embedding"]) == 2 * repeats.DIM  # float16, the parse's own features

    [other, *_] = await dialog.handle(event("cli:a", photos=photo(photo_bytes[1], "3")))
    assert "You wore this" not in other.text
    # Another user sending the very same photo has no earlier outfit: nothing of cli:a leaks.
    [stranger, *_] = await dialog.handle(event("cli:b", photos=photo(photo_bytes[0], "4")))
    assert "You wore this" not in stranger.text

    [history] = await dialog.handle(event("cli:a", text="/history"))
    assert history.text.count("\n• ") == 3 and "worn before on" in history.text
    [theirs] = await dialog.handle(event("cli:b", text="/history"))
    assert theirs.text.count("\n• ") == 1 and "worn before" not in theirs.text
    assert other.text.split("\n")[0].split(": ", 1)[1].rstrip(".") not in theirs.text


def card_at(png: bytes, index: int) -> np.ndarray:
    strip = Image.open(io.BytesIO(png)).convert("RGB")
    x = 12 + index * (pics.CARD[0] + 12)
    return np.asarray(strip.crop((x, 12, x + pics.CARD[0], 12 + pics.CARD[1])))


async def test_history_has_thumbnails_only_after_opt_in(services, photo_bytes):
    dialog = dialog_for(services)
    await dialog.handle(event("cli:a", photos=photo(photo_bytes[0], "1")))
    await dialog.handle(event("cli:a", callback="keep:no"))
    [plain] = await dialog.handle(event("cli:a", text="/history"))
    assert "/keepphotos on" in plain.text
    [entry] = DiaryStore(services.store).entries("cli:a")
    assert entry["photo_path"] is None and entry["comment"] in plain.text
    assert (card_at(plain.images[0].data, 0) == np.asarray(pics.item_card(entry["summary"]))).all()

    await dialog.handle(event("cli:b", text="/keepphotos on"))
    await dialog.handle(event("cli:b", photos=photo(photo_bytes[1], "2")))
    [kept] = await dialog.handle(event("cli:b", text="/history"))
    assert "/keepphotos on" not in kept.text
    [entry] = DiaryStore(services.store).entries("cli:b")
    assert Path(entry["photo_path"]).is_file()
    thumb = np.asarray(pics.thumbnail(entry["photo_path"]))
    assert (card_at(kept.images[0].data, 0) == thumb).all()


async def test_week_summary_picture_and_streak(services, photo_bytes):
    dialog = dialog_for(services)
    now = today().date()
    days = [now - timedelta(days=2), now - timedelta(days=1), now]
    for i, day in enumerate(days):
        await dialog.handle(event("cli:a", photos=photo(photo_bytes[i], str(i))))
        set_day(services, last_outfit_id(services, "cli:a"), day)
    [week] = await dialog.handle(event("cli:a", text="/week"))
    monday, _ = week_of(now)
    in_week = sum(d >= monday for d in days)
    assert f"{in_week} outfit" in week.text and "Streak: 3 days" in week.text
    assert "Colours you wore most:" in week.text
    picture = Image.open(io.BytesIO(week.images[0].data))
    assert picture.format == "PNG" and picture.size == (1200, 800)
    [last] = await dialog.handle(event("cli:a", text="/week last"))
    assert ("No outfits" in last.text) == (in_week == 3)
    [empty] = await dialog.handle(event("cli:b", text="/week"))
    assert "No outfits" in empty.text and not empty.images  # cli:a's week is not cli:b's
    [chinese] = await dialog.handle(event("cli:z", text="/week", locale="zh"))
    assert "月" in chinese.text and "周" in chinese.text and "Mon" not in chinese.text


async def test_export_and_forget_cover_the_diary(services, photo_bytes):
    dialog = dialog_for(services)
    await dialog.handle(event("cli:a", text="/keepphotos on"))
    await dialog.handle(event("cli:a", photos=photo(photo_bytes[0], "1")))
    await dialog.handle(event("cli:a", text="/daily on 07:45"))
    await dialog.handle(event("cli:a", text="I don't wear yellow"))
    diary = DiaryStore(services.store)
    assert diary.claim("cli:a", "daily", today().date().isoformat()) is not None
    await dialog.handle(event("cli:b", photos=photo(photo_bytes[1], "2")))

    [export] = await dialog.handle(event("cli:a", text="/export"))
    archive = zipfile.ZipFile(io.BytesIO(export.file.data))
    data = json.loads(archive.read("stylebot-data.json"))
    assert [o["local_date"] for o in data["outfits"]] == [today().date().isoformat()]
    assert data["outfits"][0]["diary"] == 1 and "embedding" not in data["outfits"][0]
    assert data["user"]["daily_time"] == "07:45" and len(data["reminders"]) == 1
    assert {p["key"] for p in data["preferences"]} >= {"corrections"}
    assert any(n.startswith("photos/") for n in archive.namelist())
    assert all(row.get("user_id", "cli:a") == "cli:a" for t in USER_TABLES for row in data[t])

    folder = services.store.user_dir("cli:a")
    assert folder.is_dir()
    await dialog.handle(event("cli:a", callback="forget:yes"))
    db = services.store.db
    for table in USER_TABLES:
        [(count,)] = db.execute(f"select count(*) from [{table}] where user_id = 'cli:a'")
        assert count == 0, table
    assert not folder.exists()
    assert len(DiaryStore(services.store).entries("cli:b")) == 1  # the other user is untouched


def test_m004_turns_earlier_single_photos_into_diary_entries(tmp_path) -> None:
    """A database from before the diary: its single-photo outfits become entries on their UTC
    day; the two sides of a Style Check do not."""
    import sqlite3

    from sqlite_utils import Database

    from storage import Store
    from storage.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m003_catalog_index")
    old["users"].insert({"id": "tg:1", "channel": "telegram", "created_at": "2026-11-01"})
    for i in (1, 2, 3):
        old["outfits"].insert({"id": i, "user_id": "tg:1", "summary": "{}",
                               "created_at": f"2026-11-0{i}T22:30:00+00:00"})
    old["verdicts"].insert({"id": 1, "user_id": "tg:1", "outfit_a": 2, "outfit_b": 3,
                            "p_a": 0.6, "features": "{}", "reasons": "[]"})
    old.close()
    store = Store(path, tmp_path / "files")
    [entry] = DiaryStore(store).entries("tg:1")
    assert entry["id"] == 1 and entry["local_date"] == "2026-11-01"


async def test_daily_in_the_web_chat_says_reminders_need_telegram(services):
    dialog = dialog_for(services)
    for text in ("/daily", "/daily on 08:30", "/daily 7pm"):
        [reply] = await dialog.handle(Incoming("web:abc", "web", text=text))
        assert "need Telegram" in reply.text and "page is closed" in reply.text
        assert "/history" in reply.text and "/week" in reply.text
        assert "one photo a day" in reply.text
        assert not reply.buttons  # no time-zone question: nothing was set
    assert services.store.user("web:abc")["daily_time"] is None
    telegram, *_ = await dialog.handle(Incoming("tg:1", "telegram", text="/daily on 08:30"))
    assert "08:30" in telegram.text and "need Telegram" not in telegram.text
    assert services.store.user("tg:1")["daily_time"] == "08:30"


async def test_history_shows_a_style_check_only_with_the_outfits_it_compared(services,
                                                                             photo_bytes):
    services.settings.telegram.rate_burst = 100  # six photos in a row are not a flood here
    dialog = Dialog(services)  # a second photo soon after asks "compare them?"
    await dialog.handle(event("cli:a", photos=photo(photo_bytes[0], "1")))
    first = last_outfit_id(services, "cli:a")
    await dialog.handle(event("cli:a", photos=photo(photo_bytes[1], "2")))
    second = last_outfit_id(services, "cli:a")
    [check] = await dialog.handle(event("cli:a", callback=f"pair:compare:{first}:{second}"))
    assert "Style Check" in check.images[0].caption
    # then an album checked on its own (not diary entries) and a later, unrelated entry
    await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[2], ref="3"),
                                               PhotoIn(photo_bytes[3], ref="4"))))
    await dialog.handle(event("cli:a", photos=photo(mirrored(photo_bytes[3]), "5")))
    later = last_outfit_id(services, "cli:a")
    assert [e["id"] for e in DiaryStore(services.store).entries("cli:a")] == [
        later, second, first]

    [history] = await dialog.handle(event("cli:a", text="/history"))
    later_block, second_block, first_block = history.text.split("\n• ")[1:]
    assert "Style Check" not in later_block  # the day's latest entry, but not compared
    assert second_block.count("Style Check") == 1  # the pair's check, once, with the later one
    assert "Style Check" not in first_block
