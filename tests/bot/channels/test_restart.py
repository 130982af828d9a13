"""Kill the real bot process (SIGKILL) while it writes diary entries and sends due reminders,
restart it, and check that nothing acknowledged is lost and no reminder is sent twice.

`python -m bot run` runs as a subprocess against the local Bot API stand-in over HTTP, on a
real SQLite file. 40 users have a daily reminder due (half of them a weekly summary too); the
stand-in answers their messages slowly, so reminders are still going out when one user's photos
are being analysed and stored, and the process is killed at that moment.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from storage import Store
from tests.botapi_standin import TOKEN, BotApiStandIn, Call

ROOT = Path(__file__).resolve().parents[3]
REMINDER_USERS = range(7001, 7041)
PHOTO_USER = 7900
SEEN = "Here's what I see"
REMINDER = ("What are you wearing today", "Time for today's outfit", "Outfit check")


class SlowStandIn(BotApiStandIn):
    """Answers messages to the reminder chats after `delay` seconds, like a slow network."""

    def __init__(self, slow: set[int], delay: float) -> None:
        super().__init__()
        self.slow, self.delay = slow, delay
        self._chats.update(slow)  # chats that talked to the bot before

    async def _m_sendmessage(self, call: Call) -> dict:
        if call.chat_id in self.slow:
            await asyncio.sleep(self.delay)
        return await super()._m_sendmessage(call)


def midday_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is late morning now, so a reminder a minute ago is today's."""
    offset = next(h for h in range(-12, 15) if 10 <= (now.hour + h) % 24 <= 12)
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


def prepare(db: Path, files: Path) -> str:
    """40 users whose daily reminder became due a minute ago; every other one's weekly too."""
    store = Store(db, files)
    now = datetime.now(UTC)
    zone = midday_zone(now)
    local = now.astimezone(ZoneInfo(zone))
    for i, chat in enumerate(REMINDER_USERS):
        store.ensure_user(f"tg:{chat}", "telegram")
        store.update_user(f"tg:{chat}", timezone=zone,
                          daily_time=f"{local - timedelta(minutes=1):%H:%M}",
                          weekly_day=local.weekday() if i % 2 else None)
    store.close()
    return local.date().isoformat()


async def start_bot(api: BotApiStandIn, db: Path, files: Path, log: Path,  # noqa: ANN201
                    *args: str, **extra: str):
    """`python -m bot run` (with `args`, e.g. --webhook URL; `extra`: more settings)."""
    env = {**os.environ, "STYLEBOT_TELEGRAM__TOKEN": TOKEN,
           "STYLEBOT_TELEGRAM__BASE_URL": api.base_url,
           "STYLEBOT_TELEGRAM__BASE_FILE_URL": api.base_file_url,
           "STYLEBOT_TELEGRAM__POLL_TIMEOUT_SECONDS": "1",
           "STYLEBOT_TELEGRAM__RATE_BURST": "100",
           "STYLEBOT_STORAGE__DATABASE": str(db), "STYLEBOT_STORAGE__FILES_DIR": str(files),
           "STYLEBOT_DIARY__REMINDER_TICK_SECONDS": "0.3",
           "STYLEBOT_DIALOG__PAIR_WINDOW_SECONDS": "0", "STYLEBOT_INFERENCE__THREADS": "1",
           "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           # The shop's first-start catalogue build is not what this test is about.
           "STYLEBOT_CATALOG__DEMO_AT_FIRST_START": "false",
           "STYLEBOT_CATALOG__INDEX_DIR": str(files / "catalog"), **extra}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    out = log.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=ROOT, env=env, stdout=out, stderr=out)


