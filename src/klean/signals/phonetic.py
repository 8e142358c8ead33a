"""Phonetic keys: two spellings that sound alike get the same key, in Hangul, Latin letters and Han characters.

Sellers respell marks the way they sound: tensed or aspirated consonants in Hangul (꾸찌, 티빠니, 컨버쓰),
doubled or silent letters in Latin (Pradda, Moncller, Omegha), and homophones in Han (博仕 for 博士). A typo
matcher counting edits misses these or needs a budget so large that it finds everything; comparing keys finds
exactly the respellings that sound like the mark.

The rules are language data: `data/ko/phonetic.tsv` (jamo classes), `data/en/phonetic.tsv` (ordered rewrites);
Han characters are read in toneless pinyin from pypinyin's character table (shipped inside that package).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from pypinyin.pinyin_dict import pinyin_dict

from klean.signals.text import HANGUL_BASE, HANGUL_LAST

_COMPAT_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_COMPAT_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_COMPAT_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"  # index 0: no final


def _rows(lang: str) -> list[list[str]]:
    text = resources.files("klean.signals").joinpath("data", lang, "phonetic.tsv").read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _hangul_tables() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(initial, vowel, final) index -> class letter."""
    maps: dict[str, dict[str, str]] = {"initial": {}, "vowel": {}, "final": {}}
    for kind, jamo_letter, cls in _rows("ko"):
        if kind not in maps:
            raise ValueError(f"data/ko/phonetic.tsv: unknown kind {kind!r}")
        maps[kind][jamo_letter] = cls.strip()
    initials = tuple(maps["initial"].get(c, c) for c in _COMPAT_INITIALS)
    vowels = tuple(maps["vowel"].get(c, c) for c in _COMPAT_VOWELS)
    finals = tuple("" if i == 0 else maps["final"].get(c, c) for i, c in enumerate(_COMPAT_FINALS))
    return initials, vowels, finals


@lru_cache(maxsize=65536)
def hangul_key(word: str) -> str:
    """Phonetic key of a Hangul word: each syllable as its initial, vowel and final classes (other characters kept)."""
    initials, vowels, finals = _hangul_tables()
    out: list[str] = []
    for ch in word:
        o = ord(ch)
        if HANGUL_BASE <= o <= HANGUL_LAST:
            i = o - HANGUL_BASE
            out.append(initials[i // 588] + vowels[(i % 588) // 28] + finals[i % 28] + "|")
        else:
            out.append(ch)
    return "".join(out)


@cache
def _latin_rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern), repl.strip()) for pattern, repl, *_ in _rows("en"))


@lru_cache(maxsize=65536)
def latin_key(word: str) -> str:
    """Phonetic key of a folded Latin word (the ordered rewrites of data/en/phonetic.tsv)."""
    for pattern, repl in _latin_rules():
        word = pattern.sub(repl, word)
    return word


@lru_cache(maxsize=65536)
def han_key(word: str) -> str:
    """Toneless pinyin of each Han character (its first reading), so homophones meet: 博仕 and 博士 are 'bo shi'."""
    out: list[str] = []
    for ch in word:
        reading = pinyin_dict.get(ord(ch))
        out.append(_toneless(reading.split(",")[0]) if reading else ch)
    return " ".join(out)


_TONE_TABLE = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _toneless(syllable: str) -> str:
    return syllable.translate(_TONE_TABLE)


_SYLLABLE_BASE = 0xF0000  # Supplementary Private Use Area-A: codes nobody writes in a listing


@cache
def han_syllable_table() -> dict[int, str]:
    """str.translate table: each Han character to one private-use character that stands for its toneless pinyin
    syllable, so homophones become the same character and a text keeps its length (spans stay valid)."""
    ids: dict[str, int] = {}
    table: dict[int, str] = {}
    for code, reading in pinyin_dict.items():
        if not (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF):
            continue
        syllable = _toneless(reading.split(",")[0])
        table[code] = chr(_SYLLABLE_BASE + ids.setdefault(syllable, len(ids)))
    return table


def han_sound(text: str) -> str:
    """The text with every Han character replaced by its syllable's code (see han_syllable_table)."""
    return text.translate(han_syllable_table())
