"""Misspelt marks: Latin words within an edit budget, Hangul one jamo away, Han one character away, and in every
script respellings that sound the same (phonetic keys) and long Hangul marks without their last syllable.

Look-ups are memoised per word on the index (bounded by MEMO_MAX), so cost follows the listing's length and the
number of distinct words, not the number of marks.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz.distance import OSA

from klean.signals.context import TextIndex, fuzzy_budget
from klean.signals.findings import Analysis, Mention
from klean.signals.phonetic import (
    THAI_RUN,
    consonants_in,
    han_sound,
    hangul_key,
    join_keys,
    latin_key,
    thai_letters,
    thai_word_clusters,
    vowel_classes,
    vowels_agree,
)
from klean.signals.text import Folded, is_vowel_jamo, jamo

_MISS = object()
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_LATIN_WORD4 = re.compile(r"[a-z]{4,}")  # shorter Latin words are never typos of a mark (fuzzy_budget)
# Two Latin words one character apart (louis-vuiton): the joined pairs the multi-word typo check looks at. The first
# word is consumed rather than looked ahead at, so the scan jumps from word to word instead of trying every position.
_LATIN_PAIR = re.compile(r"(?<![a-z])([a-z]{2,})(?=[^a-z]([a-z]{2,}))")
_HANGUL_TOKEN = re.compile("[\uac00-\ud7a3]{2,}")
_HAN_RUN = re.compile("[\u4e00-\u9fff]{2,}")
_HAN_RUN3 = re.compile("[\u4e00-\u9fff]{3,}")
MEMO_MAX = 200_000

Hit = tuple[int, str]  # (mark id, how: typo | jamo | phonetic | truncated)


def remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) > MEMO_MAX:
        memo.clear()  # bounded: a long scan meets ever new words
    memo[key] = value
    return value


def _hangul_token(word: str, idx: TextIndex) -> tuple[int, Hit] | None:
    """(syllables, hit) for the longest prefix of a Hangul word that is a misspelt mark.

    Korean writes particles and compounds without spaces, so a mark is looked for at the start of each word: one
    jamo away, or sounding the same (꾸찌), or, for the whole word only, a long mark without its last syllable
    (노스페이)."""
    hit = None
    whole = idx.truncated.get(word)
    if whole:
        hit = (len(word), (whole[0], "truncated"))
    else:
        for n in range(min(len(word), idx.hangul_max), 1, -1):
            h = _hangul_fuzzy(word[:n], idx)
            if h is not None:
                hit = (n, h)
                break
    return remember(idx.memo_hangul, word, hit)  # type: ignore[no-any-return]


def _hangul_fuzzy(word: str, idx: TextIndex) -> Hit | None:
    key = ("h", word)
    if key in idx.memo:
        return idx.memo[key]  # type: ignore[no-any-return]
    hit: Hit | None = None
    for mid in idx.phonetic.get("H" + hangul_key(word), ()):
        if idx.fuzzy_marks[mid][2] != word:
            hit = (mid, "phonetic")
            break
    token, tstarts = jamo(word)
    if hit is None and word in idx.common_words:
        return remember(idx.memo, key, None)  # 라이온 (lion) is a word, not a one-jamo slip of 라이언
    # Any one-jamo edit only on longer words: among ten thousand marks, most two-syllable words are one jamo from
    # some mark (정품, 박스 ...), so short marks are found misspelt only when they sound the same (phonetic keys).
    if hit is None and len(token) >= 6:
        for mid in _lookup(token, idx):
            mkey, _bid, _mark, script, mstarts, _short = idx.fuzzy_marks[mid]
            if script != "hangul" or mkey == token or mkey[0] != token[0]:
                continue
            if OSA.distance(token, mkey, score_cutoff=1) <= 1 and _hangul_edit_ok(token, mkey, tstarts, mstarts):
                hit = (mid, "jamo")
                break
    return remember(idx.memo, key, hit)  # type: ignore[no-any-return]


def _latin_fuzzy(token: str, idx: TextIndex) -> Hit | None:
    """The mark this Latin word misspells: within the mark's edit budget, or sounding the same (Pradda)."""
    best: tuple[int, int] | None = None
    common = token in idx.common_words  # a common word is a near miss of a short mark only if it sounds the same
    for mid in _lookup(token, idx):
        mkey, _bid, _mark, script, _st, short = idx.fuzzy_marks[mid]
        if script != "latin" or mkey == token or mkey[0] != token[0] or (short and common):
            continue
        if token.startswith(mkey) and token[len(mkey):] in ("s", "es"):
            continue  # a plural or possessive, not a typo
        budget = fuzzy_budget(mkey, script)
        d = OSA.distance(token, mkey, score_cutoff=budget)
        if d <= budget and (best is None or d < best[0]):
            best = (d, mid)
    hit: Hit | None = (best[1], "typo") if best else None
    if hit is None:
        for mid in idx.phonetic.get("L" + latin_key(token), ()):
            if idx.fuzzy_marks[mid][0] != token:
                hit = (mid, "phonetic")
                break
    return remember(idx.memo_latin, token, hit)  # type: ignore[no-any-return]


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
        latin = _any_hit([w1 + w2 for w1, w2 in _LATIN_PAIR.findall(t)] + _LATIN_WORD4.findall(t), lmemo,
                         _latin_fuzzy, idx, done)
    else:
        latin = _any_hit(_LATIN_WORD4.findall(t), lmemo, _latin_fuzzy, idx, done)
    hangul = idx.fuzzy_hangul and _any_hit(_HANGUL_TOKEN.findall(t), idx.memo_hangul, _hangul_token, idx, done)
    han = idx.fuzzy_han_lengths and _HAN_RUN3.search(t) is not None
    sounds = _han_sounds(t, idx) if idx.han_sound_automaton is not None and _HAN_RUN.search(t) else []
    if not (latin or hangul or han or sounds):
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
                    found.append((prev_s, fe, *hit))
                    mask[prev_s:fe] = b"\x01" * (fe - prev_s)
                    prev_s, prev_e, prev_w = fs, fe, word
                    continue
            prev_s, prev_e, prev_w = fs, fe, word
            if fe - fs < 4 or mask.find(1, fs, fe) >= 0:
                continue
            hit = _memo_get(lmemo, word, _latin_fuzzy, idx)
            if hit is not None:
                found.append((fs, fe, *hit))
    elif latin:
        for m in _LATIN_WORD4.finditer(t):
            fs, fe = m.span()
            if mask.find(1, fs, fe) >= 0:
                continue
            hit = _memo_get(lmemo, m.group(), _latin_fuzzy, idx)
            if hit is not None:
                found.append((fs, fe, *hit))
    if hangul:
        for m in _HANGUL_TOKEN.finditer(t):
            ts, te = m.span()
            if mask.find(1, ts, te) >= 0:
                continue
            hhit = _memo_get(idx.memo_hangul, m.group(), _hangul_token, idx)
            if hhit is not None:
                n, (mid, how) = hhit
                found.append((ts, ts + n, mid, how))
                mask[ts:ts + n] = b"\x01" * n
    if han:
        hmemo = idx.memo_han
        lengths = sorted(idx.fuzzy_han_lengths, reverse=True)
        for m in _HAN_RUN.finditer(t):
            ts, te = m.span()
            for n in lengths:
                for fs in range(ts, te - n + 1):
                    fe = fs + n
                    if mask.find(1, fs, fe) >= 0:
                        continue
                    hhit = _memo_get(hmemo, t[fs:fe], _han_fuzzy, idx)
                    if hhit is not None:
                        found.append((fs, fe, *hhit))
                        mask[fs:fe] = b"\x01" * (fe - fs)
    for fs, fe, mid in sounds:
        if mask.find(1, fs, fe) < 0:
            found.append((fs, fe, mid, "phonetic"))
            mask[fs:fe] = b"\x01" * (fe - fs)
    for fs, fe, mid, how in found:
        _key, bid, mark, _script, _st, short = idx.fuzzy_marks[mid]
        o0, o1 = f.span(fs, fe)
        a.mentions.append(Mention(bid, "disguise", how, mark, text[o0:o1], (o0, o1), 0.8, corroborate=short))
        covered.append((fs, fe))


