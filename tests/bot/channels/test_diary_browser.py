"""The diary in the web chat, in headless Chromium: a week of outfits, "you wore this", /week,
a correction in words and /prefs, with screenshots of the weekly summary and of /prefs.

The week is filled through the same dialogue engine the page talks to (as the page's own user),
each entry moved to an earlier day as if sent then; the last photo goes through the page itself.
Set STYLEBOT_DOCS_SCREENSHOTS=1 to also write docs/weekly-summary.png and docs/prefs.png.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer

from bot.channels.web import COOKIE, create_app
from tests.bot.channels.test_web_browser import ALL_IMAGES_LOADED, MODEL_TIMEOUT_MS, browser  # noqa: F401

pytestmark = pytest.mark.browser
DOCS = os.environ.get("STYLEBOT_DOCS_SCREENSHOTS") == "1"


@pytest.fixture
async def web(services):
    """The web chat and the dialogue engine behind it (one engine, as in `stylebot web`)."""
    services.settings.dialog.pair_window_seconds = 0
    services.settings.telegram.rate_burst = 1000  # a week of photos sent in seconds, by design
    app = create_app(services)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    from bot.channels.web import DIALOG

    yield str(server.make_url("/")), app[DIALOG]
    await server.close()


async def shoot(page, message, path) -> None:  # noqa: ANN001
    """One message of the chat, with the window tall enough to hold all of it."""
    box = await message.bounding_box()
    await page.set_viewport_size({"width": 900, "height": int(max(1000, box["height"] + 240))})
    await message.scroll_into_view_if_needed()
    await page.wait_for_timeout(200)
    await message.screenshot(path=path)
    await page.set_viewport_size({"width": 900, "height": 1000})


async def test_week_and_prefs_in_the_web_chat(browser, web, services, photo_paths,  # noqa: F811
                                              artifacts) -> None:
    from playwright.async_api import expect

    from bot.chat.messages import Incoming, PhotoIn

    url, dialog = web
    page = await browser.new_page(viewport={"width": 900, "height": 1000}, device_scale_factor=2)
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    bot = page.locator(".msg.bot:not(.welcome)")
    await page.goto(url)
    await page.get_by_label("Message").fill("/keepphotos on")
    await page.keyboard.press("Enter")
    await expect(bot.last).to_contain_text("keep your photos")
    [cookie] = [c for c in await page.context.cookies() if c["name"] == COOKIE]
    user = "web:" + hashlib.sha256(cookie["value"].encode()).hexdigest()[:32]

    async def send(photos=(), day=None, **kw):  # noqa: ANN001, ANN202
        replies = await dialog.handle(Incoming(user, "web", photos=tuple(
            PhotoIn(p.read_bytes()) for p in photos), **kw))
        if day is not None:
            outfit_id = services.store.outfits(user, limit=1)[0]["id"]
            services.store.db.execute("update outfits set local_date = ? where id = ?",
                                      [day.isoformat(), outfit_id])
        return replies

    today = datetime.now(UTC).date()
    for back, path in ((4, photo_paths[1]), (3, photo_paths[2]), (2, photo_paths[3]),
                       (1, photo_paths[0])):
        await send([path], today - timedelta(days=back))
    [check] = await send(photo_paths[1:3])  # a Style Check, answered, and a shop click
    await send(callback=check.buttons[0][0].payload)
    await send(callback=f"shop:{services.store.outfits(user, limit=3)[-1]['id']}")

    # Today's outfit through the page: the same outfit as yesterday's is recognised.
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="Add one or two photos").click()
    await (await chooser.value).set_files(photo_paths[0])
    await page.get_by_role("button", name="Send").click()
    seen = bot.filter(has_text="Here's what I see")
    await expect(seen).to_have_count(1, timeout=MODEL_TIMEOUT_MS)
    await expect(seen).to_contain_text("You wore this yesterday")

    await page.get_by_label("Message").fill("/week")
    await page.keyboard.press("Enter")
    week = bot.filter(has_text="Your week")
    await expect(week.locator("img.reply-image")).to_be_visible(timeout=MODEL_TIMEOUT_MS)
    await expect(week).to_contain_text("Streak: 5 days")
    await page.wait_for_function(ALL_IMAGES_LOADED)
    await shoot(page, week, artifacts / "weekly-summary.png")

    await page.get_by_label("Message").fill("I don't wear yellow")
    await page.keyboard.press("Enter")
    await expect(bot.last).to_contain_text("no more yellow")
    await page.get_by_label("Message").fill("/prefs")
    await page.keyboard.press("Enter")
    prefs = bot.filter(has_text="Here's what I've learned")
    await expect(prefs.locator("img.reply-image").first).to_be_visible(timeout=MODEL_TIMEOUT_MS)
    await expect(prefs).to_contain_text("you told me you avoid: yellow")
    await expect(prefs).to_contain_text("(learned)")
    await expect(prefs.get_by_role("button", name="↩️ yellow is fine")).to_be_visible()
    await page.wait_for_function(ALL_IMAGES_LOADED)
    await shoot(page, prefs, artifacts / "prefs.png")

    # A correction by button: "yellow is fine" again.
    await prefs.get_by_role("button", name="↩️ yellow is fine").click()
    await expect(bot.last).to_contain_text("dropped \"yellow\"")
    assert problems == []
    if DOCS:
        docs = artifacts.parent / "docs"
        docs.mkdir(exist_ok=True)
        for name in ("weekly-summary.png", "prefs.png"):
            shutil.copyfile(artifacts / name, docs / name)
