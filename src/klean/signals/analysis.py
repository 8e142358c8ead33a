"""One pass over a listing's folded text, shared by the text signals (computed once per listing, then cached).

It finds brand mentions (plain marks, disguised marks, typos, nicknames, design cues, initials, masked
marks), product names, counterfeit vocabulary and the context cues (compatible, used, rental, bundle ...).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA

from klean.domain.listing import Listing
from klean.domain.registry import Product
from klean.domain.screening import ScreeningContext
from klean.signals.context import INDEX_KEY, INITIAL_RE, TextIndex, _masked_base, fuzzy_budget
from klean.signals.text import (
    ZERO_WIDTH,
    Folded,
    base_form,
    fold,
    is_compat_jamo,
    is_han,
    is_hangul_jamo,
    is_latin,
    is_separator,
    is_vowel_jamo,
    jamo,
    strip_accents,
    strip_spaces,
)

# How strongly each kind of mention alludes to the brand (before the signal's own weighting).
DISGUISES = ("spaced", "masked", "leet", "homoglyph", "fullwidth", "zero-width", "accent", "lookalike", "typo",
             "jamo", "mixed-script")


@dataclass(slots=True)
class Mention:
    brand_id: str | None
    kind: str  # mark | disguise | nickname | cue | initial
    how: str  # for disguises: spaced, leet, homoglyph, typo ...; else the mention kind
    term: str  # the registered mark (or nickname / cue) it stands for
    found: str  # the text as written in the listing
    span: tuple[int, int]
    weight: float


@dataclass(slots=True)
class VocabHit:
    term: str
    weight: float
    kind: str  # vocab | scheme
    lang: str
    found: str
    span: tuple[int, int]


@dataclass(slots=True)
class Analysis:
    folded: Folded
    mentions: list[Mention] = field(default_factory=list)
    products: dict[str, tuple[Product, tuple[int, int], str]] = field(default_factory=dict)
    vocab: list[VocabHit] = field(default_factory=list)
    # cue kind -> folded spans (except "fits": spans in listing.text of the mention it precedes)
    cues: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    _best: dict[str, Mention] | None = None
    _primary: tuple[str | None] | None = None

    def brands(self) -> dict[str, Mention]:
        """The strongest mention per brand."""
        if self._best is None:
            best: dict[str, Mention] = {}
            for m in self.mentions:
                if m.brand_id is not None and (m.brand_id not in best or m.weight > best[m.brand_id].weight):
                    best[m.brand_id] = m
            self._best = best
        return self._best

    def has(self, cue: str) -> bool:
        return bool(self.cues.get(cue))

    def primary_brand(self) -> str | None:
        """The brand the listing is about: one with a product named in it first, then the strongest mention."""
        if self._primary is None:
            best = self.brands()
            self._primary = (max(best.values(), key=lambda m: (m.brand_id in self.products, m.weight)).brand_id
                             if best else None,)
        return self._primary[0]

    @property
    def alludes_to_brand(self) -> bool:
        return bool(self.mentions)


_cache: tuple[object, object, Analysis] | None = None


def analyse(listing: Listing, ctx: ScreeningContext) -> Analysis:
    """The analysis of this listing's text (cached for the last listing, which every signal asks about)."""
    global _cache
    c = _cache
    if c is not None and c[0] is listing and c[1] is ctx:
        return c[2]
    result = _analyse(listing.text, ctx.indexes[INDEX_KEY])
    _cache = (listing, ctx, result)
    return result


def _latin_ok(f: Folded, fs: int, fe: int, *, digits_after: bool) -> bool:
    t = f.text  # is_latin written out below: this runs for most terms found
    if fs > 0:
        p = t[fs - 1]
        if "a" <= p <= "z" or (p.isdigit() and t[fs].isdigit()):
            return False
    if fe < len(t):
        n = t[fe]
        if "a" <= n <= "z" and "a" <= t[fe - 1] <= "z":
            return False
        if n.isdigit() and (t[fe - 1].isdigit() or not digits_after):
            return False
    return True


