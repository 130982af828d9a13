"""Daily reminders and weekly summaries: the real python-telegram-bot Application and JobQueue
against the local Bot API stand-in, a fresh SQLite file per test; due times and claims (on
SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_services
from bot.channels.telegram import build_application, running
from bot.chat.flows.reminders import due, find_zone, parse_day, parse_time
from storage import Store
from storage.diary import DiaryStore
from tests.botapi_standin import BotApiStandIn

REMINDER = ("What are you wearing today", "Time for today's outfit", "Outfit check")


@pytest.fixture
def tg_settings(tg_settings):
    tg_settings.diary.reminder_tick_seconds = 0.2
    return tg_settings


def reminders_to(api: BotApiStandIn, chat_id: int) -> list:
    return [c for c in api.sent_to(chat_id) if any(r in c.text for r in REMINDER)]


def weeks_to(api: BotApiStandIn, chat_id: int) -> list:
    return [c for c in api.sent_to(chat_id) if c.text.startswith("📅 Your week")]


async def wait_for(check, timeout: float = 10.0) -> None:  # noqa: ANN001
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_times_days_and_zones() -> None:
    assert parse_time("08:30").isoformat() == "08:30:00"
    assert parse_time("7pm").hour == 19 and parse_time("8.05").minute == 5
    assert parse_time("25:00") is None and parse_time("soon") is None
    assert parse_day("sun") == 6 and parse_day("Tu") == 1 and parse_day("t") is None
    assert find_zone("europe/berlin") == "Europe/Berlin" and find_zone("Berlin") == "Europe/Berlin"
    assert find_zone("New York") == "America/New_York" and find_zone("Atlantis") is None


def test_due_in_the_users_own_time_zone() -> None:
    grace = timedelta(hours=3)
    user = {"daily_time": "08:30", "timezone": "Europe/Berlin", "last_daily_sent": None,
            "weekly_day": 6, "last_weekly_sent": None}
    at = datetime(2026, 11, 29, 7, 31, tzinfo=UTC)  # 08:31 in Berlin, a Sunday
    assert due(user, at, grace, "18:00") == [("daily", "2026-11-29"), ("weekly", "2026-11-29")]
    assert due(user, at - timedelta(minutes=2), grace, "18:00") == []  # 08:29 there
    assert due(user, at + timedelta(hours=4), grace, "18:00") == []  # missed by over 3 hours
    assert due({**user, "last_daily_sent": "2026-11-29", "last_weekly_sent": "2026-11-29"},
               at, grace, "18:00") == []
    assert due({**user, "timezone": "America/New_York"}, at, grace, "18:00") == []  # 02:31
    weekly_only = {**user, "daily_time": None}
    evening = datetime(2026, 11, 29, 17, 5, tzinfo=UTC)  # 18:05 in Berlin
    assert due(weekly_only, evening, grace, "18:00") == [("weekly", "2026-11-29")]


def test_a_claim_is_taken_once_even_by_racing_threads(database, tmp_path) -> None:
    store = Store(database, tmp_path / "files")  # an SQLite file, or a PostgreSQL database
    store.ensure_user("tg:1", "telegram")
    results: list[int | None] = []

    def claim() -> None:
        other = Store(database, tmp_path / "files")  # a connection per "process"
        results.append(DiaryStore(other).claim("tg:1", "daily", "2026-11-29"))
        other.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    assert DiaryStore(store).claim("tg:1", "daily", "2026-11-30") is not None  # the next day


async def test_daily_reminder_once_then_never_again_after_a_restart(tg_settings, pipeline, api):
    chat = 31
    zone = ZoneInfo("Europe/Berlin")
    services = build_services(tg_settings, pipeline)
    async with running(build_application(tg_settings, services), poll_timeout=2):
        api.send_text(chat, "/daily on 07:00")
        await api.next_call("sendMessage", chat_id=chat, where=lambda c: "07:00" in c.text)
        ask = await api.next_call("sendMessage", chat_id=chat,
                                  where=lambda c: "time zone" in c.text)
        assert "tz:Europe/Berlin" in ask.buttons
        api.send_text(chat, "/daily on 7:15")
        await api.next_call("sendMessage", chat_id=chat, where=lambda c: "07:15" in c.text)
        api.press(chat, "tz:Europe/Berlin")
        await api.next_call("sendMessage", chat_id=chat, where=lambda c: "Europe/Berlin" in c.text)
        asked = [c for c in api.sent_to(chat) if "Which time zone" in c.text]
        assert len(asked) == 1  # asked once, not at every /daily
        local_now = datetime.now(zone)
        api.send_text(chat, f"/daily on {local_now:%H:%M}")
        await api.next_call("sendMessage", chat_id=chat, where=lambda c: "every day" in c.text
                            and "Europe/Berlin" in c.text)
        await wait_for(lambda: reminders_to(api, chat))
        await asyncio.sleep(1.0)  # five more ticks
        [reminder] = reminders_to(api, chat)
        assert "daily:off" in reminder.buttons
    # A restart (new application, services and connections over the same file) sends nothing.
    services = build_services(tg_settings, pipeline)
    async with running(build_application(tg_settings, services), poll_timeout=2):
        await asyncio.sleep(1.0)
    assert len(reminders_to(api, chat)) == 1
    store = Store(tg_settings.storage.database, tg_settings.storage.files_dir)
    assert store.user(f"tg:{chat}")["last_daily_sent"] == f"{local_now:%Y-%m-%d}"
    rows = DiaryStore(store).reminders(f"tg:{chat}")
    [row] = [r for r in rows if r["kind"] == "daily"]  # (a weekly one too, on Sundays)
    assert row["local_date"] == f"{local_now:%Y-%m-%d}" and row["sent_at"] is not None


async def test_weekly_summary_on_the_chosen_day(tg_settings, pipeline, api, photo_bytes):
    chat = 32
    services = build_services(tg_settings, pipeline)
    async with running(build_application(tg_settings, services), poll_timeout=2):
        api.send_photo(chat, photo_bytes[0])
        await api.next_call(("sendPhoto", "sendMediaGroup"), chat_id=chat, timeout=60)
        now = datetime.now(UTC)
        tomorrow = (now + timedelta(days=1)).strftime("%a")
        api.send_text(chat, f"/weekly {tomorrow}")
        await api.next_call("sendMessage", chat_id=chat, where=lambda c: "will come on" in c.text)
        api.send_text(chat, f"/daily on {now:%H:%M}")
        await wait_for(lambda: reminders_to(api, chat))
        assert not weeks_to(api, chat)  # not the chosen day
        api.send_text(chat, f"/weekly {now:%a}")
        await wait_for(lambda: weeks_to(api, chat), timeout=30)
        await asyncio.sleep(1.0)
        [week] = weeks_to(api, chat)
        assert week.method == "sendPhoto" and week.images and "1 outfit" in week.text
        assert len(reminders_to(api, chat)) == 1
