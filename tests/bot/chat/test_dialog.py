"""The dialogue engine on its own (as the CLI and every channel use it): routes, bad input,
floods, privacy and isolation between users."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from PIL import Image

from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn


def event(user: str, **kw) -> Incoming:
    return Incoming(user, "cli", **kw)


async def test_start_and_help_mention_privacy(services) -> None:
    dialog = Dialog(services)
    [start] = await dialog.handle(event("cli:a", text="/start", display_name="Ana"))
    assert "Ana" in start.text and "/forget" in start.text and "/export" in start.text
    [help_] = await dialog.handle(event("cli:a", text="/help@stylebot"))
    assert "/prefs" in help_.text


async def test_photo_answer_names_garments_with_pictures(services, photo_bytes) -> None:
    dialog = Dialog(services)
    replies = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    answer = replies[0]
    assert answer.text.startswith("Here's what I see:")
    assert "Main colours:" in answer.text
    names = [img.name for img in answer.images]
    # photo 0005 has no clear weak point, so no suggestion and no before/after picture
    # (tests/bot/chat/test_suggestions.py has a photo that gets one)
    assert names == ["overlay.jpg", "palette.png"]
    formats = [Image.open(io.BytesIO(img.data)).format for img in answer.images]
    assert formats == ["JPEG", "PNG"]  # the photo's overlay as a JPEG, flat swatches as a PNG
    assert [img.mime for img in answer.images] == ["image/jpeg", "image/png"]
    assert "💬" in answer.text  # a friendly comment about the outfit
    kinds = [b.payload.split(":")[0] for row in answer.buttons for b in row]
    assert kinds == ["more", "cut", "style", "shop", "look"]
    # The keep-photos question comes once, not on every photo.
    assert "keep your photos" in replies[1].text
    again = await dialog.handle(
        event("cli:a", photos=(PhotoIn(photo_bytes[2], ref="9"),), reply_to="nothing")
    )
    assert all("keep your photos" not in r.text for r in again)


async def test_cutout_is_transparent_png(services, photo_bytes) -> None:
    dialog = Dialog(services)
    [answer, _] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[1]),)))
    [cut] = await dialog.handle(event("cli:a", callback=answer.buttons[0][1].payload))
    image = Image.open(io.BytesIO(cut.images[0].data))
    assert image.mode == "RGBA" and image.getextrema()[3][0] == 0


async def test_bad_inputs_get_kind_replies(
    services, corrupt_photo_bytes, huge_photo_bytes
) -> None:
    dialog = Dialog(services)
    [corrupt] = await dialog.handle(event("cli:a", photos=(PhotoIn(corrupt_photo_bytes),)))
    assert "couldn't use that file" in corrupt.text
    [huge] = await dialog.handle(event("cli:a", photos=(PhotoIn(huge_photo_bytes),)))
    assert "megapixels" in huge.text
    [sticker] = await dialog.handle(event("cli:a", not_a_photo="sticker"))
    assert "sticker" in sticker.text
    [empty] = await dialog.handle(event("cli:a", text="   "))
    assert "/help" in empty.text
    [odd] = await dialog.handle(event("cli:a", text="\u202e\x00🙃" * 3))
    assert "talk:help" in [b.payload for row in odd.buttons for b in row]  # a question, buttons
    long = await dialog.handle(event("cli:a", text="x" * 5000))
    assert "long message" in long[0].text
    [unknown] = await dialog.handle(event("cli:a", text="/doesnotexist"))
    assert "/help" in unknown.text
    [button] = await dialog.handle(event("cli:a", callback="nonsense:payload"))
    assert "expired" in button.text


async def test_flood_gets_one_polite_reply(services) -> None:
    services.settings.telegram.rate_refill_per_second = 0.01  # no refill while the test runs
    dialog = Dialog(services)
    burst = int(services.settings.telegram.rate_burst)
    answers = [await dialog.handle(event("cli:flood", text="hi")) for _ in range(burst + 10)]
    assert all(answers[:burst])
    slow = [a for a in answers[burst:] if a]
    assert len(slow) == 1 and answers[burst] == slow[0]  # the first skipped one is told
    text = slow[0][0].text
    assert "faster than I can" in text and "skipped that one" in text
    assert "send it again in 100 seconds" in text and "next 100 seconds is skipped too" in text
    # Another user is not affected by the flood.
    assert await dialog.handle(event("cli:calm", text="/help"))


async def test_fast_typing_and_photos_against_the_bucket(services, photo_bytes) -> None:
    """The dialog charges by kind: fifteen texts in ten seconds pass, photos cost three."""
    dialog = Dialog(services)
    now = [0.0]
    dialog.limiter.clock = lambda: now[0]
    for i in range(15):
        [reply] = await dialog.handle(event("cli:fast", text=f"/help {i}"))
        assert "faster than I can" not in reply.text
        now[0] += 10 / 14
    corrupt = PhotoIn(photo_bytes[0][:100])  # cheap to answer, costs a photo all the same
    answers = [await dialog.handle(event("cli:photos", photos=(corrupt,))) for _ in range(5)]
    assert ["faster than I can" in a[0].text for a in answers] == [False] * 4 + [True]


async def test_shop_says_honestly_what_it_would_look_for(services, photo_bytes) -> None:
    dialog = Dialog(services)
    [none] = await dialog.handle(event("cli:a", text="where can I buy this?"))
    assert "photo first" in none.text
    await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0], ref="p1"),)))
    [shop] = await dialog.handle(event("cli:a", text="Where can I buy this?", reply_to="p1"))
    assert "catalogue" in shop.text


async def test_keep_photos_export_and_forget(services, photo_bytes) -> None:
    dialog = Dialog(services)
    await dialog.handle(event("cli:a", text="/keepphotos on"))
    await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0]),)))
    await dialog.handle(event("cli:b", photos=(PhotoIn(photo_bytes[1]),)))
    kept = [Path(p["path"]) for p in services.store.export_user("cli:a")["photos"]]
    assert kept and kept[0].exists()
    assert services.store.export_user("cli:b")["photos"][0]["path"] is None  # b did not opt in

    [export] = await dialog.handle(event("cli:a", text="/export"))
    archive = zipfile.ZipFile(io.BytesIO(export.file.data))
    data = json.loads(archive.read("stylebot-data.json"))
    assert data["user"]["id"] == "cli:a" and len(data["outfits"]) == 1
    assert any(name.startswith("photos/") for name in archive.namelist())
    [export_b] = await dialog.handle(event("cli:b", text="/export"))
    assert b"cli:a" not in export_b.file.data  # nothing of a in b's export

    [confirm] = await dialog.handle(event("cli:a", text="/forget"))
    assert [b.payload for b in confirm.buttons[0]] == ["forget:yes", "forget:no"]
    [kept_ok] = await dialog.handle(event("cli:a", callback="forget:no"))
    assert services.store.outfits("cli:a")
    [done] = await dialog.handle(event("cli:a", callback="forget:yes"))
    assert "deleted" in done.text
    assert not kept[0].exists()
    db = services.store.db
    for table in ("photos", "outfits", "items", "feedback", "preferences", "dialog_state"):
        assert db.execute(f"select count(*) from {table} where user_id='cli:a'").fetchone()[0] == 0
    assert services.store.outfits("cli:b")  # b untouched


async def test_two_photos_in_a_row_ask_then_compare_or_give_feedback(services,
                                                                    photo_bytes) -> None:
    """A second single photo soon after the first is never silently taken for a Style Check:
    the bot asks, and both answers work."""
    services.settings.telegram.rate_burst = 100  # four photos and two answers in seconds
    dialog = Dialog(services)
    await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    [ask] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[1], ref="2"),)))
    assert "compare" in ask.text.lower()
    compare_it, each = (b.payload for b in ask.buttons[0])
    [check] = await dialog.handle(event("cli:a", callback=compare_it))
    assert "%" in check.text and check.buttons[0][0].payload.startswith("fb:")
    feedback = await dialog.handle(event("cli:a", callback=each))
    assert feedback[0].text.startswith("Here's what I see") and feedback[0].images
    # A third photo starts afresh (the pair is used up).
    third = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[2], ref="3"),)))
    assert third[0].text.startswith("Here's what I see")
    # A reply to an earlier photo compares with that one.
    [reply_check] = await dialog.handle(
        event("cli:a", photos=(PhotoIn(photo_bytes[3], ref="4"),), reply_to="1")
    )
    assert "%" in reply_check.text


async def test_the_same_photo_twice_is_a_fresh_look_not_a_style_check(services,
                                                                     photo_bytes) -> None:
    """Sent again by mistake (or for another comment), a photo is not weighed against itself."""
    dialog = Dialog(services)
    first = await dialog.handle(event("cli:twice", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    again = await dialog.handle(event("cli:twice", photos=(PhotoIn(photo_bytes[0], ref="2"),)))
    assert first[0].text.startswith("Here's what I see")
    assert again[0].text.startswith("Here's what I see") and "%" not in again[0].text
    # ...and a different photo sent next is offered for a Style Check.
    [ask] = await dialog.handle(event("cli:twice", photos=(PhotoIn(photo_bytes[1], ref="3"),)))
    [check] = await dialog.handle(event("cli:twice", callback=ask.buttons[0][0].payload))
    assert "%" in check.text and check.buttons[0][0].payload.startswith("fb:")


async def test_another_take_never_repeats_and_style_is_explained(services, photo_bytes) -> None:
    dialog = Dialog(services)
    [answer, _] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0]),)))
    first = answer.text.split("💬 ")[1]
    more = answer.buttons[0][0].payload
    takes = [first]
    for _ in range(4):
        [reply] = await dialog.handle(event("cli:a", callback=more))
        takes.append(reply.text.removeprefix("💬 "))
    assert len(set(takes)) == len(takes)
    assert len(services.store.recent_comments("cli:a")) == 5
    [style] = await dialog.handle(event("cli:a", callback=answer.buttons[1][0].payload))
    assert "%" in style.text and "+" in style.text or "blank canvas" in style.text
    # Another user cannot ask for comments on this outfit.
    [stale] = await dialog.handle(event("cli:b", callback=more))
    assert "expired" in stale.text


async def test_export_holds_each_kept_photo_once(services, photo_bytes) -> None:
    dialog = Dialog(services)
    await dialog.handle(event("cli:a", text="/keepphotos on"))
    for photo in (photo_bytes[0], photo_bytes[0], photo_bytes[1]):  # the first one sent twice
        await dialog.handle(event("cli:a", photos=(PhotoIn(photo),)))
    assert len(services.store.export_user("cli:a")["photos"]) == 3
    [export] = await dialog.handle(event("cli:a", text="/export"))
    names = zipfile.ZipFile(io.BytesIO(export.file.data)).namelist()
    photos = [n for n in names if n.startswith("photos/")]
    assert len(photos) == len(set(photos)) == 2
