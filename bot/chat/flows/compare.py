"""Style Check: two outfits in, a verdict with percentages, reasons and a side-by-side picture;
the user's answer is stored and changes their next verdicts."""

from __future__ import annotations

import prompts
from bot.chat.flows import Turn, button, preferences
from bot.chat.flows.outfit import analyse_and_store
from bot.chat.messages import Button, ImageOut, Reply
from bot.chat.recent_photos import Recent
from inference.core import drawing as pictures
from inference.core.decode import BadImage
from inference.parsing.outfit import Outfit
from inference.stylecheck.check import StyleCheck, examples_from_rows, style_check
from inference.stylecheck.explain import learned_taste
from inference.stylecheck.model import ALL_FEATURES, global_weights, update_taste, user_weights
from storage.db import NotFound


def _render(a: Outfit, b: Outfit, check: StyleCheck) -> bytes:
    pa, pb = check.verdict.percentages
    winner = 0 if check.verdict.winner == "a" else 1
    return pictures.png_bytes(pictures.side_by_side(
        a.image, b.image, (f"A {pa}%", f"B {pb}%"), highlight=winner))


def verdict_text(check: StyleCheck, note: str = "") -> str:
    lines = [note] if note else []
    lines.append(check.headline)
    lines += [f"• {r['text'][0].upper()}{r['text'][1:]}." for r in check.reasons]
    lines.append(prompts.load("stylecheck")["feedback_question"])
    return "\n".join(lines)


async def _compare(turn: Turn, first: tuple[int, Outfit], second: tuple[int, Outfit],
                   note: str = "") -> list[Reply]:
    (a_id, a), (b_id, b) = first, second
    store = turn.store
    profile = preferences.profile_of(store, turn.user_id)  # learned taste and corrections
    check = await turn.run(
        style_check, a.as_dict(), b.as_dict(), store.verdict_examples(turn.user_id),
        store.verdict_examples(), profile.taste())
    check.reasons = [r for r in check.reasons if profile.allows(r["text"], a.as_dict(),
                                                                b.as_dict())]
    verdict_id = store.add_verdict(
        turn.user_id, a_id, b_id, check.verdict.p_a,
        {"a": check.verdict.features_a, "b": check.verdict.features_b}, check.reasons)
    png = await turn.run(_render, a, b, check)
    return [Reply(verdict_text(check, note),
                  images=[ImageOut(png, "Style Check", "style-check.png")],
                  buttons=[[Button(prompts.reply("button_agree"), f"fb:{verdict_id}:agree"),
                            Button(prompts.reply("button_prefer_other"),
                                   f"fb:{verdict_id}:other")]])]


async def compare_album(turn: Turn) -> list[Reply]:
    try:
        first = await analyse_and_store(turn, 0)
        second = await analyse_and_store(turn, 1)
    except BadImage as bad:
        return [Reply(prompts.reply("bad_image", reason=bad.reason))]
    for (outfit_id, outfit), photo in zip((first, second), turn.event.photos, strict=False):
        turn.recent.remember(turn.user_id, photo.ref, outfit_id, outfit, paired=True)
    note = prompts.reply("compare_need_two") if len(turn.event.photos) > 2 else ""
    return await _compare(turn, first, second, note)


async def compare_with_recent(turn: Turn, earlier: Recent) -> list[Reply]:
    try:
        second = await analyse_and_store(turn, 0)
    except BadImage as bad:
        return [Reply(prompts.reply("bad_image", reason=bad.reason))]
    earlier.paired = True
    turn.recent.remember(turn.user_id, turn.event.photos[0].ref, *second, paired=True)
    return await _compare(turn, (earlier.outfit_id, earlier.outfit), second)


def user_weight_vector(turn: Turn):  # noqa: ANN201 - numpy array
    store = turn.store
    return user_weights(global_weights(examples_from_rows(store.verdict_examples())),
                        examples_from_rows(store.verdict_examples(turn.user_id)))


async def feedback(turn: Turn, payload: str) -> list[Reply]:
    """'I agree' / 'I prefer the other': stored as the preferred side; taste updated."""
    verdict_id, _, answer = payload.partition(":")
    if not verdict_id.isdigit() or answer not in ("agree", "other"):
        return [Reply(prompts.reply("feedback_stale"))]
    try:
        verdict = turn.store.verdict(turn.user_id, int(verdict_id))  # only the user's own
    except NotFound:
        return [Reply(prompts.reply("feedback_stale"))]
    winner = "a" if (verdict["p_a"] or 0.5) >= 0.5 else "b"
    preferred = winner if answer == "agree" else ("b" if winner == "a" else "a")
    before = user_weight_vector(turn)
    turn.store.add_feedback(turn.user_id, "verdict", int(verdict_id), preferred)
    try:
        chosen = turn.store.outfit(turn.user_id, verdict[f"outfit_{preferred}"])["summary"]
        other_side = "b" if preferred == "a" else "a"
        other = turn.store.outfit(turn.user_id, verdict[f"outfit_{other_side}"])["summary"]
        taste = turn.store.preferences(turn.user_id).get("taste", {})
        turn.store.set_preference(turn.user_id, "taste", update_taste(taste, chosen, other))
    except NotFound:
        pass  # the outfits were deleted meanwhile; the answer itself is kept
    after = user_weight_vector(turn)
    change = after - before
    biggest = int(abs(change).argmax())
    text = prompts.reply("feedback_thanks")
    if abs(change[biggest]) > 0.05:
        words = prompts.load("stylecheck")["feature_words"][ALL_FEATURES[biggest]]
        more = "feedback_weigh_more" if change[biggest] > 0 else "feedback_weigh_less"
        text += " " + prompts.reply(more, words=words)
    return [Reply(text)]


def taste_lines(turn: Turn) -> list[str]:
    return learned_taste(user_weight_vector(turn), ALL_FEATURES)


button("fb", feedback)
