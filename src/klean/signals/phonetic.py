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


@cache
def _han_sound_list() -> list[int | str]:
    """han_syllable_table as a list indexed by code point over the Basic Multilingual Plane (identity where there
    is no syllable): str.translate indexes a list about three times faster than it hashes into a dict, and this
    runs over every text with Han in it. Characters beyond the plane (emoji) stay as they are."""
    table: list[int | str] = list(range(0x10000))
    for code, syllable in han_syllable_table().items():
        table[code] = syllable
    return table


def han_sound(text: str) -> str:
    """The text with every Han character replaced by its syllable's code (see han_syllable_table)."""
    return text.translate(_han_sound_list())


# Thai: spellings of Latin marks by sound (ชาแนล, ซัมซุง, ลาเนจ) and their variants (ไนกี๊, หลุยวิตตอง, คาซิโอ้).
# Thai is written without spaces, so a Thai run is cut into character clusters (a consonant with the vowel signs and
# tone marks on it, a leading vowel with its consonant, a final after ั or ็, a consonant silenced by ์ with the
# cluster before it); a mark can start and end only between clusters. Each cluster is romanised letter by letter
# (data/th/phonetic.tsv), and romanised Thai and Latin marks go through the same sound classes (sound_key).
THAI_RUN = re.compile("[\u0e01-\u0e4e]+")
# A Thai spelling with a letter dropped counts only for the brand's Thai marks of five consonants or more (Thai text
# has no spaces, so shorter keys one letter off turn up inside ordinary words), and not its first or last letter.
THAI_FUZZY_MIN = 5


@cache
def _thai_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str],
                            tuple[tuple[re.Pattern[str], str], ...], tuple[tuple[re.Pattern[str], str], ...]]:
    """(consonants, leading vowels, vowel and mute signs -> Latin, sound-class rewrites, coarse-only rewrites)."""
    kinds: dict[str, dict[str, str]] = {"consonant": {}, "lead": {}, "vowel": {}, "mute": {}}
    rules: dict[str, list[tuple[re.Pattern[str], str]]] = {"class": [], "coarse": []}
    for row in _rows("th"):
        kind, src, dst = row[0], row[1], (row[2] if len(row) > 2 else "")
        if kind in rules:
            rules[kind].append((re.compile(src), dst))
        elif kind in kinds:
            kinds[kind][src] = dst
        else:
            raise ValueError(f"data/th/phonetic.tsv: unknown kind {kind!r}")
    return (kinds["consonant"], kinds["lead"], {**kinds["vowel"], **kinds["mute"]}, tuple(rules["class"]),
            tuple(rules["coarse"]))


_ABOVE_BELOW = frozenset("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d"
                         "\u0e4e")
_FOLLOWING = "\u0e30\u0e32\u0e33\u0e45"  # ะ า ำ ๅ: vowels written after their consonant, on the line
_TONES = "\u0e48\u0e49\u0e4a\u0e4b"
_SILENCER = "\u0e4c"  # ์ (thanthakhat): the consonant under it is not read
_SHORT_CLOSED = frozenset("\u0e31\u0e47")  # ั and ็: a short vowel closed by the consonant after it


def thai_clusters(t: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) of each character cluster of the Thai run t[start:end] (the places a mark can start or end)."""
    consonants, leads = _thai_tables()[:2]
    out: list[tuple[int, int]] = []
    i = start
    while i < end:
        j = i + 1
        if t[i] in leads and j < end and t[j] in consonants:
            j += 1
            # a consonant cluster carrying the vowel on its second letter: แบล็ก, เปรี้ยว (not เวลา: ล reads la)
            if j + 1 < end and t[j] in "รลว" and t[j + 1] in _ABOVE_BELOW and t[j + 1] != _SILENCER:
                j += 1
        while j < end and (t[j] in _ABOVE_BELOW or t[j] in _FOLLOWING):
            j += 1
        if j < end and t[j] in consonants and _SHORT_CLOSED.intersection(t[i:j]):
            nxt = t[j + 1] if j + 1 < end else ""
            if not nxt or nxt in consonants or nxt in _TONES or nxt == _SILENCER:
                j += 1  # the final of ซัม, เล็ก
        while j < end and t[j] in consonants:  # silenced consonants (ส์ in หลุยส์, ซ์ in โรเล็กซ์, ดิ์)
            if j + 1 < end and t[j + 1] == _SILENCER:
                j += 2
            elif j + 2 < end and t[j + 1] in "\u0e34\u0e38" and t[j + 2] == _SILENCER:
                j += 3
            else:
                break
        out.append((i, j))
        i = j
    return out


@lru_cache(maxsize=65536)
def thai_cluster_keys(cluster: str) -> tuple[str, str]:
    """(coarse, fine) sound keys of one cluster: romanised, then sound_key, vowels at its ends kept."""
    consonants, leads, signs = _thai_tables()[:3]
    lead = ""
    chars = cluster
    if chars and chars[0] in leads:
        lead, chars = leads[chars[0]], chars[1:]
    head = 0  # consonants read before a leading vowel: one, or two in a cluster (แบล็ก)
    while head < len(chars) and chars[head] in consonants and (head == 0 or (head == 1 and chars[1] in "รลว")):
        head += 1
    if head == 2 and not (lead and len(chars) > 2 and chars[2] in _ABOVE_BELOW):
        head = 1
    if not lead and chars[:1] == "ว" and all(c in consonants for c in chars):
        rom = "u" + "".join(consonants[c] for c in chars[1:])  # a bare ว is the vowel u (บิว, ตัว)
    else:
        parts = [consonants[c] for c in chars[:head]]
        parts.append(lead)
        parts.extend(consonants.get(c) or signs.get(c, "") for c in chars[head:])
        rom = "".join(parts)
    fine = sound_key(rom, coarse=False)
    return _coarse(fine), fine


@lru_cache(maxsize=65536)
def thai_word_clusters(word: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, coarse key, fine key) of each cluster of a Thai word (memoised: listings share their words)."""
    return tuple((s, e, *thai_cluster_keys(word[s:e])) for s, e in thai_clusters(word, 0, len(word)))