def _pieces(raw: str) -> list[str]:
    out, cur = [], []
    for ch in raw:
        if is_separator(ch) or ch in ZERO_WIDTH:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def _classify(raw: str, folded_span: str, mark_seps: int, script: str, idx: TextIndex, zero: bool) -> str | None:
    """None for a plain spelling of a mark, else how it is disguised."""
    if zero and any(ch in ZERO_WIDTH for ch in raw):
        return "zero-width"
    if any(0xFF01 <= ord(ch) <= 0xFF5E for ch in raw):
        return "fullwidth"
    if any(is_compat_jamo(ch) or is_hangul_jamo(ch) for ch in raw):
        return "mixed-script" if any("a" <= ch.lower() <= "z" for ch in raw) else "jamo"
    seps = sum(1 for ch in folded_span if not ch.isalnum())
    if seps > mark_seps:
        if any(ch in "*" for ch in raw):
            return "masked"
        pieces = _pieces(raw)
        if any(len(p) == 1 for p in pieces) or (pieces and base_form(pieces[0]) not in idx.plain_forms):
            return "masked" if any(ch in "()[]" for ch in raw) else "spaced"
    b = base_form(raw)
    if b in idx.plain_forms:
        return None
    nfkc = unicodedata.normalize("NFKC", raw)
    if script == "hangul":
        if any(is_latin(ch.lower()) for ch in raw):
            return "mixed-script"
        return "jamo"
    stripped = strip_accents(nfkc)
    if stripped != nfkc and all(ord(ch) < 0x80 for ch in stripped if ch.isalpha()):
        return "accent"
    letters = [ch for ch in nfkc if ch.isalpha()]
    if any(unicodedata.category(ch) == "Ll" and ord(ch) > 0x24F for ch in nfkc.lower()) or any(
            ord(ch) > 0x24F for ch in letters):
        return "homoglyph"
    if any(ord(ch) > 0x7F for ch in letters):
        return "accent"
    if any(not ch.isalpha() for ch in nfkc if not is_separator(ch)) or any(ch in "$@" for ch in raw):
        return "leet"
    # Only l/I swapped: a real disguise on a long mark (Samsonlte), a coincidence on a short one (IV is not LV).
    return "lookalike" if len(b) > 3 else "coincidence"


def _analyse(text: str, idx: TextIndex) -> Analysis:
    f = fold(text)
    a = Analysis(folded=f)
    t = f.text
    mark_hits: list[tuple[int, int, str, str, str | None, str]] = []  # fs, fe, brand, mark, how, script
    nick_hits: list[tuple[int, int, str, str, float, str]] = []
    product_hits: list[tuple[int, int, str, int]] = []
    vocab_hits: list[tuple[int, int, int]] = []
    collisions: list[tuple[int, int]] = []
    benign: list[tuple[int, int]] = []

    starts = f.starts()
    cst, fst = starts if starts is not None else ((), ())
    for end, (klen, payloads) in idx.automaton.iter(f.compact):
        cs = end - klen + 1
        if starts is None:
            fs, fe = cs, end + 1
        else:  # Folded.to_folded, inlined: this loop runs for every term found
            i = bisect_right(cst, cs) - 1
            fs = fst[i] + cs - cst[i]
            i = bisect_right(cst, end) - 1
            fe = fst[i] + end - cst[i] + 1
        for p in payloads:
            kind = p[0]
            if kind == "mark":
                _, bid, mark, script, mseps = p
                if script == "latin" and not _latin_ok(f, fs, fe, digits_after=True):
                    continue
                o0, o1 = f.span(fs, fe)
                raw = text[o0:o1]
                if raw.lower() in idx.plain_forms:
                    how = None  # the common case, decided without classifying: a mark as registered
                else:
                    ckey = ("c", raw, t[fs:fe], mseps, script)
                    if ckey in idx.memo:
                        how = idx.memo[ckey]
                    else:
                        how = _remember(idx.memo, ckey, _classify(raw, t[fs:fe], mseps, script, idx, f.had_zero_width))
                mark_hits.append((fs, fe, bid, mark, how, script))
            elif kind == "product":
                _, bid, pi, script = p
                if script == "latin" and not _latin_ok(f, fs, fe, digits_after=False):
                    continue
                product_hits.append((fs, fe, bid, pi))
            elif kind == "collision":
                collisions.append((fs, fe))
            else:
                bare, script = p[-2], p[-1]  # bare: the term's folded text without spaces and dashes
                if strip_spaces(t[fs:fe]) != bare:
                    continue
                if (script == "latin" or bare[:1].isdigit()) and not _latin_ok(f, fs, fe, digits_after=False):
                    continue
                if kind == "nick":
                    nick_hits.append((fs, fe, p[1], p[2], p[3], p[4]))
                elif kind == "vocab":
                    entry = idx.vocab[p[1]]
                    if entry.kind == "benign":
                        benign.append((fs, fe))
                    else:
                        vocab_hits.append((fs, fe, p[1]))
                elif kind == "cue":
                    a.cues[p[1]].append((fs, fe))

    # Marks: drop those inside a collision word, keep the longest where marks overlap.
    if collisions:
        mark_hits = [h for h in mark_hits if not _within(h[0], h[1], collisions)]
    mark_hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    covered: list[tuple[int, int]] = []
    for fs, fe, bid, mark, how, _script in mark_hits:
        if covered and _within(fs, fe, covered):
            continue
        covered.append((fs, fe))
        o0, o1 = f.span(fs, fe)
        if how == "coincidence":
            continue
        if how is None:
            a.mentions.append(Mention(bid, "mark", "mark", mark, text[o0:o1], (o0, o1), 1.0))
        else:
            a.mentions.append(Mention(bid, "disguise", how, mark, text[o0:o1], (o0, o1), 1.0))

    _fuzzy(f, text, idx, covered + collisions, a)
    _masked(text, idx, a)

    if product_hits:
        _products(f, text, idx, [h for h in product_hits if not _within(h[0], h[1], collisions)], a)
    if product_hits or a.mentions:
        _nominative(text, a, [f.span(h[0], h[1]) for h in product_hits])

    for fs, fe, bid, kind, weight, term in nick_hits:
        if kind == "nickname_product" and bid not in a.products:
            continue
        o0, o1 = f.span(fs, fe)
        a.mentions.append(Mention(bid, "cue" if kind == "cue" else "nickname", kind, term, text[o0:o1], (o0, o1),
                                  weight))

    for m in INITIAL_RE.finditer(text) if ("사" in text or "家" in text or "社" in text) else ():
        letter = m.group(1).lower()
        cands = idx.initials.get(idx_key(letter), ())
        with_product = [b for b in cands if b in a.products]
        bid = with_product[0] if len(with_product) == 1 else None
        a.mentions.append(Mention(bid, "initial", "initial", m.group(0), m.group(0), (m.start(), m.end()), 0.8))

    # "로고 없음" (no logo) contains 로고: a logo cue inside a no-logo phrase is not a logo.
    if a.cues.get("logo") and a.cues.get("nologo"):
        a.cues["logo"] = [h for h in a.cues["logo"] if not _within(h[0], h[1], a.cues["nologo"])]

    # Vocabulary: drop what sits inside a harmless phrase, keep the longest of overlapping terms.
    if benign:
        vocab_hits = [h for h in vocab_hits if not _within(h[0], h[1], benign)]
    vocab_hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    negations = a.cues.get("neg_before")
    taken: list[tuple[int, int]] = []
    for fs, fe, vi in vocab_hits:
        if taken and _overlaps(fs, fe, taken):
            continue
        taken.append((fs, fe))
        if (negations or a.cues.get("neg_after")) and _negated(f, fs, fe, a):
            continue
        v = idx.vocab[vi]
        o0, o1 = f.span(fs, fe)
        a.vocab.append(VocabHit(v.term, v.weight, v.kind, v.lang, text[o0:o1], (o0, o1)))
    return a


