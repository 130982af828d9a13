"""The state several workers share through one store (storage/shared.py), each piece used from
two stores on one database (SQLite and PostgreSQL), as two worker processes would: rate limits,
the web chat's pictures, recent photos with their pairing state; /forget and /export cover all
of it."""

from __future__ import annotations

from pathlib import Path

from bot.channels.web import Blob, SharedBlobCache, user_id_of
from bot.chat.ratelimit import SharedRateLimiter
from bot.chat.recent_photos import RecentPhotos
from storage import Store
from storage.shared import SharedState


def two_stores(database: Path | str, tmp_path: Path) -> tuple[Store, Store]:
    return Store(database, tmp_path / "files"), Store(database, tmp_path / "files")


def test_one_bucket_for_both_workers(database, tmp_path) -> None:
    now = [1000.0]
    a, b = (SharedRateLimiter(SharedState(s), burst=3, refill_per_second=0.5,
                              clock=lambda: now[0]) for s in two_stores(database, tmp_path))
    assert [bool((a, b)[i % 2].check("web:u")) for i in range(3)] == [True, True, True]
    refused = b.check("web:u")
    assert not refused and refused.notify and refused.seconds == 5  # the quiet period
    assert not a.check("web:u").notify  # covered by that one notice, on the other worker too
    assert a.check("web:other")  # someone else's bucket is their own
    now[0] += 5
    # 2.5 tokens came back: two texts, not three, wherever they land
    assert [bool(w.check("web:u")) for w in (a, b, a)] == [True, True, False]
    now[0] += 3600
    a.check("web:someone")  # sweeps the idle buckets (full again: the same as new ones)
    assert a.shared.store.db["rate_buckets"].count == 1


def test_a_picture_from_one_worker_is_served_by_the_other(database, tmp_path) -> None:
    one, two = (SharedBlobCache(SharedState(s), ttl=60, max_bytes=4000, per_owner=2)
                for s in two_stores(database, tmp_path))
    first = one.put(Blob("token-1", b"a" * 500, "image/jpeg", "overlay.jpg", False))
    assert two.has("token-1", first) and not two.has("token-2", first)
    got = two.get("token-1", first)
    assert (got.data, got.mime, got.name, got.download) == (b"a" * 500, "image/jpeg",
                                                            "overlay.jpg", False)
    assert one.put(Blob("token-1", b"b" * 1001, "image/png", "big.png", False)) is None  # > share
    later = [two.put(Blob("token-1", bytes([i]) * 100, "image/png", "p.png", False))
             for i in range(2)]
    assert not one.has("token-1", first) and all(one.has("token-1", k) for k in later)
    rows = list(one.shared.store.db["web_blobs"].rows)
    assert {r["user_id"] for r in rows} == {user_id_of("token-1")}  # the hash, not the token


async def test_recent_photos_pair_across_workers_and_are_parsed_again(database, tmp_path,
                                                                     pipeline, photo_bytes):
    stores = two_stores(database, tmp_path)
    a, b = (RecentPhotos(600, shared=SharedState(s), ttl=3600) for s in stores)
    stores[0].ensure_user("web:u", "web")
    _, outfit = pipeline.load_and_parse_many([photo_bytes[0]])[0]
    a.remember("web:u", "w1", 7, outfit, digest="d1")
    parsed = []

    async def parse(data: bytes):  # noqa: ANN202
        parsed.append(data)
        return pipeline.load_and_parse_many([data])[0][1]

    await b.hydrate("web:u", None)  # a new photo: the pairing state, no parse
    pair = b.pair_for("web:u", None, "d2")
    assert pair is not None and pair.outfit_id == 7 and pair.outfit is None and not parsed
    b.mark_paired("web:u", pair)
    await a.hydrate("web:u", parse)
    assert a.pair_for("web:u", None, "d3") is None  # paired on b: no second offer on a
    await b.hydrate("web:u", parse)
    again = b.by_outfit("web:u", 7)
    assert len(parsed) == 1 and [i.category for i in again.outfit.items] == [
        i.category for i in outfit.items]
    export = stores[1].export_user("web:u")
    assert [r["outfit_id"] for r in export["recent_photos"]] == [7]
    assert "image" not in export["recent_photos"][0]
    stores[1].forget_user("web:u")
    assert stores[0].db["recent_photos"].count == 0