def sound_key(latin: str, *, coarse: bool = True) -> str:
    """Sound key of Latin letters (a mark, or romanised Thai): consonant classes, doubled letters once, and in the
    coarse key one 'a' for any run of vowels (data/th/phonetic.tsv). Vowels at the ends are kept (trim_key)."""
    for pattern, repl in _thai_tables()[3]:
        latin = pattern.sub(repl, latin)
    return _coarse(latin) if coarse else latin


def _coarse(key: str) -> str:
    for pattern, repl in _thai_tables()[4]:
        key = pattern.sub(repl, key)
    return key


def join_keys(left: str, right: str) -> str:
    """Two adjacent clusters' keys as one: a letter doubled across the join counts once (ต|ต, า|อ)."""
    if left and right and left[-1] == right[0]:
        return left + right[1:]
    return left + right


def trim_key(key: str) -> str:
    """A coarse key without the vowel at either end (Adidas and อาดิดาส are both t-a-t-a-s)."""
    return key.strip("a")


def consonants_in(key: str) -> int:
    return len(key) - key.count("a")


def thai_keys(word: str) -> tuple[str, str]:
    """(coarse key trimmed, fine key) of a Thai word (a registered Thai mark): its clusters' keys joined."""
    coarse = fine = ""
    for m in THAI_RUN.finditer(word):
        for s, e in thai_clusters(word, m.start(), m.end()):
            c, f = thai_cluster_keys(word[s:e])
            coarse, fine = join_keys(coarse, c), join_keys(fine, f)
    return trim_key(coarse), fine


def latin_sound_key(mark: str) -> str:
    """Coarse sound key of a Latin mark, from its letters as written (not the skeleton fold, which reads l as i)."""
    return trim_key(sound_key("".join(c for c in mark if "a" <= c <= "z")))


_VOWELS = frozenset("aeiouy")
_VOWEL_CLASS = {"a": "a", "e": "i", "i": "i", "y": "i", "o": "u", "u": "u"}


def vowel_classes(key: str) -> str:
    """The vowels between a key's first and last consonant, one class per run: a, i (e i y) or u (o u), by the run's
    last vowel; '*' for Thai แ and เ-อ (ae, eo), which stand for Latin a, e and u alike (แบล็ก, ชาแนล, เดอร์).
    Coarse keys that are equal are told apart by these (สามเส้น is not Samsung, ลาเนจ is Laneige)."""
    out: list[str] = []
    run = ""
    started = False
    for ch in key:
        if ch in _VOWELS:
            run += ch
            continue
        if started and run:
            out.append("*" if ("ae" in run or "eo" in run or "oe" in run) else _VOWEL_CLASS[run[-1]])
        run = ""
        started = True
    return "".join(out)


def vowels_agree(a: str, b: str) -> bool:
    return len(a) == len(b) and all(x == y or x == "*" or y == "*" for x, y in zip(a, b, strict=True))


_THAI_LETTERS = str.maketrans({"\u0e48": None, "\u0e49": None, "\u0e4a": None, "\u0e4b": None, "\u0e47": None,
                               "\u0e35": "\u0e34", "\u0e39": "\u0e38", "\u0e37": "\u0e36", " ": None})


def thai_letters(word: str) -> str:
    """A Thai spelling without tone marks and vowel length (ไนกี๊, ไนกี้ and ไนกิ are one spelling)."""
    return word.translate(_THAI_LETTERS)


def latin_vowels(mark: str) -> str:
    return vowel_classes(sound_key("".join(c for c in mark if "a" <= c <= "z"), coarse=False))
