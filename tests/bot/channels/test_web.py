"""The web chat over real HTTP: an aiohttp server on 127.0.0.1, real photos, the real dialog."""

from __future__ import annotations

import asyncio
import html
import io
import json
import logging
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

import prompts
from bot.channels.web import CSP, STATIC, Blob, BlobCache, create_app
from bot.config import StorageSettings, WebSettings, WorkersSettings


@pytest.fixture
async def server(services):
    srv = TestServer(create_app(services), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


def browser_session(server: TestServer) -> aiohttp.ClientSession:
    """A client with its own cookie jar, like one browser (unsafe=True: cookies for an IP)."""
    return aiohttp.ClientSession(base_url=str(server.make_url("/")),
                                 cookie_jar=aiohttp.CookieJar(unsafe=True))


@pytest.fixture
async def client(server):
    async with browser_session(server) as session:
        yield session


def form(text: str | None = None, photos: tuple[bytes, ...] = (), callback: str | None = None,
         mime: str = "image/jpeg", **extra: str) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)  # as a browser's FormData is
    if text is not None:
        data.add_field("text", text)
    for i, photo in enumerate(photos):
        data.add_field("photo", photo, filename=f"outfit{i}.jpg", content_type=mime)
    if callback is not None:
        data.add_field("callback", callback)
    for key, value in extra.items():
        data.add_field(key, value)
    return data


async def post(session: aiohttp.ClientSession, **kwargs) -> list[dict]:
    async with session.post("/api/message", data=form(**kwargs)) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    for reply in body["replies"]:
        assert set(reply) == {"text", "images", "buttons", "file"}
    return body["replies"]


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, str, bytes]:
    async with session.get(url) as resp:
        return resp.status, resp.content_type, await resp.read()


async def test_page_static_files_and_health(client):
    async with client.get("/") as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        page = await resp.text()
        cookie = resp.headers["Set-Cookie"]
        assert "Content-Security-Policy" in resp.headers
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "stylebot" in page and "/static/app.js" in page and "__MAX_UPLOAD_MB__" not in page
    assert 'data-max-upload-mb="20"' in page
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        status, content_type, body = await fetch(client, f"/static/{name}")
        assert status == 200 and kind in content_type and body
    async with client.get("/healthz") as resp:
        body = await resp.json()
        assert resp.status == 200 and body["ok"] is True
        assert body["models"]["threads"] >= 1 and body["models"]["queue"] == 0


def test_page_needs_nothing_from_the_internet():
    """The machine may be offline: no CDN, no external fonts, scripts or styles."""
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path.name
        assert not re.search(r"url\(\s*[\"']?(https?:)?//|@import", text), path.name


async def test_text_and_commands_are_answered(client):
    [reply] = await post(client, text="hello there")
    assert reply["text"] in prompts.load("talk")["greeting"] and not reply["images"]
    [reply] = await post(client, text="/help")
    assert "/export" in reply["text"] and "\n" in reply["text"]


async def test_one_photo_gets_real_pictures_and_buttons(client, photo_bytes):
    replies = await post(client, photos=(photo_bytes[0],))
    first = replies[0]
    assert first["text"].startswith("Here's what I see")
    assert first["images"] and all(i["url"].startswith("/api/blob/") for i in first["images"])
    status, content_type, body = await fetch(client, first["images"][0]["url"])
    assert status == 200 and content_type == "image/jpeg"  # the overlay is the photo: a JPEG
    image = Image.open(io.BytesIO(body))
    assert image.format == "JPEG" and min(image.size) > 100
    status, content_type, body = await fetch(client, first["images"][1]["url"])
    assert content_type == "image/png" and Image.open(io.BytesIO(body)).format == "PNG"
    payloads = [b["payload"] for row in first["buttons"] for b in row]
    assert any(p.startswith("cut:") for p in payloads)


def flat_buttons(reply: dict) -> list[dict]:
    return [b for row in reply["buttons"] for b in row]


