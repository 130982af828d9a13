"""A tiny Ukrainian, Russian and Chinese vocabulary (vocab.yaml, prefs.yaml garments,
comments.yaml, stylecheck.yaml) written here, so that the wording tests do not depend on the
real translations existing: the `tiny_languages` fixture (tests/inference/conftest.py) makes
prompts.own read these for uk/ru/zh instead of the files, clearing prompts.load's cache before
and after."""

from __future__ import annotations

import pytest

import prompts


def _adj(m: str, f: str, n: str, pl: str) -> dict[str, str]:
    return {"m": m, "f": f, "n": n, "pl": pl}


UK_VOCAB = {
    "phrase": "{pattern} {colour} {noun}",
    "list_and": "{rest} і {last}",
    "list_sep": ", ",
    "colours": {
        "navy": _adj("темно-синій", "темно-синя", "темно-синє", "темно-сині"),
        "black": _adj("чорний", "чорна", "чорне", "чорні"),
        "mustard": _adj("гірчичний", "гірчична", "гірчичне", "гірчичні"),
        "steel blue": _adj("сталево-синій", "сталево-синя", "сталево-синє", "сталево-сині"),
    },
    "families": {
        "blue": _adj("синій", "синя", "синє", "сині"),
        "black": _adj("чорний", "чорна", "чорне", "чорні"),
        "yellow": _adj("жовтий", "жовта", "жовте", "жовті"),
        "navy": _adj("темно-синій", "темно-синя", "темно-синє", "темно-сині"),
    },
    "nouns": {
        "top": {"word": "топ", "gender": "m"},
        "dress": {"word": "сукня", "gender": "f"},
        "jeans": {"word": "джинси", "gender": "pl"},
        "jacket": {"word": "куртка", "gender": "f"},
        "bag": {"word": "сумка", "gender": "f"},
        "skirt": {"word": "спідниця", "gender": "f"},
    },
    "patterns": {"striped": _adj("смугастий", "смугаста", "смугасте", "смугасті")},
    "styles": {"goth": "готичний стиль", "minimalist": "мінімалізм"},
    "indicators": {"black shoes": "чорне взуття", "dark palette": "темна палітра"},
}
RU_VOCAB = {
    "phrase": "{pattern} {colour} {noun}",
    "list_and": "{rest} и {last}",
    "colours": {"navy": _adj("тёмно-синий", "тёмно-синяя", "тёмно-синее", "тёмно-синие")},
    "families": {"blue": _adj("синий", "синяя", "синее", "синие")},
    "nouns": {
        "top": {"word": "топ", "gender": "m"},
        "dress": {"word": "платье", "gender": "n"},
        "jeans": {"word": "джинсы", "gender": "pl"},
        "skirt": {"word": "юбка", "gender": "f"},
    },
    "patterns": {"striped": _adj("полосатый", "полосатая", "полосатое", "полосатые")},
}
ZH_VOCAB = {
    "phrase": "{colour}{pattern}{noun}",
    "list_and": "{rest}和{last}",
    "list_sep": "、",
    "colours": {"navy": "藏青色", "black": "黑色", "steel blue": "钢蓝色", "mustard": "芥末黄"},
    "families": {"blue": "蓝色", "black": "黑色", "yellow": "黄色", "navy": "藏青色"},
    "nouns": {"top": "上衣", "dress": "连衣裙", "jeans": "牛仔裤", "bag": "包", "jacket": "夹克",
              "skirt": "半身裙"},
    "patterns": {"striped": "条纹"},
    "styles": {"goth": "哥特风"},
}
PREFS = {
    "uk": {"garments": {"skirt": ["спідниця", "спідниці"], "footwear": ["кросівки", "черевики"]}},
    "ru": {"garments": {"skirt": ["юбка"], "footwear": ["кроссовки"]}},
    # "裙" alone is a skirt, but it is also the end of "连衣裙" (a dress)
    "zh": {"garments": {"skirt": ["裙子", "裙"], "footwear": ["运动鞋"]}},
}
UK_COMMENTS = {
    "openers": ["Ого,", "Слухай,", "Вау!"],
    "adjectives": [_adj("гарний", "гарна", "гарне", "гарні"),
                   _adj("стильний", "стильна", "стильне", "стильні"), "топ"],
    "praise": ["просто вогонь", "дуже круто"],
    "adverbs": ["дуже", "справді"],
    "vibe": ["образ", "стиль"],
    "nice": ["класний", "чудовий"],
    "hype": ["Клас!", "Вогонь!"],
    "emoji": ["✨", "🔥"],
    "templates": {
        "one_item": ["{Item}: {adv} {adj}!", "[Який|Яка|Яке] {adj} {item}!"],
        "two_items": ["{Item} і {item2}: {praise}."],
        "colour": ["{Colour} {noun} — це {praise}."],
        "style": ["{Style}, і {item} це доводить."],
        "pattern": ["{Pattern} {noun}: {praise}."],
        "follow_up": ["Весь {vibe}: {praise}.", "{Adv} {adj}."],
        "question": ["Де ти [знайшла|купила] {noun}?"],
    },
    "banned": ["фігура", "талія"],
}
ZH_COMMENTS = {
    "openers": ["哇，", "天哪！"],
    "adjectives": ["好看", "时髦"],
    "praise": ["绝了", "太棒了"],
    "adverbs": ["超级", "真的"],
    "vibe": ["造型", "风格"],
    "nice": ["不错的", "很棒的"],
    "hype": ["爱了！", "太会穿了！"],
    "emoji": ["✨", "🔥"],
    "templates": {
        "one_item": ["这件{item}{adv}{adj}！", "{item}{praise}！"],
        "colour": ["{colour}的{noun}{praise}。"],
        "follow_up": ["整体{vibe}{praise}。"],
    },
    "banned": ["身材", "腰"],
}
UK_STYLECHECK = {
    "headline": ["{W} перемагає: {pa}% проти {pb}%."],
    "close_call": "Майже нарівно, {pa}% проти {pb}%.",
    "reasons": {
        "layering": "{outer} поверх {inner} додає {W} глибини",
        "colour_count": "{W} тримається {n} кольорів ({families})",
        "lightness_contrast": "у {W} {light} проти {dark} дає контраст",
    },
    "harmony_words": {"I": "додаткові"},
}
OWN = {
    ("vocab", "uk"): UK_VOCAB,
    ("vocab", "ru"): RU_VOCAB,
    ("vocab", "zh"): ZH_VOCAB,
    ("prefs", "uk"): PREFS["uk"],
    ("prefs", "ru"): PREFS["ru"],
    ("prefs", "zh"): PREFS["zh"],
    ("comments", "uk"): UK_COMMENTS,
    ("comments", "ru"): {},  # Russian comments not written: comments stay English
    ("comments", "zh"): ZH_COMMENTS,
    ("stylecheck", "uk"): UK_STYLECHECK,
}


def use_tiny_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """prompts.own (and so prompts.load) reads the dictionaries above for uk, ru and zh."""
    real = prompts.own

    def own(name: str, locale: str) -> dict:
        if locale == prompts.DEFAULT:
            return real(name, locale)
        return OWN.get((name, locale), {})

    prompts.load.cache_clear()
    monkeypatch.setattr(prompts, "own", own)

