"""How a mark found in a listing is disguised (spaced, leet, homoglyph, ...), and masked marks (구*찌, G*cci)."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

from klean.signals.context import TextIndex, _masked_base
from klean.signals.findings import Analysis, Mention
from klean.signals.text import (
    ZERO_WIDTH,
    base_form,
    is_compat_jamo,
    is_hangul_jamo,
    is_latin,
    is_separator,
    strip_accents,
)


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


def classify_disguise(raw: str, folded_span: str, mark_seps: int, script: str, idx: TextIndex,
                      zero: bool) -> str | None:
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
        # On a short mark an accent is usually another language's word (Vietnamese mì is noodles, not Mi).
        return "accent" if len(b) > 3 else "coincidence"
    letters = [ch for ch in nfkc if ch.isalpha()]
    if any(unicodedata.category(ch) == "Ll" and ord(ch) > 0x24F for ch in nfkc.lower()) or any(
            ord(ch) > 0x24F for ch in letters):
        return "homoglyph"
    if any(ord(ch) > 0x7F for ch in letters):
        return "accent"
    if any(not ch.isalpha() for ch in nfkc if not is_separator(ch)) or any(ch in "$@" for ch in raw):
        # On a mark of three letters or fewer a digit is usually part of a model number (DW-5600E-1V is not LV).
        return "leet" if len(b) > 3 else "coincidence"
    # Only l/I swapped: a real disguise on a long mark (Samsonlte), a coincidence on a short one (IV is not LV).
    return "lookalike" if len(b) > 3 else "coincidence"


_MASKED_TOKEN = re.compile(r"[^\s*/,()\[\]]*\*+[^\s*/,()\[\]]*")


def find_masked(text: str, idx: TextIndex, a: Analysis) -> None:
    if "*" not in text:
        return
    # Mentions found before, by brand and start: a masked token inside one of them is that mention, not another.
    known: dict[str | None, tuple[list[int], list[int]]] = {}
    for mm in sorted(a.mentions, key=lambda mm: mm.span):
        starts, ends = known.setdefault(mm.brand_id, ([], []))
        starts.append(mm.span[0])
        ends.append(max(mm.span[1], ends[-1]) if ends else mm.span[1])
    for m in _MASKED_TOKEN.finditer(text):
        key = re.sub(r"\*+", "*", _masked_base(m.group()))
        if len(key) < 2 or key == "*":
            continue
        hit = idx.wildcard.get(key)  # 까르띠* too: the mask hides the last letter, whatever follows is another word
        if hit is None:
            continue
        starts, ends = known.get(hit[0], ([], []))
        i = bisect_right(starts, m.start())
        if i == 0 or ends[i - 1] <= m.start():
            a.mentions.append(Mention(hit[0], "disguise", "masked", hit[1], m.group(), m.span(), 1.0))
