"""Free text, understood in context: greetings, questions about the last photo or verdict,
occasions, restyling, shop refinements, the diary, and a clarifying question for the rest.

The intent and slots come from inference.text.understand (offline, four languages); what the
conversation is about comes from the per-user state in SQLite (Conversation), so "why?",
"this" and "the second one" resolve after a restart too. With an LLM configured, open-ended
messages go to it, grounded in the same state; its answer must pass the comments' rules, and
the offline answer stands in whenever it is absent, slow or refused.
"""

from __future__ import annotations

import asyncio
import difflib
import random
import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import prompts
from bot.chat import flows
from bot.chat.flows import Turn, button, onboarding, preferences, shop
from bot.chat.flows import outfit as outfit_flow
from bot.chat.messages import Button, Reply
from inference.core import wording
from inference.core.colour import FAMILY_RGB
from inference.core.garments import DISPLAY_NAME
from inference.shop.index import brand_key
from inference.shop.kinds import kinds_of
from inference.styles import pairing
from inference.text.understand import Understood
from storage.db import NotFound

#: English lead words of a search ("show me", "I'm looking for"), left out of the query.
SEARCH_WORDS = re.compile(
    r"^\s*(search(\s+for)?|find\s+me|show\s+me|i('|\s+a)?m\s+looking\s+for|looking\s+for|"
    r"i\s+(want|need)\s+to\s+buy|i\s+need(\s+a\s+new)?)(\s+(an?|some|the))?\b",
    re.IGNORECASE,
)
#: Button payloads of the clarifying question and the occasion / restyle pickers.
CLARIFY = ("photo", "occasion", "shop", "help")
PICK_OCCASIONS = ("wedding", "interview", "date", "office", "party", "beach")
PICK_STYLES = ("casual", "formal", "colourful", "neutral")
#: "What should I wear to X?": how many diary entries to look through, and pieces to name.
DIARY_LOOKBACK = 30
DIARY_PIECES = 3
COVERED_BY_DRESS = frozenset({"top", "pants", "skirt", "shorts"})


# conversation state --------------------------------------------------------------------------
def _vary(turn: Turn, key: str, **values: object) -> str:
    """A variant of a list text, never the same as this user's previous one for that key."""
    variants = prompts.raw(key, turn.lang)
    if not isinstance(variants, list):
        return turn.say(key, **values)
    state = turn.store.state(turn.user_id)
    said = dict(state.get("said", {}))
    choices = [i for i in range(len(variants)) if i != said.get(key)] or [0]
    pick = random.choice(choices)
    said[key] = pick
    turn.store.set_state(turn.user_id, {**state, "said": said})
    return variants[pick].format(**values).strip()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _last_outfit(turn: Turn) -> dict | None:
    """The outfit (Outfit.as_dict()) of the photo being talked about: the one replied to, else
    the latest."""
    return _last_outfit_ref(turn)[1]


def _last_outfit_ref(turn: Turn) -> tuple[int | None, dict | None]:
    """The stored id and the outfit of the photo being talked about (see _last_outfit)."""
    recent = turn.recent.find(turn.user_id, turn.event.reply_to)
    if recent is not None and recent.outfit.items:
        return recent.outfit_id, recent.outfit.as_dict()
    outfit_id = turn.store.state(turn.user_id).get("last_outfit")
    try:
        stored = turn.store.outfit(turn.user_id, int(outfit_id)) if outfit_id else None
    except NotFound:
        return None, None
    return (int(outfit_id), stored["summary"]) if stored else (None, None)


def _phrases(turn: Turn, items: list[dict]) -> str:
    return wording.list_words([wording.item_phrase(i, turn.lang) for i in items], turn.lang)


def _thing(turn: Turn, understood: Understood) -> str:
    """What the user named ("white sneakers"), in their words where the language allows it
    (English), else built from the slots in the nominative, by its kind where they named one
    ("білі кросівки", "白色运动鞋", not "white shoes")."""
    slots, words = understood.slots, understood.words
    if turn.lang == "en" and words.get("garment"):
        parts = [words.get("colour"), words["garment"]]
        return _with_article(" ".join(p for p in parts if p), turn.event.text or "")
    if "garment" not in slots:
        return wording.family_word(str(slots["colour"]), turn.lang) if "colour" in slots else ""
    named = {"category": slots["garment"], "colour_family": slots.get("colour", ""),
             "colour_name": "", "fine_label": slots.get("kind")}
    return wording.item_phrase(named, turn.lang, by_family=True)


