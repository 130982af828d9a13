"""One concrete suggestion with a photo's feedback, and "show it in navy", through the real
dialogue engine, SQLite and the real models on CCP photos."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bot.app import build_services
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn


def event(user: str, **kw) -> Incoming:
    return Incoming(user, "cli", **kw)


def names(reply) -> list[str]:  # noqa: ANN001
    return [i.name for i in reply.images]


def side_by_side(png: bytes) -> bool:
    """The before/after picture: the photo and a changed copy side by side (the halves are
    alike, not the same)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)
    half = pixels.shape[1] // 2
    gap = np.abs(pixels[:, :half] - pixels[:, half:2 * half]).mean()
    return 0.5 < gap < 60


async def test_a_photo_with_a_weak_point_gets_one_suggestion_shown_on_the_photo(
        services, photo_bytes) -> None:
    dialog = Dialog(services)
    # 0350: a magenta dress with olive sandals: one change of a listed garment's colour, why
    [feedback, *_] = await dialog.handle(event("cli:s", photos=(PhotoIn(photo_bytes[2]),)))
    idea = feedback.text.split("One idea: your ")[1]
    listed = feedback.text.split("Here's what I see: ")[1].split("\n")[0].split(" · ")
    assert any(idea.startswith(garment + " in ") for garment in listed), (idea, listed)
    assert "(" in idea and ")" in idea  # the reason, named
    assert names(feedback) == ["overlay.jpg", "palette.png", "before-after.jpg"]
    assert side_by_side(feedback.images[-1].data)
    assert "body" not in feedback.text.split("One idea:")[1]


async def test_a_calm_photo_gets_no_suggestion(services, photo_bytes) -> None:
    dialog = Dialog(services)
    # 0777: navy and black throughout; no change tried gains the margin
    [feedback, *_] = await dialog.handle(event("cli:c", photos=(PhotoIn(photo_bytes[3]),)))
    assert "One idea" not in feedback.text and "before-after.jpg" not in names(feedback)


async def test_the_suggestion_in_ukrainian(services, photo_bytes) -> None:
    dialog = Dialog(services)
    await dialog.handle(event("cli:u", text="/lang uk"))
    [feedback, *_] = await dialog.handle(event("cli:u", photos=(PhotoIn(photo_bytes[2]),)))
    assert "Одна ідея:" in feedback.text
    assert "before-after.jpg" in names(feedback)


async def test_show_it_in_navy_after_a_photo(services, photo_bytes) -> None:
    dialog = Dialog(services)
    await dialog.handle(event("cli:n", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    [shown] = await dialog.handle(event("cli:n", text="show it in navy"))
    assert shown.text.startswith("Here's your ") and "in navy" in shown.text
    assert names(shown) == ["before-after.jpg"] and side_by_side(shown.images[0].data)
    [red] = await dialog.handle(event("cli:n", text="how would it look in red?"))
    assert "in red" in red.text and names(red) == ["before-after.jpg"]


async def test_show_it_in_navy_in_ukrainian(services, photo_bytes) -> None:
    dialog = Dialog(services)
    await dialog.handle(event("cli:k", text="/lang uk"))
    await dialog.handle(event("cli:k", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    [shown] = await dialog.handle(event("cli:k", text="покажи його в темно-синьому"))
    assert "темно-синій" in shown.text and names(shown) == ["before-after.jpg"]


async def test_after_a_restart_the_photo_is_asked_for_again(settings, pipeline,
                                                            photo_bytes) -> None:
    services = build_services(settings, pipeline)
    await Dialog(services).handle(event("cli:r", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    services.close()
    services = build_services(settings, pipeline)  # a new process: the photo was in memory only
    try:
        [gone] = await Dialog(services).handle(event("cli:r", text="show it in navy"))
    finally:
        services.close()
    assert "Send it again" in gone.text and "navy" in gone.text and not gone.images
