"""Recently parsed photos in memory: pairing within the window, and bounded in bytes."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bot.chat.recent_photos import PER_USER, RecentPhotos
from inference.parsing.outfit import Outfit


def parse(width: int = 100, height: int = 100) -> Outfit:
    labels = np.zeros((height, width), np.uint8)
    return Outfit(Image.new("RGB", (width, height)), labels, [], 0.3, 1, 0.8,
                  main=np.ones((height, width), bool))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_second_photo_within_the_window_pairs_but_not_the_same_photo() -> None:
    clock = Clock()
    recent = RecentPhotos(60, clock)
    recent.remember("u", "m1", 1, parse(), digest="aaa")
    assert recent.pair_for("u", None, "bbb").outfit_id == 1
    assert recent.pair_for("u", None, "aaa") is None  # the same photo again: a fresh look
    clock.now = 61
    assert recent.pair_for("u", None, "bbb") is None  # too late: feedback on its own
    assert recent.pair_for("u", "m1", "bbb").outfit_id == 1  # a reply pairs whenever


def test_bounded_per_user_and_in_bytes_oldest_first() -> None:
    size = 100 * 100 * 3 + 100 * 100 + 100 * 100  # image, labels, person map
    recent = RecentPhotos(60, max_bytes=5 * size)
    for n in range(PER_USER + 2):
        recent.remember("a", f"a{n}", n, parse())
    assert [e.outfit_id for e in recent._by_user["a"]] == list(range(2, PER_USER + 2))
    for n in range(3):
        recent.remember(f"user{n}", None, 100 + n, parse())
    assert recent.bytes <= 5 * size
    # the least recently active user's oldest photos went; every newer user still has theirs
    assert all(recent.latest(f"user{n}") is not None for n in range(3))
    assert len(recent._by_user.get("a", ())) == 2
    big = RecentPhotos(60, max_bytes=size // 2)
    big.remember("solo", None, 1, parse())  # larger than the budget: the newest still stays
    assert big.latest("solo").outfit_id == 1