def _han_fuzzy(token: str, idx: TextIndex) -> Hit | None:
    """The Han mark of the same length one edit away from this run of characters, if any."""
    hit: Hit | None = None
    for mid in _lookup(token, idx):
        key, _bid, _mark, script, _st, _short = idx.fuzzy_marks[mid]
        if script == "han" and len(key) == len(token) and key != token and \
                OSA.distance(token, key, score_cutoff=1) <= 1:
            hit = (mid, "typo")
            break
    return remember(idx.memo_han, token, hit)  # type: ignore[no-any-return]


def _han_sounds(t: str, idx: TextIndex) -> list[tuple[int, int, int]]:
    """(start, end, mark id) where Han characters read like a Han mark but are not written as it (博仕 for 博士):
    the text translated to syllable codes (same length) in one automaton pass."""
    out: list[tuple[int, int, int]] = []
    for end, (n, mids) in idx.han_sound_automaton.iter(han_sound(t)):
        fs, fe = end - n + 1, end + 1
        written = t[fs:fe]
        for mid in mids:
            if idx.fuzzy_marks[mid][0] != written:
                out.append((fs, fe, mid))
                break
    return out


# A Latin run next to a Hangul or Han run (at most one space apart), both runs captured by one scan: only such
# boundaries cost anything.
_LATIN_OTHER = re.compile("(?<![a-z])([a-z]+) ?([\uac00-\ud7a3]+|[\u4e00-\u9fff]+)"
                          "|([\uac00-\ud7a3]+|[\u4e00-\u9fff]+) ?([a-z]+)(?![a-z])")
