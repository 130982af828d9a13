"""Per-user sliding-window rate limit, so one flood cannot starve everyone else."""

from __future__ import annotations

import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._warned: dict[str, float] = {}

    def allow(self, user_id: str) -> bool:
        now = self.clock()
        events = self._events[user_id]
        while events and now - events[0] > 60:
            events.popleft()
        if len(events) >= self.per_minute:
            return False
        events.append(now)
        return True

    def should_warn(self, user_id: str) -> bool:
        """Only one "slow down" per minute: a flood gets one polite answer, not a flood back."""
        now = self.clock()
        if now - self._warned.get(user_id, -1e9) > 60:
            self._warned[user_id] = now
            return True
        return False
