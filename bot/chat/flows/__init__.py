"""One module per journey; each takes a Turn and returns replies."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import Services
from bot.chat.messages import Incoming
from bot.chat.recent_photos import RecentPhotos


@dataclass
class Turn:
    """What a flow needs to answer one event."""

    services: Services
    event: Incoming
    user: dict
    recent: RecentPhotos

    @property
    def user_id(self) -> str:
        return self.event.user_id

    @property
    def store(self):  # noqa: ANN201 - storage.Store
        return self.services.store

    async def run(self, fn, *args):  # noqa: ANN001, ANN201 - model work off the event loop
        return await self.services.runner.run(fn, *args)
