"""Two real `stylebot run --webhook` workers on one SQLite database (workers.shared), as behind
one webhook address: an album whose two parts reach different workers is answered once, as one
Style Check; /healthz and /metrics answer on each webhook port; then 40 users' reminders fall
due, both workers' reminder jobs send them, one worker is killed (SIGKILL) mid-run, and every
reminder is claimed exactly once and sent at most once (see docs/scaling.md: Telegram has no
idempotency key, so the one message in flight when a worker dies may or may not have arrived).
"""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp

from bench.probe import _free_port
from bot.channels.telegram import SECRET_HEADER
from storage import Store
from tests.bot.channels.test_restart import (
    REMINDER,
    REMINDER_USERS,
    SlowStandIn,
    per_chat,
    prepare,
    query,
    start_bot,
    until,
)
from tests.bot.channels.test_workers import VERDICT, scrape

SECRET = "webhook-S3cret_for_tests"
ALBUM_USER = 8100


async def healthy(http: aiohttp.ClientSession, url: str, timeout: float = 240) -> dict:
    """/healthz's body once it answers 200 (the worker has loaded its models)."""
    for _ in range(int(timeout / 0.2)):
        try:
            async with http.get(url + "/healthz") as resp:
                if resp.status == 200:
                    return await resp.json()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not become healthy")


def summed(scrapes: list[dict[str, float]], prefix: str) -> float:
    return sum(v for s in scrapes for k, v in s.items() if k.startswith(prefix))


async def test_album_across_workers_and_reminders_once_with_a_worker_killed(
        tmp_path, photo_bytes, artifacts) -> None:
    db, files, log = tmp_path / "stylebot.db", tmp_path / "files", tmp_path / "bots.log"
    api = await SlowStandIn(set(REMINDER_USERS), delay=0.2).start()
    ports = [_free_port(), _free_port()]
    Store(db, files).close()  # migrated once (workers migrating an empty file at once: pg branch)
    bots = []
    try:
        for port in ports:
            bots.append(await start_bot(
                api, db, files, log, "--webhook", "https://bot.example/hook",
                STYLEBOT_WORKERS__SHARED="true", STYLEBOT_TELEGRAM__WEBHOOK_PORT=str(port),
                STYLEBOT_TELEGRAM__WEBHOOK_SECRET=SECRET, STYLEBOT_INFERENCE__WORKERS="1"))
        async with aiohttp.ClientSession() as http:
            for port in ports:  # both up: models loaded, webhook listening
                health = await healthy(http, f"http://127.0.0.1:{port}")
                assert health["ok"] and health["models"]["threads"] == 1

            # One album, its parts posted to different workers (Telegram sends each part as its
            # own update; the webhook address spreads them).
            parts = [api.message_update(ALBUM_USER, photo=data, media_group_id="album-1")
                     for data in photo_bytes[:2]]

            async def deliver(port: int, update: dict) -> int:
                async with http.post(f"http://127.0.0.1:{port}/hook", json=update,
                                     headers={SECRET_HEADER: SECRET}) as resp:
                    return resp.status

            delivered = [deliver(p, u) for p, u in zip(ports, parts, strict=True)]
            assert await asyncio.gather(*delivered) == [200, 200]
            await until(lambda: api.sent_to(ALBUM_USER), 60, "the Style Check")
            await asyncio.sleep(3)  # an album answered twice would show by now
            sent = api.sent_to(ALBUM_USER)  # one Style Check: its picture (and verdict)
            assert [c.method for c in sent] in (["sendPhoto"], ["sendPhoto", "sendMessage"])
            assert VERDICT.search(" ".join(c.text for c in sent))
            assert query(db, "select count(*) from verdicts") == [(1,)]
            scrapes = [await scrape(http, f"http://127.0.0.1:{port}") for port in ports]
            assert summed(scrapes, 'stylebot_reply_seconds_count{channel="telegram",'
                                   'kind="photo"}') == 1
            assert summed(scrapes, 'stylebot_http_requests_total{app="webhook",route="/{path}",'
                                   'status="200"}') == 2

        # Reminders fall due for 40 users while both workers run; one is killed mid-run.
        today = prepare(db, files)
        await until(lambda: sum(per_chat(api, REMINDER).values()) >= 3, 60, "reminders")
        bots[0].send_signal(signal.SIGKILL)
        await bots[0].wait()
        sent_before = sum(per_chat(api, REMINDER).values())
        assert sent_before < len(REMINDER_USERS), "killed after every reminder went out"
        await until(lambda: len(query(db, "select 1 from reminders where kind = 'daily'"))
                    == len(REMINDER_USERS), 90, "every daily reminder to be claimed")
        await asyncio.sleep(2.0)  # more ticks: nothing more may go out
        bots[1].send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bots[1].wait(), 60) == 0
    finally:
        for bot in bots:
            if bot.returncode is None:
                bot.kill()
        await api.close()

    daily = per_chat(api, REMINDER)
    unsent = [u for (u,) in query(db, "select user_id from reminders where sent_at is null")]
    report = {"daily_users": len(REMINDER_USERS), "daily_sent_before_kill": sent_before,
              "daily_delivered": len(daily), "most_to_one_chat": max(daily.values()),
              "claimed_not_confirmed": unsent,
              "in_flight_arrived": [u for u in unsent if int(u[3:]) in daily]}
    artifacts.mkdir(exist_ok=True)
    (artifacts / "webhook_workers.json").write_text(json.dumps(report, indent=2))
    assert max(daily.values()) == 1, "a reminder went out twice"
    assert len(unsent) <= 1  # at most the one the killed worker had in flight
    assert len(daily) >= len(REMINDER_USERS) - len(unsent) + len(report["in_flight_arrived"])
    assert query(db, "select distinct last_daily_sent from users where id like 'tg:70%'") == [
        (today,)]