_FOR_BEFORE = re.compile(r"(?:\bfor|\bfits?|\bto fit|compatible with|designed for)\s*[-–—:]?\s*"
                         r"(?:the\s+|your\s+|an?\s+)?$", re.IGNORECASE)
_YONG_AFTER = re.compile(r"^\s?(?:용|전용|호환)")
# The only non-ASCII characters IGNORECASE lets stand for ASCII letters (İ ı for i, K for k, ſ for s): without one
# of them, "for", "fit" or "compatible" must appear literally for _FOR_BEFORE to match.
_CASELESS_ODD = re.compile("[\u0130\u0131\u212a\u017f]")


def _nominative(text: str, a: Analysis, product_spans: list[tuple[int, int]]) -> None:
    """"case for Galaxy S24", "strap to fit Apple Watch", "S24 울트라용 케이스": the brand says what the item fits."""
    spans = [m.span for m in a.mentions if m.kind == "mark"] + product_spans
    for s, e in spans:
        before = text[max(0, s - 24):s]
        low = before.lower()
        after = text[e:e + 3]
        if (("for" in low or "fit" in low or "compatible" in low
             or (not before.isascii() and _CASELESS_ODD.search(before))) and _FOR_BEFORE.search(before)) or (
                ("용" in after or "전" in after or "호" in after) and _YONG_AFTER.match(after)):
            a.cues["fits"].append((s, e))
            return


_TEXT_TOKEN_RE = re.compile("[a-z0-9]{2,}|[\u1100-\u11ff]{4,}|[\u4e00-\u9fff]{2,}")


