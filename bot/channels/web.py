"""The local web chat: one static page and a small JSON API over the same dialogue engine.

Each browser gets a session token in an HttpOnly, SameSite=Strict cookie, minted and signed by the
server (HMAC with a secret kept in the files dir, so restarts keep sessions): a cookie the server
did not sign is no identity and is replaced. The user id is derived from the token
(`web:<hash>`), never taken from the client; a users row appears only with the first message.
Requests are limited per client address as well as per user (bot/chat/ratelimit.py). Pictures
and files the dialog returns are held in a bounded in-memory cache (a session holds at most a
share of it) and served only back to the session that received them.
The conversation is kept in the database (storage/web_history.py), so a reload shows it again:
texts, buttons and the cache ids of pictures and files, which the page shows while they last.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import os
import re
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

import prompts
from bot.app import Services, services_running, until_stopped
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn, Reply
from bot.chat.ratelimit import RateLimiter, event_cost
from bot.config import Settings, WebSettings
from storage.web_history import WebHistory

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
BLOB_URL = "/api/blob/"
COOKIE = "stylebot_session"
NONCE_CHARS = 32  # secrets.token_urlsafe(24)
SECRET_FILE = "session_secret"  # in the files dir: restarts keep every session
MAX_PHOTOS = 4  # an album; the dialog compares the first two
MAX_TEXT_CHARS = 20_000  # the dialog itself answers anything over its own limit kindly
HISTORY_TEXT_CHARS = 4000  # what the history keeps of one message the user typed
#: Markers in index.html: {{page.key}} and {{script.key}} stand for that text of
#: prompts/<locale>/page.yaml (HTML-escaped); PAGE_TEXTS for the `script` texts, as the JSON in
#: the page's data block that app.js reads.
PAGE_TEXTS = "__PAGE_TEXTS__"
PAGE_MARKER_RE = re.compile(r"\{\{(?P<part>page|script)\.(?P<key>\w+)\}\}|" + PAGE_TEXTS)
CSP = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Blob:
    owner: str
    data: bytes
    mime: str
    name: str
    download: bool


class BlobCache:
    """Pictures and files waiting to be fetched: LRU, bounded in total, and per session in count
    and in bytes (at most `owner_share` of the total), so one session's big /export evicts its
    own older pictures, never everyone's."""

    def __init__(self, max_bytes: int = 96 * 2**20, per_owner: int = 60,
                 max_count: int = 2000, owner_share: float = 0.25) -> None:
        self.max_bytes, self.per_owner, self.max_count = max_bytes, per_owner, max_count
        self.owner_bytes = int(max_bytes * owner_share)
        self._blobs: OrderedDict[str, Blob] = OrderedDict()
        self._bytes = 0
        self._owned: dict[str, int] = {}  # bytes held per owner

    def put(self, blob: Blob) -> str | None:
        """Its id, or None when the blob alone is over a session's share (not kept at all)."""
        if len(blob.data) > self.owner_bytes:
            return None
        blob_id = secrets.token_urlsafe(18)
        self._blobs[blob_id] = blob
        self._bytes += len(blob.data)
        self._owned[blob.owner] = self._owned.get(blob.owner, 0) + len(blob.data)
        own = [k for k, b in self._blobs.items() if b.owner == blob.owner]  # oldest first
        for count, key in zip(range(len(own), 0, -1), own, strict=False):
            if count <= self.per_owner and self._owned[blob.owner] <= self.owner_bytes:
                break
            self._drop(key)
        while len(self._blobs) > 1 and (self._bytes > self.max_bytes
                                        or len(self._blobs) > self.max_count):
            self._drop(next(iter(self._blobs)))
        return blob_id

    def has(self, owner: str, blob_id: str) -> bool:
        """Whether the session can still fetch it (without counting as a use)."""
        blob = self._blobs.get(blob_id)
        return blob is not None and secrets.compare_digest(blob.owner, owner)

    def get(self, owner: str, blob_id: str) -> Blob | None:
        blob = self._blobs.get(blob_id)
        if blob is None or not secrets.compare_digest(blob.owner, owner):
            return None
        self._blobs.move_to_end(blob_id)
        return blob

    def _drop(self, key: str) -> None:
        blob = self._blobs.pop(key)
        self._bytes -= len(blob.data)
        self._owned[blob.owner] -= len(blob.data)
        if not self._owned[blob.owner]:
            del self._owned[blob.owner]


