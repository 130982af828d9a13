"""One module per journey; each takes a Turn and returns replies.

Each flow module also declares what it answers, at its end: its slash commands (with the prompts
key of their menu line) and the button payload prefixes it handles.

    command("history", history, menu="menu_history", aliases=("diary",))
    button("shopi", shop_item)  # payload "shopi:<rest>" -> shop_item(turn, "<rest>")

(both also work as decorators: ``@command("week", menu="menu_week")``). The router
(bot/chat/dialog.py) and the Telegram menu (bot/channels/telegram.py) are built from these
declarations: `commands()`, `buttons()` and `menu()`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import prompts
from bot.app import Services
from bot.chat.messages import Incoming, Reply
from bot.chat.recent_photos import RecentPhotos
from inference.core.decode import BadImage

#: The flow modules, in the order their commands appear in the menu.
FLOWS = ("onboarding", "outfit", "compare", "shop", "diary", "reminders", "preferences",
         "privacy", "language", "talk")


@dataclass
class Turn:
    """What a flow needs to answer one event."""

    services: Services
    event: Incoming
    user: dict
    recent: RecentPhotos
    lang: str = prompts.DEFAULT  # the language of this turn's replies
    notes: list[str] = field(default_factory=list)  # keys said after the answer, once each

    def note(self, key: str) -> None:
        """Add a line after the answer (a photo that could not be kept), once per turn."""
        if key not in self.notes:
            self.notes.append(key)

    @property
    def user_id(self) -> str:
        return self.event.user_id

    def say(self, key: str, **values: object) -> str:
        """A reply text in the user's language."""
        return prompts.reply(key, self.lang, **values)

    def remember(self, **fields: object) -> None:
        """Update the user's conversation state (what was last shown, a pending question), kept
        in SQLite so that "why?" and "the second one" still resolve after a restart."""
        state = self.store.state(self.user_id)
        self.store.set_state(self.user_id, {**state, **fields})

    def bad_image(self, bad: BadImage) -> Reply:
        """The kind answer to a file that is not a usable photo, its reason in the user's
        language."""
        return Reply(self.say("bad_image", reason=self.say(f"bad_image_{bad.code}", **bad.values)))

    def texts(self, name: str) -> dict:
        """A prompts file (stylecheck, prefs, vocab...) in the user's language."""
        return prompts.load(name, self.lang)

    @property
    def store(self):  # noqa: ANN201 - storage.Store
        return self.services.store

    async def run(self, fn, *args):  # noqa: ANN001, ANN201 - model work off the event loop
        return await self.services.runner.run_for(self.event.payer, fn, *args)

    async def run_batched(self, fn, item):  # noqa: ANN001, ANN201 - fn: runner.BatchFn
        """`fn`'s answer for `item`, batched with other users' items that wait at the time."""
        return await self.services.runner.run_batch_for(self.event.payer, fn, item)


#: A reply text in one language: say("key", **values).
Say = Callable[..., str]


def speaker(user: dict) -> Say:
    """`say` for code that answers a user outside a turn (reminders, the weekly summary)."""
    return functools.partial(prompts.reply, locale=user.get("lang") or prompts.DEFAULT)


CommandHandler = Callable[[Turn], Awaitable[list[Reply]]]
ButtonHandler = Callable[[Turn, str], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    """A slash command: `/name` runs `handler(turn)`; `menu` is the prompts key (replies) of its
    line in the command menu. An alias (`alias_of` set) answers the same and is not listed."""

    name: str
    handler: CommandHandler
    menu: str
    flow: str  # the declaring flow module's name
    alias_of: str | None = None


_commands: dict[str, Command] = {}
_buttons: dict[str, ButtonHandler] = {}


def _flow_of(fn: Callable) -> str:
    return fn.__module__.rsplit(".", 1)[-1]


def _same(a: Callable, b: Callable) -> bool:
    """The same function, possibly from a reloaded module."""
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def command(name: str, handler: CommandHandler | None = None, *, menu: str,
            aliases: tuple[str, ...] = ()):  # noqa: ANN201 - the handler, or a decorator
    """Declare `/name` (and `aliases`) answered by `handler`, listed in the menu with the text of
    prompts key `menu`. Without `handler`, a decorator."""

    def declare(fn: CommandHandler) -> CommandHandler:
        for word, alias_of in ((name, None), *((a, name) for a in aliases)):
            known = _commands.get(word)
            if known is not None and not _same(known.handler, fn):
                raise ValueError(f"/{word} is declared twice ({known.flow}, {_flow_of(fn)})")
            _commands[word] = Command(word, fn, menu, _flow_of(fn), alias_of)
        return fn

    return declare(handler) if handler is not None else declare


def button(prefix: str, handler: ButtonHandler | None = None):  # noqa: ANN201 - see command
    """Declare that button payloads "prefix:<rest>" go to `handler(turn, rest)`. Without
    `handler`, a decorator."""

    def declare(fn: ButtonHandler) -> ButtonHandler:
        known = _buttons.get(prefix)
        if known is not None and not _same(known, fn):
            raise ValueError(f"button prefix {prefix!r} is declared twice")
        _buttons[prefix] = fn
        return fn

    return declare(handler) if handler is not None else declare


def load() -> None:
    """Import every flow module, so that all declarations are made."""
    for name in FLOWS:
        importlib.import_module(f"{__name__}.{name}")


def commands() -> dict[str, Command]:
    """Every declared command (aliases included) by name, in menu order."""
    load()
    order = {flow: i for i, flow in enumerate(FLOWS)}
    declared = list(_commands.values())
    ranked = sorted(declared, key=lambda c: (order.get(c.flow, len(order)), declared.index(c)))
    return {c.name: c for c in ranked}


def buttons() -> dict[str, ButtonHandler]:
    """Every declared button payload prefix and its handler."""
    load()
    return dict(_buttons)


def menu(locale: str = prompts.DEFAULT) -> list[tuple[str, str]]:
    """(command, menu text) for the command menu: the declared commands less aliases, in the
    order of FLOWS, then of declaration."""
    return [(c.name, prompts.reply(c.menu, locale)) for c in commands().values()
            if c.alias_of is None]