def _products(f: Folded, text: str, idx: TextIndex, hits: list[tuple[int, int, str, int]], a: Analysis) -> None:
    """Pick each brand's product: the alias found in the text, preferring the product whose name shares the
    most words with the listing (GG Marmont *belt* is the belt, not the Marmont bag)."""
    by_brand: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    for fs, fe, bid, pi in hits:
        prev = by_brand[bid].get(pi)
        if prev is None or fe - fs > prev[1] - prev[0]:
            by_brand[bid][pi] = (fs, fe)
    words: frozenset[str] = frozenset()
    for bid in by_brand:
        tokens = idx.product_tokens.get(bid, ())
        if len(tokens) > 1 and not words:  # one product: nothing to choose between, no words needed
            words = frozenset(_TEXT_TOKEN_RE.findall(f.text))
        best: tuple[float, int] | None = None
        for pi, (fs, fe) in by_brand[bid].items():
            score = len(tokens[pi] & words) + (fe - fs) / 100
            if best is None or score > best[0]:
                best = (score, pi)
        for pi, toks in enumerate(tokens):
            if pi not in by_brand[bid] and best is not None and len(toks & words) >= 3 and \
                    len(toks & words) > best[0]:
                best = (float(len(toks & words)), pi)
        if best is not None:
            pi = best[1]
            fs, fe = by_brand[bid].get(pi, (0, 0))
            o0, o1 = f.span(fs, fe) if fe else (0, 0)
            a.products[bid] = (idx.products[bid][pi], (o0, o1), text[o0:o1])


# Plain loops: these run for every hit, and a generator inside any() costs more than the few spans it looks at.
def _within(fs: int, fe: int, spans: list[tuple[int, int]]) -> bool:
    for s, e in spans:  # noqa: SIM110 (see above)
        if s <= fs and fe <= e:
            return True
    return False


def _overlaps(fs: int, fe: int, spans: list[tuple[int, int]]) -> bool:
    for s, e in spans:  # noqa: SIM110 (see above)
        if fs < e and s < fe:
            return True
    return False


def idx_key(letter: str) -> str:
    return "i" if letter == "l" else letter  # the skeleton folds l to i, and so do the initials' keys


def _negated(f: Folded, fs: int, fe: int, a: Analysis) -> bool:
    for _s, e in a.cues.get("neg_before", ()):
        if e <= fs and fs - e <= 3:
            return True
    return any(s >= fe and s - fe <= 3 for s, _e in a.cues.get("neg_after", ()))


_MISS = object()
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_LATIN_WORD5 = re.compile(r"[a-z]{5,}")  # shorter Latin words are never typos of a mark (fuzzy_budget)
# Two Latin words one character apart (louis-vuiton): the joined pairs the multi-word typo check looks at. The first
# word is consumed rather than looked ahead at, so the scan jumps from word to word instead of trying every position.
_LATIN_PAIR = re.compile(r"(?<![a-z])([a-z]{2,})(?=[^a-z]([a-z]{2,}))")
_HANGUL_TOKEN = re.compile("[\uac00-\ud7a3]{2,}")
_HAN_RUN = re.compile("[\u4e00-\u9fff]{3,}")
MEMO_MAX = 200_000


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
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
    return _remember(idx.memo_hangul, word, hit)  # type: ignore[no-any-return]


def _hangul_fuzzy(word: str, idx: TextIndex) -> int | None:
    key = ("h", word)
    if key in idx.memo:
        return idx.memo[key]  # type: ignore[no-any-return]
    token, tstarts = jamo(word)
    if len(token) < 6:
        return _remember(idx.memo, key, None)  # type: ignore[no-any-return]
    hit = None
    for mid in _lookup(token, idx):
        mkey, _bid, _mark, script, mstarts = idx.fuzzy_marks[mid]
        if script != "hangul" or mkey == token or mkey[0] != token[0]:
            continue
        if OSA.distance(token, mkey, score_cutoff=1) <= 1 and _hangul_edit_ok(token, mkey, tstarts, mstarts):
            hit = mid
            break
    return _remember(idx.memo, key, hit)  # type: ignore[no-any-return]


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
    return _remember(idx.memo_latin, token, best[1] if best else None)  # type: ignore[no-any-return]


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


def _fuzzy(f: Folded, text: str, idx: TextIndex, covered: list[tuple[int, int]], a: Analysis) -> None:
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
    return _remember(idx.memo_han, token, hit)


_MASKED_TOKEN = re.compile(r"[^\s*/,()\[\]]*\*+[^\s*/,()\[\]]*")


def _masked(text: str, idx: TextIndex, a: Analysis) -> None:
    if "*" not in text:
        return
    for m in _MASKED_TOKEN.finditer(text):
        key = re.sub(r"\*+", "*", _masked_base(m.group()))
        if len(key) < 2 or key == "*":
            continue
        hit = idx.wildcard.get(key)
        if hit is None and key.endswith("*"):
            # 까르띠* : the mask hides the last letter, and whatever follows is another word.
            hit = idx.wildcard.get(key)
        if hit is not None and not any(mm.brand_id == hit[0] and mm.span[0] <= m.start() < mm.span[1]
                                       for mm in a.mentions):
            a.mentions.append(Mention(hit[0], "disguise", "masked", hit[1], m.group(), m.span(), 1.0))


def is_han_text(s: str) -> bool:
    return any(is_han(ch) for ch in s)
