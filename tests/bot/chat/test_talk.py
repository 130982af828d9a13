"""Free text in context, in four languages, through the real dialogue engine and SQLite."""

from __future__ import annotations

import prompts
from bot.app import build_services
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn
from inference.text.language import detect


def event(user: str, **kw) -> Incoming:
    return Incoming(user, "cli", **kw)


async def say(dialog: Dialog, user: str, text: str, **kw) -> list:
    return await dialog.handle(event(user, text=text, **kw))


def payloads(reply) -> list[str]:  # noqa: ANN001
    return [b.payload for row in reply.buttons for b in row]


async def test_small_talk_help_and_mistyped_commands(services) -> None:
    dialog = Dialog(services)
    [hi] = await say(dialog, "cli:a", "hi!")
    [thanks] = await say(dialog, "cli:a", "thanks so much")
    assert hi.text != thanks.text and ("photo" in hi.text or "outfit" in hi.text)
    [typo] = await say(dialog, "cli:a", "/hepl")
    assert "/help" in typo.text and payloads(typo) == ["cmd:help"]
    [help_] = await dialog.handle(event("cli:a", callback="cmd:help"))
    assert "/prefs" in help_.text


async def test_unknown_input_gets_a_clarifying_question_never_twice_the_same(services) -> None:
    dialog = Dialog(services)
    asked = [(await say(dialog, "cli:a", "what is the capital of peru"))[0] for _ in range(4)]
    assert all("talk:photo" in payloads(r) for r in asked)
    assert all(a.text != b.text for a, b in zip(asked, asked[1:], strict=False))


