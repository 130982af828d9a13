"""The Telegram channel end to end: the real python-telegram-bot Application, over real HTTP,
against a local Bot API stand-in, with the real models and a fresh SQLite file per test."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3
from contextlib import closing

import aiohttp
import pytest
from PIL import Image
from pydantic import SecretStr

import prompts
from bot.channels.telegram import (
    build_application,
    running,
    send_reply,
    split_text,
    start_webhook,
    trim,
)
from bot.chat.messages import Button, ImageOut, Reply
from storage.db import USER_TABLES
from tests.botapi_standin import TOKEN, BotApiStandIn

PHOTO_REPLIES = ("sendPhoto", "sendMediaGroup")


@pytest.fixture
def tg_settings(tg_settings):
    tg_settings.telegram.album_wait_seconds = 0.3
    return tg_settings


@pytest.fixture
async def bot(tg_settings, services, api):
    """The bot polling the stand-in; stopped (and its services closed) after the test."""
    application = build_application(tg_settings, services)
    async with running(application, poll_timeout=5):
        yield application


def picture(data: bytes, kind: str = "PNG") -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == kind and min(image.size) > 32
    return image


async def settle(api: BotApiStandIn, chat_id: int, count: int, timeout: float = 10.0) -> None:
    """Wait until `count` messages went to the chat, then a moment more for any extra one."""
    for _ in range(int(timeout / 0.05)):
        if len(api.sent_to(chat_id)) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)


def rows_of(db_path, user_id: str) -> int:
    """The user's rows in every table, read from the SQLite file by a fresh connection."""
    with closing(sqlite3.connect(db_path)) as db:
        count = sum(db.execute(f"select count(*) from [{t}] where user_id = ?",
                               [user_id]).fetchone()[0] for t in USER_TABLES)
        users = db.execute("select count(*) from users where id = ?", [user_id]).fetchone()[0]
        return count + users


async def test_start_greets_with_privacy_note(bot, api):
    api.send_text(11, "/start", first_name="Ana")
    reply = await api.next_call("sendMessage", chat_id=11)
    assert reply.text.startswith("Hi Ana!")
    assert "Privacy" in reply.text and "/forget" in reply.text
    assert {"getMe", "setMyCommands", "deleteWebhook"} <= {c.method for c in api.calls}
    assert "forget" in [c["command"] for c in api.commands]


async def test_photo_gets_overlay_palette_and_items(bot, api, services, photo_bytes, artifacts):
    api.send_photo(12, photo_bytes[0])
    album = await api.next_call(PHOTO_REPLIES, chat_id=12)
    pictures = [picture(data, kind) for data, kind in zip(album.images, ("JPEG", "PNG"),
                                                          strict=True)]
    assert album.method == "sendMediaGroup" and len(pictures) == 2  # overlay and palette
    pictures[0].save(artifacts / "telegram_overlay.png")
    items = await api.next_call("sendMessage", chat_id=12)
    assert items.text.startswith("Here's what I see:") and "Main colours" in items.text
    outfit_id = services.store.outfits("tg:12")[0]["id"]
    assert items.buttons == [f"more:{outfit_id}", f"cut:{outfit_id}", f"style:{outfit_id}",
                             f"shop:{outfit_id}", f"look:{outfit_id}"]
    assert "💬" in items.text  # a friendly comment
    ask = await api.next_call("sendMessage", chat_id=12)
    assert ask.buttons == ["keep:yes", "keep:no"]

    query_id = api.press(12, f"cut:{outfit_id}", message_id=items.result["message_id"])
    answered = await api.next_call("answerCallbackQuery")
    assert answered.params["callback_query_id"] == query_id
    cutout = await api.next_call("sendPhoto", chat_id=12)
    assert picture(cutout.images[0]).mode == "RGBA" and "without the background" in cutout.text


async def test_album_is_one_style_check_and_answer_is_stored(bot, api, services, photo_bytes):
    api.send_photo(13, photo_bytes[1], media_group_id="album-1", caption="which one?")
    api.send_photo(13, photo_bytes[2], media_group_id="album-1")
    check = await api.next_call(PHOTO_REPLIES, chat_id=13, timeout=30)
    assert check.method == "sendPhoto" and len(check.images) == 1
    side_by_side = picture(check.images[0], "JPEG")
    assert side_by_side.width > side_by_side.height
    if not check.buttons:  # a verdict too long for a caption comes right after the picture
        check = await api.next_call("sendMessage", chat_id=13)
    first, second = check.buttons  # the two answers, each naming the verdict: "<kind>:<id>:…"
    verdict_id = int(first.split(":")[1])
    assert services.store.verdict("tg:13", verdict_id)["outfit_b"] is not None

    query_id = api.press(13, first, message_id=check.result["message_id"])
    assert (await api.next_call("answerCallbackQuery")).params["callback_query_id"] == query_id
    assert "Thanks" in (await api.next_call("sendMessage", chat_id=13)).text
    answers = services.store.feedback("tg:13", "verdict")
    assert [(f["target_id"], f["value"] in ("a", "b")) for f in answers] == [(verdict_id, True)]

    api.press(14, second)  # another user pressing A's button (a forged payload) changes nothing
    assert "expired" in (await api.next_call("sendMessage", chat_id=14)).text
    assert services.store.feedback("tg:14") == []
    assert len(services.store.feedback("tg:13")) == 1
    await settle(api, 13, 2)
    sent = [c.method for c in api.sent_to(13)]  # one Style Check, no separate outfit replies
    assert sent in (["sendPhoto", "sendMessage"], ["sendPhoto", "sendMessage", "sendMessage"])