async def test_two_photos_style_check_and_answer_is_stored(client, services, photo_bytes):
    replies = await post(client, photos=(photo_bytes[0], photo_bytes[1]))
    [check] = [r for r in replies if r["images"] and len(flat_buttons(r)) >= 2]
    assert "Style Check" in check["text"] + check["images"][0]["caption"]
    status, content_type, body = await fetch(client, check["images"][0]["url"])
    assert status == 200 and content_type == "image/jpeg" and body.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(body)).width > 200  # two outfits side by side

    answer = flat_buttons(check)[-1]
    [thanks] = await post(client, callback=answer["payload"])
    assert "Thanks" in thanks["text"]
    rows = list(services.store.db["feedback"].rows)
    assert [(r["kind"], r["value"] in ("a", "b")) for r in rows] == [("verdict", True)]
    token = next(c.value for c in client.cookie_jar if c.key == "stylebot_session")
    assert rows[0]["user_id"].startswith("web:")
    assert token not in rows[0]["user_id"]  # the database never holds the cookie's secret


async def test_corrupt_file_and_non_photo_get_kind_text(client, corrupt_photo_bytes):
    [reply] = await post(client, photos=(corrupt_photo_bytes,))
    assert "couldn't use that file" in reply["text"] and not reply["images"]
    [reply] = await post(client, photos=(b"%PDF-1.4 hello",), mime="application/pdf")
    assert "PDF" in reply["text"] and "only look at photos" in reply["text"]


async def test_oversized_upload_gets_a_kind_error(services, photo_bytes):
    services.settings.web.max_upload_mb = 0.1  # two real photos are ~120 kB together
    srv = TestServer(create_app(services), host="127.0.0.1")
    await srv.start_server()
    try:
        async with browser_session(srv) as session:
            async with session.post("/api/message", data=form(
                    photos=(photo_bytes[0], photo_bytes[1]))) as resp:
                assert resp.status == 413
                error = await resp.json()
            assert error["error"] == "too_large" and "0.1 MB" in error["message"]

            async def chunked():  # no Content-Length: the limit holds while streaming too
                body = form(photos=(photo_bytes[0], photo_bytes[1]))()
                async with session.post("/api/message", data=body, chunked=True) as resp:
                    return resp.status, await resp.json()

            status, error = await chunked()
            assert status == 413 and error["error"] == "too_large"
            [still_fine] = await post(session, text="/help")
            assert "/export" in still_fine["text"]
    finally:
        await srv.close()


async def test_non_multipart_and_cross_origin_are_refused_politely(client):
    async with client.post("/api/message", json={"text": "hi"}) as resp:
        assert resp.status == 415
        assert (await resp.json())["error"] == "not_multipart"
    async with client.post("/api/message", data={"text": "hi"}) as resp:  # urlencoded
        assert resp.status == 415
    async with client.post("/api/message", data=form(text="hi"),
                           headers={"Origin": "http://evil.example"}) as resp:
        assert resp.status == 403


async def test_sessions_never_see_each_other(server, photo_bytes):
    async with browser_session(server) as alice, browser_session(server) as bob:
        replies = await post(alice, photos=(photo_bytes[2],))
        alice_image = replies[0]["images"][0]["url"]
        [alice_export] = await post(alice, text="/export")
        status, _, body = await fetch(alice, alice_export["file"]["url"])
        assert status == 200
        alice_data = json.loads(body)
        alice_id = alice_data["user"]["id"]
        assert alice_id.startswith("web:") and len(alice_data["outfits"]) == 1

        # Bob (another cookie) and a cookie-less client get 404 for Alice's pictures and files.
        for url in (alice_image, alice_export["file"]["url"]):
            assert (await fetch(bob, url))[0] == 404
            async with aiohttp.ClientSession() as stranger:
                async with stranger.get(server.make_url(url)) as resp:
                    assert resp.status == 404

        # A user id sent by the client is ignored: Bob stays Bob.
        [bob_export] = await post(bob, text="/export", user_id=alice_id)
        status, _, body = await fetch(bob, bob_export["file"]["url"])
        bob_data = json.loads(body)
        assert bob_data["user"]["id"] != alice_id and alice_id not in body.decode()
        assert bob_data["outfits"] == [] and bob_data["items"] == []
        assert (await fetch(alice, alice_image))[0] == 200  # still Alice's


# ---- the page's texts: all in prompts/<locale>/page.yaml ----------------------------------------
DATA_BLOCK_RE = re.compile(
    r'<script type="application/json" id="page-texts">(?P<json>.*?)</script>', re.S)
