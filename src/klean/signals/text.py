"""One normalisation for registry marks and listing text, with a map back to the original characters.

`fold(text)` gives a *skeleton*: NFKC, casefold, accents stripped, look-alike letters (Cyrillic, Greek,
symbols such as ⊙ and $) mapped to the Latin letter they imitate, leetspeak digits inside words mapped to
letters (N1KE, R0LEX, Nintend0), zero-width characters dropped, and loose Hangul jamo composed into syllables
(ㅅㅑ넬 -> 샤넬, ㄴㅏㅇㅣㅋㅣ -> 나이키, ㅇr이폰 -> 아이폰). Registry marks go through the same function, so a mark
and its disguised mention meet in the same folded form.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, LRM/RLM, ALM) and other invisible format characters are
dropped too, and `Folded.had_bidi` says they were there: honest titles do not need them. Text inside a
right-to-left override or embedding (RLO/RLE, up to its PDF or the end of the paragraph) is what a reader sees
backwards, so "\u202elenahC" shows as "Chanel": the folded text screens it as stored and, after a separator,
once more reversed (spans into the reversed copy map back to the run in the original).

`Folded.compact` drops every separator (spaces, dots, dashes ...) so `S-a-m-s-u-n-g`, `나 이 키` and `샤.넬`
meet `samsung`, `나이키` and `샤넬`; spans found in the compact or folded text map back into `listing.text`.
`jamo(word)` decomposes Hangul for fuzzy comparison (삼숭 vs 삼성, 나잌이 vs 나이키).

Speed: most text folds with one `str.translate` and offsets are the identity; only texts with characters that
expand, vanish or compose take the per-character path.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f")
# Bidirectional controls: embeddings and overrides (LRE RLE PDF LRO RLO), isolates (LRI RLI FSI PDI), marks.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Everything folding drops unseen: the above, deprecated format controls (U+206A-U+206F), interlinear annotation
# marks, tag characters (U+E0000-U+E007F), and the Hangul fillers that render as nothing.
INVISIBLE = ZERO_WIDTH | BIDI_CONTROLS | frozenset(
    "\u206a\u206b\u206c\u206d\u206e\u206f\ufff9\ufffa\ufffb\u115f\u1160\u3164\uffa0"
    + "".join(map(chr, range(0xE0000, 0xE0080))))
_RTL_OPEN = "\u202b\u202e"  # RLE, RLO: what follows (up to PDF or the paragraph's end) reads right to left
_BIDI_EVENT_RE = re.compile("[\u202a-\u202e\n\r\u2029\x1c-\x1e\x85]")

# Digits and symbols that stand for letters when written inside a word (N1KE, R0LEX, Sam$ung, Ch@nel).
LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
ALWAYS_LETTERS = {"$": "s", "@": "a"}
BETWEEN_LETTERS = {"!": "i", "|": "i"}  # only inside a word: "Nike!" keeps its boundary
# Latin l and digit 1 are folded to i: l/1/I are the commonest visual swap (Ba1ance, Samsonlte, Cartler).
SKELETON = {"l": "i"}

HANGUL_BASE, HANGUL_LAST = 0xAC00, 0xD7A3
_L0, _V0, _T0 = 0x1100, 0x1161, 0x11A7
# Compatibility jamo (what keyboards type alone: ㅅ ㅑ) -> index as initial, medial, final.
_COMPAT_INITIAL = {ch: i for i, ch in enumerate("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")}
_COMPAT_MEDIAL = {ch: i for i, ch in enumerate("ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ")}
_COMPAT_FINAL = {ch: i + 1 for i, ch in enumerate("ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")}
# Final consonant index (1..27) -> the initial consonants it sounds as, for jamo-level comparison.
_FINALS = [(), (0,), (1,), (0, 9), (2,), (2, 12), (2, 18), (3,), (5,), (5, 0), (5, 6), (5, 7), (5, 9), (5, 16),
           (5, 17), (5, 18), (6,), (7,), (7, 9), (9,), (10,), (11,), (12,), (14,), (15,), (16,), (17,), (18,)]

_EXTRA_SEPARATORS = frozenset(" \t\n\r\f\v-_.·•*/\\'\"`()[]{},~+^:;?<>=#%&、，。・…‧∙「」『』【】《》〈〉–—")


def _load_confusables() -> dict[str, str]:
    table: dict[str, str] = {}
    text = resources.files("klean.signals").joinpath("data", "confusables.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        src, _, dst = line.partition("\t")
        if src:
            table[src] = dst.strip()
    return table


CONFUSABLES = _load_confusables()


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def is_compat_jamo(ch: str) -> bool:
    return "\u3131" <= ch <= "\u318e"


def is_hangul_jamo(ch: str) -> bool:
    return "\u1100" <= ch <= "\u11ff"


def is_vowel_jamo(ch: str) -> bool:
    return "\u1161" <= ch <= "\u1175"


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def is_latin(ch: str) -> bool:
    return "a" <= ch <= "z"


@lru_cache(maxsize=1 << 16)  # asked per character while classifying disguises
def is_separator(ch: str) -> bool:
    if ch in _EXTRA_SEPARATORS or ch.isspace():
        return True
    return unicodedata.category(ch)[0] in "PZCS"


@cache
def fold_char(c: str) -> str:
    """One original character -> its folded form ('' for invisible ones; several characters when NFKC expands)."""
    if c in INVISIBLE:
        return ""
    if c in ALWAYS_LETTERS:
        return ALWAYS_LETTERS[c]
    if is_hangul(c) or is_compat_jamo(c):
        return c  # syllables stay whole; loose jamo are composed by the slow path
    if "\u0e00" <= c <= "\u0e7f":
        # Thai: digits read as digits; vowel and tone marks are kept, since without them different words meet
        # (ไม่ใช่ / ไม่ใช้, กล่อง / กล้อง); marks and listings keep them alike.
        return str(ord(c) - 0x0E50) if "\u0e50" <= c <= "\u0e59" else c
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", c).casefold():
        if ch in CONFUSABLES:
            ch = CONFUSABLES[ch]
        elif not is_hangul(ch) and not is_hangul_jamo(ch):
            ch = "".join(d for d in unicodedata.normalize("NFD", ch) if unicodedata.category(d) != "Mn")
            ch = "".join(CONFUSABLES.get(d, d) for d in ch)
        ch = "".join(SKELETON.get(d, d) for d in ch)
        out.append(ALWAYS_LETTERS.get(ch, ch))
    return "".join(out)


class _Table(dict[int, str]):
    """str.translate table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        value = fold_char(chr(code))
        self[code] = value
        return value


