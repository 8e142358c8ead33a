"""Typos of marks: Latin words within an edit budget, Hangul one jamo away, Han one character away.

Look-ups are memoised per word on the index (bounded by MEMO_MAX), so cost follows the listing's length and the
number of distinct words, not the number of marks.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz.distance import OSA

from klean.signals.context import TextIndex, fuzzy_budget
from klean.signals.findings import Analysis, Mention
from klean.signals.text import Folded, is_vowel_jamo, jamo

_MISS = object()
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_LATIN_WORD5 = re.compile(r"[a-z]{5,}")  # shorter Latin words are never typos of a mark (fuzzy_budget)
# Two Latin words one character apart (louis-vuiton): the joined pairs the multi-word typo check looks at. The first
# word is consumed rather than looked ahead at, so the scan jumps from word to word instead of trying every position.
_LATIN_PAIR = re.compile(r"(?<![a-z])([a-z]{2,})(?=[^a-z]([a-z]{2,}))")
_HANGUL_TOKEN = re.compile("[\uac00-\ud7a3]{2,}")
_HAN_RUN = re.compile("[\u4e00-\u9fff]{3,}")
MEMO_MAX = 200_000


def remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) > MEMO_MAX:
        memo.clear()  # bounded: a long scan meets ever new words
    memo[key] = value
    return value


def _hangul_token(word: str, idx: TextIndex) -> tuple[int, int] | None:
    """(syllables, mark id) of the longest prefix of a Hangul word (2-5 syllables) one jamo away from a mark."""
    hit = None
    for n in range(min(len(word), 5), 1, -1):
        mid = _hangul_fuzzy(word[:n], idx)
        if mid is not None:
            hit = (n, mid)
            break
    return remember(idx.memo_hangul, word, hit)  # type: ignore[no-any-return]


def _hangul_fuzzy(word: str, idx: TextIndex) -> int | None:
    key = ("h", word)
    if key in idx.memo:
        return idx.memo[key]  # type: ignore[no-any-return]
    token, tstarts = jamo(word)
    if len(token) < 6:
        return remember(idx.memo, key, None)  # type: ignore[no-any-return]
    hit = None
    for mid in _lookup(token, idx):
        mkey, _bid, _mark, script, mstarts = idx.fuzzy_marks[mid]
        if script != "hangul" or mkey == token or mkey[0] != token[0]:
            continue
        if OSA.distance(token, mkey, score_cutoff=1) <= 1 and _hangul_edit_ok(token, mkey, tstarts, mstarts):
            hit = mid
            break
    return remember(idx.memo, key, hit)  # type: ignore[no-any-return]


def _latin_fuzzy(token: str, idx: TextIndex) -> int | None:
    best: tuple[int, int] | None = None
    for mid in _lookup(token, idx):
        mkey, _bid, _mark, script, _st = idx.fuzzy_marks[mid]
        if script != "latin" or mkey == token or mkey[0] != token[0]:
            continue
        if token.startswith(mkey) and token[len(mkey):] in ("s", "es"):
            continue  # a plural or possessive, not a typo
        budget = fuzzy_budget(mkey, script)
        d = OSA.distance(token, mkey, score_cutoff=budget)
        if d <= budget and (best is None or d < best[0]):
            best = (d, mid)
    return remember(idx.memo_latin, token, best[1] if best else None)  # type: ignore[no-any-return]


def _memo_get(memo: dict[str, Any], word: str, look: Any, idx: TextIndex) -> Any:
    hit = memo.get(word, _MISS)
    return look(word, idx) if hit is _MISS else hit


def _lookup(token: str, idx: TextIndex) -> set[int]:
    cands: set[int] = set(idx.fuzzy.get(token, ()))
    for i in range(len(token)):
        cands.update(idx.fuzzy.get(token[:i] + token[i + 1:], ()))
    return cands


def _hangul_edit_ok(token: str, mark: str, tstarts: str, mstarts: str) -> bool:
    """A one-jamo edit. A changed consonant counts only in final position of a longer mark: 아이퐁 is 아이폰,
    but 아이콘 (icon) is not, and 삼선 (three stripes) is not 삼성."""
    if len(token) == len(mark):
        diff = [i for i in range(len(token)) if token[i] != mark[i]]
        if len(diff) == 1:
            k = diff[0]
            if is_vowel_jamo(token[k]) and is_vowel_jamo(mark[k]):
                return True
            return len(mark) >= 7 and tstarts[k] == "0" and mstarts[k] == "0"
    return True


def _any_hit(words: list[str], memo: dict[str, Any], look: Any, idx: TextIndex, skip: Any) -> bool:
    """Whether any word is a fuzzy hit (memoised per word): most listings have none, and then no spans are needed.

    Words that are exactly a mark already found (`skip`) are not looked up: a cold look-up is the costly part.
    """
    for w in words:
        if w in skip:
            continue
        hit = memo.get(w, _MISS)
        if hit is _MISS:
            hit = look(w, idx)
        if hit is not None:
            return True
    return False


def find_typos(f: Folded, text: str, idx: TextIndex, covered: list[tuple[int, int]], a: Analysis) -> None:
    t = f.text
    lmemo = idx.memo_latin
    # One pass over the words (memoised) tells whether any is a typo of a mark; only then are spans worked out,
    # and words inside a mark already found are skipped there. Most listings stop here.
    done = {t[s:e] for s, e in covered} if covered else ()
    if idx.multiword:
        latin = _any_hit([w1 + w2 for w1, w2 in _LATIN_PAIR.findall(t)] + _LATIN_WORD5.findall(t), lmemo,
                         _latin_fuzzy, idx, done)
    else:
        latin = _any_hit(_LATIN_WORD5.findall(t), lmemo, _latin_fuzzy, idx, done)
    hangul = idx.fuzzy_hangul and _any_hit(_HANGUL_TOKEN.findall(t), idx.memo_hangul, _hangul_token, idx, done)
    han = idx.fuzzy_han_lengths and _HAN_RUN.search(t) is not None
    if not (latin or hangul or han):
        return
    found: list[tuple[int, int, int, str]] = []  # fs, fe, mark id, how
    mask = bytearray(len(t))
    for s, e in covered:
        mask[s:e] = b"\x01" * (e - s)
    if latin and idx.multiword:
        prev_s = prev_e = -2
        prev_w = ""
        for m in _LATIN_WORD.finditer(t):
            fs, fe = m.span()
            word = m.group()
            if fs - prev_e == 1 and mask.find(1, prev_s, fe) < 0:
                hit = _memo_get(lmemo, prev_w + word, _latin_fuzzy, idx)
                if hit is not None:
                    found.append((prev_s, fe, hit, "typo"))
                    mask[prev_s:fe] = b"\x01" * (fe - prev_s)
                    prev_s, prev_e, prev_w = fs, fe, word
                    continue
            prev_s, prev_e, prev_w = fs, fe, word
            if fe - fs < 5 or mask.find(1, fs, fe) >= 0:
                continue
            hit = _memo_get(lmemo, word, _latin_fuzzy, idx)
            if hit is not None:
                found.append((fs, fe, hit, "typo"))
    elif latin:
        for m in _LATIN_WORD5.finditer(t):
            fs, fe = m.span()
            if mask.find(1, fs, fe) >= 0:
                continue
            hit = _memo_get(lmemo, m.group(), _latin_fuzzy, idx)
            if hit is not None:
                found.append((fs, fe, hit, "typo"))
    if hangul:
        for m in _HANGUL_TOKEN.finditer(t):
            ts, te = m.span()
            if mask.find(1, ts, te) >= 0:
                continue
            hhit = _memo_get(idx.memo_hangul, m.group(), _hangul_token, idx)
            if hhit is not None:
                found.append((ts, ts + hhit[0], hhit[1], "jamo"))
                mask[ts:ts + hhit[0]] = b"\x01" * hhit[0]
    if han:
        hmemo = idx.memo_han
        for m in _HAN_RUN.finditer(t):
            ts, te = m.span()
            for n in idx.fuzzy_han_lengths:
                for fs in range(ts, te - n + 1):
                    fe = fs + n
                    if mask.find(1, fs, fe) >= 0:
                        continue
                    mid = _memo_get(hmemo, t[fs:fe], _han_fuzzy, idx)
                    if mid is not None:
                        found.append((fs, fe, mid, "typo"))
                        mask[fs:fe] = b"\x01" * (fe - fs)
    for fs, fe, mid, how in found:
        _key, bid, mark, _script, _st = idx.fuzzy_marks[mid]
        o0, o1 = f.span(fs, fe)
        a.mentions.append(Mention(bid, "disguise", how, mark, text[o0:o1], (o0, o1), 0.8))
        covered.append((fs, fe))


def _han_fuzzy(token: str, idx: TextIndex) -> int | None:
    """The Han mark of the same length one edit away from this run of characters, if any."""
    hit = None
    for mid in _lookup(token, idx):
        key, _bid, _mark, script, _st = idx.fuzzy_marks[mid]
        if script == "han" and len(key) == len(token) and key != token and \
                OSA.distance(token, key, score_cutoff=1) <= 1:
            hit = mid
            break
    return remember(idx.memo_han, token, hit)