async def test_photo_sent_as_reply_to_a_photo_is_compared_with_it(
        tg_settings, services, api, photo_bytes):
    tg_settings.dialog.pair_window_seconds = 0  # no pairing by time: only by reply
    async with running(build_application(tg_settings, services), poll_timeout=5):
        first = api.send_photo(17, photo_bytes[0])
        assert (await api.next_call(PHOTO_REPLIES, chat_id=17, timeout=30)).method \
            == "sendMediaGroup"  # overlay and palette: the first photo alone
        api.send_photo(17, photo_bytes[1], reply_to=first["message_id"])
        check = await api.next_call(PHOTO_REPLIES, chat_id=17, timeout=30)
        assert check.method == "sendPhoto" and len(check.images) == 1  # the side-by-side
        buttons = check.buttons or (await api.next_call("sendMessage", chat_id=17)).buttons
        verdict = services.store.verdict("tg:17", int(buttons[0].split(":")[1]))
        assert verdict["outfit_a"] != verdict["outfit_b"]


async def test_forget_removes_rows_and_kept_photos(bot, api, services, tg_settings, photo_bytes):
    api.send_text(16, "/start")  # someone else, who must keep their data
    await api.next_call("sendMessage", chat_id=16)
    api.send_text(15, "/keepphotos on")
    assert "keep your photos" in (await api.next_call("sendMessage", chat_id=15)).text
    api.send_photo(15, photo_bytes[3])
    await api.next_call("sendMessage", chat_id=15, where=lambda c: bool(c.buttons), timeout=30)
    kept = list((services.store.user_dir("tg:15") / "photos").glob("*.jpg"))
    # Kept re-encoded: the same picture (the CCP photo is under the size cap), no metadata.
    upload = Image.open(io.BytesIO(photo_bytes[3]))
    assert len(kept) == 1 and Image.open(kept[0]).size == upload.size
    assert not Image.open(kept[0]).getexif()
    db_path = tg_settings.storage.database
    assert rows_of(db_path, "tg:15") > 3

    api.send_text(15, "/forget")
    confirm = await api.next_call("sendMessage", chat_id=15)
    assert confirm.buttons == ["forget:yes", "forget:no"]
    api.press(15, "forget:yes")
    await api.next_call("answerCallbackQuery")
    assert "deleted" in (await api.next_call("sendMessage", chat_id=15)).text
    assert rows_of(db_path, "tg:15") == 0
    assert not services.store.user_dir("tg:15").exists() and not kept[0].exists()
    assert rows_of(db_path, "tg:16") == 1


async def test_bad_files_and_other_media_get_kind_answers(
        bot, api, corrupt_photo_bytes, huge_photo_bytes):
    api.send_photo(20, corrupt_photo_bytes)
    api.push(api.message_update(21, document=huge_photo_bytes, file_name="huge.jpg"))
    api.push(api.message_update(22, document=b"%PDF-1.4 ...", mime_type="application/pdf",
                                file_name="invoice.pdf"))
    api.push(api.message_update(23, sticker={
        "file_id": "st1", "file_unique_id": "ust1", "width": 512, "height": 512,
        "is_animated": False, "is_video": False, "type": "regular"}))
    api.push(api.message_update(24, voice={"file_id": "v1", "file_unique_id": "uv1",
                                           "duration": 3}))
    too_big = api.message_update(25, document=b"not read", file_name="big.jpg")
    too_big["message"]["document"]["file_size"] = 25 * 1024 * 1024
    api.push(too_big)
    corrupt = await api.next_call("sendMessage", chat_id=20)
    assert corrupt.text.startswith("Sorry, I couldn't use that file") and "damaged" in corrupt.text
    huge = await api.next_call("sendMessage", chat_id=21)
    assert "megapixels" in huge.text and "Sorry" in huge.text
    assert "lovely file" in (await api.next_call("sendMessage", chat_id=22)).text
    assert "lovely sticker" in (await api.next_call("sendMessage", chat_id=23)).text
    assert "lovely voice message" in (await api.next_call("sendMessage", chat_id=24)).text
    assert "over the 20 MB" in (await api.next_call("sendMessage", chat_id=25)).text
    big_file = too_big["message"]["document"]["file_id"]
    assert big_file not in [c.params.get("file_id") for c in api.calls if c.method == "getFile"]
    api.send_text(20, "/help")  # the bot is still fine
    assert "what I can do" in (await api.next_call("sendMessage", chat_id=20)).text
    assert not [c for c in api.calls if c.method in PHOTO_REPLIES]