async def until(check, timeout: float, what: str) -> None:  # noqa: ANN001
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def per_chat(api: BotApiStandIn, words: tuple[str, ...]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in api.calls:
        if call.ok and call.method == "sendMessage" and any(w in call.text for w in words):
            counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts


def acknowledged(api: BotApiStandIn) -> list[str]:
    """The outfit summaries the bot has told the photo user about."""
    return [c.text.split(": ", 1)[1].split(".\n")[0] for c in api.sent_to(PHOTO_USER)
            if c.text.startswith(SEEN)]


def query(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


async def test_sigkill_mid_diary_write_and_mid_reminders(tmp_path, photo_bytes,
                                                       artifacts) -> None:
    db, files, log = tmp_path / "stylebot.db", tmp_path / "files", tmp_path / "bot.log"
    today = prepare(db, files)
    api = await SlowStandIn(set(REMINDER_USERS), delay=0.1).start()
    weekly = ("📅 Your week", "No outfits in your diary")
    bot = None
    try:
        bot = await start_bot(api, db, files, log)
        api.send_text(PHOTO_USER, "/keepphotos on")
        *first, last = photo_bytes
        for i, data in enumerate(first):
            api.send_photo(PHOTO_USER, data, caption=None if i else "today's look")
        await until(lambda: acknowledged(api) and sum(per_chat(api, REMINDER).values()) >= 3,
                    90, "the first outfit reply while reminders go out")
        # the last photo goes in just before the kill, so one is always in flight: batched
        # parsing answers the first ones faster than the reminders reach three
        api.send_photo(PHOTO_USER, last)
        await asyncio.sleep(0.05)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        seen_before = acknowledged(api)
        sent_before = per_chat(api, REMINDER)
        assert 1 <= len(seen_before) < len(photo_bytes), "killed before or after the photos"
        assert 3 <= len(sent_before) < len(REMINDER_USERS), "killed before or after reminders"

        # Straight after the kill: the file is sound, every acknowledged entry is in it.
        assert query(db, "pragma integrity_check") == [("ok",)]
        stored = [s for (s,) in query(db, "select json_extract(summary, '$.summary') from "
                                          "outfits where user_id = ? and diary = 1",
                                      (f"tg:{PHOTO_USER}",))]
        assert all(s in stored for s in seen_before)
        claimed = {int(u[3:]) for (u,) in query(db, "select user_id from reminders where "
                                                     "kind = 'daily'")}
        assert set(sent_before) <= claimed  # nothing was sent before it was claimed

        bot = await start_bot(api, db, files, log)
        await until(lambda: len(query(db, "select * from reminders where kind = 'daily'"))
                    == len(REMINDER_USERS), 90, "every daily reminder to be claimed")
        await until(lambda: len(acknowledged(api)) >= len(seen_before), 60, "photos")
        api.send_text(PHOTO_USER, "/history")
        await until(lambda: any("Your last" in c.text for c in api.sent_to(PHOTO_USER)), 60,
                    "/history")
        await asyncio.sleep(2.0)  # several more reminder ticks
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 60) == 0
    finally:
        if bot is not None and bot.returncode is None:
            bot.kill()
        await api.close()

    daily, weeks = per_chat(api, REMINDER), per_chat(api, weekly)
    report = {"photos_acknowledged_before_kill": len(seen_before), "photos": len(photo_bytes),
              "daily_sent_before_kill": len(sent_before), "daily_users": len(REMINDER_USERS),
              "daily_sent_in_all": len(daily), "weekly_sent_in_all": len(weeks),
              "claimed_not_confirmed": len(query(db, "select 1 from reminders where sent_at "
                                                     "is null"))}
    artifacts.mkdir(exist_ok=True)
    (artifacts / "restart.json").write_text(json.dumps(report, indent=2))
    assert max(daily.values()) == 1 and max(weeks.values()) == 1, "a reminder went out twice"
    unsent = query(db, "select user_id from reminders where sent_at is null")
    assert len(REMINDER_USERS) - len(daily) <= 1 and len(unsent) <= 2  # at most the one in flight
    assert len(weeks) >= len(REMINDER_USERS) // 2 - 1
    assert query(db, "select distinct last_daily_sent from users where id like 'tg:70%'") == [
        (today,)]
    stored = [s for (s,) in query(db, "select json_extract(summary, '$.summary') from outfits "
                                      "where user_id = ? and diary = 1", (f"tg:{PHOTO_USER}",))]
    history = next(c.text for c in api.sent_to(PHOTO_USER) if "Your last" in c.text)
    for summary in seen_before:  # acknowledged before the kill, still in the diary after it
        assert summary in stored
        assert summary in history or len(stored) > 6
    for (path,) in query(db, "select path from photos where path is not null"):
        assert Path(path).is_file() and path.endswith(".jpg")
