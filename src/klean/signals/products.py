"""Which of a brand's products a listing names, and whether the brand is named only to say what an item fits."""

from __future__ import annotations

import re
from collections import defaultdict

from klean.signals.context import TextIndex
from klean.signals.findings import Analysis
from klean.signals.text import Folded

_FOR_BEFORE = re.compile(r"(?:\bfor|\bfits?|\bto fit|compatible with|designed for)\s*[-–—:]?\s*"
                         r"(?:the\s+|your\s+|an?\s+)?$", re.IGNORECASE)
_YONG_AFTER = re.compile(r"^\s?(?:용|전용|호환)")
# The only non-ASCII characters IGNORECASE lets stand for ASCII letters (İ ı for i, K for k, ſ for s): without one
# of them, "for", "fit" or "compatible" must appear literally for _FOR_BEFORE to match.
_CASELESS_ODD = re.compile("[\u0130\u0131\u212a\u017f]")


def find_fits(text: str, a: Analysis, product_spans: list[tuple[int, int]]) -> None:
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


def pick_products(f: Folded, text: str, idx: TextIndex, hits: list[tuple[int, int, str, int]], a: Analysis) -> None:
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