async def test_flood_gets_one_polite_slow_down(bot, api, tg_settings):
    limit = int(tg_settings.telegram.rate_burst)
    bot.bot_data.dialog.limiter.refill = 0.01  # no refill to speak of while the test runs
    for i in range(limit + 15):
        api.send_text(30, f"hello {i}")
    await api.next_call("sendMessage", chat_id=30, where=lambda c: "faster" in c.text)
    await settle(api, 30, limit + 1)
    texts = [c.text for c in api.sent_to(30)]
    assert len(texts) == limit + 1
    assert sum("faster than I can look" in t for t in texts) == 1
    assert "send it again in 100 seconds" in next(t for t in texts if "faster" in t)
    api.send_text(31, "/help")  # other users are not slowed down
    assert "what I can do" in (await api.next_call("sendMessage", chat_id=31)).text


async def test_one_user_never_gets_another_users_data(bot, api, photo_bytes):
    api.send_photo(40, photo_bytes[0])
    await api.next_call("sendMessage", chat_id=40, where=lambda c: bool(c.buttons), timeout=30)
    api.send_text(41, "/export")
    export_b = await api.next_call("sendDocument", chat_id=41)
    data = json.loads(export_b.files["document"].data)
    assert data["user"]["id"] == "tg:41" and data["outfits"] == [] and data["photos"] == []
    assert b"tg:40" not in export_b.files["document"].data
    api.send_text(40, "/export")
    export_a = json.loads((await api.next_call("sendDocument", chat_id=40)).files["document"].data)
    assert [o["user_id"] for o in export_a["outfits"]] == ["tg:40"]
    assert all(c.chat_id in (40, 41) for c in api.sent_to(40) + api.sent_to(41))


async def test_handler_error_is_logged_without_token_and_apologised(bot, api, caplog):
    caplog.set_level(logging.INFO)
    api.fail_next("sendMessage", chat_id=50)
    api.send_text(50, "/help")
    apology = await api.next_call("sendMessage", chat_id=50)
    assert apology.text.startswith("Oops, something went wrong")
    assert any(c.method == "sendMessage" and not c.ok for c in api.calls)
    errors = [r for r in caplog.records
              if r.name == "bot.channels.telegram" and r.levelno == logging.ERROR]
    assert errors and errors[0].exc_info is not None
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


async def test_send_reply_respects_telegram_limits(bot, api):
    api.message_update(60, "hi")  # the chat exists
    long_text = "\n".join(f"line {i}: " + "🧥 warm coat " * 12 for i in range(60))
    image = ImageOut(_png(), "x" * 2000)
    await send_reply(bot.bot, 60, Reply(long_text, images=[image],
                                        buttons=[[Button("ok", "ok:1")]]))
    calls = api.sent_to(60)
    assert [c.method for c in calls] == ["sendPhoto"] + ["sendMessage"] * (len(calls) - 1)
    assert len(calls) == 4  # about 9,900 UTF-16 units of text: three messages
    assert calls[0].text.endswith("…") and not calls[0].buttons
    assert calls[-1].buttons == ["ok:1"] and not calls[1].buttons
    assert "".join("".join(c.text for c in calls[1:]).split()) == "".join(long_text.split())
    await send_reply(bot.bot, 60, Reply("", images=[ImageOut(_png(), str(i)) for i in range(11)]))
    assert [c.method for c in api.sent_to(60)[4:]] == ["sendMediaGroup", "sendPhoto"]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "navy").save(buf, "PNG")
    return buf.getvalue()


def test_split_and_trim_count_like_telegram():
    text = "👗" * 3000  # 6000 UTF-16 code units
    chunks = split_text(text)
    assert "".join(chunks) == text and all(len(c) <= 2048 for c in chunks)
    assert trim("a" * 2000).endswith("…") and len(trim("a" * 2000)) == 1024
    assert trim("short") == "short" and split_text("  ") == []