#: "a red coat", "my red coat", "these boots": the user's own determiner before what they named.
_DETERMINER = r"\b(a|an|the|my|your|this|that|these|those|some)\s+"


def _with_article(thing: str, text: str) -> str:
    """An English piece as a sentence needs it: with the determiner the user put before it
    ("my" said back as "your"), else "a"/"an" for one thing ("a red coat") and none for a
    pair or plural ("white sneakers", "jeans"): "Yes! A red coat would go well..." rather than
    "Red coat would..."."""
    said = re.search(_DETERMINER + re.escape(thing) + r"\b", text, re.IGNORECASE)
    if said:
        determiner = said.group(1).lower()
        return f"{'your' if determiner == 'my' else determiner} {thing}"
    noun = thing.split()[-1].lower()
    if noun.endswith("s") and not noun.endswith("ss"):  # sneakers, jeans; not dress
        return thing
    return f"{'an' if thing[:1].lower() in 'aeiou' else 'a'} {thing}"


# small talk ----------------------------------------------------------------------------------
async def small_talk(turn: Turn, understood: Understood) -> list[Reply]:
    return [Reply(_vary(turn, understood.intent))]


async def clarify(turn: Turn, understood: Understood | None = None) -> list[Reply]:
    buttons = [Button(turn.say(f"button_clarify_{k}"), f"talk:{k}") for k in CLARIFY]
    return [Reply(_vary(turn, "clarify"), buttons=[buttons[:2], buttons[2:]])]


async def clarify_button(turn: Turn, payload: str) -> list[Reply]:
    if payload == "photo":
        return [Reply(turn.say("clarify_photo"))]
    if payload == "occasion":
        return _occasion_picker(turn)
    if payload == "shop":
        return [Reply(turn.say("clarify_shop"))]
    return await onboarding.help_(turn)


async def unknown_command(turn: Turn) -> list[Reply]:
    """'/hepl' -> "Did you mean /help?" with a button that runs it."""
    name = turn.event.command or ""
    known = list(flows.commands())
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        return [Reply(turn.say("unknown_command_none", command=name[:30]))]
    return [Reply(turn.say("unknown_command", command=name[:30], suggestion=close[0]),
                  buttons=[[Button(turn.say("button_did_you_mean", suggestion=close[0]),
                                   f"cmd:{close[0]}")]])]


async def run_command(turn: Turn, payload: str) -> list[Reply]:
    command = flows.commands().get(payload)
    if command is None:
        return [Reply(turn.say("feedback_stale"))]
    return await command.handler(turn)


# the last photo ------------------------------------------------------------------------------
async def pair_with(turn: Turn, understood: Understood) -> list[Reply]:
    outfit = _last_outfit(turn)
    if outfit is None:
        return [Reply(turn.say("need_photo"))]
    slots = understood.slots
    if "garment" not in slots and "colour" not in slots:
        return [Reply(turn.say("need_thing"))]
    judged = pairing.pairs_with(outfit, slots.get("garment"), slots.get("colour"))
    kept = [i for i in outfit["items"] if i not in judged.replaces]  # what it would be worn with
    # the reason as data, so that a "why?" in another language says it in that one
    thinking = {"table": "pair_reasons", "reason": judged.reason,
                "colour": judged.colours[0] if judged.colours else None,
                "about": judged.about[:1], "n": len({i["colour_family"] for i in kept})}
    reason = _reason_text(turn, thinking)
    thing = _thing(turn, understood)
    items = _phrases(turn, pairing.by_size({"items": kept})[:2])
    said = turn.say(f"pair_{judged.verdict}", thing=thing, Thing=_cap(thing), items=items,
                    reason=reason, Reason=_cap(reason))
    if judged.replaces:
        said = wording.sentences(
            [said, turn.say("pair_instead", other=_phrases(turn, judged.replaces))], turn.lang)
    turn.remember(why=thinking)
    return [Reply(said)]


def _reason_text(turn: Turn, thinking: dict) -> str:
    """A reason kept as data, in the user's language now: a pairing's or a colour pick's
    (`table` of talk.yaml, its key, the colour family and the outfit's items it names), or the
    rule behind the photo's suggestion (`tip`: a Style Check feature)."""
    texts = turn.texts("talk")
    if "tip" in thinking:
        tip = thinking["tip"]
        return texts["improve"].get(tip) or turn.texts("stylecheck")["feature_words"].get(tip, tip)
    colour = wording.family_word(thinking["colour"], turn.lang) if thinking["colour"] else ""
    about = _phrases(turn, thinking["about"])
    return texts[thinking["table"]][thinking["reason"]].format(
        colour=colour, other=about, item=about, n=thinking.get("n", 0)).strip()


