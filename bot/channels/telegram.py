"""The Telegram channel: python-telegram-bot v22 in, `Dialog` in the middle, Bot API calls out.

A thin adapter: updates become `Incoming` events (an album becomes one event with all its
photos), the dialogue engine answers, and its `Reply` list is sent back within Telegram's limits.
Polling by default; `run_telegram(settings, webhook_url=...)` serves a webhook with aiohttp.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    PhotoSize,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

import prompts
from bot.app import Services, services_running, until_stopped
from bot.channels import metrics
from bot.channels import reminder_jobs as jobs
from bot.chat.dialog import Dialog, apology_key
from bot.chat.flows import Say
from bot.chat.messages import Button, Incoming, PhotoIn, Reply
from bot.config import ConfigError, Settings
from bot.logging_setup import configured_secrets, redact_secrets
from storage.shared import SharedState

log = logging.getLogger(__name__)

MESSAGE_LIMIT, CAPTION_LIMIT, ALBUM_LIMIT = 4096, 1024, 10
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile limit
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATE_TYPES = [Update.MESSAGE, Update.CALLBACK_QUERY]
#: Attributes of a message that are not photos; the kind reply names them (prompts keys
#: not_photo_<attribute>). The first one a message has names it.
NOT_PHOTOS = ("sticker", "animation", "video", "video_note", "voice", "audio", "location",
              "venue", "contact", "poll", "dice", "story", "game", "document")


class Albums:
    """Collects the messages of one media group until no new part arrives for `wait` seconds."""

    def __init__(self, wait: float) -> None:
        self.wait, self._parts = wait, {}

    async def collect(self, message: Message) -> list[Message] | None:
        """The whole album for the first part's handler; None for the others."""
        key = (message.chat_id, message.media_group_id)
        if key in self._parts:
            self._parts[key].append(message)
            return None
        parts, seen = self._parts.setdefault(key, [message]), 0
        try:
            while seen != len(parts):
                seen = len(parts)
                await asyncio.sleep(self.wait)
        finally:
            del self._parts[key]
        return sorted(parts, key=lambda m: m.message_id)


class SharedAlbums(Albums):
    """The same wait, with the parts kept in the store: behind one webhook address an album's
    parts reach several workers, and the worker that sees the album quiet for `wait` seconds
    first takes all of it (one transaction); the others answer nothing."""

    def __init__(self, wait: float, shared: SharedState) -> None:
        super().__init__(wait)
        self.shared = shared

    async def collect(self, message: Message) -> list[Message] | None:
        album = f"{message.chat_id}:{message.media_group_id}"
        now = time.time()
        part = self.shared.add_album_part(
            f"tg:{message.from_user.id}", album, message.message_id,
            json.dumps(message.to_dict()), now, now - 60 * self.wait)
        seen = 0
        while (size := self.shared.album_size(album)) not in (seen, 0):
            seen = size
            await asyncio.sleep(self.wait)
        parts = self.shared.take_album(album, part)
        return parts and [Message.de_json(json.loads(p), message.get_bot()) for p in parts]


class BotData:
    """What every handler shares; filled in once by `build_application`."""

    services: Services
    dialog: Dialog
    albums: Albums


class BotContext(CallbackContext[ExtBot, BotData, dict, dict]):
    """The handlers' context: the shared services and dialogue engine, without globals."""

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def dialog(self) -> Dialog:
        return self.bot_data.dialog


# Updates in ------------------------------------------------------------------------------
def _is_photo(message: Message | None) -> bool:
    """A photo, or a document holding an image (sent "as a file")."""
    if message is None or message.animation:
        return False
    doc = message.document
    return bool(message.photo or (doc and (doc.mime_type or "").startswith("image/")))


def _media(message: Message) -> PhotoSize | Document:
    """The largest size of a photo, or the image document."""
    return max(message.photo, key=lambda p: p.width * p.height) if message.photo \
        else message.document


def _not_a_photo(message: Message) -> str | None:
    """What a message holds instead of a photo, as the kind reply names it."""
    return next((kind for kind in NOT_PHOTOS if getattr(message, kind, None)), None)


async def _download(message: Message, bot: ExtBot) -> PhotoIn:
    """The photo's bytes, referenced by the message id (so replies to it can be paired)."""
    file = await bot.get_file(_media(message).file_id)
    name = message.document.file_name if message.document else None
    return PhotoIn(bytes(await file.download_as_bytearray()), name, str(message.message_id))


async def to_incoming(messages: list[Message], bot: ExtBot) -> Incoming:
    """One event from a message (or the messages of one album)."""
    user, replied = messages[0].from_user, messages[0].reply_to_message
    photos = tuple([await _download(m, bot) for m in messages if _is_photo(m)])
    others = [kind for m in messages if not _is_photo(m) and (kind := _not_a_photo(m))]
    return Incoming(
        user_id=f"tg:{user.id}", channel="telegram",
        text="\n".join(t for m in messages if (t := m.text or m.caption)),
        photos=photos, not_a_photo=None if photos or not others else others[0],
        reply_to=str(replied.message_id) if _is_photo(replied) else None,
        display_name=user.first_name or "", locale=user.language_code,
    )


