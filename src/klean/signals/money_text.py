"""Prices written in a listing's text: Rp 1.299.000, 1,299.-, 12.5k, 490.000₫, RM59, ₱45,000, ฿850, S$33, 1,5jt,
150rb, 75k/áo, 2tr.

Sellers state prices in titles the local way: thousands with dots in IDR and VND and with commas elsewhere, a scale
word for thousands and millions (k, rb/ribu, jt/juta, nghìn, tr/triệu), a currency symbol or word before or after,
the Thai ".-" after a whole amount, Thai digits. The markers are data (data/prices.tsv). Each amount gets the
currency its marker or scale word implies, else the listing's own; an amount with nothing that says it is a price
(a bare 12k, 18K gold) is not one, except right after a price word (giá 99k) or written per unit (75k/áo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from klean.domain.listing import Money

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_DOT_THOUSANDS = frozenset({"IDR", "VND"})


@dataclass(frozen=True, slots=True)
class StatedPrice:
    amount: Decimal
    currency: str
    found: str  # as written
    span: tuple[int, int]
    per: str = ""  # the word after a slash: per unit (75k/áo) or per period (RM50/bulan)
    per_time: bool = False  # the slash word is a period of time: a rent or an instalment

    def money(self) -> Money:
        amount = self.amount
        return Money(amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount, self.currency)


@cache
def _data() -> tuple[re.Pattern[str], dict[str, str], dict[str, str], dict[str, tuple[int, str]], frozenset[str]]:
    rows = [line.split("\t") for line in
            resources.files("klean.signals").joinpath("data", "prices.tsv").read_text("utf-8").splitlines()
            if line and not line.startswith("#")]
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    scale: dict[str, tuple[int, str]] = {}
    plain: list[str] = []
    words: list[str] = []
    per_time: set[str] = set()
    for kind, text, *rest in rows:
        key = text.strip().casefold()
        if kind == "before":
            before[key] = rest[0].strip()
        elif kind == "after":
            after[key] = rest[0].strip()
        elif kind == "scale":
            scale[key] = (int(rest[0]), rest[1].strip())
        elif kind == "plain":
            plain.append(key)
        elif kind == "word":
            words.append(key)
        elif kind == "per_time":
            per_time.add(key)
        else:
            raise ValueError(f"data/prices.tsv: unknown kind {kind!r}")

    def alt(items: object) -> str:
        return "|".join(re.escape(w) for w in sorted(items, key=len, reverse=True))  # type: ignore[call-overload]

    letter = r"[^\W\d_]"
    pattern = re.compile(
        rf"(?:(?<!{letter})(?P<word>{alt(words)})\s*:?\s*)?"
        rf"(?:(?P<before>{alt(before)})\s?)?"
        r"(?<![\d.,])(?P<num>\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
        rf"(?:\s?(?P<scale>{alt(scale)})(?!{letter}))?"
        rf"(?:\s?(?P<after>{alt(after)})(?!{letter}))?"
        rf"(?P<plain>{alt(plain)})?"
        rf"(?:\s?/\s?(?P<per>{letter}+))?",
        re.IGNORECASE)
    return pattern, before, after, scale, frozenset(per_time)


def stated_prices(text: str, currency: str) -> list[StatedPrice]:
    """The prices written in a text, each with its currency (the listing's when nothing in the text says)."""
    if not any(ch.isdigit() for ch in text):
        return []
    pattern, before, after, scales, per_time = _data()
    text = text.translate(_THAI_DIGITS)  # same length: spans hold
    out: list[StatedPrice] = []
    for m in pattern.finditer(text):
        b, a, sc, per = m.group("before"), m.group("after"), m.group("scale"), m.group("per")
        if not (b or a or m.group("plain") or (sc and scales[sc.casefold()][1] != "-")
                or (sc and (m.group("word") or per))):
            continue  # nothing says this number is a price (12k shutter count, 18K gold, a model number)
        cur = before.get(b.casefold(), "-") if b else "-"
        if cur == "-" and a:
            cur = after[a.casefold()]
        multiplier = 1
        if sc:
            multiplier, implied = scales[sc.casefold()]
            if cur == "-" and implied != "-":
                cur = implied
        if cur == "-":
            cur = currency
        amount = _amount(m.group("num"), cur, scaled=multiplier > 1)
        if amount is None:
            continue
        start = m.start("before") if b else m.start("num")
        end = m.end("per") if per else m.end()
        out.append(StatedPrice(amount * multiplier, cur, text[start:end].strip(), (start, end),
                               per=per or "", per_time=bool(per) and per.casefold() in per_time))
    return out


def _amount(num: str, currency: str, *, scaled: bool) -> Decimal | None:
    """The number as written, its separators read the way the currency's market writes them."""
    groups = re.split(r"[.,]", num)
    seps = re.findall(r"[.,]", num)
    try:
        if not seps:
            return Decimal(num)
        last = groups[-1]
        if len(set(seps)) == 2 or len(seps) > 1:
            # 1.299.000 or 1,299.50: every separator but a last one before one or two digits groups thousands
            if len(last) <= 2:
                return Decimal("".join(groups[:-1]) + "." + last)
            return Decimal("".join(groups))
        # one separator: three digits after it group thousands (1.299, 1,299), unless a scale word follows (1.250k
        # stays a decimal only when fewer digits follow: 12.5k, 1,5jt)
        if len(last) == 3 and not (scaled and currency not in _DOT_THOUSANDS and seps[0] == "."):
            return Decimal("".join(groups))
        return Decimal(groups[0] + "." + last)
    except InvalidOperation:
        return None