MIXED_SHARE = (0.7, 1.4)  # the two pieces together cover about one whole mark (measured on the marks' lengths)


def find_mixed_script(f: Folded, text: str, idx: TextIndex, covered: list[tuple[int, int]], a: Analysis) -> None:
    """A mark written half in one script and half in another (노스Face, 캐나다GOOSE, Bur宝莉, O메가, 보테가 Veneta).

    The Latin piece must start or end one of the brand's Latin marks, the Hangul or Han piece must end or start one
    of the same brand's marks in that script, and together they must cover about one whole mark. No
    transliteration table is needed: the brand's own marks in each script are the dictionary. Only where a Latin
    run touches a Hangul or Han run (at most one space apart) is anything looked up."""
    t = f.text
    if not idx.mixed_latin_suffix or t.isascii():
        return
    found: list[tuple[int, int, str]] = []
    prefixes, suffixes = idx.mixed_latin_prefix, idx.mixed_latin_suffix
    for m in _LATIN_OTHER.finditer(t):
        latin = m.group(1)
        if latin is not None:  # Latin first: O메가, bur宝莉, saint罗兰
            if latin in prefixes:
                other = m.group(2)
                hit = _mixed_pair(latin, other, idx)
                if hit is not None:
                    found.append((m.start(1), m.end(2) - hit[1], hit[0]))
        else:  # other first: 노스Face, 캐나다GOOSE, 보테가 Veneta
            latin = m.group(4)
            if latin in suffixes:
                hit = _mixed_pair(latin, m.group(3), idx, other_first=True)
                if hit is not None:
                    found.append((m.start(3) + hit[1], m.end(4), hit[0]))
    for fs, fe, brand_id in found:
        if _overlaps(fs, fe, covered):
            continue
        o0, o1 = f.span(fs, fe)
        a.mentions.append(Mention(brand_id, "disguise", "mixed-script", idx.brand_names.get(brand_id, brand_id),
                                  text[o0:o1], (o0, o1), 1.0))
        covered.append((fs, fe))


def _mixed_pair(latin: str, other: str, idx: TextIndex, *, other_first: bool = False) -> tuple[str, int] | None:
    """(brand, characters of the other run left outside the mark) when the two runs spell one of its marks
    (memoised: the same neighbouring words come back listing after listing)."""
    key = ("m", latin, other, other_first)
    hit = idx.memo.get(key, _MISS)
    if hit is _MISS:
        hit = remember(idx.memo, key, _mixed_pair_cold(latin, other, idx, other_first))
    return hit  # type: ignore[no-any-return]


