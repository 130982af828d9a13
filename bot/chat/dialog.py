"""The dialogue engine: one router for every channel (Telegram, web chat, CLI).

It knows nothing of Telegram or HTTP: a channel hands it an `Incoming` event and sends back the
`Reply` list it returns. Each journey lives in its own module under bot/chat/flows/.
"""

from __future__ import annotations

import functools
import logging

import prompts
from bot.app import Services
from bot.chat import flows
from bot.chat.flows import Turn, compare, outfit, shop, talk
from bot.chat.messages import Incoming, Reply
from bot.chat.ratelimit import event_cost, limiter
from bot.chat.recent_photos import RecentPhotos
from inference.core.runner import InferenceUnavailable, RunnerBusy
from inference.parsing.outfit import Outfit
from inference.text.language import language_of
from storage.db import is_storage_fault
from storage.shared import SharedState

log = logging.getLogger(__name__)

#: /command -> handler, and button payload prefix -> handler, as the flows declare them.
COMMANDS = {name: c.handler for name, c in flows.commands().items()}
BUTTONS = flows.buttons()


def apology_key(err: BaseException) -> str:
    """What a failure is called: a storage fault says nothing was saved (never "nothing is
    lost"), anything else is a generic apology."""
    return "storage_error" if is_storage_fault(err) else "internal_error"


class Dialog:
    def __init__(self, services: Services) -> None:
        self.services = services
        limits, workers = services.settings.telegram, services.settings.workers
        # Several workers on one database: the user's limit and recent photos live in the store.
        shared = SharedState(services.store) if workers.shared else None
        self.limiter = limiter(shared, limits.rate_burst, limits.rate_refill_per_second)
        self.costs = (limits.photo_cost, limits.button_cost)
        dialog = services.settings.dialog
        self.recent = RecentPhotos(dialog.pair_window_seconds,
                                   max_bytes=int(dialog.recent_photos_mb * 2**20), shared=shared,
                                   ttl=workers.recent_photo_minutes * 60)

    async def handle(self, event: Incoming) -> list[Reply]:
        """Answer one event; never raises (a failure becomes a kind apology)."""
        store = self.services.store
        verdict = self.limiter.check(event.user_id, event_cost(event, *self.costs))
        if not verdict:
            # Never skipped silently: the first refusal says for how long everything is skipped,
            # and the refusals in that time are covered by it (a flood gets one answer back).
            say = self.speaker(event.user_id, event.locale)
            return [Reply(say("rate_skipped", seconds=verdict.seconds))] if verdict.notify else []
        try:
            user = store.ensure_user(event.user_id, event.channel)
            turn = Turn(self.services, event, user, self.recent, self._language(user, event))
            # A new photo needs only the others' pairing state; anything else may need a parse.
            parse = None if event.photos and event.reply_to is None \
                else functools.partial(self._reparse, turn)
            await self.recent.hydrate(event.user_id, parse)
            replies = await self._route(turn)
        except RunnerBusy:  # refused before any model work: try again later, nothing lost
            return [Reply(self.speaker(event.user_id, event.locale)("busy"), busy=True)]
        except InferenceUnavailable as err:  # Ray Serve did not answer: said kindly, logged once
            log.error("inference unavailable: %s", err)
            return [Reply(self.speaker(event.user_id, event.locale)("inference_unavailable"))]
        except Exception as err:
            log.exception("failed to handle an event from a %s user", event.channel)
            return [Reply(self.speaker(event.user_id, event.locale)(apology_key(err)))]
        return replies + [Reply(turn.say(key)) for key in turn.notes]

    @staticmethod
    async def _reparse(turn: Turn, data: bytes) -> Outfit:
        """A photo another worker received, parsed here from its kept copy (as the user's job)."""
        _, outfit = await turn.run_batched(turn.services.pipeline.load_and_parse_many, data)
        return outfit

    def speaker(self, user_id: str, locale: str | None = None) -> flows.Say:
        """`say` for a user outside a turn (a refusal before the user is looked up, a channel's
        own notice): their stored language, else the app's, else the default. Never creates the
        user, and never fails (a storage fault is what an apology may be about)."""
        try:
            lang = self.services.store.user(user_id).get("lang")
        except Exception:  # not a user yet, or the store is down
            lang = None
        user = {"lang": lang or prompts.normalise(locale)}
        return flows.speaker(user)

    async def _route(self, turn: Turn) -> list[Reply]:
        event = turn.event
        if event.callback:
            return await self._button(turn)
        if event.not_a_photo:
            kind = event.not_a_photo
            what = turn.say(f"not_photo_{kind}") if f"not_photo_{kind}" in turn.texts(
                "replies") else kind
            return [Reply(turn.say("not_a_photo", what=what))]
        if len(event.photos) >= 2:
            return await compare.compare_album(turn)
        if event.photos:
            if event.text.strip() and await self._wants_shop(turn):
                return await shop.shop_photo(turn)
            photo = event.photos[0]
            paired = turn.recent.pair_for(event.user_id, event.reply_to, photo.digest)
            if paired is not None and event.reply_to is not None:
                return await compare.compare_with_recent(turn, paired)
            if paired is not None:  # a second single photo soon after: ask, don't assume
                return await compare.ask_pair(turn, paired)
            return await outfit.outfit_feedback(turn)
        if event.command:
            handler = COMMANDS.get(event.command)
            return await handler(turn) if handler else await talk.unknown_command(turn)
        text = event.text.strip()
        if not text:
            return [Reply(turn.say("empty_text"))]
        replies = await talk.answer(turn)
        limit = turn.services.settings.dialog.max_text_chars
        if len(event.text) > limit:
            replies.insert(0, Reply(turn.say("too_long_text", limit=limit)))
        return replies

    @staticmethod
    async def _wants_shop(turn: Turn) -> bool:
        """A photo's caption asks where to buy it ("where can I buy this?")."""
        return (await talk.understand(turn)).intent in ("shop_this", "search")

    def _language(self, user: dict, event: Incoming) -> str:
        """The reply language: the one the user chose with /language; else what this message is
        written in when that is clear; else the last one used, or the app's (Telegram's
        language_code). Stored when it changes, so reminders speak it too."""
        current = user.get("lang")
        if user.get("lang_chosen"):
            return current
        guess = current or (prompts.normalise(event.locale) if event.locale else None)
        lang = language_of(event.text, guess) if event.text and not event.command else guess
        lang = lang or prompts.DEFAULT
        if lang != current:
            self.services.store.update_user(event.user_id, lang=lang)
            user["lang"] = lang
        return lang

    async def _button(self, turn: Turn) -> list[Reply]:
        kind, _, rest = (turn.event.callback or "").partition(":")
        handler = BUTTONS.get(kind)
        if handler is None:
            return [Reply(turn.say("feedback_stale"))]
        return await handler(turn, rest)