_TABLE = _Table()
# Characters that vanish when folded (combining marks, zero-width): their presence forces the slow path.
_VANISHING_RE = re.compile("[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
                           + "".join(sorted(INVISIBLE)) + "\u3131-\u318e]")
_SEP_SPLIT_RE = re.compile(r"([\W_]+)")
# Thai vowel signs above and below the line, tone marks and the silencer (category Mn, so \W) are part of the word
# they sit on, not separators: without them กุชชี่ would end at กุชช and ไนกี๊ would be ไนกี้ (spans cut a character
# short, a registered mark read as disguised). Texts with such marks split with this pattern instead.
_THAI_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_THAI_MARK_RE = re.compile(f"[{_THAI_MARKS}]")
_SEP_SPLIT_THAI_RE = re.compile(f"((?:[^\\w{_THAI_MARKS}]|_)+)")
_LEET_RE = re.compile(r"(?<=[a-z])[013457](?![0-9])|(?<![0-9])[013457](?=[a-z])|(?<=[a-z])[!|](?=[a-z])"
                      r"|(?<![0-9])9(?=[\uac00-\ud7a3])")


# A cheap test before the full rule: a letter-digit pair in either order, or 9 before a syllable. Written to start
# at the digit, so the scan skips ordinary letters fast.
_LEET_HINT = re.compile(r"[013457!|9](?:(?<=[a-z][013457!|])|(?<=[013457])(?=[a-z])|(?<=9)(?=[\uac00-\ud7a3]))")


def _leet_sub(m: re.Match[str]) -> str:
    ch = m.group()
    if ch == "9":
        return "구"  # 9찌: the digit nine is read "gu" (구찌)
    return LEET_DIGITS.get(ch) or BETWEEN_LETTERS[ch]