async def suggest_item(turn: Turn, understood: Understood) -> list[Reply]:
    outfit_id, outfit = _last_outfit_ref(turn)
    if outfit is None:
        return [Reply(turn.say("need_photo"))]
    category = str(understood.slots.get("garment") or "footwear")
    judged = pairing.suggest_colours(outfit, category)
    noun = DISPLAY_NAME.get(category, category)
    words = [wording.family_word(f, turn.lang) for f in judged.colours]
    thinking = {"table": "suggest_reasons", "reason": judged.reason,
                "colour": judged.colours[0], "about": judged.about}
    reason = _reason_text(turn, thinking)
    word = wording.noun_word(noun, turn.lang)
    turn.remember(why=thinking)
    answer = Reply(turn.say("suggest_item", noun=word, options=prompts.raw(
        "suggest_or", turn.lang).join(words), reason=reason, Reason=_cap(reason)))
    index = shop.catalogue(turn)
    if outfit_id is not None and index is not None and index.categories.get(category):
        # the catalogue's pieces, ranked by the same model as "complete the look"
        answer.buttons = [[Button(turn.say("button_look_catalogue", noun=word, Noun=_cap(word)),
                                  f"look:{outfit_id}:{category}:0")]]
    return [answer]


def _occasion_picker(turn: Turn) -> list[Reply]:
    names = turn.texts("intents").get("occasions", {})
    buttons = [Button(_cap(str(names.get(k, {}).get("name", k))), f"occ:{k}")
               for k in PICK_OCCASIONS]
    return [Reply(turn.say("occasion_ask"), buttons=[buttons[:3], buttons[3:]])]


def _occasion_name(turn: Turn, key: str) -> str:
    return str(turn.texts("intents").get("occasions", {}).get(key, {}).get("name", key))


async def occasion_fit(turn: Turn, understood: Understood) -> list[Reply]:
    outfit = _last_outfit(turn)
    occasion = understood.slots.get("occasion")
    if outfit is None:
        return await occasion_advice(turn, understood) if occasion else \
            [Reply(turn.say("need_photo"))]
    if occasion is None:
        turn.remember(pending="occasion_fit")
        return _occasion_picker(turn)
    return [Reply(_fit_text(turn, outfit, str(occasion)))]


def _fit_text(turn: Turn, outfit: dict, occasion: str) -> str:
    fits, said = _fit(turn, outfit, occasion)
    name = _occasion_name(turn, occasion)
    if fits:
        return turn.say("occasion_fit_yes", occasion=name, Why=_cap(said), why=said)
    return turn.say("occasion_fit_change", occasion=name, change=said)


def _fit(turn: Turn, outfit: dict, occasion: str) -> tuple[bool, str]:
    """Whether the outfit suits the occasion, and why (it does) or the one change it needs."""
    judged = pairing.fits_occasion(outfit, occasion)
    talk = turn.texts("talk")
    if judged.verdict == "yes":
        return True, talk["occasion_fit_why"][judged.reason].format(
            items=_phrases(turn, judged.about))
    item = judged.about[0] if judged.about else None
    colour = ""
    if item is not None:
        gender = wording.noun_gender(wording.noun_key(item), turn.lang)
        colour = wording.colour_word(item["colour_name"], turn.lang, gender)
    return False, talk["occasion_fit_changes"][judged.reason].format(
        item=_phrases(turn, judged.about), colour=colour,
        colour_rule=talk["occasion_colour_rules"].get(occasion, ""))


async def occasion_advice(turn: Turn, understood: Understood) -> list[Reply]:
    occasion = understood.slots.get("occasion")
    if occasion is None:
        turn.remember(pending="occasion_advice")
        return _occasion_picker(turn)
    return [_advice(turn, str(occasion))]


