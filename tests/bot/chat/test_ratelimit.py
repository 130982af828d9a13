"""The per-user token bucket with a fake clock: fast typing passes, a flood gets one notice."""

from __future__ import annotations

import pytest

from bot.chat.messages import Incoming, PhotoIn
from bot.chat.ratelimit import RateLimiter, event_cost


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limiter(clock: Clock, **kw) -> RateLimiter:
    return RateLimiter(**{"burst": 12, "refill_per_second": 0.5, "clock": clock, **kw})


def test_typing_fifteen_short_texts_in_ten_seconds_passes(clock):
    rl = limiter(clock)
    for _ in range(15):
        assert rl.check("u").allowed
        clock.tick(10 / 14)


def test_a_flood_is_refused_with_one_notice_per_quiet_period(clock):
    rl = limiter(clock)
    verdicts = []
    for _ in range(40):  # 40 messages in 2 seconds
        verdicts.append(rl.check("u"))
        clock.tick(0.05)
    allowed = [v for v in verdicts if v.allowed]
    refused = [v for v in verdicts if not v.allowed]
    assert len(allowed) == 12  # the burst, plus at most one refilled token in 2 s
    assert refused[0].notify and refused[0].seconds >= 5  # said once, with when to send again
    assert not any(v.notify for v in refused[1:])  # the rest were covered by that notice
    assert all(v.seconds > 0 for v in refused)
    # Still inside the quiet period: skipped without another notice.
    clock.tick(1)
    assert not rl.check("u").notify
    # After it, the bucket has refilled enough to take the message again.
    clock.tick(refused[0].seconds)
    assert rl.check("u").allowed


def test_a_long_flood_gets_a_notice_per_quiet_period_not_per_message(clock):
    rl = limiter(clock)
    verdicts = []
    for _ in range(600):  # ten messages a second for a minute
        verdicts.append(rl.check("u"))
        clock.tick(0.1)
    notices = sum(v.notify for v in verdicts)
    assert 1 <= notices <= 60 / 5 + 1
    assert sum(v.allowed for v in verdicts) <= 12 + 60 * 0.5 + 1


def test_refill(clock):
    rl = limiter(clock)
    assert all(rl.allow("u") for _ in range(12))
    verdict = rl.check("u")
    assert not verdict.allowed and verdict.notify
    clock.tick(verdict.seconds)
    assert rl.allow("u")  # refilled while quiet (refused events cost nothing)
    clock.tick(24)  # 12 tokens' worth: full again, never more than the burst
    assert sum(rl.allow("u") for _ in range(20)) == 12


def test_photos_cost_more_than_texts_and_buttons_less(clock):
    rl = limiter(clock)
    photo = Incoming("u", "cli", photos=(PhotoIn(b"x"),))
    album = Incoming("u", "cli", photos=(PhotoIn(b"x"), PhotoIn(b"y")))
    text = Incoming("u", "cli", text="hi")
    press = Incoming("u", "cli", callback="pick:1:a")
    assert event_cost(text, 3, 0.5) == 1
    assert event_cost(photo, 3, 0.5) == 3
    assert event_cost(album, 3, 0.5) == 3  # one message (a Style Check), one charge
    assert event_cost(press, 3, 0.5) == 0.5
    assert sum(rl.allow("photos", 3) for _ in range(10)) == 4
    assert sum(rl.allow("texts", 1) for _ in range(20)) == 12
    assert sum(rl.allow("buttons", 0.5) for _ in range(30)) == 24
    # A photo refused when only a text's worth is left: told to wait for the photo's cost.
    assert all(rl.allow("mixed") for _ in range(11))
    verdict = rl.check("mixed", 3)
    assert not verdict.allowed and verdict.notify and verdict.seconds == 5  # max(5, 2 / 0.5)
    clock.tick(5)
    assert rl.allow("mixed", 3)
    # A cost over the burst still gets through from a full bucket (never refused forever).
    assert rl.allow("big", 50)


def test_memory_is_bounded(clock):
    rl = limiter(clock, max_users=500)
    for i in range(1000):
        rl.check(f"u{i}")
    assert len(rl) == 500  # capped
    clock.tick(30)  # long enough for every bucket to be full again
    rl.check("late")
    assert len(rl) == 1  # idle buckets dropped
    for _ in range(13):
        rl.check("flooder")  # refused: quiet for a while
    clock.tick(24)  # full again and past its quiet period
    rl.check("other")
    assert len(rl) == 1


def test_users_do_not_share_a_bucket(clock):
    rl = limiter(clock)
    for _ in range(30):
        rl.check("flood")
    assert rl.allow("calm")