DIALOG = web.AppKey("dialog", Dialog)
BLOBS = web.AppKey("blobs", BlobCache)
WEB = web.AppKey("web", WebSettings)
HISTORY = web.AppKey("history", WebHistory)
SECRET = web.AppKey("secret", bytes)
ADDRESSES = web.AppKey("addresses", RateLimiter)
PAGES = web.AppKey("pages", dict)  # language -> the page in it
SESSION = web.RequestKey("session", str) if hasattr(web, "RequestKey") else "session"


class ApiError(Exception):
    """An HTTP error with its code; its kind text (prompts/<lang>/web.yaml) is worded in the
    page's language when the response is made."""

    def __init__(self, status: int, code: str, **values: object) -> None:
        super().__init__(code)
        self.status, self.code, self.values = status, code, values

    def response(self, request: web.Request) -> web.Response:
        text = prompts.load("web", page_language(request))[self.code]
        wait = self.values.get("seconds")
        return web.json_response({"error": self.code,
                                  "message": text.format(**self.values).strip()},
                                 status=self.status,
                                 headers={"Retry-After": str(wait)} if wait else None)


def load_session_secret(files_dir: Path) -> bytes:
    """The server's signing secret, made once (owner-only) and read back at every start."""
    path = Path(files_dir) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:  # O_EXCL: two servers starting at once agree on one
        out.write(secrets.token_bytes(32))
    return path.read_bytes()