def _mixed_pair_cold(latin: str, other: str, idx: TextIndex, other_first: bool) -> tuple[str, int] | None:
    low, high = MIXED_SHARE
    if other_first:  # 노스 + face: the Latin run ends a Latin mark, the end of the Hangul run starts a Hangul mark
        latin_pieces = idx.mixed_latin_suffix.get(latin, ())
        pieces = [(other[len(other) - k:], len(other) - k) for k in range(min(len(other), 8), 0, -1)]
        table = idx.mixed_other_prefix
    else:  # O + 메가, bur + 宝莉: the Latin run starts a Latin mark, the start of the other run ends a mark
        latin_pieces = idx.mixed_latin_prefix.get(latin, ())
        pieces = [(other[:k], len(other) - k) for k in range(min(len(other), 8), 0, -1)]
        table = idx.mixed_other_suffix
    if not latin_pieces:
        return None
    for piece, trim in pieces:
        for brand_id, share in table.get(piece, ()):
            if len(latin) == 1 and share < 0.5:
                continue  # one letter says little (O메가): the other piece must carry most of the mark
            for latin_brand, latin_share in latin_pieces:
                if latin_brand == brand_id and low <= share + latin_share <= high:
                    return brand_id, trim
    return None


def _overlaps(fs: int, fe: int, spans: list[tuple[int, int]]) -> bool:
    for s, e in spans:  # noqa: SIM110 (a plain loop: a generator in any() costs more for the few spans here)
        if fs < e and s < fe:
            return True
    return False


# Thai runs, joined across single spaces (หลุยส์ วิตตอง): a mark's spelling may start and end at any cluster in them.
_THAI_SPAN = re.compile("[\u0e01-\u0e4e]+(?: [\u0e01-\u0e4e]+)*")


def find_thai_sounds(f: Folded, text: str, idx: TextIndex, covered: list[tuple[int, int]], a: Analysis) -> None:
    """Thai spellings of marks by sound (phonetic.thai_keys), in runs of Thai without spaces.

    A Latin mark written in Thai the way it sounds (ชาแนล for Chanel, when no Thai mark is registered) is a plain
    mention of it. Against the brand's registered Thai marks (the anchors): the same letters up to tone marks and
    vowel length (ไนกี๊ for ไนกี้) is the mark; another spelling of the same sound (คาซิโอ้, ชัมซุง) a respelling; a
    letter dropped (not the first or last) from one of five consonants or more (หลุยวิตตอง) a typo. Sound keys that
    agree must agree in vowel classes too (สามเส้น is not Samsung). Short marks need corroboration, as short Latin
    ones do."""
    t = f.text
    for m in _THAI_SPAN.finditer(t):
        key = ("t", m.group())
        hits = idx.memo.get(key, _MISS)
        if hits is _MISS:
            hits = remember(idx.memo, key, _thai_run(m.group(), idx))
        for rs, re_, found_marks in hits:  # type: ignore[attr-defined]
            fs, fe = m.start() + rs, m.start() + re_
            if _overlaps(fs, fe, covered):
                continue
            o0, o1 = f.span(fs, fe)
            for mid, how, corroborate in found_marks:
                _key, bid, mark, _script, _st, _short = idx.fuzzy_marks[mid]
                if how == "mark":
                    a.mentions.append(Mention(bid, "mark", "mark", mark, text[o0:o1], (o0, o1), 1.0,
                                              corroborate=corroborate))
                else:
                    a.mentions.append(Mention(bid, "disguise", how, mark, text[o0:o1], (o0, o1), 0.8,
                                              corroborate=corroborate))
            covered.append((fs, fe))


ThaiHit = tuple[int, int, tuple[tuple[int, str, bool], ...]]  # start, end, (mark id, how, corroborate) per brand


