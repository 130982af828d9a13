"""Channel-agnostic messages: what a channel adapter hands the dialogue engine and gets back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class PhotoIn:
    """Raw bytes as received (never trusted: inference.core.decode decodes and checks them)."""

    data: bytes
    file_name: str | None = None
    ref: str | None = None  # the channel's own id for the photo (Telegram message id, ...)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the bytes: tells the same photo sent twice (computed once per photo)."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Incoming:
    """One user event: text, photos (one, or an album of two), a button press or a command."""

    user_id: str  # channel-prefixed, e.g. "tg:1234", "web:9f1c…", "cli:local"
    channel: str
    text: str = ""
    photos: tuple[PhotoIn, ...] = ()
    reply_to: str | None = None  # the channel ref of the photo this replies to
    callback: str | None = None  # button payload
    not_a_photo: str | None = None  # what came instead of a photo (sticker, voice, pdf…): the
    # prompts key not_photo_<kind> names it in the kind reply
    display_name: str = ""  # how to greet the user ("Ana"); may be empty
    locale: str | None = None  # the app's language, when the channel knows it (Telegram's
    # language_code, the browser's language): the first guess until the user types or chooses
    origin: str | None = None  # who pays for model work when not the user alone (the web chat:
    # the client address, so cookie-less sessions from one address share one queue share)

    @property
    def payer(self) -> str:
        """Whose share of the model queue this event's jobs take."""
        return self.origin or self.user_id

    @property
    def command(self) -> str | None:
        if self.text.startswith("/"):
            return self.text.split(maxsplit=1)[0][1:].split("@")[0].lower()
        return None

    @property
    def args(self) -> str:
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if self.command and len(parts) > 1 else ""


@dataclass(frozen=True)
class Button:
    label: str
    payload: str = ""  # at most 64 bytes (Telegram's callback_data limit)
    url: str | None = None  # a link button: opens the page and sends the bot nothing

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > 64:
            raise ValueError(f"button payload over 64 bytes: {self.payload!r}")
        if not self.payload and not self.url:
            raise ValueError(f"button {self.label!r} has neither a payload nor a link")


@dataclass(frozen=True)
class ImageOut:
    """A picture to send: JPEG for photographs (drawing.jpeg_bytes), PNG for flat graphics and
    transparency; `name`'s extension should say which."""

    data: bytes
    caption: str = ""
    name: str = "image.png"

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.data[:3] == b"\xff\xd8\xff" else "image/png"


@dataclass(frozen=True)
class FileOut:
    data: bytes
    name: str
    mime: str = "application/octet-stream"


@dataclass
class Reply:
    """Text, optionally with images (sent as one album when several), buttons or a file."""

    text: str = ""
    images: list[ImageOut] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)  # rows of buttons
    file: FileOut | None = None
    busy: bool = False  # the model queue was full and nothing ran (the web answers HTTP 503)