MARKER_RE = re.compile(r"\{\{(page|script)\.(\w+)\}\}")
LETTER_RE = re.compile(r"[^\W\d_]")  # a letter of any alphabet
#: Attributes a person sees or a screen reader reads: in index.html only markers may fill them.
SHOWN_ATTRS = {"title", "aria-label", "alt", "placeholder", "value", "label"}
#: String literals of app.js that the heuristic below would take for prose but are code.
JS_NOT_PROSE = {"use strict", "(max-width: 640px)", "[data-command], [data-pick-photo]",
                "Enter", "Files"}
JS_LITERAL_RE = re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
                           r"|`(?:[^`\\]|\\.)*`", re.S)  # comments are matched to be skipped


async def served_page(max_upload_mb: float = 20) -> tuple[str, dict[str, str]]:
    """The page and its headers as the server sends it (no models needed: no message is sent)."""
    files = tempfile.TemporaryDirectory()  # the session secret's home
    settings = SimpleNamespace(web=WebSettings(max_upload_mb=max_upload_mb),
                               storage=StorageSettings(files_dir=Path(files.name)),
                               workers=WorkersSettings())
    services = SimpleNamespace(settings=settings, store=None)  # no message, no history
    srv = TestServer(create_app(services, dialog=object()), host="127.0.0.1")
    await srv.start_server()
    try:
        async with browser_session(srv) as session, session.get("/") as resp:
            assert resp.status == 200
            return await resp.text(), dict(resp.headers)
    finally:
        await srv.close()
        files.cleanup()


def js_string_literals(source: str) -> list[str]:
    """app.js's string and template literals, quotes off, `${...}` expressions left out."""
    found = [m[0] for m in JS_LITERAL_RE.finditer(source) if m[0][0] in "\"'`"]
    return [re.sub(r"\$\{[^}]*\}", "", literal[1:-1]) for literal in found]


