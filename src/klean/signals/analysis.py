"""One pass over a listing's folded text, shared by the text signals (computed once per listing, then cached).

It finds brand mentions (plain marks, disguised marks, typos, nicknames, design cues, initials, masked
marks), product names, counterfeit vocabulary and the context cues (compatible, used, rental, bundle ...).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate

from klean.domain.listing import Listing
from klean.domain.screening import ScreeningContext
from klean.signals.context import INDEX_KEY, INITIAL_AFTER_RE, INITIAL_BEFORE_RE, INITIAL_WORDS, TextIndex
from klean.signals.disguises import classify_disguise, find_masked
from klean.signals.findings import DISGUISES, Analysis, Mention, VocabHit
from klean.signals.fuzzy import find_mixed_script, find_thai_sounds, find_typos, remember
from klean.signals.phonetic import THAI_RUN
from klean.signals.products import _CASELESS_ODD, _FOR_BEFORE, find_fits, model_mentions, pick_products
from klean.signals.text import Folded, fold, is_han, strip_spaces

__all__ = ["DISGUISES", "_CASELESS_ODD", "_FOR_BEFORE", "Analysis", "Mention", "VocabHit", "analyse"]

_cache: tuple[object, object, Analysis] | None = None
_WORDS = re.compile(r"[^\W_]+")
# Accented Latin letters (Latin-1 and Extended A/B, Vietnamese in Latin Extended Additional) and combining marks.
_ACCENTED = re.compile("[\u00c0-\u00ff\u0100-\u024f\u1e00-\u1eff\u0300-\u036f]")


def analyse(listing: Listing, ctx: ScreeningContext) -> Analysis:
    """The analysis of this listing's text (cached for the last listing, which every signal asks about)."""
    global _cache
    c = _cache
    if c is not None and c[0] is listing and c[1] is ctx:
        return c[2]
    result = _analyse(listing.text, ctx.indexes[INDEX_KEY], listing.category)
    _cache = (listing, ctx, result)
    return result


_CLAUSE_BREAK = re.compile(r"[,.;:!?()\[\]|/\n，。；、！？]")


def _folded_span(f: Folded, span: tuple[int, int]) -> tuple[int, int]:
    """Original [start, end) -> folded, for the few spans that need it (the identity for most text)."""
    if f.offsets is None:
        return span
    start = bisect_left(f.offsets, span[0])
    end = bisect_left(f.offsets, span[1])
    return start, end


def _term_ok(f: Folded, text: str, idx: TextIndex, fs: int, fe: int, klen: int, bare: str, script: str,
             text_ascii: bool) -> bool:
    """Whether a vocabulary, cue or nickname term found in the compact text stands as written: its separators
    (bare: the term's folded text without spaces and dashes), word boundaries, words and accents."""
    t = f.text
    # A term without separators, matched where the text has none inside: nothing more to compare.
    if not (fe - fs == klen == len(bare)) and strip_spaces(t[fs:fe]) != bare:
        return False
    if script == "latin":
        if not _latin_ok(f, fs, fe, digits_after=False):
            return False
        splits = idx.term_words.get(bare)
        if splits is not None and tuple(_WORDS.findall(t[fs:fe])) not in splits:
            return False  # "not a" is two words: Indonesian "nota" (receipt) is not it
        if not text_ascii and bare in idx.unaccented_terms and _ACCENTED.search(text, *f.span(fs, fe)):
            return False  # English "cap" or "non" is not Vietnamese "cấp" or "nón"
    elif bare[:1].isdigit() and not _latin_ok(f, fs, fe, digits_after=False):
        return False
    return True


def _context_cues(f: Folded, text: str, idx: TextIndex, a: Analysis) -> None:
    """The context words (second automaton pass): parts, packaging, used, genuine, service ... into a.cues."""
    starts = f.starts()
    cst, fst = starts if starts is not None else ((), ())
    text_ascii = text.isascii()
    for end, (klen, payloads) in idx.context_automaton.iter(f.compact):
        cs = end - klen + 1
        if starts is None:
            fs, fe = cs, end + 1
        else:
            i = bisect_right(cst, cs) - 1
            fs = fst[i] + cs - cst[i]
            i = bisect_right(cst, end) - 1
            fe = fst[i] + end - cst[i] + 1
        for p in payloads:
            if _term_ok(f, text, idx, fs, fe, klen, p[-2], p[-1], text_ascii):
                a.cues[p[1]].append((fs, fe))


def _initials(text: str, folded: str) -> list[re.Match[str]]:
    # The words next to an initial are few: look for them in the folded text before running each expression.
    after = [*INITIAL_AFTER_RE.finditer(text)] if INITIAL_WORDS[0].search(folded) else []
    if INITIAL_WORDS[1].search(folded):
        after += INITIAL_BEFORE_RE.finditer(text)
    return after


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


