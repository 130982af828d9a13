"""Which of our languages a message is written in, offline.

Script first, because it is certain: Han characters are Chinese, Latin letters English, and
Cyrillic letters that only one language has decide between Ukrainian (і ї є ґ) and Russian
(ы э ъ ё). Cyrillic without such letters ("дякую", "почему?") goes to py3langid (a small
n-gram model shipped in its wheel, limited to uk and ru); its answer only replaces the user's
current language when it is sure, since one short word ("дешевше") can look like either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[a-zA-Z]")
ONLY_UK = re.compile(r"[іїєґ]", re.IGNORECASE)
ONLY_RU = re.compile(r"[ыэъё]", re.IGNORECASE)
#: py3langid's probability (between uk and ru) needed to switch a user's language.
SURE = 0.85
#: Everyday words only one of the two languages has: short chat messages ("чим краще",
#: "покажи сапоги") are where the n-gram model is weakest and these are most common.
MARKERS = {
    "uk": frozenset("що як чому чим дякую привіт краще чи мені тобі це цей ця ці вдягнути "
                    "одягнути вдягти сукня сукню штани взуття дешевше де купити яка який яке будь "
                    "ласка добре гарно тепер мій моє показати чоботи кросівки сорочка спідниця "
                    "кольору колір або також зараз сьогодні вчора коли навіщо весілля роботу "
                    "співбесіду шо шось щось дяк дякс поки побачення звати котрий котра чого "
                    "вдягати занадто задорого гривень схожих ще ношу обожнюю ненавиджу хто "
                    "година робиш поясни можна такий такі зроби додай яскравіше нема немає "
                    "треба який".split()),
    "ru": frozenset("что как почему чем спасибо привет лучше ли мне тебе это этот эта эти надеть "
                    "одеть платье брюки обувь дешевле где купить какая какой какое пожалуйста "
                    "хорошо красиво теперь мой моё мое показать сапоги кроссовки рубашка юбка "
                    "цвета цвет или также сейчас сегодня вчера когда зачем свадьбу свадьба работу "
                    "собеседование если который которая спс пасиба приветики здравствуйте "
                    "здарова свидания пока помогите начать куда подойдет подойдёт уместно можно "
                    "какую обоснуй считал победитель сделай добавь поярче такую есть дороговато "
                    "бюджетнее кто еще ещё нет надо".split()),
}
WORD = re.compile(r"[\w']+")
CYRILLIC_LANGS = ("uk", "ru")


@dataclass(frozen=True)
class Detected:
    lang: str | None  # None: no letters at all (emoji, digits, "?")
    sure: bool


@lru_cache(maxsize=1)
def _identifier():  # noqa: ANN202 - py3langid.langid.LanguageIdentifier
    from py3langid import langid

    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE,
                                                         norm_probs=True)
    identifier.set_languages(["uk", "ru"])
    return identifier


def detect(text: str) -> Detected:
    han, cyr, lat = (len(p.findall(text)) for p in (HAN, CYRILLIC, LATIN))
    if not (han or cyr or lat):
        return Detected(None, False)
    if han >= max(cyr, lat / 4):  # one Chinese character carries about a word
        return Detected("zh", True)
    if lat > cyr:
        return Detected("en", lat >= 3)
    uk, ru = bool(ONLY_UK.search(text)), bool(ONLY_RU.search(text))
    if uk != ru:
        return Detected("uk" if uk else "ru", True)
    words = WORD.findall(text.lower())
    votes = {lang: sum(w in markers for w in words) for lang, markers in MARKERS.items()}
    if votes["uk"] != votes["ru"]:
        return Detected(max(votes, key=votes.__getitem__), True)
    lang, p = _identifier().classify(text)
    return Detected(lang, p >= SURE and cyr >= 4)


def language_of(text: str, current: str | None) -> str | None:
    """The language to answer `text` in: what it is written in when that is clear (or the user has
    none yet), else the user's `current` one ("ok" or "дешевше" does not switch a Ukrainian
    speaker); None when neither says."""
    found = detect(text)
    if found.lang is None:
        return current
    if current is None or found.sure:
        return found.lang
    # Cyrillic to someone we speak English or Chinese with (an app set to English, say):
    # answering in Cyrillic is right either way, so the better guess of the two wins.
    return found.lang if found.lang in CYRILLIC_LANGS and current not in CYRILLIC_LANGS \
        else current