def _advice(turn: Turn, occasion: str) -> Reply:
    """What to wear: pieces from the user's own diary first, then the occasion's tips, then
    the dress code's suggested pieces they lack, with a button that searches the catalogue."""
    code = pairing.occasion(occasion)
    avoid = preferences.profile_of(turn.store, turn.user_id).corrections.avoid
    worn = _worn_for(turn, code, avoid)
    texts = [_tips(turn, occasion)]
    if worn:
        texts.insert(0, turn.say("occasion_from_diary", pieces="\n".join(worn)))
    have = set(worn.values())
    if "dress" in have:  # a dress stands in for a top and a bottom
        have |= COVERED_BY_DRESS
    pieces = [(c, f) for c, f in code.wear if c not in have and not _unwanted(avoid, c, f)]
    if not pieces:
        return Reply("\n\n".join(texts))
    words = [wording.item_phrase(_piece(c, f), turn.lang, by_family=True) for c, f in pieces]
    texts.append(turn.say("occasion_pieces_more" if worn else "occasion_pieces",
                          pieces=wording.list_words(words, turn.lang)))
    index = code.wear.index(pieces[0])
    shop_button = Button(turn.say("button_occasion_shop", piece=words[0]),
                         f"occshop:{occasion}:{index}")
    return Reply("\n\n".join(texts), buttons=[[shop_button]])


def _unwanted(avoid: frozenset[str], category: str, family: str) -> bool:
    """Has the user said they don't wear this colour or kind of garment?"""
    return bool({f"colour:{family}", f"garment:{category}"} & avoid)


def _piece(category: str, family: str) -> dict:
    """A suggested piece as an outfit item, for wording."""
    return {"category": category, "colour_family": family, "colour_name": family,
            "pattern": "solid", "fine_label": None}


def _worn_for(turn: Turn, code: pairing.Occasion, avoid: frozenset[str]) -> dict[str, str]:
    """Diary garments that suit the occasion, one per kind, in the occasion's colours first,
    then the most recent: "• your navy jacket, worn on Tuesday" -> its category."""
    from bot.chat.flows.reminders import local_now
    from inference.diary.stats import when_phrase
    from storage.diary import DiaryStore

    today = local_now(turn.user).date()
    found = [(item, entry["local_date"])
             for entry in DiaryStore(turn.store).entries(turn.user_id, limit=DIARY_LOOKBACK)
             for item in pairing.by_size(entry["summary"])
             if item["category"] in pairing.MAIN_KINDS and code.suits(item)
             and not _unwanted(avoid, item["category"], item["colour_family"])]
    found.sort(key=lambda f: f[0]["colour_family"] not in code.colours)  # stable: newest next
    worn: dict[str, str] = {}
    for item, day in found:
        if item["category"] in worn.values() or len(worn) == DIARY_PIECES:
            continue
        when = when_phrase(date.fromisoformat(day), today, turn.lang)
        line = turn.say("occasion_diary_piece", item=wording.item_phrase(item, turn.lang),
                        when=when)
        worn[line] = item["category"]
    return worn


async def occasion_shop(turn: Turn, payload: str) -> list[Reply]:
    """occshop:<occasion>:<n>: the catalogue searched for the occasion's n-th suggested piece."""
    key, _, n = payload.partition(":")
    wear = pairing.occasions()[key].wear if key in pairing.occasions() else ()
    if not n.isdigit() or int(n) >= len(wear):
        return [Reply(turn.say("feedback_stale"))]
    category, family = wear[int(n)]
    return await shop.search_text(turn, f"{family} {DISPLAY_NAME.get(category, category)}")


def _tips(turn: Turn, occasion: str) -> str:
    text = turn.texts("talk")["occasion_tips"].get(occasion) or turn.say("occasion_ask")
    avoid = sorted(preferences.profile_of(turn.store, turn.user_id).corrections.avoid)
    colours = [k for k in avoid if k.startswith("colour:")]
    if colours:
        text += turn.say("avoid_note", what=wording.list_words(
            [preferences.label(k, turn.lang) for k in colours], turn.lang))
    return text


async def picked_occasion(turn: Turn, payload: str) -> list[Reply]:
    """occ:<occasion>: the answer to "what's the occasion?" for the question that asked it."""
    if payload not in pairing.occasions():
        return [Reply(turn.say("feedback_stale"))]
    pending = turn.store.state(turn.user_id).get("pending")
    turn.remember(pending=None)
    outfit = _last_outfit(turn) if pending == "occasion_fit" else None
    return [Reply(_fit_text(turn, outfit, payload)) if outfit else _advice(turn, payload)]


