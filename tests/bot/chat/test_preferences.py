"""Preferences the user can see and correct, and the features that respect them: learned from
Style Check answers, shop clicks and "another take"; corrected in words or with buttons; comments
and Style Check read them (real models, real SQLite)."""

from __future__ import annotations

import re

import pytest

from bot.chat.dialog import Dialog
from bot.chat.flows.preferences import parse_statement, profile_of
from bot.chat.messages import Incoming, PhotoIn
from inference.stylecheck import check
from inference.styles.taste import Corrections, Profile, taste_vector


def event(user: str, **kw) -> Incoming:
    return Incoming(user, "cli", **kw)


def payloads(reply) -> list[str]:  # noqa: ANN001
    return [b.payload for row in reply.buttons for b in row]


@pytest.mark.parametrize(("text", "expected"), [
    ("I don't wear yellow", ("avoid", ["colour:yellow"])),
    ("i dont like skirts or mustard tops", ("avoid", ["garment:skirt", "colour:yellow"])),
    ("No more goth please", ("avoid", ["style:goth"])),
    ("I never wear heels", ("avoid", ["garment:footwear"])),
    ("I love green!", ("like", ["colour:green"])),
    ("Navy is my favourite colour", ("like", ["colour:navy"])),
    ("no red flags here, what do you think of my outfit today?", None),
    ("hello there", None),
])
def test_statements_in_words(text, expected) -> None:
    assert parse_statement(text) == expected


async def test_said_in_words_shown_in_prefs_and_undone_by_button(services) -> None:
    dialog = Dialog(services)
    [said] = await dialog.handle(event("cli:a", text="I don't wear yellow"))
    assert "no more yellow" in said.text
    await dialog.handle(event("cli:a", text="I love green"))
    [prefs] = await dialog.handle(event("cli:a", text="/prefs"))
    assert "you told me you avoid: yellow" in prefs.text
    assert "you told me you love: green" in prefs.text
    assert [i.name for i in prefs.images] == ["taste.png"]
    assert {"pref:undo:colour:yellow", "pref:undo:colour:green", "pref:reset"} <= set(
        payloads(prefs))
    [undone] = await dialog.handle(event("cli:a", callback="pref:undo:colour:yellow"))
    assert "yellow" in undone.text
    assert profile_of(services.store, "cli:a").corrections == Corrections(
        like=frozenset({"colour:green"}))
    # Another user's preferences are their own.
    [other] = await dialog.handle(event("cli:b", text="/prefs"))
    assert "green" not in other.text and "yellow" not in other.text


async def test_learned_from_style_check_shop_clicks_and_another_take(services, photo_bytes):
    services.settings.dialog.pair_window_seconds = 0
    dialog = Dialog(services)
    [answer, *_] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0]),)))
    outfit_id = answer.buttons[0][0].payload.split(":")[1]
    await dialog.handle(event("cli:a", callback=f"more:{outfit_id}"))
    await dialog.handle(event("cli:a", callback=f"shop:{outfit_id}"))
    [check] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[1]),
                                                         PhotoIn(photo_bytes[2]))))
    await dialog.handle(event("cli:a", callback=check.buttons[0][0].payload))  # "I agree"

    profile = profile_of(services.store, "cli:a")
    worn = services.store.outfit("cli:a", int(outfit_id))["summary"]
    for key in taste_vector(worn):  # what the shop click and "another take" were about
        assert profile.learned[key] != 0
    [prefs] = await dialog.handle(event("cli:a", text="/prefs"))
    assert "colours you pick (learned)" in prefs.text
    assert "garments you pick (learned)" in prefs.text
    assert "taste.png" in [i.name for i in prefs.images]
    favourite = profile.ranked("colour", 3)[0][0]
    assert f"pref:avoid:{favourite}" in payloads(prefs)
    await dialog.handle(event("cli:a", callback=f"pref:avoid:{favourite}"))
    after = profile_of(services.store, "cli:a")
    assert favourite in after.corrections.avoid
    assert favourite not in [k for k, _, said in after.ranked("colour", 5) if not said]
    [stale] = await dialog.handle(event("cli:a", callback="pref:avoid:shoe:size"))
    assert "expired" in stale.text


