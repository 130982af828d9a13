"""Style Check: two outfits in, a verdict with percentages, reasons and a side-by-side picture;
the user's answer is stored and changes their next verdicts."""

from __future__ import annotations

from bot.chat.flows import Turn, button, preferences
from bot.chat.flows import outfit as outfit_flow
from bot.chat.flows.outfit import analyse_and_store
from bot.chat.messages import Button, ImageOut, Reply
from bot.chat.recent_photos import Recent
from inference.core import drawing as pictures
from inference.core import wording
from inference.core.decode import BadImage
from inference.parsing.outfit import Outfit
from inference.stylecheck import (
    ALL_FEATURES,
    StyleCheck,
    check,
    examples_from_rows,
    global_weights,
    learned_taste,
    render_check,
    user_weights,
)
from storage.db import NotFound


def verdict_text(turn: Turn, check: StyleCheck, note: str = "") -> str:
    lines = [note] if note else []
    lines.append(check.headline)
    lines += [wording.bullet(r["text"], turn.lang) for r in check.reasons]
    lines.append(turn.texts("stylecheck")["feedback_question"])
    return "\n".join(lines)


async def _compare(turn: Turn, first: tuple[int, Outfit], second: tuple[int, Outfit],
                   note: str = "") -> list[Reply]:
    (a_id, a), (b_id, b) = first, second
    store = turn.store
    # The same profile and the same check() as `stylebot check --user`: taste and corrections.
    profile = preferences.profile_of(store, turn.user_id)
    result = await turn.run(
        check, a.as_dict(), b.as_dict(), store.verdict_examples(turn.user_id),
        store.verdict_examples(), profile, None, turn.lang)
    verdict_id = store.add_verdict(
        turn.user_id, a_id, b_id, result.verdict.p_a,
        {"a": result.verdict.features_a, "b": result.verdict.features_b}, result.reasons)
    picture = await turn.run(lambda: pictures.jpeg_bytes(render_check(a, b, result)))
    turn.remember(last="verdict", last_verdict=verdict_id, pending=None, why=None)
    return [Reply(verdict_text(turn, result, note),
                  images=[ImageOut(picture, "Style Check", "style-check.jpg")],
                  buttons=[[Button(turn.say("button_agree"), f"fb:{verdict_id}:agree"),
                            Button(turn.say("button_prefer_other"),
                                   f"fb:{verdict_id}:other")]])]


async def compare_album(turn: Turn) -> list[Reply]:
    try:
        first = await analyse_and_store(turn, 0)
        second = await analyse_and_store(turn, 1)
    except BadImage as bad:
        return [turn.bad_image(bad)]
    for (outfit_id, outfit), photo in zip((first, second), turn.event.photos, strict=False):
        turn.recent.remember(turn.user_id, photo.ref, outfit_id, outfit, paired=True)
    note = turn.say("compare_need_two") if len(turn.event.photos) > 2 else ""
    return await _compare(turn, first, second, note)


async def compare_with_recent(turn: Turn, earlier: Recent) -> list[Reply]:
    try:
        second = await analyse_and_store(turn, 0)
    except BadImage as bad:
        return [turn.bad_image(bad)]
    turn.recent.mark_paired(turn.user_id, earlier)
    turn.recent.remember(turn.user_id, turn.event.photos[0].ref, *second, paired=True)
    return await _compare(turn, (earlier.outfit_id, earlier.outfit), second)


async def ask_pair(turn: Turn, earlier: Recent) -> list[Reply]:
    """A second single photo soon after the first: analysed and kept, then the question
    "compare them, or feedback on each?", so neither photo is silently taken for a Style Check."""
    try:
        outfit_id, outfit = await analyse_and_store(turn, 0, diary_entry=True)
    except BadImage as bad:
        return [turn.bad_image(bad)]
    photo = turn.event.photos[0]
    turn.recent.remember(turn.user_id, photo.ref, outfit_id, outfit, paired=True,
                         digest=photo.digest)
    turn.recent.mark_paired(turn.user_id, earlier)
    pair = f"{earlier.outfit_id}:{outfit_id}"
    return [Reply(turn.say("pair_ask"), buttons=[[
        Button(turn.say("button_compare_them"), f"pair:compare:{pair}"),
        Button(turn.say("button_each"), f"pair:each:{pair}")]])]


async def pair_answer(turn: Turn, payload: str) -> list[Reply]:
    """pair:compare:<a>:<b> runs the Style Check; pair:each:<a>:<b> gives the second photo its
    own feedback (the first already had it)."""
    choice, _, ids = payload.partition(":")
    first, second = (turn.recent.by_outfit(turn.user_id, int(i)) if i.isdigit() else None
                     for i in (ids.split(":") + ["", ""])[:2])
    if first is None or second is None or choice not in ("compare", "each"):
        return [Reply(turn.say("feedback_stale"))]
    if choice == "each":
        return await outfit_flow.feedback_replies(turn, second.outfit_id, second.outfit)
    return await _compare(turn, (first.outfit_id, first.outfit),
                          (second.outfit_id, second.outfit))


def user_weight_vector(turn: Turn):  # noqa: ANN201 - numpy array
    store = turn.store
    return user_weights(global_weights(examples_from_rows(store.verdict_examples())),
                        examples_from_rows(store.verdict_examples(turn.user_id)))


async def feedback(turn: Turn, payload: str) -> list[Reply]:
    """'I agree' / 'I prefer the other': stored as the preferred side, which the user's
    weights and taste profile are learned from at their next verdict."""
    verdict_id, _, answer = payload.partition(":")
    if not verdict_id.isdigit() or answer not in ("agree", "other"):
        return [Reply(turn.say("feedback_stale"))]
    try:
        verdict = turn.store.verdict(turn.user_id, int(verdict_id))  # only the user's own
    except NotFound:
        return [Reply(turn.say("feedback_stale"))]
    winner = "a" if (verdict["p_a"] or 0.5) >= 0.5 else "b"
    preferred = winner if answer == "agree" else ("b" if winner == "a" else "a")
    before = user_weight_vector(turn)
    turn.store.add_feedback(turn.user_id, "verdict", int(verdict_id), preferred)
    after = user_weight_vector(turn)
    change = after - before
    biggest = int(abs(change).argmax())
    text = turn.say("feedback_thanks")
    if abs(change[biggest]) > 0.05:
        words = turn.texts("stylecheck")["feature_words"][ALL_FEATURES[biggest]]
        more = "feedback_weigh_more" if change[biggest] > 0 else "feedback_weigh_less"
        text = wording.sentences([text, turn.say(more, words=words)], turn.lang)
    return [Reply(text)]


def taste_lines(turn: Turn) -> list[str]:
    return learned_taste(user_weight_vector(turn), ALL_FEATURES, locale=turn.lang)


button("fb", feedback)
button("pair", pair_answer)