async def restyle(turn: Turn, understood: Understood) -> list[Reply]:
    outfit = _last_outfit(turn)
    if outfit is None:
        return [Reply(turn.say("need_photo"))]
    target = understood.slots.get("style")
    if target is None:
        buttons = [Button(_cap(wording.style_word(s, turn.lang)), f"restyle:{s}")
                   for s in PICK_STYLES]
        return [Reply(turn.say("restyle_ask"), buttons=[buttons])]
    return [Reply(_restyle_text(turn, outfit, str(target)))]


def _restyle_text(turn: Turn, outfit: dict, target: str) -> str:
    piece = pairing.piece_to_restyle(outfit, target)
    tips = turn.texts("talk")["restyle_tips"]
    return tips.get(target, tips["casual"]).format(item=_phrases(turn, piece))


async def picked_style(turn: Turn, payload: str) -> list[Reply]:
    outfit = _last_outfit(turn)
    if outfit is None or payload not in turn.texts("talk")["restyle_tips"]:
        return [Reply(turn.say("need_photo" if outfit is None else "feedback_stale"))]
    return [Reply(_restyle_text(turn, outfit, payload))]


# the last verdict ----------------------------------------------------------------------------
def _last_verdict(turn: Turn) -> dict | None:
    verdict_id = turn.store.state(turn.user_id).get("last_verdict")
    try:
        return turn.store.verdict(turn.user_id, int(verdict_id)) if verdict_id else None
    except NotFound:
        return None


def _letters(verdict: dict) -> tuple[str, str, int, int]:
    p_a = verdict["p_a"] if verdict["p_a"] is not None else 0.5
    a, b = round(p_a * 100), 100 - round(p_a * 100)
    return ("A", "B", a, b) if p_a >= 0.5 else ("B", "A", b, a)


async def verdict_which(turn: Turn, understood: Understood) -> list[Reply]:
    verdict = _last_verdict(turn)
    if verdict is None:
        return [Reply(turn.say("need_verdict"))]
    occasion = understood.slots.get("occasion")
    if occasion and (for_occasion := _which_for(turn, verdict, str(occasion))):
        return [Reply(for_occasion)]
    return [Reply(_which(turn, verdict))]


def _which(turn: Turn, verdict: dict) -> str:
    """The Style Check's pick with its first reason."""
    w, _, pw, pl = _letters(verdict)
    reasons = [r["text"] for r in verdict["reasons"] if r.get("text")]
    if not reasons:
        return turn.say("verdict_which_plain", W=w, pa=pw, pb=pl)
    return turn.say("verdict_which", W=w, pa=pw, pb=pl, reason=reasons[0])


def _which_for(turn: Turn, verdict: dict, occasion: str) -> str | None:
    """"Which one for the office?": the one that suits it when only one does (and the change
    the other needs), else the Style Check's pick, said with how both stand; None when the
    two outfits are gone."""
    try:
        outfits = {side: turn.store.outfit(turn.user_id, int(verdict[f"outfit_{side}"]))
                   for side in "ab"}
    except (NotFound, KeyError, TypeError, ValueError):
        return None
    judged = {side: _fit(turn, outfit["summary"], occasion) for side, outfit in outfits.items()}
    name = _occasion_name(turn, occasion)
    suits = [side for side in "ab" if judged[side][0]]
    if len(suits) == 1:
        x, y = suits[0], "b" if suits[0] == "a" else "a"
        return turn.say("verdict_which_occasion", occasion=name, X=x.upper(), Y=y.upper(),
                        why=judged[x][1], change=judged[y][1])
    if len(suits) == 2:
        return wording.sentences([turn.say("verdict_which_both", occasion=name),
                                  _which(turn, verdict)], turn.lang)
    w, _, pw, pl = _letters(verdict)
    return turn.say("verdict_which_neither", occasion=name, X=w, pa=pw, pb=pl,
                    change=judged[w.lower()][1])


async def verdict_why(turn: Turn, understood: Understood) -> list[Reply]:
    """Why: the thinking behind the last piece of advice (a pairing, a colour for a piece, the
    photo's suggestion) when that came after the last verdict, else the verdict's reasons."""
    thinking = turn.store.state(turn.user_id).get("why")
    if isinstance(thinking, dict) and understood.slots.get("side") is None:
        return [Reply(turn.say("advice_why", reason=_reason_text(turn, thinking)))]
    verdict = _last_verdict(turn)
    if verdict is None:
        return [Reply(turn.say("need_verdict"))]
    w, *_ = _letters(verdict)
    reasons = [r["text"] for r in verdict["reasons"] if r.get("text")]
    if not reasons:
        return [Reply(turn.say("verdict_why_none"))]
    lines = [turn.say("verdict_why", W=w)] + [wording.bullet(r, turn.lang) for r in reasons]
    return [Reply("\n".join(lines))]