def _thai_run(run: str, idx: TextIndex) -> list[ThaiHit]:
    """The marks spelt by sound in one Thai run, longest first. The clusters' keys are joined into the run's key
    (a letter doubled across clusters once), and the automaton of mark keys is run over it once; a key found counts
    where it starts at a cluster (after a vowel the key drops) and ends at one (before such a vowel)."""
    if idx.thai_automaton is None:
        return []
    clusters: list[tuple[int, int, str, str]] = []
    for m in THAI_RUN.finditer(run):
        at = m.start()
        clusters.extend((at + s, at + e, coarse, fine) for s, e, coarse, fine in thai_word_clusters(m.group()))
    joined = ""
    owner: list[int] = []  # key position -> cluster
    starts: list[int] = []  # cluster -> where its letters begin in the joined key
    for k, (_s, _e, coarse, _fine) in enumerate(clusters):
        if joined and coarse and joined[-1] == coarse[0]:
            coarse = coarse[1:]
        starts.append(len(joined))
        joined += coarse
        owner.extend([k] * len(coarse))
    ends = [*starts[1:], len(joined)]
    found: list[tuple[int, int, tuple[tuple[int, str, bool], ...], bool]] = []
    for last, (length, key, fuzzy) in idx.thai_automaton.iter(joined):
        first = last - length + 1
        c0, c1 = owner[first], owner[last]
        if not (first == starts[c0] or (first == starts[c0] + 1 and joined[first - 1] == "a")):
            continue
        if not (last == ends[c1] - 1 or (last == ends[c1] - 2 and joined[last + 1] == "a")):
            continue
        mids = (idx.thai_sound_fuzzy if fuzzy else idx.thai_sound).get(key, ())
        # the clusters that add only a vowel or nothing to the key on either side may be the mark's too: a vowel
        # carrier or a silent ห before it (อาดิดาส, หลุยส์), a vowel after it (คาสิโอ)
        firsts = [c0 - 1, c0] if c0 > 0 and clusters[c0 - 1][2] in ("", "a") else [c0]
        lasts = [c1]
        while len(lasts) < 3 and lasts[-1] + 1 < len(clusters) and clusters[lasts[-1] + 1][2] in ("", "a"):
            lasts.append(lasts[-1] + 1)
        for a0 in firsts:
            for a1 in reversed(lasts):
                fine = ""
                for k in range(a0, a1 + 1):
                    fine = join_keys(fine, clusters[k][3])
                start, end = clusters[a0][0], clusters[a1][1]
                marks = _thai_verified(mids, key, fine, run[start:end], idx, fuzzy=fuzzy)
                if marks:
                    found.append((start, end, marks, fuzzy))
                    break
            else:
                continue
            break
    out: list[ThaiHit] = []
    taken = -1
    for start, end, marks, _fuzzy in sorted(found, key=lambda h: (h[0], -(h[1] - h[0]), h[3])):
        if start >= taken:
            out.append((start, end, marks))
            taken = end
    return out


def _thai_verified(mids: Any, ck: str, fine: str, written: str, idx: TextIndex, *, fuzzy: bool
                   ) -> tuple[tuple[int, str, bool], ...]:
    """(mark id, how, corroborate) for the marks, one per brand, that this spelling stands for."""
    out: list[tuple[int, str, bool]] = []
    brands: set[str] = set()
    vowels = None
    for mid in mids:  # the brands' Thai marks come first (context.build_index)
        mark_coarse, mark_vowels, mark_fine, mark_letters = idx.thai_marks[mid]
        bid = idx.fuzzy_marks[mid][1]
        if bid in brands:
            continue
        consonants = consonants_in(mark_coarse)
        if fuzzy:  # only Thai marks have a fuzzy index
            if OSA.distance(fine, mark_fine, score_cutoff=1) > 1:
                continue
            how, corroborate = "typo", False
        elif mark_fine and fine == mark_fine:
            how = "mark" if thai_letters(written) == mark_letters else "phonetic"
            corroborate = consonants < 3
        elif mark_fine:
            continue  # a Thai mark is compared with its vowels as written (โค้ช is not เคส, ลิขสิ is not กาแล็กซี่)
        else:
            if vowels is None:
                vowels = vowel_classes(fine)
            if vowels != mark_vowels and (("*" not in vowels and "*" not in mark_vowels)
                                          or not vowels_agree(vowels, mark_vowels)):
                continue
            how, corroborate = "mark", consonants < 4
        brands.add(bid)
        out.append((mid, how, corroborate))
    return tuple(out)
