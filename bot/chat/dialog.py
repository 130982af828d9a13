"""The dialogue engine: one router for every channel (Telegram, web chat, CLI).

It knows nothing of Telegram or HTTP: a channel hands it an `Incoming` event and sends back the
`Reply` list it returns. Each journey lives in its own module under bot/chat/flows/.
"""

from __future__ import annotations

import logging
import re

import prompts
from bot.app import Services
from bot.chat import flows
from bot.chat.flows import Turn, compare, onboarding, outfit, preferences, shop
from bot.chat.messages import Incoming, Reply
from bot.chat.ratelimit import RateLimiter, event_cost
from bot.chat.recent_photos import RecentPhotos

log = logging.getLogger(__name__)

SHOP_WORDS = re.compile(
    r"\b(where\s+(can|could|do|to|should)\s+i\s+(buy|get|find)|buy\s+(this|it|these|that)|"
    r"shop\s+(this|the\s+look)|find\s+(this|it|similar)|similar\s+(items?|pieces?))\b",
    re.IGNORECASE,
)

#: "search red dress", "show me a red floral dress", "I'm looking for black boots".
SEARCH_WORDS = re.compile(
    r"^\s*(search(\s+for)?|find\s+me|show\s+me|i('|\s+a)?m\s+looking\s+for|looking\s+for)"
    r"(\s+(an?|some|the))?\b",
    re.IGNORECASE,
)

#: /command -> handler, and button payload prefix -> handler, as the flows declare them.
COMMANDS = {name: c.handler for name, c in flows.commands().items()}
BUTTONS = flows.buttons()


class Dialog:
    def __init__(self, services: Services) -> None:
        self.services = services
        limits = services.settings.telegram
        self.limiter = RateLimiter(limits.rate_burst, limits.rate_refill_per_second)
        self.costs = (limits.photo_cost, limits.button_cost)
        self.recent = RecentPhotos(services.settings.dialog.pair_window_seconds)

    async def handle(self, event: Incoming) -> list[Reply]:
        """Answer one event; never raises (a failure becomes a kind apology)."""
        store = self.services.store
        verdict = self.limiter.check(event.user_id, event_cost(event, *self.costs))
        if not verdict:
            # Never skipped silently: the first refusal says for how long everything is skipped,
            # and the refusals in that time are covered by it (a flood gets one answer back).
            return [Reply(prompts.reply("rate_skipped", seconds=verdict.seconds))
                    ] if verdict.notify else []
        try:
            user = store.ensure_user(event.user_id, event.channel)
            return await self._route(Turn(self.services, event, user, self.recent))
        except Exception:
            log.exception("failed to handle an event from a %s user", event.channel)
            return [Reply(prompts.reply("internal_error"))]

    async def _route(self, turn: Turn) -> list[Reply]:
        event = turn.event
        if event.callback:
            return await self._button(turn)
        if event.not_a_photo:
            return [Reply(prompts.reply("not_a_photo", what=event.not_a_photo))]
        if len(event.photos) >= 2:
            return await compare.compare_album(turn)
        if event.photos:
            if SHOP_WORDS.search(event.text):
                return await shop.shop_photo(turn)
            photo = event.photos[0]
            paired = turn.recent.pair_for(event.user_id, event.reply_to, photo.digest)
            if paired is not None:
                return await compare.compare_with_recent(turn, paired)
            return await outfit.outfit_feedback(turn)
        if event.command:
            handler = COMMANDS.get(event.command)
            return await handler(turn) if handler else await onboarding.fallback(turn)
        text = event.text.strip()
        if not text:
            return [Reply(prompts.reply("empty_text"))]
        if SHOP_WORDS.search(text):
            return await shop.shop(turn)
        wanted = SEARCH_WORDS.match(text)
        if wanted and text[wanted.end():].strip():
            return await shop.search_text(turn, text[wanted.end():])
        said = await preferences.from_text(turn)  # "I don't wear yellow"
        return said if said is not None else await onboarding.fallback(turn)

    async def _button(self, turn: Turn) -> list[Reply]:
        kind, _, rest = (turn.event.callback or "").partition(":")
        handler = BUTTONS.get(kind)
        if handler is None:
            return [Reply(prompts.reply("feedback_stale"))]
        return await handler(turn, rest)