async def verdict_improve(turn: Turn, understood: Understood) -> list[Reply]:
    verdict = _last_verdict(turn)
    if verdict is None:
        return [Reply(turn.say("need_verdict"))]
    winner, loser, *_ = _letters(verdict)
    side = str(understood.slots.get("side") or loser.lower())
    other = "b" if side == "a" else "a"
    mine, theirs = verdict["features"].get(side, {}), verdict["features"].get(other, {})
    tips = turn.texts("talk")["improve"]
    gaps = sorted(((theirs.get(f, 0) - mine.get(f, 0), f) for f in tips if f in mine),
                  reverse=True)
    chosen = [tips[f] for gap, f in gaps if gap > 0.05][:3]
    letter = side.upper()
    if not chosen:
        return [Reply(turn.say("verdict_improve_done", X=letter))]
    lines = [turn.say("verdict_improve", X=letter),
             *(wording.bullet(t, turn.lang) for t in chosen)]
    return [Reply("\n".join(lines))]


# shop refinements ----------------------------------------------------------------------------
def _last_shop(turn: Turn) -> dict | None:
    return turn.store.state(turn.user_id).get("last_shop")


def _query_noun(turn: Turn, understood: Understood, last: dict) -> str:
    """The English catalogue noun to search for (the title model reads English)."""
    if understood.slots.get("kind"):
        return str(understood.slots["kind"])
    garment = understood.slots.get("garment")
    if garment:
        return DISPLAY_NAME.get(str(garment), str(garment))
    return str(last.get("noun") or "")


async def _again(turn: Turn, last: dict, price_max: float | None = None,
                 not_brands: frozenset[str] | None = None) -> list[Reply]:
    """The user's last results again, narrowed: at most `price_max`, without `not_brands` (by
    default the brands already left out of them), the kind of item they were kept to."""
    if not_brands is None:
        not_brands = frozenset(last.get("not_brands") or ())
    price = f":{price_max:g}" if price_max is not None else ""
    if last.get("kind") == "item":
        mode = "p" if price_max is not None else "d"
        tail = shop.item_tail(price_max, last.get("only_kind"))
        return await shop.shop_item(turn, f"{last['outfit']}:{last['item']}:{mode}:0{tail}",
                                    not_brands)
    if last.get("kind") == "look":
        return await shop.complete_look(turn, f"{last['outfit']}:{last['category']}:0{price}",
                                        not_brands)
    if last.get("kind") == "like":
        return await shop.more_like_item(turn, last["item_id"], price_max, not_brands)
    return await shop.search_text(turn, last["query"], price_max=price_max,
                                  not_brands=not_brands)


async def refine_cheaper(turn: Turn, understood: Understood) -> list[Reply]:
    last = _last_shop(turn)
    if last is None:
        return [Reply(turn.say("need_shop"))]
    price = understood.slots.get("price") or last.get("cheaper_than")
    if price is None:  # nothing shown has a price, so there is nothing to go under
        return [Reply(turn.say("shop_no_prices"))]
    return await _again(turn, last, float(price))


async def refine_brand(turn: Turn, understood: Understood) -> list[Reply]:
    """"Not this brand" (the first or only item shown), "not the second one's brand", "no more
    Nike": the last results again without that brand, and without the ones left out before."""
    last = _last_shop(turn)
    index = shop.catalogue(turn)
    if last is None or not last.get("hits") or index is None:
        return [Reply(turn.say("need_shop"))]
    known = shop.brands(index)
    if not known:  # the demo shop and feeds without a brand column
        return [Reply(turn.say("shop_no_brands"))]
    brand = shop.brand_named(turn.event.text, known)
    if brand is None and understood.by != "pattern" and "ordinal" not in understood.slots:
        # the classifier's guess ("no more Nike"), but no catalogue brand named and no tile
        # pointed at ("nope"): ask rather than drop the first tile's brand
        return [Reply(turn.say("shop_brand_which"))]
    if brand is None:
        ordinal = int(understood.slots.get("ordinal") or 1)
        hits = last["hits"]
        if ordinal > len(hits):
            return [Reply(turn.say("more_like_which"))]
        row = shop.item_row(index, hits[ordinal - 1 if ordinal > 0 else -1])
        brand = index.items[row].get("brand") if row is not None else None
    if not brand:
        return [Reply(turn.say("shop_brand_unknown"))]
    not_brands = frozenset(last.get("not_brands") or ()) | {brand_key(brand)}
    replies = await _again(turn, last, not_brands=not_brands)
    names = [known.get(b, b) for b in sorted(not_brands)]
    replies[0].text = (turn.say("shop_brand_left_out", brands=wording.list_words(names, turn.lang))
                       + "\n" + replies[0].text)
    return replies