def _signature(secret: bytes, nonce: str) -> str:
    mac = hmac.new(secret, nonce.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def mint_token(secret: bytes) -> str:
    nonce = secrets.token_urlsafe(24)
    return nonce + _signature(secret, nonce)


def valid_token(secret: bytes, token: str) -> bool:
    """Whether the server minted `token` (constant-time; anything else is no session)."""
    nonce, sig = token[:NONCE_CHARS], token[NONCE_CHARS:]
    return (len(token) < 100 and len(nonce) == NONCE_CHARS
            and hmac.compare_digest(sig, _signature(secret, nonce)))


def session(request: web.Request) -> str:
    return request[SESSION]


def user_id_of(token: str) -> str:
    """The dialog's user id: a hash of the cookie, so the database never holds the secret."""
    return "web:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def user_id(request: web.Request) -> str:
    return user_id_of(session(request))


def client_address(request: web.Request) -> str:
    """Who is asking: the peer, or the nearest untrusted hop of X-Forwarded-For when the peer is
    a trusted proxy (a client can write anything there, so only a proxy's word counts)."""
    trusted = request.app[WEB].trusted_proxies
    address = request.remote or ""
    if address in trusted:
        for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
            address = hop.strip() or address
            if address not in trusted:
                break
    return address


def browser_language(request: web.Request) -> str | None:
    """The first language of the browser's Accept-Language (by q) that we speak, if any."""
    ranked = []
    for i, part in enumerate(request.headers.get("Accept-Language", "").split(",")[:20]):
        tag, _, q = part.strip().partition(";q=")
        try:
            ranked.append((-float(q or 1), i, tag.strip()))
        except ValueError:
            continue
    return next((prompts.normalise(tag) for _, _, tag in sorted(ranked)
                 if prompts.normalise(tag) == tag.split("-")[0].lower()), None)


def page_language(request: web.Request) -> str:
    """The page's language: the one the user's chat speaks (chosen with /language or read from
    what they type), else the browser's, else the default."""
    try:
        lang = request.app[DIALOG].services.store.user(user_id(request)).get("lang")
    except Exception:  # no such user yet, or the store is down: the browser decides
        lang = None
    return lang or browser_language(request) or prompts.DEFAULT


LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


def host_allowed(host: str | None, settings: WebSettings) -> bool:
    """Whether the request's Host names this server: an IP address (a rebinding attack needs a
    name), localhost, the configured `host`, or one of `allowed_hosts`."""
    allowed = {h.lower().rstrip(".") for h in settings.allowed_hosts}
    if "*" in allowed:
        return True
    name = (host or "").strip().lower()
    name = name[1:name.find("]")] if name.startswith("[") else name.rsplit(":", 1)[0]
    name = name.rstrip(".")
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return bool(name) and name in allowed | LOCAL_NAMES | {settings.host.lower()}


@web.middleware
async def host_middleware(request: web.Request, handler) -> web.StreamResponse:  # noqa: ANN001
    if not host_allowed(request.host, request.app[WEB]):
        log.warning("refused a request for Host %r: not in web.allowed_hosts", request.host)
        return ApiError(421, "wrong_host").response(request)
    return await handler(request)


@web.middleware
async def session_middleware(request: web.Request, handler) -> web.StreamResponse:  # noqa: ANN001
    """Read (or mint) the session cookie; add security headers to every answer."""
    secret = request.app[SECRET]
    token = request.cookies.get(COOKIE, "")
    fresh = not valid_token(secret, token)
    request[SESSION] = mint_token(secret) if fresh else token
    response = await handler(request)
    if fresh and not response.prepared:
        response.set_cookie(COOKIE, request[SESSION], max_age=365 * 86400, path="/",
                            httponly=True, samesite="Strict")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


async def index(request: web.Request) -> web.Response:
    return web.Response(text=request.app[PAGES][page_language(request)],
                        content_type="text/html",
                        headers={"Cache-Control": "no-cache", "Vary": "Accept-Language, Cookie"})


async def healthz(request: web.Request) -> web.Response:
    """200 while storage takes writes and the models answer; 503 naming the fault while the last
    write of the database or of a kept photo failed (the store's Health, kept as writes happen:
    nothing is probed), or while remote inference (inference.serve) does not answer a ping."""
    services = request.app[DIALOG].services
    faults = services.store.health.faults
    if faults:
        return web.json_response({"ok": False, "reason": "the last storage write failed",
                                  "storage": dict(faults)}, status=503)
    if down := await services.runner.unavailable():
        return web.json_response({"ok": False, "reason": "inference unavailable",
                                  "inference": down}, status=503)
    return web.json_response({"ok": True})


def _not_a_photo(mime: str) -> str | None:
    """What an upload is instead of a photo (a not_photo_<kind> key), if we can tell."""
    if mime == "application/pdf":
        return "pdf"
    return {"video": "video", "audio": "audio", "text": "text"}.get(mime.split("/")[0])


async def read_message(request: web.Request) -> Incoming:
    """Stream the multipart form, counting bytes against the upload limit as they arrive; an
    upload that sends nothing for `upload_timeout_seconds` is answered 408."""
    settings = request.app[WEB]
    if request.content_type != "multipart/form-data":
        raise ApiError(415, "not_multipart")
    if request.content_length is not None and request.content_length > _limit(settings):
        raise _too_big(settings)
    idle = settings.upload_timeout_seconds
    try:
        async with asyncio.timeout(idle) as deadline:
            return await _read_form(request, settings, deadline, idle)
    except TimeoutError as err:
        raise ApiError(408, "upload_timeout") from err
    except BadHttpMessage as err:  # a header line over aiohttp's 8,190 bytes (a long name)
        raise ApiError(400, "long_header" if isinstance(err, LineTooLong) else "bad_form") from err
    except ValueError as err:  # malformed multipart body
        raise ApiError(400, "bad_form") from err


def _limit(settings: WebSettings) -> int:
    return int(settings.max_upload_mb * 2**20)


def _too_big(settings: WebSettings) -> ApiError:
    return ApiError(413, "too_large", max_mb=f"{settings.max_upload_mb:g}")


async def _read_form(request: web.Request, settings: WebSettings, deadline: asyncio.Timeout,
                     idle: float) -> Incoming:
    """The form's fields and photos; each chunk that arrives pushes the `deadline` on by `idle`
    seconds, so only a stalled upload times out."""
    loop = asyncio.get_running_loop()
    fields: dict[str, str] = {}
    photos: list[PhotoIn] = []
    other: str | None = None
    total = 0
    reader = await request.multipart()
    async for part in reader:
        deadline.reschedule(loop.time() + idle)
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            deadline.reschedule(loop.time() + idle)
            total += len(chunk)
            if total > _limit(settings):
                raise _too_big(settings)
            data.extend(chunk)
        # an empty file the user picked (it has a name) is sent on, so the dialog says it was
        # empty; a form's photo field with no file chosen has no name
        if part.name == "photo" and (data or part.filename):
            mime = part.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if _not_a_photo(mime):
                other = other or _not_a_photo(mime)
                continue
            if len(photos) == MAX_PHOTOS:
                raise ApiError(400, "too_many_photos")
            photos.append(PhotoIn(bytes(data), part.filename, f"w{secrets.token_hex(6)}"))
        elif part.name in ("text", "callback", "reply_to"):
            fields[part.name] = data.decode("utf-8", "replace")
    return Incoming(
        user_id=user_id(request), channel="web", text=fields.get("text", "")[:MAX_TEXT_CHARS],
        photos=tuple(photos), reply_to=fields.get("reply_to") or None,
        callback=fields.get("callback") or None, not_a_photo=None if photos else other,
        locale=browser_language(request), origin="addr:" + client_address(request),
    )


def reply_json(request: web.Request, reply: Reply) -> dict:
    """The reply as the page renders it, its pictures and file put in the session's cache. A
    file over the session's share of the cache is refused with a kind note, never trimmed."""
    blobs, owner = request.app[BLOBS], session(request)

    def url(data: bytes, mime: str, name: str, download: bool) -> str | None:
        blob_id = blobs.put(Blob(owner, data, mime, name, download))
        return blob_id and BLOB_URL + blob_id

    images = [{"url": link, "caption": i.caption} for i in reply.images
              if (link := url(i.data, i.mime, i.name, False))]
    text, file = reply.text, None
    if reply.file is not None:
        f = reply.file
        link = url(f.data, f.mime, f.name, True)
        if link:
            file = {"url": link, "name": f.name}
        else:
            max_mb = f"{blobs.owner_bytes / 2**20:.3g}"
            note = prompts.load("web", page_language(request))["file_too_big"]
            text = "\n\n".join(filter(None, (text, note.format(max_mb=max_mb).strip())))
    buttons = [[{"label": b.label, "payload": b.payload, **({"url": b.url} if b.url else {})}
                for b in row] for row in reply.buttons]
    return {"text": text, "images": images, "buttons": buttons, "file": file}


async def message(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        return ApiError(403, "cross_origin").response(request)
    try:
        event = await read_message(request)
        throttle(request, event)
    except ApiError as err:
        return err.response(request)
    except ConnectionResetError as err:  # the browser went away mid-upload: nothing to answer
        log.info("web upload aborted by the client: %s", err)
        return web.Response(status=400)
    replies = await request.app[DIALOG].handle(event)
    if any(r.busy for r in replies):  # nothing ran: the page shows the text as an error
        text = "\n".join(r.text for r in replies)
        return web.json_response({"error": "busy", "message": text}, status=503,
                                 headers={"Retry-After": "5"})
    shown = [reply_json(request, r) for r in replies]
    remember(request, event, shown)
    return web.json_response({"replies": shown, "photo_refs": [p.ref for p in event.photos]})


def throttle(request: web.Request, event: Incoming) -> None:
    """Charge the client address for the event (as the dialog charges the user); ApiError 429
    when its bucket is empty, so a cookie-less flood never reaches the dialog or the store."""
    limits = request.app[DIALOG].services.settings.telegram
    verdict = request.app[ADDRESSES].check(
        event.payer, event_cost(event, limits.photo_cost, limits.button_cost))
    if not verdict:
        raise ApiError(429, "too_many_requests", seconds=verdict.seconds)


def remember(request: web.Request, event: Incoming, shown: list[dict]) -> None:
    """Keep the turn for the page's next load: what the user sent (photos only as a count), and
    the replies with their pictures and files as cache ids. Nothing is kept for a user who no
    longer exists (the turn was /forget's "yes")."""
    history = request.app[HISTORY]
    said: dict = {"text": event.text[:HISTORY_TEXT_CHARS], "photos": len(event.photos)}
    if event.callback:
        label = history.button_label(event.user_id, event.callback) or ""
        said = {"text": "", "photos": 0, "button": label, "payload": event.callback}
    elif event.not_a_photo:
        said["file"] = event.not_a_photo
    bot = [{"text": r["text"], "buttons": r["buttons"],
            "images": [{"blob": i["url"].removeprefix(BLOB_URL), "caption": i["caption"]}
                       for i in r["images"]],
            "file": r["file"] and {"blob": r["file"]["url"].removeprefix(BLOB_URL),
                                   "name": r["file"]["name"]}}
           for r in shown]
    try:
        history.add_turn(event.user_id, [("user", said), *(("bot", b) for b in bot)])
    except Exception:  # the answer matters more than the history: log it and go on
        log.exception("could not keep a web chat turn")


async def history(request: web.Request) -> web.Response:
    """The session's conversation, oldest first, as the page renders it on load: pictures and
    files with their URL while the cache still has them, else marked expired."""
    blobs, owner = request.app[BLOBS], session(request)

    def link(ref: dict) -> dict:
        blob_id = ref.pop("blob", "")
        alive = bool(blob_id) and blobs.has(owner, blob_id)
        return {**ref, "url": BLOB_URL + blob_id if alive else None, "expired": not alive}

    messages = request.app[HISTORY].messages(user_id(request))
    for message in messages:
        if message["role"] == "bot":
            message["images"] = [link(i) for i in message.get("images") or ()]
            message["file"] = message.get("file") and link(message["file"])
    return web.json_response({"messages": messages}, headers={"Cache-Control": "no-store"})


async def blob(request: web.Request) -> web.Response:
    found = request.app[BLOBS].get(session(request), request.match_info["blob_id"])
    if found is None:
        return ApiError(404, "not_found").response(request)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", found.name) or "file"
    disposition = "attachment" if found.download else "inline"
    return web.Response(body=found.data, content_type=found.mime, headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'{disposition}; filename="{name}"',
    })


def page_in(lang: str, max_mb: str) -> str:
    """index.html with its texts in `lang` (prompts/<lang>/page.yaml)."""
    texts = prompts.load("page", lang)
    texts = {"page": {key: text.format(max_mb=max_mb) for key, text in texts["page"].items()},
             "script": texts["script"]}  # app.js fills these in itself
    data = json.dumps(texts["script"], ensure_ascii=False)
    for char in "<>&":  # as \u escapes: the JSON can never end its <script> element
        data = data.replace(char, f"\\u{ord(char):04x}")

    def fill(marker: re.Match) -> str:
        if marker[0] == PAGE_TEXTS:
            return data
        return html.escape(texts[marker["part"]][marker["key"]])  # KeyError: a text is missing

    page = (STATIC / "index.html").read_text(encoding="utf-8").replace('<html lang="en">',
                                                                       f'<html lang="{lang}">')
    return PAGE_MARKER_RE.sub(fill, page.replace("__MAX_UPLOAD_MB__", max_mb))


def create_app(services: Services, dialog: Dialog | None = None) -> web.Application:
    """The web chat over `services`; the caller owns (and closes) the services."""
    settings = services.settings.web
    app = web.Application(client_max_size=int(settings.max_upload_mb * 2**20),
                          middlewares=[host_middleware, session_middleware])
    app[DIALOG] = dialog or Dialog(services)
    app[BLOBS] = BlobCache(int(settings.blob_cache_mb * 2**20),
                           owner_share=settings.blob_session_share)
    app[WEB] = settings
    app[ADDRESSES] = RateLimiter(settings.address_burst, settings.address_refill_per_second)
    app[SECRET] = load_session_secret(services.settings.storage.files_dir)
    app[HISTORY] = WebHistory(services.store, settings.history_messages)
    app[PAGES] = {lang: page_in(lang, f"{settings.max_upload_mb:g}") for lang in prompts.LANGS}
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/message", message)
    app.router.add_get("/api/history", history)
    app.router.add_get("/api/blob/{blob_id}", blob)
    app.router.add_static("/static/", STATIC)
    return app


@asynccontextmanager
async def web_chat_serving(services: Services) -> AsyncIterator[web.AppRunner]:
    """The web chat listening on web.host:port over `services` (their models and store shared
    with whatever else runs in the process: `stylebot web`, or Telegram with
    telegram.web_chat_too), until the block ends."""
    settings = services.settings
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web.host, settings.web.port).start()
        host, port = runner.addresses[0][:2]
        log.info("web chat ready: open http://%s:%d/ in your browser", host, port)
        if settings.web.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("the web chat listens on %s: anyone who can reach it can use it "
                        "(by IP address, or by the names in web.allowed_hosts: %s)",
                        settings.web.host, settings.web.allowed_hosts or "none")
        yield runner
    finally:
        log.info("web chat stopping")
        await runner.cleanup()


async def serve(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then close everything (model calls in flight finish)."""
    async with services_running(settings) as services, web_chat_serving(services):
        await until_stopped()


def run_web(settings: Settings) -> None:
    """`stylebot web`: load the models, then serve the chat on settings.web.host:port."""
    try:
        asyncio.run(serve(settings))
    except OSError as err:  # most often: the port is taken
        log.error("cannot serve on %s:%d: %s", settings.web.host, settings.web.port, err)
        raise SystemExit(1) from None
