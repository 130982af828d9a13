"""Daily reminders and weekly summaries for Telegram users, on python-telegram-bot's JobQueue.

One periodic job (every `diary.reminder_tick_seconds`) reads who is due from SQLite, so nothing
is lost when the bot restarts and no per-user timers need rebuilding. For each due reminder the
message is prepared, then claimed in the database (`DiaryStore.claim`: last_daily_sent /
last_weekly_sent set for the user's local day, atomically), and only then sent: a restart at any
moment can lose at most the reminder being sent, and can never send one twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

from bot.app import Services
from bot.chat.flows import diary, reminders, speaker
from bot.chat.messages import Button, Reply
from inference.diary.stats import streaks
from storage.diary import DiaryStore

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "tg:"


def install(application: Application) -> None:
    """Schedule the reminder job on the application's JobQueue (needs the job-queue extra)."""
    if application.job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]): reminders are off")
        return
    tick = application.bot_data.services.settings.diary.reminder_tick_seconds
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per tick otherwise
    # A tick that finds the previous one still sending returns at once (see reminder_tick).
    application.job_queue.run_repeating(
        reminder_tick, interval=tick, first=min(tick, 5.0), name="reminders",
        data={"sending": asyncio.Lock()},
        job_kwargs={"max_instances": 2, "coalesce": True, "misfire_grace_time": None})


def daily_reply(services: Services, user: dict, today: str) -> Reply:
    """The daily nudge, with the streak when there is one, and a button to stop."""
    say = speaker(user)
    text = say("reminder_daily")
    days = DiaryStore(services.store).entry_dates(user["id"])
    current, _ = streaks(days, datetime.fromisoformat(today).date())
    if current >= 2:
        text += "\n" + say("reminder_streak", days=current)
    text += "\n" + say("reminder_footer")
    return Reply(text, buttons=[[Button(say("button_stop_reminders"), "daily:off")]])


async def build(services: Services, user: dict, kind: str, today: str) -> list[Reply]:
    if kind == "weekly":
        return [await diary.week_reply(services, user, datetime.fromisoformat(today).date())]
    return [daily_reply(services, user, today)]


async def send_due(services: Services, bot, now: datetime | None = None) -> int:  # noqa: ANN001
    """Send every reminder due now to Telegram users; returns how many were sent."""
    from bot.channels.telegram import send_reply  # the adapter imports this module

    settings = services.settings.diary
    store = DiaryStore(services.store)
    grace = timedelta(minutes=settings.reminder_grace_minutes)
    now = now or datetime.now(UTC)
    sent = 0
    for user in store.reminder_users():
        if not user["id"].startswith(CHANNEL_PREFIX):
            continue  # only Telegram can be messaged unprompted
        for kind, today in reminders.due(user, now, grace, settings.weekly_time):
            replies = await build(services, user, kind, today)
            reminder_id = store.claim(user["id"], kind, today)
            if reminder_id is None:
                continue
            try:
                for reply in replies:
                    await send_reply(bot, int(user["id"].removeprefix(CHANNEL_PREFIX)), reply)
            except TelegramError as err:  # blocked the bot, chat gone…: not retried
                log.warning("could not send a %s reminder: %s", kind, err)
                continue
            store.mark_sent(user["id"], reminder_id)
            sent += 1
    return sent


async def reminder_tick(context: CallbackContext) -> None:
    """Send the daily reminders and weekly summaries that are due, each at most once."""
    sending: asyncio.Lock = context.job.data["sending"]
    if sending.locked():
        return  # the previous tick is still sending
    try:
        async with sending:
            sent = await send_due(context.bot_data.services, context.bot)
    except Exception:
        log.exception("the reminder job failed; it runs again at the next tick")
        return
    if sent:
        log.info("sent %d reminders", sent)
