"""A local Telegram Bot API stand-in: real HTTP on 127.0.0.1 for python-telegram-bot to talk to.

It implements the methods the bot calls (getMe, getUpdates with long polling and offsets,
sendMessage, sendPhoto, sendMediaGroup, sendDocument with multipart uploads, getFile and the
file download, answerCallbackQuery, editMessageText, setWebhook, ...) and checks Telegram's
limits (text 4096, caption 1024, albums of 2-10, callback data 64 bytes, known chats), so a
reply Telegram would refuse fails here too. Tests push user updates in and await the bot's calls:

    api = BotApiStandIn(); await api.start()
    api.send_text(42, "/start")
    call = await api.next_call("sendMessage", chat_id=42)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:STANDIN-token_for-tests-only"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "stylebot", "username": "stylebot_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
JSON_FIELDS = {"chat_id", "offset", "limit", "timeout", "reply_markup", "media", "message_id",
               "allowed_updates", "reply_parameters", "show_alert", "drop_pending_updates",
               "commands", "scope", "max_connections", "cache_time", "link_preview_options"}


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One Bot API request the bot made, with its decoded parameters and uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)
    at: float = field(default_factory=time.perf_counter)
    ok: bool = True
    result: Any = None  # what the stand-in answered (e.g. the sent message)
    taken: bool = False

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def images(self) -> list[bytes]:
        """The uploaded photos (sendPhoto, or every photo of a sendMediaGroup)."""
        if self.method == "sendMediaGroup":
            return [self.files[m["media"].removeprefix("attach://")].data
                    for m in self.params["media"] if m["media"].startswith("attach://")]
        return [self.files["photo"].data] if "photo" in self.files else []

    @property
    def buttons(self) -> list[str]:
        """The callback data of the inline keyboard, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [b.get("callback_data", "") for row in markup.get("inline_keyboard", [])
                for b in row]


