"""The web chat end to end in headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

import prompts
from bot.channels.web import create_app

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in (os.environ.get("STYLEBOT_CHROMIUM"), "/usr/bin/chromium",
                             shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and os.path.isfile(p)), None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MODEL_TIMEOUT_MS = 180_000  # a photo is parsed on a small, busy CPU

ALL_IMAGES_LOADED = """() => [...document.querySelectorAll('img')]
    .filter(i => i.closest('.msg')).every(i => i.complete && i.naturalWidth > 0)"""


@pytest.fixture
async def chat_url(services):
    server = TestServer(create_app(services), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


@pytest.fixture
async def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        await browser.close()


async def test_chat_end_to_end(browser, chat_url, services, photo_paths, artifacts):
    from playwright.async_api import expect

    page = await browser.new_page(viewport={"width": 1180, "height": 980})
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    bot = page.locator(".msg.bot:not(.welcome)")

    await page.goto(chat_url)
    await expect(page).to_have_title(re.compile("stylebot"))
    texts = prompts.load("page")  # the page's texts, in the page and from app.js
    await expect(page.locator(".welcome strong")).to_have_text(texts["page"]["welcome_title"])
    await expect(page.get_by_label("Message")).to_have_attribute(
        "placeholder", texts["script"]["placeholder"])
    assert await page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly

    # /help typed and sent with Enter.
    await page.get_by_label("Message").fill("/help")
    await page.keyboard.press("Enter")
    await expect(bot.last).to_contain_text("Here's what I can do")
    await expect(page.locator(".thinking")).to_have_count(0)

    # A real photo through the picker: a thumbnail in the user's bubble, the overlay back.
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="Add one or two photos").click()
    await (await chooser.value).set_files(photo_paths[0])
    await expect(page.locator(".preview img")).to_have_count(1)
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator(".msg.user .thumbs img")).to_have_count(1)
    await expect(page.locator(".thinking")).to_have_count(1)
    overlay = page.locator("img.reply-image").first
    await expect(overlay).to_be_visible(timeout=MODEL_TIMEOUT_MS)
    await expect(bot.filter(has_text="Here's what I see")).to_have_count(1)
    await page.wait_for_function(ALL_IMAGES_LOADED)

    # Reply buttons post their callback: the cut-out, then "No, thanks" to keeping photos.
    await page.get_by_role("button", name=re.compile("Cut-out")).click()
    await expect(page.locator("figcaption", has_text="Cut-out")).to_be_visible(
        timeout=MODEL_TIMEOUT_MS)
    await page.get_by_role("button", name="No, thanks").click()
    await expect(bot.last).to_contain_text("I won't keep your photos")
    await page.wait_for_function(ALL_IMAGES_LOADED)
    [user] = [u for u in services.store.db["users"].rows if u["id"].startswith("web:")]
    assert user["keep_photos"] == 0

    # A reload shows the conversation again (the server keeps it), answered buttons as answered.
    before = await bot.count()
    await page.reload()
    await expect(bot).to_have_count(before)
    await expect(bot.first).to_contain_text("Here's what I can do")
    user_said = page.locator(".msg.user")
    await expect(user_said.first).to_have_text("/help")
    await expect(user_said.nth(1)).to_have_text(texts["script"]["history_photo"])
    await expect(user_said.last).to_have_text("No, thanks")
    await expect(page.get_by_role("button", name="No, thanks")).to_be_disabled()
    await page.wait_for_function(ALL_IMAGES_LOADED)
    overlay = page.locator("img.reply-image").first

    # The full-size view opens and closes.
    await overlay.click()
    await expect(page.locator("#lightbox")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#lightbox")).to_be_hidden()

    # Screenshots: the whole conversation on a desktop, and the end of it on a phone.
    await page.get_by_label("Message").focus()
    await screenshot(page, 1180, None, artifacts / "web_chat.png")
    await screenshot(page, 390, 844, artifacts / "web_chat_mobile.png")
    assert problems == []


async def screenshot(page, width: int, height: int | None, path) -> None:  # noqa: ANN001
    """Scrolled to the end; with height None, the window grows to show the whole thread."""
    await page.set_viewport_size({"width": width, "height": height or 900})
    if height is None:
        extra = await page.evaluate("""() => {
            const s = document.getElementById('scroller');
            return s.scrollHeight - s.clientHeight; }""")
        await page.set_viewport_size({"width": width, "height": 900 + max(0, extra)})
    await page.evaluate(
        "document.getElementById('scroller').scrollTo({top: 1e9, behavior: 'instant'})")
    await page.wait_for_timeout(300)
    await page.screenshot(path=path)


DROP_FILES = """async ([files]) => {
    const dt = new DataTransfer();
    for (const [name, b64] of files) {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], name, {type: 'image/jpeg'}));
    }
    return dt;
}"""


async def test_drop_two_photos_style_check_and_export(browser, chat_url, services, photo_paths,
                                                      artifacts):
    from playwright.async_api import expect

    page = await browser.new_page(viewport={"width": 1180, "height": 980})
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    await page.goto(chat_url)

    # Three real photos dragged onto the page: the drop zone shows, then two previews, A and B,
    # and a toast about the third.
    texts = prompts.load("page")["script"]
    files = [[p.name, base64.b64encode(p.read_bytes()).decode()] for p in photo_paths[:3]]
    transfer = await page.evaluate_handle(DROP_FILES, [files])
    await page.dispatch_event("main", "dragenter", {"dataTransfer": transfer})
    await expect(page.locator("#dropzone")).to_be_visible()
    await page.dispatch_event("main", "drop", {"dataTransfer": transfer})
    await expect(page.locator("#dropzone")).to_be_hidden()
    await expect(page.locator(".preview .tag")).to_have_text(["A", "B"])
    await expect(page.locator("#toast")).to_have_text(texts["two_photos_max"])
    await expect(page.locator("#toast")).to_be_hidden(timeout=10_000)  # not in the screenshot
    await expect(page.get_by_label("Message")).to_have_attribute(
        "placeholder", texts["placeholder_two_photos"])
    await page.get_by_role("button", name="Send").click()

    await expect(page.locator(".msg.user .thumbs img")).to_have_count(2)
    check = page.locator(".msg.bot", has=page.locator("img.reply-image")).last
    await expect(check).to_be_visible(timeout=MODEL_TIMEOUT_MS)
    await expect(check).to_contain_text("Style Check")  # in the text or the picture's caption
    await page.wait_for_function(ALL_IMAGES_LOADED)
    answers = check.locator(".reply-btn")
    assert await answers.count() >= 2
    await answers.last.click()
    await expect(page.locator(".msg.bot").last).to_contain_text("Thanks")
    await expect(answers.first).to_be_disabled()  # one question, one answer
    rows = list(services.store.db["feedback"].rows)
    assert [(r["kind"], r["value"] in ("a", "b")) for r in rows] == [("verdict", True)]
    await screenshot(page, 1180, 980, artifacts / "web_chat_style_check.png")

    # /export: the file card downloads the user's data as JSON.
    await page.get_by_label("Message").fill("/export")
    await page.keyboard.press("Enter")
    card = page.locator("a.file-card")
    await expect(card).to_be_visible()
    await expect(card.locator(".fsub")).to_have_text(texts["download"])
    await expect(card.locator(".ficon svg")).to_have_count(1)
    async with page.expect_download() as info:
        await card.click()
    download = await info.value
    data = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
    assert data["user"]["id"].startswith("web:") and len(data["outfits"]) == 2
    assert problems == []


#: What a user types after sending a photo, in each language: a pairing question, an occasion
#: question and thanks.
CHATS = {
    "en": ("does this go with white sneakers?", "is this ok for the office?", "thanks!"),
    "uk": ("чи пасує це до білих кросівок?", "а на роботу так можна?", "дякую!"),
    "ru": ("подойдут к этому белые кроссовки?", "а в офис так можно?", "спасибо!"),
    "zh": ("这套配白色运动鞋可以吗？", "这样穿去上班可以吗？", "谢谢！"),
}


@pytest.mark.parametrize("lang", list(CHATS))
async def test_a_chat_in_each_language(browser, chat_url, photo_paths, artifacts, lang):
    """The page in the browser's language, a photo and three messages answered in it
    (screenshots: docs/screenshots/web_chat_<lang>.png are copies of these)."""
    from playwright.async_api import expect

    from inference.text.language import detect

    context = await browser.new_context(locale={"en": "en-US", "uk": "uk-UA", "ru": "ru-RU",
                                                "zh": "zh-CN"}[lang],
                                        viewport={"width": 900, "height": 900})
    page = await context.new_page()
    texts = prompts.load("page", lang)
    bot = page.locator(".msg.bot:not(.welcome)")
    await page.goto(chat_url)
    assert await page.get_attribute("html", "lang") == lang
    await expect(page.locator(".welcome strong")).to_have_text(texts["page"]["welcome_title"])

    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name=texts["page"]["attach"]).click()
    await (await chooser.value).set_files(photo_paths[1])
    await page.get_by_role("button", name=texts["page"]["send"]).click()
    await expect(page.locator("img.reply-image").first).to_be_visible(timeout=MODEL_TIMEOUT_MS)
    await expect(page.locator(".thinking")).to_have_count(0, timeout=MODEL_TIMEOUT_MS)
    for message in CHATS[lang]:
        before = await bot.count()
        await page.get_by_label(texts["page"]["message"]).fill(message)
        await page.keyboard.press("Enter")
        await expect(bot).not_to_have_count(before, timeout=MODEL_TIMEOUT_MS)
        await expect(page.locator(".thinking")).to_have_count(0, timeout=MODEL_TIMEOUT_MS)
    await page.wait_for_function(ALL_IMAGES_LOADED)
    replies = [t for t in await bot.locator(".text").all_inner_texts() if t.strip()]
    assert replies, "no replies"
    wrong = [t for t in replies if detect(t).lang not in (lang, None)]
    assert wrong == [], wrong
    await screenshot(page, 900, None, artifacts / f"web_chat_{lang}.png")
    await context.close()