async def refine_colour(turn: Turn, understood: Understood) -> list[Reply]:
    colour = understood.slots.get("colour")
    if colour in FAMILY_RGB and turn.store.state(turn.user_id).get("last") == "photo":
        return await show_colour(turn, str(colour), understood.slots.get("garment"))
    last = _last_shop(turn)
    if last is None:
        return [Reply(turn.say("need_shop"))]
    if colour is None:
        if last.get("kind") == "item":
            return await shop.shop_item(turn, f"{last['outfit']}:{last['item']}:c:0")
        return [Reply(turn.say("need_shop"))]
    noun = _query_noun(turn, understood, last) or "clothes"
    return await shop.search_text(turn, f"{colour} {noun}")


async def show_colour(turn: Turn, colour: str, garment: object = None) -> list[Reply]:
    """"Show it in navy" after a photo: the named garment (else the largest main one) of the
    photo talked about, recoloured on the photo itself. Photos live only in memory, so after a
    restart the user is asked, kindly, to send it again."""
    outfit_id = turn.store.state(turn.user_id).get("last_outfit")
    recent = turn.recent.find(turn.user_id, turn.event.reply_to)
    if recent is None or (outfit_id and recent.outfit_id != int(outfit_id)):
        recent = turn.recent.by_outfit(turn.user_id, int(outfit_id)) if outfit_id else None
    if recent is None:
        return [Reply(turn.say("show_colour_gone", colour=wording.family_word(colour, turn.lang)))]
    items = recent.outfit.as_dict()["items"]
    if not items:
        return [Reply(turn.say("need_photo"))]
    item = max([i for i in items if i["category"] == garment] or items, key=lambda i: i["area"])
    picture = await turn.run(outfit_flow.recoloured, recent.outfit, item["category"], colour,
                             turn.lang)
    text = turn.say("show_colour_ready", before=wording.item_phrase(item, turn.lang),
                    colour=wording.family_word(colour, turn.lang))
    return [Reply(text, images=[picture])]


async def more_like(turn: Turn, understood: Understood) -> list[Reply]:
    last = _last_shop(turn)
    if last is None or not last.get("hits"):
        return [Reply(turn.say("need_shop"))]
    ordinal = int(understood.slots.get("ordinal") or 0)
    hits = last["hits"]
    if not ordinal or ordinal > len(hits):
        return [Reply(turn.say("more_like_which"))]
    return await shop.more_like_item(turn, hits[ordinal - 1 if ordinal > 0 else -1])


def _kind_of_shown(turn: Turn, understood: Understood) -> str | None:
    """The kind a search names when it only narrows the photo's matches just shown ("show me
    boots" after a shoe's matches): a kind of that garment's class, and nothing else asked (a
    colour or a price makes it a search of its own)."""
    last = _last_shop(turn)
    kind = understood.slots.get("kind")
    if (last is None or last.get("kind") != "item" or not kind
            or turn.store.state(turn.user_id).get("last") != "shop"
            or {"colour", "price", "occasion"} & set(understood.slots)):
        return None
    return str(kind) if kind in kinds_of(str(last.get("category"))) else None


async def search(turn: Turn, understood: Understood) -> list[Reply]:
    """"Show me black boots": the user's own words in English (the title model reads English),
    the slots otherwise; "show me boots" right after a photo's matches narrows those."""
    if kind := _kind_of_shown(turn, understood):
        last = _last_shop(turn)
        assert last is not None
        tail = shop.item_tail(None, kind)
        return await shop.shop_item(turn, f"{last['outfit']}:{last['item']}:d:0{tail}",
                                    frozenset(last.get("not_brands") or ()))
    text = turn.event.text.strip()
    if turn.lang == "en":
        wanted = SEARCH_WORDS.match(text)
        query = text[wanted.end():].strip() if wanted else text
    else:  # their own words, read in English by shop.title_words, when they name something
        query = text if {"colour", "kind", "garment"} & set(understood.slots) else ""
    if not query:
        return [Reply(turn.say("clarify_shop"))]
    return await shop.search_text(turn, query)