class ApiError(Exception):
    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description, self.code = description, code


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotApiStandIn:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.downloads: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict] = []  # the default menu
        self.menus: dict[str, list[dict]] = {}  # language_code ("" = default) -> its menu
        self.languages: dict[int, str] = {}  # user id -> their app's language_code ("en" if unset)
        self.pushed_at: dict[int, float] = {}  # update id -> when it became available
        self._updates: list[dict] = []
        self._files: dict[str, bytes] = {}
        self._chats: set[int] = set()
        self._messages: dict[tuple[int, int], dict] = {}  # (chat, message id) -> message
        self._failures: list[tuple[str, int | None, str]] = []
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # server ------------------------------------------------------------------------------
    async def start(self) -> BotApiStandIn:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing = True
        self._new_update.set()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # what users do -----------------------------------------------------------------------
    def _user(self, user_id: int, first_name: str) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name,
                "language_code": self.languages.get(user_id, "en")}

    def add_file(self, data: bytes) -> str:
        file_id = f"file{next(self._ids)}"
        self._files[file_id] = data
        return file_id

    def message_update(self, user_id: int, text: str | None = None, *, photo: bytes | None = None,
                       document: bytes | None = None, mime_type: str = "image/jpeg",
                       file_name: str = "photo.jpg", caption: str | None = None,
                       media_group_id: str | None = None, reply_to: int | None = None,
                       first_name: str = "Ana", **media: Any) -> dict:
        """An update holding one private message from `user_id` (not queued yet)."""
        self._chats.add(user_id)
        message: dict[str, Any] = {
            "message_id": next(self._ids), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": self._user(user_id, first_name),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if photo is not None:
            file_id = self.add_file(photo)
            message["photo"] = [
                {"file_id": f"{file_id}s", "file_unique_id": f"u{file_id}s", "width": 90,
                 "height": 60, "file_size": 1000},
                {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280,
                 "height": 853, "file_size": len(photo)},
            ]
            self._files[f"{file_id}s"] = b"thumbnail, not the photo"
        if document is not None:
            file_id = self.add_file(document)
            message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                                   "file_name": file_name, "mime_type": mime_type,
                                   "file_size": len(document)}
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if reply_to is not None:
            message["reply_to_message"] = self._message_stub(user_id, reply_to)
        message.update(media)  # e.g. sticker={...}, voice={...}
        self._messages[(user_id, message["message_id"])] = message
        return {"update_id": next(self._update_ids), "message": message}

    def _message_stub(self, chat_id: int, message_id: int) -> dict:
        return self._messages.get((chat_id, message_id)) or {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"}, "photo": [
                {"file_id": "old", "file_unique_id": "uold", "width": 10, "height": 10}]}

    def callback_update(self, user_id: int, data: str, message_id: int | None = None,
                        first_name: str = "Ana") -> dict:
        """An update for a press on an inline button (not queued yet)."""
        self._chats.add(user_id)
        message = self._messages.get((user_id, message_id or -1)) or {
            "message_id": message_id or next(self._ids), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"}, "from": BOT_USER, "text": "…"}
        query = {"id": f"q{next(self._ids)}", "from": self._user(user_id, first_name),
                 "chat_instance": f"ci{user_id}", "data": data, "message": message}
        return {"update_id": next(self._update_ids), "callback_query": query}

    def push(self, update: dict) -> dict:
        """Make an update available to getUpdates (and wake a waiting long poll)."""
        self.pushed_at[update["update_id"]] = time.perf_counter()
        self._updates.append(update)
        self._new_update.set()
        return update

    def send_text(self, user_id: int, text: str, **kwargs: Any) -> dict:
        return self.push(self.message_update(user_id, text, **kwargs))["message"]

    def send_photo(self, user_id: int, data: bytes, **kwargs: Any) -> dict:
        return self.push(self.message_update(user_id, photo=data, **kwargs))["message"]

    def press(self, user_id: int, data: str, message_id: int | None = None) -> str:
        """Press a button; returns the callback query id."""
        return self.push(self.callback_update(user_id, data, message_id))["callback_query"]["id"]

    def fail_next(self, method: str, chat_id: int | None = None,
                  description: str = "Bad Request: failure injected by the test") -> None:
        """The next `method` call (to `chat_id`) gets a Bot API error."""
        self._failures.append((method, chat_id, description))

    # what the bot did --------------------------------------------------------------------
    async def next_call(self, methods: str | Iterable[str], chat_id: int | None = None,
                        timeout: float = 15.0, where: Callable[[Call], bool] | None = None,
                        ok: bool = True) -> Call:
        """The first not yet taken successful call of `methods` (to `chat_id`); waits for it."""
        wanted = {methods} if isinstance(methods, str) else set(methods)

        def find() -> Call | None:
            for call in self.calls:
                if (not call.taken and call.ok == ok and call.method in wanted
                        and (chat_id is None or call.chat_id == chat_id)
                        and (where is None or where(call))):
                    call.taken = True
                    return call
            return None

        async with self._new_call:
            try:
                return await asyncio.wait_for(self._new_call.wait_for(find), timeout)
            except TimeoutError:
                seen = [(c.method, c.chat_id, c.text[:40]) for c in self.calls]
                raise AssertionError(
                    f"no {sorted(wanted)} to {chat_id} within {timeout}s; calls: {seen}") from None

    def sent_to(self, chat_id: int, methods: Iterable[str] = ("sendMessage", "sendPhoto",
                "sendMediaGroup", "sendDocument")) -> list[Call]:
        """Every successful message-sending call to `chat_id`, in order."""
        wanted = set(methods)
        return [c for c in self.calls if c.ok and c.method in wanted and c.chat_id == chat_id]

    # HTTP --------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params, files = await _read(request)
        method = request.match_info["method"]
        call = Call(method, params, files)
        handler = getattr(self, f"_m_{method.lower()}", None)
        try:
            if handler is None:
                raise ApiError("Not Found: method not found", 404)
            self._maybe_fail(call)
            result = call.result = await handler(call)
        except ApiError as err:
            call.ok = False
            await self._record(call)
            return web.json_response(
                {"ok": False, "error_code": err.code, "description": err.description},
                status=err.code)
        await self._record(call)
        return web.json_response({"ok": True, "result": result})

    async def _record(self, call: Call) -> None:
        if call.method.lower() == "getupdates":
            return  # long polls are not interesting, and would crowd the record
        self.calls.append(call)
        async with self._new_call:
            self._new_call.notify_all()

    def _maybe_fail(self, call: Call) -> None:
        for i, (method, chat_id, description) in enumerate(self._failures):
            if method == call.method and chat_id in (None, call.chat_id):
                del self._failures[i]
                raise ApiError(description)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self._files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=self._files[file_id], content_type="application/octet-stream")

    # methods -----------------------------------------------------------------------------
    async def _m_getme(self, call: Call) -> dict:
        return BOT_USER

    async def _m_getupdates(self, call: Call) -> list[dict]:
        offset = int(call.params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(call.params.get("timeout") or 0)
        if not self._updates and timeout > 0 and not self._closing:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        return self._updates[: int(call.params.get("limit") or 100)]

    async def _m_setwebhook(self, call: Call) -> bool:
        self.webhook = dict(call.params)
        return True

    async def _m_deletewebhook(self, call: Call) -> bool:
        self.webhook = {}
        return True

    async def _m_getwebhookinfo(self, call: Call) -> dict:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _m_setmycommands(self, call: Call) -> bool:
        menu = list(call.params.get("commands") or [])
        self.menus[call.params.get("language_code") or ""] = menu
        if not call.params.get("language_code"):
            self.commands = menu
        return True

    async def _m_getmycommands(self, call: Call) -> list[dict]:
        return self.menus.get(call.params.get("language_code") or "", self.commands)

    async def _m_sendchataction(self, call: Call) -> bool:
        self._chat(call)
        return True

    async def _m_answercallbackquery(self, call: Call) -> bool:
        if not call.params.get("callback_query_id"):
            raise ApiError("Bad Request: query is too old and response timeout expired")
        return True

    async def _m_getfile(self, call: Call) -> dict:
        file_id = str(call.params.get("file_id"))
        if file_id not in self._files:
            raise ApiError("Bad Request: invalid file_id")
        data = self._files[file_id]
        if len(data) > 20 * 1024 * 1024:
            raise ApiError("Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                "file_path": f"documents/{file_id}"}

    async def _m_sendmessage(self, call: Call) -> dict:
        text = str(call.params.get("text") or "")
        if not text.strip():
            raise ApiError("Bad Request: message text is empty")
        if _units(text) > 4096:
            raise ApiError("Bad Request: message is too long")
        return self._sent_message(call, text=text)

    async def _m_sendphoto(self, call: Call) -> dict:
        photo = self._upload(call, "photo")
        return self._sent_message(call, photo=self._photo_sizes(photo),
                                  caption=self._caption(call.params.get("caption")))

    async def _m_senddocument(self, call: Call) -> dict:
        doc = self._upload(call, "document")
        file_id = self.add_file(doc.data)
        return self._sent_message(call, caption=self._caption(call.params.get("caption")),
                                  document={"file_id": file_id, "file_unique_id": f"u{file_id}",
                                            "file_name": doc.filename,
                                            "mime_type": doc.content_type,
                                            "file_size": len(doc.data)})

    async def _m_sendmediagroup(self, call: Call) -> list[dict]:
        media = call.params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise ApiError("Bad Request: media group must include 2-10 items")
        group, messages = f"g{next(self._ids)}", []
        for item in media:
            name = str(item.get("media", "")).removeprefix("attach://")
            if item.get("type") != "photo" or name not in call.files:
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
            messages.append(self._sent_message(
                call, photo=self._photo_sizes(call.files[name]), media_group_id=group,
                caption=self._caption(item.get("caption"))))
        return messages

    async def _m_editmessagetext(self, call: Call) -> dict:
        key = (self._chat(call), int(call.params.get("message_id") or 0))
        if key not in self._messages:
            raise ApiError("Bad Request: message to edit not found")
        self._messages[key].update(text=str(call.params.get("text") or ""),
                               edit_date=int(time.time()))
        markup = call.params.get("reply_markup")
        self._messages[key].pop("reply_markup", None)
        if markup:
            self._messages[key]["reply_markup"] = markup
        return self._messages[key]

    async def _m_editmessagereplymarkup(self, call: Call) -> dict:
        key = (self._chat(call), int(call.params.get("message_id") or 0))
        if key not in self._messages:
            raise ApiError("Bad Request: message to edit not found")
        self._messages[key]["reply_markup"] = call.params.get("reply_markup") or {}
        return self._messages[key]

    # helpers -----------------------------------------------------------------------------
    def _chat(self, call: Call) -> int:
        if call.chat_id not in self._chats:
            raise ApiError("Bad Request: chat not found")
        return int(call.chat_id)

    def _caption(self, caption: Any) -> str | None:
        if caption and _units(str(caption)) > 1024:
            raise ApiError("Bad Request: message caption is too long")
        return str(caption) if caption else None

    def _upload(self, call: Call, name: str) -> Upload:
        if name not in call.files:
            raise ApiError(f"Bad Request: there is no {name} in the request")
        if not call.files[name].data:
            raise ApiError("Bad Request: file must be non-empty")
        return call.files[name]

    def _photo_sizes(self, upload: Upload) -> list[dict]:
        file_id = self.add_file(upload.data)
        return [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800,
                 "height": 600, "file_size": len(upload.data)}]

    def _sent_message(self, call: Call, **content: Any) -> dict:
        chat_id = self._chat(call)
        markup = call.params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError("Bad Request: BUTTON_DATA_INVALID")
        message = {"message_id": next(self._ids), "date": int(time.time()), "from": BOT_USER,
                   "chat": {"id": chat_id, "type": "private"},
                   **{k: v for k, v in content.items() if v is not None}}
        if markup:
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return message


async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Form fields (url-encoded or multipart, JSON values decoded) and uploaded files."""
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        return dict(await request.json()), files
    if request.method == "GET":
        form: Any = request.query
    else:
        form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = Upload(value.filename, value.content_type, value.file.read())
        elif key in JSON_FIELDS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        else:
            params[key] = value
    return params, files