def _analyse(text: str, idx: TextIndex, category: str | None = None) -> Analysis:
    f = fold(text)
    a = Analysis(folded=f)
    t = f.text
    mark_hits: list[tuple[int, int, str, str, str | None, str]] = []  # fs, fe, brand, mark, how, script
    nick_hits: list[tuple[int, int, str, str, float, str]] = []
    product_hits: list[tuple[int, int, str, int]] = []
    vocab_hits: list[tuple[int, int, int]] = []
    collisions: list[tuple[int, int]] = []
    benign: list[tuple[int, int]] = []

    text_ascii = text.isascii()
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
                        how = remember(idx.memo, ckey,
                                       classify_disguise(raw, t[fs:fe], mseps, script, idx, f.had_zero_width))
                mark_hits.append((fs, fe, bid, mark, how, script))
            elif kind == "product":
                _, bid, pi, script = p
                if script == "latin" and not _latin_ok(f, fs, fe, digits_after=False):
                    continue
                product_hits.append((fs, fe, bid, pi))
            elif kind == "collision":
                collisions.append((fs, fe))
            else:
                if not _term_ok(f, text, idx, fs, fe, klen, p[-2], p[-1], text_ascii):
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

    if idx.shorthand_marks and mark_hits:
        mark_hits = _without_shorthand(f, text, idx, mark_hits)
    # Marks: drop those that are part of a collision word (pineapple, 캐나다 구스다운: the word goes on as another
    # word), keep the longest where marks overlap.
    if collisions:
        collision_spans = SpanIndex(collisions)
        mark_hits = [h for h in mark_hits if not collision_spans.overlaps(h[0], h[1])]
    # Where marks overlap the longest wins, and between spellings of one span the registered one (캐나다 구스 is a
    # mark as written, not 캐나다구스 spaced out).
    mark_hits.sort(key=lambda h: (h[0], -(h[1] - h[0]), h[4] is not None))
    covered: list[tuple[int, int]] = []
    furthest = -1  # hits come by start: one is inside a kept one exactly when the furthest end reaches past it
    for fs, fe, bid, mark, how, _script in mark_hits:
        if fe <= furthest:
            continue
        covered.append((fs, fe))
        furthest = fe
        o0, o1 = f.span(fs, fe)
        if how == "coincidence":
            continue
        if how is None:
            a.mentions.append(Mention(bid, "mark", "mark", mark, text[o0:o1], (o0, o1), 1.0))
        else:
            a.mentions.append(Mention(bid, "disguise", how, mark, text[o0:o1], (o0, o1), 1.0))

    # A mark said not to be the goods' (조말론 아님, not Jo Malone, 不是巴宝莉, bukan Gucci) compares with the brand.
    if (a.cues.get("neg_after") or a.cues.get("neg_before")) and a.mentions:
        _negated_marks(f, a)
    find_typos(f, text, idx, covered + collisions, a)
    find_mixed_script(f, text, idx, covered + collisions, a)
    if idx.thai_sound and f.other_scripts and THAI_RUN.search(t):
        find_thai_sounds(f, text, idx, covered + collisions, a)
    find_masked(text, idx, a)

    if product_hits:
        pick_products(f, text, idx, [h for h in product_hits if not (collisions and _within(h[0], h[1], collisions))],
                      a)
        model_mentions(idx, category, a)
    if any(m.corroborate for m in a.mentions):
        # A near miss of a short mark (Bise for Bose) stands only with one of the brand's products named or the
        # listing in one of its categories: otherwise it is as likely to be another word.
        # The category alone does not corroborate when the listing plainly names another brand (Changi duty free
        # next to Sulwhasoo is not Chanel).
        named = {m.brand_id for m in a.mentions if m.kind == "mark"}
        a.mentions = [m for m in a.mentions if not m.corroborate or m.brand_id in a.products
                      or (category is not None and category in idx.brand_categories.get(m.brand_id or "", ())
                          and not named - {m.brand_id})]
    fits_mentions = [m for m in a.mentions if m.kind in ("mark", "model")]  # what find_fits looks before
    for fs, fe, bid, kind, weight, term in nick_hits:
        if kind == "nickname_product" and bid not in a.products:
            continue
        o0, o1 = f.span(fs, fe)
        a.mentions.append(Mention(bid, "cue" if kind == "cue" else "nickname", kind, term, text[o0:o1], (o0, o1),
                                  weight))

    for m in _initials(text, t):
        letter = m.group(1).lower()
        cands = idx.initials.get(idx_key(letter), ())
        with_product = [b for b in cands if b in a.products]
        bid = with_product[0] if len(with_product) == 1 else None
        a.mentions.append(Mention(bid, "initial", "initial", m.group(0), m.group(0), (m.start(), m.end()), 0.8))

    if a.mentions or product_hits:
        _context_cues(f, text, idx, a)
    if product_hits or fits_mentions:
        find_fits(text, a, [f.span(h[0], h[1]) for h in product_hits])

    # "로고 없음" (no logo) contains 로고: a logo cue inside a no-logo phrase is not a logo. A logo or patch word
    # followed by one that says it is absent (로고나 체크 안감 없는, 패치 없음, 无logo) says there is none.
    if a.cues.get("logo") and a.cues.get("nologo"):
        a.cues["logo"] = [h for h in a.cues["logo"] if not _within(h[0], h[1], a.cues["nologo"])]
    absent = a.cues.get("absent")
    if absent:
        # A word that says it is absent, in the same clause: after the logo word (로고 없음, logo-free) or before it
        # (无logo, no crown logo, tanpa logo, walang logo).
        def said_absent(s: int, e: int) -> bool:
            return any((0 <= s2 - e <= 10 and not _CLAUSE_BREAK.search(t, e, s2))
                       or (0 <= s - e2 <= 24 and not _CLAUSE_BREAK.search(t, e2, s)) for s2, e2 in absent)

        for kind in ("logo", "material"):
            spans = a.cues.get(kind)
            if spans:
                gone = [(s, e) for s, e in spans if said_absent(s, e)]
                if gone:
                    a.cues[kind] = [h for h in spans if h not in gone]
                    a.cues["nologo"].extend(gone)
        if any(m.kind == "cue" for m in a.mentions):
            folded_spans = {m.span: _folded_span(f, m.span) for m in a.mentions if m.kind == "cue"}
            a.mentions = [m for m in a.mentions if m.kind != "cue" or not said_absent(*folded_spans[m.span])]

    # Vocabulary: drop what sits inside a harmless phrase or inside a product name the brand registered (Maison
    # Margiela's REPLICA perfumes), keep the longest of overlapping terms.
    if product_hits:
        benign = benign + [(h[0], h[1]) for h in product_hits]
    if benign:
        benign_spans = SpanIndex(benign)
        vocab_hits = [h for h in vocab_hits if not benign_spans.covers(h[0], h[1])]
    vocab_hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    negations = _Negations(a) if a.cues.get("neg_before") or a.cues.get("neg_after") else None
    furthest = -1  # by start: a hit overlaps a kept one exactly when the furthest end kept reaches past its start
    for fs, fe, vi in vocab_hits:
        if fs < furthest:
            continue
        furthest = fe
        if negations is not None and negations.negates(fs, fe):
            continue
        v = idx.vocab[vi]
        o0, o1 = f.span(fs, fe)
        a.vocab.append(VocabHit(v.term, v.weight, v.kind, v.lang, text[o0:o1], (o0, o1), v.story))
    return a