async def test_webhook_checks_the_secret(tg_settings, services, api):
    tg_settings.telegram.webhook_port = 0
    tg_settings.telegram.webhook_secret = SecretStr("s3cret-Token_1")
    application = build_application(tg_settings, services)
    url = "https://bot.example.org/tg/hook"
    async with running(application, polling=False):
        runner = await start_webhook(application, tg_settings, url)
        try:
            assert api.webhook["url"] == url and api.webhook["secret_token"] == "s3cret-Token_1"
            hook = f"http://127.0.0.1:{runner.addresses[0][1]}/tg/hook"
            update = api.message_update(70, "/help")
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with http.post(hook, json=update, headers=headers) as response:
                        assert response.status == 403
                right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
                async with http.post(hook, data=b"{not json", headers=right) as response:
                    assert response.status == 400
                async with http.post(hook, json=update, headers=right) as response:
                    assert response.status == 200
            assert "what I can do" in (await api.next_call("sendMessage", chat_id=70)).text
            await asyncio.sleep(0.2)
            assert len(api.sent_to(70)) == 1  # the refused posts were not processed
        finally:
            await runner.cleanup()
        tg_settings.telegram.webhook_secret = None  # unset: a random secret is made
        runner = await start_webhook(application, tg_settings, url)
        await runner.cleanup()
        assert len(api.webhook["secret_token"]) >= 32


async def test_each_user_is_answered_in_their_apps_language(bot, api, photo_bytes, services):
    api.languages.update({31: "uk", 32: "zh-hans", 33: "ru", 34: "de"})
    api.send_text(31, "/start", first_name="Оля")
    start = await api.next_call("sendMessage", chat_id=31)
    assert start.text.startswith("Привіт, Оля!")
    # The command menu is published per language: Telegram shows the user's own.
    assert api.menus[""] == api.commands and {"uk", "ru", "zh"} <= set(api.menus)
    uk_help = {c["command"]: c["description"] for c in api.menus["uk"]}["help"]
    assert uk_help == prompts.reply("menu_help", "uk") != prompts.reply("menu_help")

    api.send_photo(32, photo_bytes[0])
    await api.next_call(PHOTO_REPLIES, chat_id=32)
    seen = await api.next_call("sendMessage", chat_id=32)
    assert seen.text.startswith("我看到的是：")
    keep = await api.next_call("sendMessage", chat_id=32)
    assert keep.text == prompts.reply("keep_photos_ask", "zh").strip()

    api.push(api.message_update(33, sticker={
        "file_id": "st2", "file_unique_id": "ust2", "width": 512, "height": 512,
        "is_animated": False, "is_video": False, "type": "regular"}))
    sticker = await api.next_call("sendMessage", chat_id=33)
    assert "стикер" in sticker.text and "только фото" in sticker.text

    # An app language we don't speak: English until the user writes in one we do.
    api.send_text(34, "/help")
    assert (await api.next_call("sendMessage", chat_id=34)).text.startswith("Here's what I can do")
    api.send_text(34, "дякую, дуже допомогло!")
    thanks = await api.next_call("sendMessage", chat_id=34)
    assert thanks.text in prompts.load("talk", "uk")["thanks"]
    assert services.store.user("tg:34")["lang"] == "uk"

    # A photo over Telegram's download limit is refused in the user's language too.
    too_big = api.message_update(31, document=b"not read", file_name="big.jpg")
    too_big["message"]["document"]["file_size"] = 25 * 1024 * 1024
    api.push(too_big)
    refused = await api.next_call("sendMessage", chat_id=31)
    assert refused.text.startswith("Вибач") and "20 МБ" in refused.text


async def test_telegram_and_the_web_chat_in_one_process_share_one_set_of_models(
        tg_settings, api, photo_bytes, monkeypatch):
    """`stylebot run` with telegram.web_chat_too: both channels answer photos, over the one
    pipeline the process loaded (built once: counted), until SIGTERM stops both."""
    import signal
    import socket

    from bot import app as app_module
    from bot.channels import telegram

    built = []
    real_build = app_module.build_services
    monkeypatch.setattr(app_module, "build_services",
                        lambda settings: built.append(1) or real_build(settings))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        tg_settings.web.port = probe.getsockname()[1]
    tg_settings.telegram.web_chat_too = True
    serving = asyncio.create_task(telegram.serve(tg_settings))
    web_url = f"http://127.0.0.1:{tg_settings.web.port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            for _ in range(600):  # the models load first
                try:
                    async with http.get(web_url + "/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            api.send_photo(90, photo_bytes[0])
            form = aiohttp.FormData()
            form.add_field("photo", photo_bytes[1], filename="p.jpg", content_type="image/jpeg")
            async with http.post(web_url + "/api/message", data=form) as resp:
                web_reply = (await resp.json())["replies"][0]
        album = await api.next_call(("sendMediaGroup", "sendPhoto"), chat_id=90)
        assert album.images and web_reply["images"] and web_reply["text"]
        assert built == [1]  # one Services, one Pipeline, for both channels
    finally:
        await asyncio.sleep(0.2)
        signal.raise_signal(signal.SIGTERM)  # until_stopped's handler: a graceful stop
        await asyncio.wait_for(serving, 60)
