"""Which of a brand's products a listing names, and whether the brand is named only to say what an item fits."""

from __future__ import annotations

import re
from collections import defaultdict

from klean.signals.context import TextIndex
from klean.signals.findings import Analysis, Mention
from klean.signals.text import Folded, fold

_FOR_BEFORE = re.compile(r"(?:\bfor|\bfits?|\bto fit|compatible with|designed for)\s*[-–—:]?\s*"
                         r"(?:the\s+|your\s+|an?\s+)?$", re.IGNORECASE)
_YONG_AFTER = re.compile(r"^\s?(?:용|전용|호환)")
# The only non-ASCII characters IGNORECASE lets stand for ASCII letters (İ ı for i, K for k, ſ for s): without one
# of them, "for", "fit" or "compatible" must appear literally for _FOR_BEFORE to match.
_CASELESS_ODD = re.compile("[\u0130\u0131\u212a\u017f]")


def find_fits(text: str, a: Analysis, product_spans: list[tuple[int, int]]) -> None:
    """"case for Galaxy S24", "strap to fit Apple Watch", "S24 울트라용 케이스", "cocok untuk Samsung", "เคส สำหรับ
    Samsung": the brand says what the item fits. English and Korean by rule; every language also through its
    `for_before` words (data/<lang>/cues.tsv) right before the mark or product."""
    spans = [m.span for m in a.mentions if m.kind in ("mark", "model")] + product_spans
    fors = [a.folded.span(*sp)[1] for sp in a.cues.get("for_before", ())]
    for s, e in spans:
        if fors and any(0 <= s - end <= 5 and not text[end:s].strip(" -:–—\t\"'(") for end in fors):
            a.cues["fits"].append((s, e))
            return
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


_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
MODEL_ALLUSION = 0.6  # how strongly a model named without its brand alludes to the brand (ranks mentions)


def is_distinctive_alias(found: str) -> bool:
    """A product name that points at one maker by itself: a model number (126610LV, 310.30.42.50.01.002, 海马300),
    several words (Speedmaster Moonwatch, QC 울트라), or a long Hangul or Han name (스피드마스터). A single common
    word (Maya, Kate, Boy) is not: it counts only in the product's own category."""
    text = found.strip()
    if _DIGIT.search(text) and (_LETTER.search(text) or len(_DIGIT.findall(text)) >= 6):
        return True
    words = text.split()
    if len(words) >= 2:
        return True
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3")
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return hangul >= 4 or han >= 3


def model_mentions(idx: TextIndex, category: str | None, a: Analysis) -> None:
    """A product or model named without any mark of its brand still says which brand the goods are (AF1 로우,
    126610LV, 스피드마스터 문워치): the brand is alluded to, and its price and authorisations apply."""
    named = {m.brand_id for m in a.mentions}
    for bid, (product, span, found) in a.products.items():
        if bid in named or span == (0, 0):
            continue
        if is_distinctive_alias(found) or (category is not None and product.category == category):
            a.mentions.append(Mention(bid, "model", "model", product.name, found, span, MODEL_ALLUSION))


_ONLY_AFTER = re.compile(r"^(?:만|\s*only\b|\s*만\b|\s*단독)", re.IGNORECASE)
_WITH_BEFORE = re.compile(r"(?:\bwith|\bw/|\+|\bincl\.?|\band)\s*(?:the\s+|a\s+|its\s+)?$", re.IGNORECASE)


def sold_part(a: Analysis, title_len: int, brand_id: str) -> str | None:
    """The part or packaging the listing sells instead of the brand's product, if it does (one earbud, ear pads,
    bracelet links, an empty box). A part noun in the title that is not part of the named product's own name and
    not said to come with it (with dust bag, 박스 포함, kèm hộp, พร้อมกล่อง) is the item; packaging, or any part when
    no product is named, only with a word that says it is all there is (empty, only, 만, 제품 없음). Such an item is
    never priced against the whole product."""
    if not (a.cues.get("part") or a.cues.get("packaging")):
        return None
    hit = a.products.get(brand_id)
    f = a.folded
    text = f.original
    name = " ".join(fold(n).text for n in (hit[0].name, *hit[0].aliases)) if hit is not None else ""
    included = [f.span(*sp) for sp in a.cues.get("included", ())]
    partial = a.has("partial")
    for kind in ("part", "packaging"):
        for fs, fe in a.cues.get(kind, ()):
            o0, o1 = f.span(fs, fe)
            if o0 >= title_len or (name and f.text[fs:fe] in name):
                continue
            if any(0 <= s - o1 <= 8 or 0 <= o0 - e <= 6 for s, e in included) \
                    or _WITH_BEFORE.search(text[max(0, o0 - 12):o0]):
                continue
            if (kind == "part" and hit is not None) or partial or _ONLY_AFTER.match(text[o1:o1 + 6]):
                return text[o0:o1]
    return None