# Replies out -----------------------------------------------------------------------------
def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def trim(text: str, limit: int = CAPTION_LIMIT) -> str:
    """The text cut to `limit`, with an ellipsis when cut."""
    if _units(text) <= limit:
        return text
    while _units(text) > limit - 1:
        text = text[: -max(1, (_units(text) - limit + 1) // 2)]
    return text + "…"


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Chunks of at most `limit`, broken at line ends (else spaces) where possible."""
    chunks, rest = [], text.strip()
    while _units(rest) > limit:
        head = trim(rest, limit + 1)[:-1]
        cut = max(head.rfind("\n"), head.rfind(" "))
        cut = cut if cut > len(head) // 2 else len(head)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    return [c for c in chunks + [rest] if c]


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Reply buttons as an inline keyboard: the payload is the callback data; a link button
    opens its URL."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(b.label, url=b.url) if b.url
        else InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in rows])


async def send_reply(bot: ExtBot, chat_id: int, reply: Reply) -> None:
    """One reply: its images (a photo, or albums of up to ten), its file, then text and buttons."""
    markup, text = keyboard(reply.buttons), reply.text.strip()
    # With a single picture or file, a text that fits the caption (and the buttons) rides on it.
    on_media = len(reply.images) + bool(reply.file) == 1 and _units(text) <= CAPTION_LIMIT
    extra = {"reply_markup": markup, **({"caption": text} if text else {})} if on_media else {}
    for start in range(0, len(reply.images), ALBUM_LIMIT):
        group = reply.images[start:start + ALBUM_LIMIT]
        if len(group) == 1:
            await bot.send_photo(chat_id, group[0].data, filename=group[0].name,
                                 **{"caption": trim(group[0].caption) or None, **extra})
        else:
            await bot.send_media_group(chat_id, [InputMediaPhoto(
                i.data, caption=trim(i.caption) or None, filename=i.name) for i in group])
    if reply.file:
        await bot.send_document(chat_id, reply.file.data, filename=reply.file.name, **extra)
    chunks = [] if on_media else split_text(text) or (["👇"] if markup else [])
    for i, chunk in enumerate(chunks, 1):
        await bot.send_message(chat_id, chunk, reply_markup=markup if i == len(chunks) else None)


def _speaker(context: BotContext, person: User | None) -> Say:
    """`say` for the channel's own notices, in the person's language."""
    if person is None:
        return context.dialog.speaker("")
    return context.dialog.speaker(f"tg:{person.id}", person.language_code)


async def answer(event: Incoming, chat_id: int, context: BotContext) -> None:
    """Let the dialogue engine answer the event and send its replies."""
    start = time.perf_counter()
    for reply in await context.dialog.handle(event):
        await send_reply(context.bot, chat_id, reply)
    metrics.observe_reply(event, time.perf_counter() - start)


# Handlers --------------------------------------------------------------------------------
async def on_message(update: Update, context: BotContext) -> None:
    """A private message (text, command, photo, album part or other media)."""
    message = update.message
    if message is None or message.from_user is None:
        return
    messages = [message]
    if message.media_group_id:
        messages = await context.bot_data.albums.collect(message)
        if messages is None:
            return
    photos = [m for m in messages if _is_photo(m)]
    if any((_media(m).file_size or 0) > DOWNLOAD_LIMIT for m in photos):
        say = _speaker(context, message.from_user)
        too_big = say("bad_image", reason=say("too_big_for_telegram"))
        await context.bot.send_message(message.chat_id, too_big)
        return
    if photos:
        with suppress(TelegramError):
            await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    event = await to_incoming(messages, context.bot)
    if event.text or event.photos or event.not_a_photo:
        await answer(event, message.chat_id, context)


async def on_button(update: Update, context: BotContext) -> None:
    """A button press: acknowledge it, then answer as new messages."""
    query = update.callback_query
    with suppress(TelegramError):  # a press older than Telegram's answer window still counts
        await query.answer()
    chat = update.effective_chat
    if not query.data or chat is None or chat.type != ChatType.PRIVATE:
        return
    event = Incoming(user_id=f"tg:{query.from_user.id}", channel="telegram",
                     callback=query.data, display_name=query.from_user.first_name or "",
                     locale=query.from_user.language_code)
    await answer(event, chat.id, context)


async def on_group_command(update: Update, context: BotContext) -> None:
    """A command in a group: point to the private chat, where data stays private."""
    await update.message.reply_text(_speaker(context, update.message.from_user)("private_only"))


async def on_error(update: object, context: BotContext) -> None:
    """Log any handler failure with its traceback and apologise where there is a chat."""
    log.error("failed to handle a Telegram update", exc_info=context.error)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None and chat.type == ChatType.PRIVATE:
        with suppress(TelegramError):
            say = _speaker(context, update.effective_user)
            await context.bot.send_message(chat.id, say(apology_key(context.error)))


async def _post_init(application: Application) -> None:
    """Publish the command menu (the commands the chat flows declare) once the bot is known: the
    default one in English, and one for each language we speak (Telegram shows the menu matching
    the user's app language)."""
    from bot.chat.flows import menu

    try:
        for lang in prompts.LANGS:
            await application.bot.set_my_commands(
                [BotCommand(c, d) for c, d in menu(lang)],
                language_code=None if lang == prompts.DEFAULT else lang)
    except TelegramError as err:
        log.warning("could not set the command menu: %s", err)
    log.info("Telegram bot @%s ready", application.bot.username)


def build_application(settings: Settings, services: Services,
                      dialog: Dialog | None = None) -> Application:
    """The python-telegram-bot Application with the handlers, over shared services."""
    tg = settings.telegram
    if tg.token is None:
        raise ValueError("no Telegram token: set STYLEBOT_TELEGRAM__TOKEN")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs URLs, which hold the token
    application = (
        Application.builder().token(tg.token.get_secret_value())
        .base_url(tg.base_url).base_file_url(tg.base_file_url)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(True)  # a slow photo never holds up /help
        .post_init(_post_init)
        .build()
    )
    data = application.bot_data
    data.services, data.dialog = services, dialog or Dialog(services)
    data.albums = (SharedAlbums(tg.album_wait_seconds, SharedState(services.store))
                   if settings.workers.shared else Albums(tg.album_wait_seconds))
    private = filters.ChatType.PRIVATE
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private, on_message))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND
                                           & ~private, on_group_command))
    application.add_error_handler(on_error)
    jobs.install(application)  # daily reminders and weekly summaries, from the database
    return application