async def test_questions_about_the_last_photo(services, photo_bytes) -> None:
    dialog = Dialog(services)
    [need] = await say(dialog, "cli:p", "does this go with white sneakers?")
    assert "photo" in need.text.lower()
    await dialog.handle(event("cli:p", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    [pair] = await say(dialog, "cli:p", "does this go with white sneakers?")
    assert "white sneakers" in pair.text.lower() and "white" in pair.text
    shoes = [i for i in services.store.outfit("cli:p", int(services.store.state("cli:p")[
        "last_outfit"]))["items"] if i["category"] == "footwear"]
    assert shoes  # the test photo shows shoes: white sneakers are judged in their place
    assert pair.text.startswith(("Yes!", "It can work", "I'd think twice"))
    assert "swapping out your" in pair.text and "replace" not in pair.text
    [why] = await say(dialog, "cli:p", "why?")  # about the pairing, not a Style Check
    assert why.text.startswith("Here's the thinking: ") and why.text[21:-1] in pair.text.lower()
    [office] = await say(dialog, "cli:p", "is this ok for the office?")
    assert "the office" in office.text
    [bag] = await say(dialog, "cli:p", "what colour bag?")
    assert bag.text.startswith("For the bag:")
    [casual] = await say(dialog, "cli:p", "make it more casual")
    assert casual.text.startswith("To make it more casual")
    [ask] = await say(dialog, "cli:p", "make it more interesting")
    [picked] = await dialog.handle(event("cli:p", callback="restyle:formal"))
    assert "restyle:formal" in payloads(ask) and picked.text.startswith("To make it more formal")


async def test_a_named_piece_is_said_back_with_its_article(services, photo_bytes) -> None:
    """"Does it go with a red coat?" -> "Yes! A red coat would go well...", not "Red coat
    would..."; the user's "my" comes back as "your"; plurals need none ("white sneakers")."""
    dialog = Dialog(services)
    await dialog.handle(event("cli:art", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    [coat] = await say(dialog, "cli:art", "does it go with a red coat?")
    assert "a red coat" in coat.text and "Red coat" not in coat.text
    [mine] = await say(dialog, "cli:art", "would it work with my grey blazer?")
    assert "your grey blazer" in mine.text.lower()


async def test_chinese_sentences_run_on_without_a_space(services, photo_bytes) -> None:
    """"很搭：……很安静。也就是换掉……": a pairing that swaps a piece adds its second sentence
    the Chinese way, with no space between them; the piece is the kind they named (运动鞋)."""
    dialog = Dialog(services)
    await dialog.handle(event("cli:zh", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
    [pair] = await say(dialog, "cli:zh", "这套配白色运动鞋好看吗？")
    swap = prompts.load("talk", "zh")["pair_instead"].split("{")[0]
    assert swap in pair.text and f" {swap}" not in pair.text and "。 " not in pair.text
    assert "白色运动鞋" in pair.text  # the sneakers they named, not "white shoes"


async def test_chinese_verdict_reasons_end_with_a_chinese_full_stop(services,
                                                                   photo_bytes) -> None:
    """"• B 只用了 3 个色系……统一。", not "……统一." (the English full stop after every reason)."""
    dialog = Dialog(services)
    await say(dialog, "cli:zhv", "/language zh")
    photos = (PhotoIn(photo_bytes[0], ref="1"), PhotoIn(photo_bytes[1], ref="2"))
    [check] = await dialog.handle(event("cli:zhv", photos=photos))
    [why] = await say(dialog, "cli:zhv", "为什么？")
    bullets = [line for r in (check, why) for line in r.text.splitlines()
               if line.startswith("• ")]
    assert bullets and all(line.endswith("。") for line in bullets), bullets


async def test_which_one_for_an_occasion_weighs_the_occasion(services, photo_bytes) -> None:
    """"Which is better for a wedding?" after a Style Check: the outfit that suits a wedding
    (the other's off-white dress is the bride's colour), not just the Style Check's pick; with
    both suiting it, the pick said with that."""
    dialog = Dialog(services)
    photos = (PhotoIn(photo_bytes[0], ref="1"), PhotoIn(photo_bytes[1], ref="2"))
    await dialog.handle(event("cli:occ", photos=photos))
    [wedding] = await say(dialog, "cli:occ", "which is better for a wedding?")
    assert wedding.text.startswith("For a wedding I'd pick B: ")
    assert "A would need a change: " in wedding.text and "bride" in wedding.text
    [office] = await say(dialog, "cli:occ", "which one for the office?")
    assert office.text.startswith("Both work for the office. I'd go with B (")
    [plain] = await say(dialog, "cli:occ", "which one is better?")
    assert plain.text.startswith("I'd go with B (")


async def test_why_explains_the_latest_advice_or_verdict(services, photo_bytes) -> None:
    dialog = Dialog(services)
    [feedback, *_] = await dialog.handle(event("cli:w", photos=(PhotoIn(photo_bytes[2],
                                                                        ref="1"),)))
    assert "One idea:" in feedback.text  # this photo gets a suggestion
    [why] = await say(dialog, "cli:w", "why?")
    assert why.text.startswith("Here's the thinking: ") and "neutrals" in why.text
    [chomu] = await say(dialog, "cli:w", "а чому?")  # asked in Ukrainian: said in Ukrainian
    assert chomu.text.startswith("Логіка така: ") and "neutrals" not in chomu.text
    photos = (PhotoIn(photo_bytes[0], ref="2"), PhotoIn(photo_bytes[1], ref="3"))
    [check, *_] = await dialog.handle(event("cli:w", photos=photos))  # a Style Check now
    assert "%" in check.text
    [verdict_why] = await say(dialog, "cli:w", "why?")
    assert verdict_why.text.startswith(("Why A:", "Why B:", "It was close"))


async def test_occasions_without_a_photo_and_the_picker(services) -> None:
    dialog = Dialog(services)
    [wedding] = await say(dialog, "cli:o", "what should I wear to a wedding?")
    assert "bride" in wedding.text
    await say(dialog, "cli:o", "i don't wear black")
    [funeral] = await say(dialog, "cli:o", "what to wear for a funeral")
    assert "Leaving out black" in funeral.text
    [ask] = await say(dialog, "cli:o", "what should I wear?")
    [tips] = await dialog.handle(event("cli:o", callback="occ:interview"))
    assert "occ:interview" in payloads(ask) and "interview" in tips.text


async def test_verdict_questions_resolve_after_a_restart(settings, pipeline, photo_bytes) -> None:
    services = build_services(settings, pipeline)
    dialog = Dialog(services)
    photos = (PhotoIn(photo_bytes[0], ref="1"), PhotoIn(photo_bytes[1], ref="2"))
    [check] = await dialog.handle(event("cli:v", photos=photos))
    assert "%" in check.text
    services.close()
    services = build_services(settings, pipeline)  # a new process: only SQLite remains
    dialog = Dialog(services)
    try:
        [which] = await say(dialog, "cli:v", "which one is better?")
        [why] = await say(dialog, "cli:v", "why?")
        [improve] = await say(dialog, "cli:v", "what would make B better?")
        assert which.text.startswith(("I'd go with A (", "I'd go with B (")) and "%" in which.text
        assert why.text.startswith("Why ") and "•" in why.text
        first_reason = why.text.splitlines()[1][2:-1]  # "• The black shoes in A ...."
        assert which.text.endswith(f"{first_reason[1:]}.")  # the verdict's first reason
        assert "B" in improve.text
        [other] = await say(dialog, "cli:w", "why?")  # another user has no verdict
        assert "compared" in other.text
    finally:
        services.close()


async def test_languages_follow_the_user(services) -> None:
    dialog = Dialog(services)
    for user, text, lang in (("cli:uk", "привіт! що вдягнути на весілля?", "uk"),
                             ("cli:ru", "привет, что надеть на свадьбу?", "ru"),
                             ("cli:zh", "婚礼穿什么好？", "zh")):
        [reply] = await say(dialog, user, text)
        assert detect(reply.text).lang == lang, (text, reply.text)
        assert services.store.user(user)["lang"] == lang
    # Telegram's language_code is the first guess; "ok" does not switch it
    [hello] = await dialog.handle(Incoming("tg:1", "telegram", text="ok", locale="uk-UA"))
    assert detect(hello.text).lang == "uk"
    [chosen] = await say(dialog, "cli:ru", "/language zh")
    [still] = await say(dialog, "cli:ru", "что надеть на собеседование?")
    assert detect(chosen.text).lang == "zh" and detect(still.text).lang == "zh"


def _diary_entry(services, user: str, day, *items: tuple) -> None:  # noqa: ANN001
    """An outfit in the user's diary on `day`, as the photo flow stores it."""
    names = {"gray": "grey"}  # the fashion colour name the parser gives that family
    summary = {"items": [{"category": c, "colour_family": f, "colour_name": names.get(f, f),
                          "area": a,
                          "pattern": "solid", "fine_label": fine} for c, f, a, fine in items]}
    services.store.add_outfit(user, None, summary, [], diary=1, local_date=day.isoformat())


async def test_what_i_wore_on_a_day_reads_naturally(services) -> None:
    """"What did I wear yesterday?" -> "You wore this yesterday: ..." (it said "On yesterday
    you wore"), a weekday "on Monday", and in Ukrainian "📅 вчора на тобі було: ..."."""
    from datetime import timedelta

    from bot.chat.flows.reminders import local_now

    dialog = Dialog(services)
    for user, hello in (("cli:den", "hi"), ("cli:duk", "привіт!")):
        await say(dialog, user, hello)
        today = local_now(services.store.user(user)).date()
        _diary_entry(services, user, today - timedelta(days=1), ("pants", "blue", 0.2, "jeans"))
        _diary_entry(services, user, today - timedelta(days=3), ("outer", "navy", 0.3, None))
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
               "Sunday")[(today - timedelta(days=3)).weekday()]
    [yesterday] = await say(dialog, "cli:den", "what did I wear yesterday?")
    assert yesterday.text.startswith("You wore this yesterday: ") and "jeans" in yesterday.text
    [that_day] = await say(dialog, "cli:den", f"what did I wear on {weekday}?")
    assert that_day.text.startswith(f"You wore this on {weekday}: ")
    [nothing] = await say(dialog, "cli:den", "what did I wear today?")
    assert nothing.text.startswith("I have no outfit of yours today.")
    [uk] = await say(dialog, "cli:duk", "що я вдягала вчора?")
    assert uk.text.startswith("📅 вчора на тобі було: ")


async def test_what_to_wear_starts_from_the_users_own_diary(services) -> None:
    from datetime import timedelta

    from bot.chat.flows.reminders import local_now

    dialog = Dialog(services)
    for user, hello in (("cli:en", "hi"), ("cli:uk", "привіт!")):
        await say(dialog, user, hello)
        today = local_now(services.store.user(user)).date()
        _diary_entry(services, user, today - timedelta(days=3), ("outer", "navy", 0.3, None),
                     ("pants", "gray", 0.2, None), ("footwear", "black", 0.03, None))
        _diary_entry(services, user, today - timedelta(days=1), ("pants", "blue", 0.2, "jeans"),
                     ("top", "white", 0.15, None), ("footwear", "white", 0.03, "sneakers"))
    weekday = (today - timedelta(days=3)).weekday()
    [en] = await say(dialog, "cli:en", "what should I wear to an interview?")
    assert "your navy jacket, worn on " + ("Monday", "Tuesday", "Wednesday", "Thursday",
                                           "Friday", "Saturday", "Sunday")[weekday] in en.text
    assert "your white top, worn yesterday" in en.text
    assert "jeans" not in en.text.split("\n\n")[0]  # not for an interview
    assert "interview" in en.text and "To round it off: black shoes." in en.text
    assert payloads(en) == ["occshop:interview:3"]
    [uk] = await say(dialog, "cli:uk", "що вдягнути на співбесіду?")
    assert detect(uk.text).lang == "uk"
    on_day = ("у понеділок", "у вівторок", "у середу", "у четвер", "у пʼятницю", "у суботу",
              "у неділю")[weekday]
    assert f"темно-синя куртка — {on_day}" in uk.text and "білий топ — вчора" in uk.text
    await say(dialog, "cli:d", "hi")
    _diary_entry(services, "cli:d", today, ("dress", "black", 0.4, None))
    [dressed] = await say(dialog, "cli:d", "what should I wear to a funeral?")
    assert "your black dress, worn today" in dressed.text
    # the dress stands in for a top and trousers: only a jacket and shoes are left to find
    assert dressed.text.endswith("To round it off: black jacket and black shoes.")
    [shop] = await dialog.handle(event("cli:en", callback="occshop:interview:3"))
    assert shop.text
    [stale] = await dialog.handle(event("cli:en", callback="occshop:interview:9"))
    assert stale.text