class ShownText(HTMLParser):
    """Text nodes and shown attributes of an HTML page (script and style elements skipped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style")
        self.texts += [value for name, value in attrs if name in SHOWN_ATTRS and value]

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.texts.append(data)


async def test_page_texts_come_from_page_yaml():
    texts = prompts.load("page")
    page, headers = await served_page(max_upload_mb=12.5)
    assert headers["Content-Security-Policy"] == CSP and "unsafe-inline" not in CSP
    assert not re.search(r"\{\{|\}\}|__[A-Z_]+__", page)  # every marker replaced
    [block] = DATA_BLOCK_RE.finditer(page)
    assert json.loads(block["json"]) == texts["script"]  # what app.js shows
    assert not re.search("[<>&]", block["json"])
    html_part = page.replace(block[0], "")
    for key, text in texts["page"].items():
        assert html.escape(text.format(max_mb="12.5")) in html_part, key
    assert "up to 12.5 MB" in html_part and 'data-max-upload-mb="12.5"' in html_part

    # No text unused, none missing: each `page` text is a marker in index.html, each `script`
    # text a literal in app.js (or a marker); every t("key") in app.js is a `script` text.
    index = (STATIC / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    markers = set(MARKER_RE.findall(index))
    assert markers <= {(part, key) for part in texts for key in texts[part]}
    assert {("page", key) for key in texts["page"]} <= markers
    literals = set(js_string_literals(script)) | {key for part, key in markers if part == "script"}
    assert set(texts["script"]) <= literals
    assert set(re.findall(r"""\bt\(["'](\w+)["']""", script)) <= set(texts["script"])


async def test_page_texts_are_escaped(monkeypatch):
    """Whatever a translator writes, it stays text: no markup, no end of the data block."""
    load = prompts.load
    nasty = '<b>"bold"</b> & </script><script>alert(1)</script>'

    def fake_load(name: str, locale: str = "en") -> dict:
        texts = load(name, locale)
        if name != "page":
            return texts
        return {part: {key: nasty if key in ("welcome_title", "attach", "download") else text
                       for key, text in texts[part].items()} for part in texts}

    monkeypatch.setattr(prompts, "load", fake_load)
    page, _ = await served_page()
    assert page.count("<script") == 2 and "alert(1)</script>" not in page
    assert f"<strong>{html.escape(nasty)}</strong>" in page
    assert f'title="{html.escape(nasty)}"' in page
    [block] = DATA_BLOCK_RE.finditer(page)
    assert json.loads(block["json"])["download"] == nasty


def test_no_hard_coded_texts_in_page_or_script():
    """A heuristic: English on the page or in app.js belongs in prompts/<locale>/page.yaml."""
    shown = ShownText()
    shown.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    stray = [text.strip() for text in shown.texts if LETTER_RE.search(MARKER_RE.sub("", text))]
    assert stray == [], "hard-coded texts in index.html; use {{page.key}} markers"

    prose = [literal for literal in js_string_literals((STATIC / "app.js").read_text("utf-8"))
             if literal not in JS_NOT_PROSE and LETTER_RE.search(literal)
             and (re.search(r"\s", literal) or re.match(r"[A-Z][a-z]", literal))]
    assert prose == [], "hard-coded texts in app.js; use t(key) with a script text of page.yaml"


def test_static_folder_is_what_the_page_loads():
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'/static/([\w.-]+)', page)
    assert refs and all((STATIC / ref).is_file() for ref in refs), refs


def test_blob_cache_is_bounded_and_owner_scoped():
    cache = BlobCache(max_bytes=1000, per_owner=3, max_count=5, owner_share=1)
    alice = [cache.put(Blob("alice", b"a" * 100, "image/png", "a.png", False)) for _ in range(4)]
    assert cache.get("alice", alice[0]) is None  # over three per session: the oldest goes
    assert all(cache.get("alice", key) for key in alice[1:])
    assert cache.get("bob", alice[1]) is None  # never to another session
    bob = [cache.put(Blob("bob", b"b" * 100, "image/png", "b.png", False)) for _ in range(3)]
    assert cache.get("alice", alice[1]) is None and cache.get("bob", bob[0])  # five in all
    big = cache.put(Blob("carol", b"c" * 900, "application/zip", "c.zip", True))
    assert cache.get("carol", big) and sum(cache.get(o, k) is not None for o, keys in (
        ("alice", alice), ("bob", bob)) for k in keys) == 1  # bytes bounded: 900 + 100


# ---- the conversation again after a reload (GET /api/history) ----------------------------------
async def reload(session: aiohttp.ClientSession) -> list[dict]:
    """What a reload does: the page again, then the history, with the same cookie."""
    had_cookie = any(c.key == "stylebot_session" for c in session.cookie_jar)
    async with session.get("/") as resp:
        assert resp.status == 200
        assert ("Set-Cookie" in resp.headers) != had_cookie  # a known session stays the same
    async with session.get("/api/history") as resp:
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
        return (await resp.json())["messages"]


async def test_reload_shows_the_conversation_again(server, photo_bytes):
    async with browser_session(server) as alice, browser_session(server) as bob:
        assert await reload(alice) == []
        [help_] = await post(alice, text="/help")
        replies = await post(alice, photos=(photo_bytes[0],))
        pressed = flat_buttons(replies[0])[0]
        [after_press] = await post(alice, callback=pressed["payload"])
        await post(bob, text="hello from bob")

        history = await reload(alice)
        assert [m["role"] for m in history] == (
            ["user", "bot", "user"] + ["bot"] * len(replies) + ["user", "bot"])
        assert history[0] == {"role": "user", "text": "/help", "photos": 0}
        assert history[1]["text"] == help_["text"] and history[1]["file"] is None
        assert history[2] == {"role": "user", "text": "", "photos": 1}  # a marker, no bytes
        seen = history[3]
        assert seen["text"] == replies[0]["text"] and seen["buttons"] == replies[0]["buttons"]
        assert [i["caption"] for i in seen["images"]] == [i["caption"]
                                                          for i in replies[0]["images"]]
        for image in seen["images"]:  # still cached: the page shows them
            assert image["expired"] is False
            status, content_type, body = await fetch(alice, image["url"])
            kind = Image.open(io.BytesIO(body)).format.lower()  # JPEG overlay, PNG palette
            assert status == 200 and content_type == f"image/{kind}"
        press = history[3 + len(replies)]
        assert press["button"] == pressed["label"] and press["payload"] == pressed["payload"]
        assert history[-1]["text"] == after_press["text"]
        assert "bob" not in json.dumps(history)

        # Another session sees nothing of it, and Alice nothing of Bob's.
        bob_history = await reload(bob)
        assert [m.get("text") for m in bob_history][0] == "hello from bob"
        assert photo_bytes[0][:50].hex() not in json.dumps(bob_history)
        assert not any(m.get("photos") for m in bob_history)
        async with browser_session(server) as stranger:
            assert await reload(stranger) == []
            for image in seen["images"]:  # nor its pictures, with the URLs in hand
                assert (await fetch(stranger, image["url"]))[0] == 404

        # /export includes the conversation; /forget deletes it.
        [export] = await post(alice, text="/export")
        _, _, body = await fetch(alice, export["file"]["url"])
        data = json.loads(body)
        assert [m["body"].get("text") for m in data["web_history"]][:2] == [
            "/help", help_["text"]]
        assert {m["user_id"] for m in data["web_history"]} == {data["user"]["id"]}
        await post(alice, text="/forget")
        [gone] = await post(alice, callback="forget:yes")
        assert await reload(alice) == []
        assert await reload(bob)  # Bob keeps his


async def test_history_after_a_restart_marks_pictures_expired_and_is_capped(services,
                                                                             photo_bytes):
    services.settings.web.history_messages = 6
    first = TestServer(create_app(services), host="127.0.0.1")
    await first.start_server()
    try:
        async with browser_session(first) as session:
            replies = await post(session, photos=(photo_bytes[1],))
            cookies = session.cookie_jar.filter_cookies(first.make_url("/"))
    finally:
        await first.close()
    # A restart: the same database, a new (empty) picture cache.
    second = TestServer(create_app(services), host="127.0.0.1")
    await second.start_server()
    try:
        async with browser_session(second) as session:
            session.cookie_jar.update_cookies(cookies, second.make_url("/"))
            history = await reload(session)
            assert history[0]["photos"] == 1
            images = [i for m in history[1:] for i in m["images"]]
            assert len(images) == sum(len(r["images"]) for r in replies) > 0
            assert all(i["url"] is None and i["expired"] for i in images)
            [export] = await post(session, text="/export")
            assert export["file"]["url"]  # the same session: the user's data is still theirs
            for i in range(5):
                await post(session, text=f"note {i}")
            history = await reload(session)
            assert len(history) == 6  # only the last messages are kept
            assert history[-2]["text"] == "note 4" and history[0]["text"] == "note 2"
            assert history[1]["role"] == "bot"
    finally:
        await second.close()


def test_history_texts_are_in_page_yaml():
    script = prompts.load("page")["script"]
    for key in ("history_photo", "history_photos", "history_file", "history_button",
                "image_expired", "file_expired"):
        assert script[key] and f'"{key}"' in (STATIC / "app.js").read_text(encoding="utf-8")


async def test_the_page_speaks_the_browsers_then_the_chats_language(server):
    async with browser_session(server) as browser:
        headers = {"Accept-Language": "de-DE,uk;q=0.8,en;q=0.5"}  # German first: we don't speak it
        async with browser.get("/", headers=headers) as resp:
            page = await resp.text()
            assert "Accept-Language" in resp.headers["Vary"]
        assert '<html lang="uk">' in page
        assert html.escape(prompts.load("page", "uk")["page"]["send"]) in page
        async with browser.post("/api/message", data="x", headers={
                **headers, "Content-Type": "text/plain"}) as resp:
            error = await resp.json()
        assert resp.status == 415 and error["message"] == prompts.load("web", "uk")[
            "not_multipart"].strip()
        # The chat's own language wins once the user has one: here chosen with /language.
        async with browser.post("/api/message", data=form("/language zh"), headers=headers):
            pass
        async with browser.get("/", headers=headers) as resp:
            assert '<html lang="zh">' in await resp.text()
    async with browser_session(server) as english:  # a new browser with no preference
        async with english.get("/") as resp:
            assert '<html lang="en">' in await resp.text()
        [reply] = await post(english, photos=(b"%PDF-1.4 hello",), mime="application/pdf")
        assert "lovely PDF" in reply["text"]


async def raw_post(srv: TestServer | SimpleNamespace, head_extra: str, body: bytes,
                   content_length: int | None = None) -> tuple[asyncio.StreamReader,
                                                               asyncio.StreamWriter]:
    """A hand-made POST /api/message over a plain socket: what a browser cannot send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    length = len(body) if content_length is None else content_length
    writer.write((f"POST /api/message HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
                  f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{head_extra}"
                  f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode() + body)
    await writer.drain()
    return reader, writer


BOUNDARY = "stylebotTestBoundary"


def photo_part(name: str, data: bytes) -> bytes:
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="{name}"'
            f"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + data


async def status_and_json(reader: asyncio.StreamReader) -> tuple[int, dict]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(re.search(rb"Content-Length: (\d+)", head, re.I)[1])
    body = await asyncio.wait_for(reader.readexactly(length), 10)
    return int(head.split()[1]), json.loads(body)


async def test_a_header_line_over_8190_bytes_gets_a_kind_400(client, photo_bytes):
    data = aiohttp.FormData(default_to_multipart=True)
    data.add_field("photo", photo_bytes[0], filename="a" * 9000 + ".jpg",
                   content_type="image/jpeg")
    async with client.post("/api/message", data=data) as resp:
        assert resp.status == 400
        error = await resp.json()
    assert error["error"] == "long_header" and "rename" in error["message"]
    [still_fine] = await post(client, text="/help")
    assert "/export" in still_fine["text"]


async def test_a_stalled_upload_is_answered_408_and_a_slow_one_finishes(services, photo_bytes):
    services.settings.web.upload_timeout_seconds = 0.5
    srv = TestServer(create_app(services), host="127.0.0.1")
    await srv.start_server()
    try:
        started = asyncio.get_running_loop().time()
        part = photo_part("outfit.jpg", photo_bytes[0])
        reader, writer = await raw_post(srv, "", part[:2000], content_length=len(part) + 100)
        status, error = await status_and_json(reader)  # nothing more is ever sent
        writer.close()
        assert status == 408 and error["error"] == "upload_timeout"
        assert asyncio.get_running_loop().time() - started < 5

        # a slow upload that keeps sending (a chunk every 0.3 s, 1.5 s in all) is not cut off
        body = part + f"\r\n--{BOUNDARY}--\r\n".encode()
        reader, writer = await raw_post(srv, "", b"", content_length=len(body))
        for i in range(5):
            writer.write(body[i * len(body) // 5:(i + 1) * len(body) // 5])
            await writer.drain()
            await asyncio.sleep(0.3)
        status, answer = await status_and_json(reader)
        writer.close()
        assert status == 200 and answer["replies"][0]["images"]
    finally:
        await srv.close()


async def test_an_aborted_upload_logs_one_line(services, photo_bytes, caplog):
    # served as `stylebot web` serves it (an AppRunner's defaults, unlike TestServer's, let
    # the handler see the lost connection rather than cancelling it)
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    site = SimpleNamespace(port=runner.addresses[0][1])
    part = photo_part("outfit.jpg", photo_bytes[0])
    try:
        with caplog.at_level(logging.INFO):
            reader, writer = await raw_post(site, "", part[:3000],
                                            content_length=len(part) + 100)
            await asyncio.sleep(0.2)
            writer.close()  # the browser tab is closed mid-upload
            await writer.wait_closed()
            for _ in range(100):
                if any("aborted" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # anything aiohttp logs after the handler returns
    finally:
        await runner.cleanup()
    [aborted] = [r for r in caplog.records if "aborted" in r.getMessage()]
    assert aborted.levelno <= logging.WARNING and "\n" not in aborted.getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def test_an_empty_file_is_said_to_be_empty(client):
    [reply] = await post(client, photos=(b"",))
    assert "the file was empty" in reply["text"] and not reply["images"]


async def test_a_rebound_name_is_refused_addresses_and_allowed_names_are_served(services):
    """DNS rebinding: a page at attacker.example whose name now resolves to 127.0.0.1 sends
    Host: attacker.example (and a matching Origin): refused before any session or dialog."""
    services.settings.web.allowed_hosts = ["chat.example.org"]
    srv = TestServer(create_app(services), host="127.0.0.1")
    await srv.start_server()
    try:
        async with browser_session(srv) as browser:
            for host, status in (("attacker.example:%d", 421), ("attacker.example", 421),
                                 ("localhost:%d", 200), ("127.0.0.1:%d", 200),
                                 ("[::1]:%d", 200), ("chat.example.org", 200),
                                 ("CHAT.example.org.:%d", 200), ("", 421)):
                name = host % srv.port if "%d" in host else host
                async with browser.get("/", headers={"Host": name}) as resp:
                    assert resp.status == status, name
                    if status == 421:
                        assert "Set-Cookie" not in resp.headers
                        assert "allowed_hosts" in (await resp.json())["message"]
            async with browser.post("/api/message", data=form(text="hi"), headers={
                    "Host": "attacker.example", "Origin": "http://attacker.example"}) as resp:
                assert resp.status == 421
        assert services.store.db["users"].count == 0  # nothing reached the dialog
    finally:
        await srv.close()