async def shop_this(turn: Turn, understood: Understood) -> list[Reply]:
    """"Where can I buy this?", or "...the bag?" (straight to the bag's matches)."""
    garment = understood.slots.get("garment")
    return await shop.shop(turn, str(garment) if garment else None)


# preferences and the diary -------------------------------------------------------------------
async def preference(turn: Turn, understood: Understood) -> list[Reply]:
    said = await preferences.from_text(turn)
    return said if said is not None else await clarify(turn)


async def diary_day(turn: Turn, understood: Understood) -> list[Reply]:
    from bot.chat.flows.reminders import local_now
    from inference.diary.stats import when_phrase
    from storage.diary import DiaryStore

    day_key = understood.slots.get("day")
    if day_key is None:
        return [Reply(turn.say("diary_ask_day"))]
    today = local_now(turn.user).date()
    day = _resolve_day(str(day_key), today)
    name = when_phrase(day, today, turn.lang)  # "today", "on Monday": "On today" read wrong
    entries = DiaryStore(turn.store).entries(turn.user_id, limit=5, since=day.isoformat(),
                                             until=day.isoformat())
    if not entries:
        return [Reply(turn.say("diary_day_none", day=name))]
    summary = wording.summary(entries[0]["summary"], turn.lang) or "—"
    return [Reply(turn.say("diary_day", day=name, summary=summary))]


def _resolve_day(key: str, today: date) -> date:
    """'mon' -> the latest Monday up to today; 'yesterday' -> today - 1."""
    if key == "today":
        return today
    if key == "yesterday":
        return today - timedelta(days=1)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(key)
    return today - timedelta(days=(today.weekday() - weekday) % 7)


# routing -------------------------------------------------------------------------------------
Handler = Callable[[Turn, Understood], Awaitable[list[Reply]]]
HANDLERS: dict[str, Handler] = {
    "greeting": small_talk, "thanks": small_talk, "bye": small_talk, "smalltalk": small_talk,
    "help": lambda turn, _: onboarding.help_(turn),
    "pair_with": pair_with, "occasion_fit": occasion_fit, "suggest_item": suggest_item,
    "verdict_why": verdict_why, "verdict_which": verdict_which,
    "verdict_improve": verdict_improve, "occasion_advice": occasion_advice, "restyle": restyle,
    "shop_this": shop_this, "search": search, "refine_cheaper": refine_cheaper,
    "refine_colour": refine_colour, "more_like": more_like, "refine_brand": refine_brand,
    "preference": preference,
    "diary": diary_day,
}


def context_of(state: dict) -> str:
    """What the conversation is about, for the classifier: the last thing shown."""
    return str(state.get("last") or "none")


async def understand(turn: Turn) -> Understood:
    state = turn.store.state(turn.user_id)
    # a few milliseconds of numpy: off the loop, but not behind the model worker's queue
    return await asyncio.to_thread(turn.services.pipeline.understanding, turn.event.text,
                                   turn.lang, context_of(state))


async def answer(turn: Turn) -> list[Reply]:
    """A free-text message: understood, then answered in context."""
    understood = await understand(turn)
    handler = HANDLERS.get(understood.intent)
    if handler is None:  # "other" or not understood: the LLM if there is one, else ask
        said = await ask_llm(turn) if turn.services.llm is not None else None
        return [Reply(said)] if said else await clarify(turn, understood)
    return await handler(turn, understood)


async def ask_llm(turn: Turn) -> str | None:
    """The optional LLM's answer, grounded in the last photo, verdict and the user's stated
    preferences; None when it is slow, fails or says something the comments' rules forbid."""
    from inference.text.llm import Grounding, ask

    verdict = _last_verdict(turn)
    corrections = preferences.profile_of(turn.store, turn.user_id).corrections
    grounding = Grounding(
        locale=turn.lang, outfit=_last_outfit(turn),
        verdict={"p_a": verdict["p_a"], "reasons": verdict["reasons"]} if verdict else None,
        preferences={"avoid": sorted(corrections.avoid), "love": sorted(corrections.like)})
    timeout = turn.services.settings.conversation.llm_timeout_seconds
    return await ask(turn.services.llm, grounding, turn.event.text[:1000], timeout)


button("talk", clarify_button)
button("cmd", run_command)
button("occ", picked_occasion)
button("occshop", occasion_shop)
button("restyle", picked_style)