def _without_shorthand(f: Folded, text: str, idx: TextIndex, hits: list[tuple[int, int, str, str, str | None, str]]
                       ) -> list[tuple[int, int, str, str, str | None, str]]:
    """Marks that are also chat shorthand (lg for lagi, yg for yang, mcm for macam), written in lower case in a listing
    that uses that shorthand (another shorthand word in it), are the words, not the marks; LG and YG as registered
    still count, and so does "lg" in a listing with no shorthand (an English "lg oled tv")."""
    t = f.text
    chat = [h for h in hits if t[h[0]:h[1]] in idx.shorthand_marks]
    if not chat:
        return hits
    lower = [h for h in chat if (raw := text[slice(*f.span(h[0], h[1]))]) != raw.upper()]
    if not lower:
        return hits
    words = {w for w in _WORDS.findall(t) if w in idx.shorthand}
    if len(words) < 2:
        return hits
    drop = {id(h) for h in lower}
    return [h for h in hits if id(h) not in drop]


class SpanIndex:
    """Spans sorted by start with the furthest end so far: whether a span covers or overlaps [fs, fe) in O(log n),
    so pathological texts (a mark repeated thousands of times) cost n log n, not n squared."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [s for s, _e in ordered]
        self.furthest = list(accumulate((e for _s, e in ordered), max))

    def covers(self, fs: int, fe: int) -> bool:
        i = bisect_right(self.starts, fs)
        return i > 0 and self.furthest[i - 1] >= fe

    def overlaps(self, fs: int, fe: int) -> bool:
        i = bisect_left(self.starts, fe)
        return i > 0 and self.furthest[i - 1] > fs


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


def _negated_marks(f: Folded, a: Analysis) -> None:
    after = a.cues.get("neg_after", ())
    before = a.cues.get("neg_before", ())
    for m in a.mentions:
        if m.kind != "mark":
            continue
        fs, fe = _folded_span(f, m.span)
        if any(0 <= s - fe <= 2 for s, _e in after) or any(0 <= fs - e <= 2 for _s, e in before):
            a.cues["nologo"].append((fs, fe))


class _Negations:
    """Negation words by position, so each term asks in O(log n): "not a replica", "짝퉁 아님"."""

    def __init__(self, a: Analysis) -> None:
        self.before_ends = sorted(e for _s, e in a.cues.get("neg_before", ()))
        self.after_starts = sorted(s for s, _e in a.cues.get("neg_after", ()))

    def negates(self, fs: int, fe: int) -> bool:
        i = bisect_left(self.before_ends, fs - 3)
        if i < len(self.before_ends) and self.before_ends[i] <= fs:
            return True
        j = bisect_left(self.after_starts, fe)
        return j < len(self.after_starts) and self.after_starts[j] - fe <= 3


def is_han_text(s: str) -> bool:
    return any(is_han(ch) for ch in s)