@dataclass(slots=True)  # not frozen: frozen dataclasses cost a setattr call per field, once per listing
class Folded:
    original: str
    text: str  # folded, separators kept
    offsets: list[int] | None  # folded index -> original index; None when the identity
    compact: str  # folded without separators
    pieces: list[str] | None  # text split around separator runs (pieces at even, runs at odd positions)
    had_zero_width: bool
    had_jamo: bool
    _starts: tuple[list[int], list[int]] | None = None  # (compact start, folded start) of each piece, lazily
    had_bidi: bool = False  # bidirectional controls were dropped (their runs screened reversed too)
    # characters outside ASCII, Hangul syllables and common Han (Thai, accents, symbols ...): scripts that need their
    # own look-ups (phonetic.THAI_RUN) are looked for only then
    other_scripts: bool = False

    def span(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded [fs, fe) -> original [start, end)."""
        if self.offsets is None:
            return fs, fe
        start, last = self.offsets[fs], self.offsets[fe - 1]
        return (start, last + 1) if start <= last else (last, start + 1)  # the reversed copy of an RTL run

    def starts(self) -> tuple[list[int], list[int]] | None:
        """(compact start, folded start) of each piece; None when compact and folded text are the same.

        Built only when a term matched: two C-level running sums instead of a per-character map.
        """
        if self.pieces is None:
            return None
        starts = self._starts
        if starts is None:
            tokens = self.pieces
            starts = self._starts = (list(accumulate(map(len, tokens[0::2]), initial=0)),
                                     list(accumulate(map(len, tokens), initial=0))[0::2])
        return starts

    def to_folded(self, c: int) -> int:
        """Compact index -> folded index."""
        starts = self.starts()
        if starts is None:
            return c
        cst, fst = starts
        i = bisect_right(cst, c) - 1  # empty pieces share their start with the next: bisect_right skips them
        return fst[i] + c - cst[i]


def _byte_table() -> bytes:
    table = bytearray(range(256))  # bytes >= 0x80 (the UTF-8 of Hangul syllables and Han) stay as they are
    for code in range(128):
        folded = fold_char(chr(code))
        if len(folded) != 1 or not folded.isascii():
            raise AssertionError(f"ASCII {code} folds to {folded!r}: the byte table cannot express it")
        table[code] = ord(folded)
    return bytes(table)


# Text made only of ASCII, Hangul syllables and common Han characters folds byte by byte: those syllables and
# characters fold to themselves (a test checks every one), so one bytes.translate over the UTF-8 does it. That is
# several times faster than str.translate, which looks each non-ASCII character up in a dict.
_FOLD_BYTES = _byte_table()
_NOT_BYTE_FOLDABLE = re.compile("[^\x00-\x7f\uac00-\ud7a3\u4e00-\u9fff]")


def fold(text: str) -> Folded:
    """Fold a text for matching; see the module docstring."""
    offsets: list[int] | None = None
    zero = jamo_seen = bidi = other = False
    if text.isascii() or not _NOT_BYTE_FOLDABLE.search(text):
        folded = text.encode().translate(_FOLD_BYTES).decode()
    else:
        other = True  # only text outside ASCII, Hangul and common Han can hold Thai marks
        folded = text.translate(_TABLE)
        if len(folded) != len(text) or _VANISHING_RE.search(text):
            folded, offsets, zero, jamo_seen, bidi = _slow_fold(text)
    if _LEET_HINT.search(folded):
        folded = _LEET_RE.sub(_leet_sub, folded)
    tokens = (_SEP_SPLIT_THAI_RE if other and _THAI_MARK_RE.search(folded) else _SEP_SPLIT_RE).split(folded)
    if len(tokens) == 1:
        return Folded(text, folded, offsets, folded, None, zero, jamo_seen, had_bidi=bidi, other_scripts=other)
    return Folded(text, folded, offsets, "".join(tokens[0::2]), tokens, zero, jamo_seen, had_bidi=bidi,
                  other_scripts=other)


def rtl_runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of the text inside each outermost RLO/RLE run: up to its PDF, else the paragraph's end."""
    runs: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []

    def close(end: int) -> None:
        ch, start = stack.pop()
        if ch in _RTL_OPEN and not any(c in _RTL_OPEN for c, _ in stack) and end > start:
            runs.append((start, end))  # an RTL run nested in another is inside the outer one's copy

    for m in _BIDI_EVENT_RE.finditer(text):
        ch, at = m.group(), m.start()
        if ch == "\u202c":
            if stack:
                close(at)
        elif "\u202a" <= ch <= "\u202e":
            stack.append((ch, at + 1))
        else:  # a paragraph ends every embedding and override
            while stack:
                close(at)
    while stack:
        close(len(text))
    return sorted(runs)


def _slow_fold(text: str) -> tuple[str, list[int], bool, bool, bool]:
    parts: list[str] = []
    offs: list[int] = []
    zero = jamo_seen = bidi = False
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if is_compat_jamo(c) or (c == "r" and parts and is_compat_jamo(text[i - 1]) and i + 1 < n):
            syllable, used = _compose(text, i)
            if syllable:
                jamo_seen = True
                parts.append(syllable)
                offs.append(i)
                # the composed syllable covers `used` characters; later ones map to its last character
                i += used
                continue
        chunk = fold_char(c)
        if not chunk:
            zero = zero or c in ZERO_WIDTH
            bidi = bidi or c in BIDI_CONTROLS
            i += 1
            continue
        parts.append(chunk)
        offs.extend([i] * len(chunk))
        i += 1
    if bidi:
        for start, end in rtl_runs(text):  # what the reader sees: the run's characters in reverse order
            parts.append(" ")
            offs.append(end - 1)
            for j in range(end - 1, start - 1, -1):
                chunk = fold_char(text[j])
                parts.append(chunk)
                offs.extend([j] * len(chunk))
    return "".join(parts), offs, zero, jamo_seen, bidi


def _compose(text: str, i: int) -> tuple[str, int]:
    """Compose loose jamo at text[i:] into one syllable (ㅅㅑ -> 샤, ㄴㅔㄹ -> 넬, ㅇr -> 아); ('', 0) if not."""
    c = text[i]
    if c in _COMPAT_INITIAL and i + 1 < len(text):
        nxt = text[i + 1]
        medial = _COMPAT_MEDIAL.get(nxt)
        if medial is None and nxt == "r":
            medial = 0  # a Latin r between jamo is the vowel ㅏ (ㅇr이폰)
        if medial is not None:
            final, used = 0, 2
            if i + 2 < len(text) and text[i + 2] in _COMPAT_FINAL:
                after = text[i + 3] if i + 3 < len(text) else ""
                if after not in _COMPAT_MEDIAL and after != "r":
                    final, used = _COMPAT_FINAL[text[i + 2]], 3
            code = HANGUL_BASE + (_COMPAT_INITIAL[c] * 21 + medial) * 28 + final
            return chr(code), used
    if c in _COMPAT_MEDIAL:
        return chr(HANGUL_BASE + (11 * 21 + _COMPAT_MEDIAL[c]) * 28), 1  # a lone vowel reads as ㅇ+vowel
    return "", 0


@lru_cache(maxsize=65536)
def jamo(word: str) -> tuple[str, str]:
    """(jamo string, '1' where a syllable starts) for fuzzy comparison; finals are written as initials so
    나잌이 and 나이키 differ by one jamo."""
    out: list[str] = []
    starts: list[str] = []
    for ch in word:
        o = ord(ch)
        if HANGUL_BASE <= o <= HANGUL_LAST:
            idx = o - HANGUL_BASE
            s = chr(_L0 + idx // 588) + chr(_V0 + (idx % 588) // 28)
            t = idx % 28
            if t:
                s += "".join(chr(_L0 + k) for k in _FINALS[t])
            out.append(s)
            starts.append("1" + "0" * (len(s) - 1))
        else:
            out.append(ch)
            starts.append("1")
    return "".join(out), "".join(starts)


@lru_cache(maxsize=65536)
def fold_term(term: str) -> str:
    """A registry or lexicon term in compact folded form (what the automaton stores)."""
    return fold(term).compact


_SPACES_TABLE = str.maketrans("", "", " \t\n\r\f\v-_\u3000")


def strip_spaces(s: str) -> str:
    """Without whitespace, dashes and underscores (how a vocabulary term may be spaced in a listing)."""
    return s.translate(_SPACES_TABLE)


def base_form(text: str) -> str:
    """NFKC + casefold, separators removed: how a plain (undisguised) spelling looks."""
    s = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in s if not is_separator(ch) and ch not in ZERO_WIDTH)


def strip_accents(text: str) -> str:
    return "".join(d for d in unicodedata.normalize("NFD", text) if unicodedata.category(d) != "Mn")


def script_of(term_folded: str) -> str:
    """'latin', 'hangul', 'han' or 'other' by the first letter of a folded term."""
    for ch in term_folded:
        if is_latin(ch):
            return "latin"
        if is_hangul(ch) or is_hangul_jamo(ch):
            return "hangul"
        if is_han(ch):
            return "han"
    return "other"
