"""Recently parsed photos: for pairing two photos into a Style Check, cut-outs, "does this go
with ..." and "where can I buy this" replies. In memory (one process: nothing here outlives it;
photos are written to disk only for users who opted in), bounded three ways: photos a user,
users, and bytes in all (a parse holds its image and label maps, about 2 MB), the oldest photos
going first.

With several workers (`shared`), each photo is also kept in the store as its working-size JPEG
for `ttl` seconds, with its pairing state; before a turn, `hydrate` makes the memory match the
store for that user, re-parsing a photo another worker received (one parse, once per worker)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from inference.core.drawing import jpeg_bytes
from inference.parsing.outfit import Outfit
from storage.shared import SharedState

MAX_USERS = 500
PER_USER = 4


@dataclass
class Recent:
    ref: str | None
    outfit_id: int
    outfit: Outfit | None  # None: another worker's photo, not parsed here yet (see hydrate)
    at: float
    paired: bool = False
    digest: str = ""  # of the photo's bytes: the same photo sent twice is not a pair

    @property
    def size(self) -> int:
        """Bytes the parse holds: the RGB image and the label and person maps."""
        o = self.outfit
        if o is None:
            return 0
        return (o.image.width * o.image.height * 3 + o.labels.nbytes
                + (o.main.nbytes if o.main is not None else 0)
                + (o.appearance.nbytes if o.appearance is not None else 0))


class RecentPhotos:
    def __init__(self, pair_window_seconds: float, clock=time.monotonic,
                 max_bytes: int = 256 * 2**20, shared: SharedState | None = None,
                 ttl: float = 3600) -> None:
        self.window = pair_window_seconds
        self.clock = time.time if shared is not None else clock  # one clock for every worker
        self.max_bytes = max_bytes
        self.shared, self.ttl = shared, ttl
        self._by_user: OrderedDict[str, deque[Recent]] = OrderedDict()

    @property
    def bytes(self) -> int:
        return sum(e.size for entries in self._by_user.values() for e in entries)

    def remember(self, user_id: str, ref: str | None, outfit_id: int, outfit: Outfit,
                 paired: bool = False, digest: str = "") -> None:
        entry = Recent(ref, outfit_id, outfit, self.clock(), paired, digest)
        if self.shared is not None:
            self.shared.add_recent_photo(
                user_id, {"ref": ref, "outfit_id": outfit_id, "at": entry.at, "paired": paired,
                          "digest": digest, "image": jpeg_bytes(outfit.image, 90)},
                PER_USER, entry.at - self.ttl)
        self._keep(user_id, entry)

    def _keep(self, user_id: str, entry: Recent) -> None:
        entries = self._by_user.setdefault(user_id, deque(maxlen=PER_USER))
        entries.append(entry)
        self._by_user.move_to_end(user_id)
        while len(self._by_user) > MAX_USERS:
            self._by_user.popitem(last=False)
        total = self.bytes
        while total > self.max_bytes and len(self._by_user) > 0:
            # the least recently active user's oldest photo; the newest photo always stays
            oldest_user = next(iter(self._by_user))
            queue = self._by_user[oldest_user]
            if oldest_user == user_id and len(queue) == 1 and len(self._by_user) == 1:
                break
            total -= queue.popleft().size
            if not queue:
                del self._by_user[oldest_user]

    async def hydrate(self, user_id: str,
                      parse: Callable[[bytes], Awaitable[Outfit]] | None) -> None:
        """Make the user's photos in memory those the store holds (several workers): parses
        already here are reused, the others parsed again from their kept JPEG by `parse`; with
        no `parse` (a new photo needs only the others' pairing state) they wait unparsed."""
        if self.shared is None:
            return
        rows = self.shared.recent_photos(user_id, self.clock() - self.ttl)
        here = {e.outfit_id: e for e in self._by_user.pop(user_id, ())}
        for row in rows:
            entry = here.get(row["outfit_id"]) or Recent(row["ref"], row["outfit_id"], None,
                                                         row["at"])
            if entry.outfit is None and parse is not None:
                image = self.shared.recent_image(user_id, row["id"])
                if image is None:  # forgotten or swept meanwhile
                    continue
                entry.outfit = await parse(image)
            entry.at, entry.paired, entry.digest = row["at"], bool(row["paired"]), row["digest"]
            self._keep(user_id, entry)

    def mark_paired(self, user_id: str, entry: Recent) -> None:
        """The photo is in a pair now: a next single photo is not offered a pairing with it."""
        entry.paired = True
        if self.shared is not None:
            self.shared.mark_recent_paired(user_id, entry.outfit_id)

    def latest(self, user_id: str) -> Recent | None:
        entries = self._by_user.get(user_id)
        return entries[-1] if entries else None

    def by_outfit(self, user_id: str, outfit_id: int) -> Recent | None:
        for entry in self._by_user.get(user_id, ()):
            if entry.outfit_id == outfit_id:
                return entry
        return None

    def find(self, user_id: str, ref: str | None) -> Recent | None:
        """The photo with this channel ref, else the latest one."""
        for entry in reversed(self._by_user.get(user_id, ())):
            if ref is None or entry.ref == ref:
                return entry
        return self.latest(user_id)

    def pair_for(self, user_id: str, reply_to: str | None, digest: str = "") -> Recent | None:
        """The photo a new photo should be compared with: the one it replies to, or an unpaired
        single photo sent within the window; never the very same photo (`digest`) again, which
        gets a fresh look rather than a 50/50 verdict against itself."""
        entries = self._by_user.get(user_id, ())
        found = None
        if reply_to is not None:
            found = next((e for e in reversed(entries) if e.ref == reply_to), None)
        if found is None and entries and self.window > 0:
            last = entries[-1]
            if not last.paired and self.clock() - last.at <= self.window:
                found = last
        if found is not None and digest and found.digest == digest:
            return None
        return found

    def forget(self, user_id: str) -> None:
        self._by_user.pop(user_id, None)
