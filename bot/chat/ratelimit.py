"""Per-user token bucket, so one flood cannot starve everyone else, while fast typing passes.

Each user has a bucket of `burst` tokens that refills at `refill_per_second`; an event costs
tokens by kind (a text 1, a photo more, a button press less). An event the bucket cannot pay for
is refused, and then a *quiet period* starts: every event until it ends is refused too. Only the
first refusal gets a notice, which says how long the quiet period lasts, so a flood gets one
answer back rather than a flood, and nothing is ever skipped without the user having been told.

Memory stays bounded: a bucket that has been idle long enough to be full again (and is past its
quiet period) is the same as a new one, so it is dropped; `max_users` caps the rest. With
several workers on one database the buckets live in the store instead (`SharedRateLimiter`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.chat.messages import Incoming
from storage.shared import SharedState


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was last brought up to date (the last event)
    quiet_until: float = -math.inf  # refused events before this were covered by a notice


@dataclass(frozen=True)
class Verdict:
    """What the limiter says about one event."""

    allowed: bool
    notify: bool = False  # refused, and this refusal should get the "skipped" notice
    seconds: int = 0  # refused: how long until the user should send it again

    def __bool__(self) -> bool:
        return self.allowed


class RateLimiter:
    def __init__(self, burst: float = 12, refill_per_second: float = 0.5, *,
                 min_quiet_seconds: float = 5, max_users: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if burst <= 0 or refill_per_second <= 0:
            raise ValueError("burst and refill_per_second must be positive")
        self.burst = float(burst)
        self.refill = float(refill_per_second)
        self.min_quiet = float(min_quiet_seconds)
        self.max_users = max_users
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()  # least recently used first

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, user_id: str, cost: float = 1.0) -> Verdict:
        """Take `cost` tokens from the user's bucket if it holds them, else refuse the event."""
        now = self.clock()
        self._drop_idle(now)
        bucket = self._buckets.pop(user_id, None)
        bucket, verdict = self._charge(bucket, now, cost)
        self._buckets[user_id] = bucket  # most recently used last
        while len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        return verdict

    def _charge(self, bucket: _Bucket | None, now: float, cost: float) -> tuple[_Bucket, Verdict]:
        """The bucket brought up to date and charged for one event (a new one when None)."""
        cost = min(float(cost), self.burst)  # anything can get through from a full bucket
        if bucket is None:
            bucket = _Bucket(self.burst, now)
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.refill)
            bucket.at = now
        if now < bucket.quiet_until:  # covered by the notice that started the quiet period
            return bucket, Verdict(False, notify=False,
                                   seconds=math.ceil(bucket.quiet_until - now))
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return bucket, Verdict(True)
        # Refused: quiet until the bucket can pay for this event again, and at least a few
        # seconds, so that a flood's next messages are covered by this one notice.
        wait = max(self.min_quiet, (cost - bucket.tokens) / self.refill)
        seconds = math.ceil(wait)
        bucket.quiet_until = now + seconds
        return bucket, Verdict(False, notify=True, seconds=seconds)

    def allow(self, user_id: str, cost: float = 1.0) -> bool:
        return self.check(user_id, cost).allowed

    def _drop_idle(self, now: float) -> None:
        """Forget buckets that are full again and out of their quiet period (the oldest first:
        the buckets are kept in order of use, so the scan stops at the first one still busy)."""
        idle_after = self.burst / self.refill
        while self._buckets:
            bucket = next(iter(self._buckets.values()))
            if now - bucket.at < idle_after or now < bucket.quiet_until:
                break
            self._buckets.popitem(last=False)


class SharedRateLimiter(RateLimiter):
    """The same buckets kept in the store (storage/shared.py), so a user's limit holds across
    every worker on the database; the clock is wall time, which all workers share."""

    def __init__(self, shared: SharedState, burst: float = 12, refill_per_second: float = 0.5,
                 *, min_quiet_seconds: float = 5, clock: Callable[[], float] = time.time) -> None:
        super().__init__(burst, refill_per_second, min_quiet_seconds=min_quiet_seconds,
                         clock=clock)
        self.shared = shared
        self._swept = -math.inf

    def check(self, user_id: str, cost: float = 1.0) -> Verdict:
        now = self.clock()
        idle_after = self.burst / self.refill
        if now - self._swept > idle_after:  # now and then, not at every event
            self._swept = now
            self.shared.drop_buckets_before(now - idle_after)

        def step(row: tuple[float, float, float] | None
                 ) -> tuple[tuple[float, float, float], Verdict]:
            bucket, verdict = self._charge(row and _Bucket(*row), now, cost)
            quiet = bucket.quiet_until if math.isfinite(bucket.quiet_until) else 0.0
            return (bucket.tokens, bucket.at, quiet), verdict

        return self.shared.update_bucket(user_id, step)


def limiter(shared: SharedState | None, burst: float,
            refill_per_second: float) -> RateLimiter:
    """A limiter in memory, or in the store when several workers share it (`shared`)."""
    if shared is None:
        return RateLimiter(burst, refill_per_second)
    return SharedRateLimiter(shared, burst, refill_per_second)


def event_cost(event: Incoming, photo_cost: float, button_cost: float) -> float:
    """What one event takes from the bucket: a button press `button_cost`, a message with photos
    `photo_cost` (one photo, or an album of two for a Style Check: one message, one charge),
    anything else (text, a command, a sticker) one token."""
    if event.callback:
        return button_cost
    if event.photos:
        return photo_cost
    return 1.0