# Running ---------------------------------------------------------------------------------
@asynccontextmanager
async def running(application: Application, *, polling: bool = True,
                  poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Initialise and start the application (and polling) for the block, then stop it all."""
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        if polling:
            await application.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, allowed_updates=UPDATE_TYPES)
        yield application
    finally:
        if application.updater and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def webhook_app(application: Application, secret: str) -> web.Application:
    """An aiohttp app taking updates by POST, only with Telegram's secret header."""

    async def receive(request: web.Request) -> web.Response:
        """Check the secret, then queue the update for the application."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400)
        await application.update_queue.put(update)
        return web.Response()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/{path:.*}", receive)
    return app


async def start_webhook(application: Application, settings: Settings,
                        url: str) -> web.AppRunner:
    """Serve the webhook on webhook_listen:webhook_port and tell Telegram the URL and secret."""
    tg = settings.telegram
    if settings.workers.shared and not tg.webhook_secret:  # each would set its own: 403s
        raise ConfigError("several workers behind one webhook address need one secret: set "
                          "STYLEBOT_TELEGRAM__WEBHOOK_SECRET")
    secret = (tg.webhook_secret.get_secret_value() if tg.webhook_secret
              else secrets.token_urlsafe(32))
    redact_secrets(secret)  # a made-up one too: PTB logs setWebhook's parameters at DEBUG
    app = webhook_app(application, secret)
    metrics.track(app, "webhook", application.bot_data.services)  # /metrics and /healthz
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, tg.webhook_listen, tg.webhook_port).start()
    await application.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATE_TYPES)
    log.info("webhook at %s (listening on %s:%s, path %s)", urlsplit(url).netloc,
             tg.webhook_listen, tg.webhook_port, urlsplit(url).path or "/")
    return runner


async def serve(settings: Settings, webhook_url: str | None = None) -> None:
    """Run the bot until SIGINT or SIGTERM, then shut down gracefully."""
    async with services_running(settings) as services, AsyncExitStack() as also:
        if settings.telegram.web_chat_too:  # one process, one set of models for both
            from bot.channels.web import web_chat_serving

            await also.enter_async_context(web_chat_serving(services))
        application = build_application(settings, services)
        async with running(application, polling=webhook_url is None,
                           poll_timeout=settings.telegram.poll_timeout_seconds):
            runner = (await start_webhook(application, settings, webhook_url)
                      if webhook_url else None)
            log.info("stylebot on Telegram: %s; Ctrl+C stops",
                     "webhook" if runner else "polling")
            await until_stopped()
            if runner:
                await runner.cleanup()
    log.info("stopped")


def run_telegram(settings: Settings, webhook_url: str | None = None) -> None:
    """The `stylebot run` entry point: polling, or a webhook when `webhook_url` is given."""
    redact_secrets(*configured_secrets(settings))  # also when called without the CLI
    asyncio.run(serve(settings, webhook_url))