async def test_one_style_check_answer_is_not_yet_shown_as_a_taste(services, photo_bytes):
    services.settings.dialog.pair_window_seconds = 0
    dialog = Dialog(services)
    pair = (PhotoIn(photo_bytes[1]), PhotoIn(photo_bytes[2]))
    [check] = await dialog.handle(event("cli:a", photos=pair))
    await dialog.handle(event("cli:a", callback=check.buttons[0][0].payload))  # "I agree"
    profile = profile_of(services.store, "cli:a")
    assert any(k.startswith("style:") for k in profile.learned)  # Style Check reads it at once
    [prefs] = await dialog.handle(event("cli:a", text="/prefs"))
    assert "(learned)" not in prefs.text
    [again] = await dialog.handle(event("cli:a", photos=pair))  # the same choice a second time
    await dialog.handle(event("cli:a", callback=again.buttons[0][0].payload))
    [prefs] = await dialog.handle(event("cli:a", text="/prefs"))
    assert "colours you pick (learned)" in prefs.text
    assert "styles you lean to (learned)" in prefs.text


def _family_words(outfit: dict, family: str) -> re.Pattern[str]:
    names = {family} | {i["colour_name"] for i in outfit["items"] if i["colour_family"] == family}
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)


async def test_avoided_colour_is_never_praised_and_counts_against(services, pipeline,
                                                                   photo_bytes):
    a = pipeline.load_and_parse(photo_bytes[0])[1].as_dict()
    b = pipeline.load_and_parse(photo_bytes[1])[1].as_dict()
    ta, tb = taste_vector(a), taste_vector(b)
    family = max({k for k in ta if k.startswith("colour:")},
                 key=lambda k: ta[k] - tb.get(k, 0.0)).split(":")[1]
    plain = check(a, b, [], [], Profile())
    avoiding = Profile(corrections=Corrections(avoid=frozenset({f"colour:{family}"})))
    corrected = check(a, b, [], [], avoiding)
    assert corrected.verdict.features_a["personal"] < plain.verdict.features_a["personal"]
    assert corrected.verdict.p_a < plain.verdict.p_a  # the verdict penalises the avoided colour

    services.settings.dialog.pair_window_seconds = 0
    dialog = Dialog(services)
    await dialog.handle(event("cli:a", text=f"I don't wear {family}"))
    words = _family_words(a, family)
    [verdict] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0]),
                                                           PhotoIn(photo_bytes[1]))))
    reasons = [line for line in verdict.text.splitlines() if line.startswith("•")]
    assert not any(words.search(line) for line in reasons), reasons
    [answer, *_] = await dialog.handle(event("cli:a", photos=(PhotoIn(photo_bytes[0]),)))
    comments = [answer.text.split("💬 ")[1]]
    for _ in range(4):
        [more] = await dialog.handle(event("cli:a", callback=answer.buttons[0][0].payload))
        comments.append(more.text)
    assert not any(words.search(c) for c in comments), comments


def test_shopping_for_one_garment_counts_once_for_that_garment(services) -> None:
    store = services.store
    store.ensure_user("cli:a", "cli")
    outfit_id = store.add_outfit("cli:a", None, {"items": []}, [])
    store.db["shop_queries"].insert({"user_id": "cli:a", "outfit_id": outfit_id, "item_index": 1,
                                     "category": "skirt", "colour_family": "green"})
    for offset in (0, 6, 12):  # the first results, then "more" twice: one garment
        store.add_feedback("cli:a", "shop_item", outfit_id, f"default:1:{offset}")
    store.add_feedback("cli:a", "shop_item", outfit_id, "default:7:0")  # no such garment
    learned = profile_of(store, "cli:a").learned
    assert learned == {"colour:green": 0.6, "garment:skirt": 0.3}
    assert profile_of(store, "cli:b").learned == {}
