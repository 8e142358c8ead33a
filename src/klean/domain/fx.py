"""Exchange rates for reference prices: a dated table that ships as data and is updated by import, never fetched.

A product's reference price is compared in the listing's currency. When the registry has no reference in that
currency, the price signal converts one through this table and says so in its reason (rate and date), so a
reviewer can judge a stale rate. Rates are stated as units of the currency per one US dollar.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from klean.domain.errors import ValidationError
from klean.domain.listing import Money

_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PER_USD = Decimal("10000000")  # no currency trades at more than ten million units to the dollar


@dataclass(frozen=True, slots=True)
class FxRate:
    currency: str
    per_usd: Decimal  # units of this currency for one US dollar
    as_of: date


@dataclass(frozen=True)
class FxTable:
    rates: Mapping[str, FxRate] = field(default_factory=dict)
    source: str = ""  # where the table came from (shipped file, an import), shown with conversions

    def convert(self, money: Money, to: str) -> tuple[Money, FxRate, FxRate] | None:
        """`money` in currency `to`, with the two rates used; None when either currency has no rate."""
        src, dst = self.rates.get(money.currency), self.rates.get(to)
        if src is None or dst is None:
            return None
        amount = (money.amount * dst.per_usd / src.per_usd).quantize(Decimal("0.01"))
        return Money(amount.normalize() if amount == amount.to_integral() else amount, to), src, dst

    def rows(self) -> list[dict[str, Any]]:
        return [{"currency": r.currency, "per_usd": _plain(r.per_usd), "as_of": r.as_of.isoformat()}
                for r in sorted(self.rates.values(), key=lambda r: r.currency)]


def _plain(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral() else float(d)


def fx_from_rows(rows: Iterable[Mapping[str, Any]], *, source: str, where: str = "fx_rates",
                 first_line: int | None = None) -> FxTable:
    """Validate rate rows ({currency, per_usd, as_of}); a bad row is refused naming its position (or line) and
    field."""
    out: dict[str, FxRate] = {}
    for i, row in enumerate(rows):
        at = f"{where}/{i}" if first_line is None else f"{where} line {i + first_line}"
        currency = str(row.get("currency", "")).strip().upper()
        if not _CURRENCY.match(currency):
            raise ValidationError(f"{at}/currency: a three-letter ISO code is needed, got {row.get('currency')!r}",
                                  field=f"{at}/currency")
        if currency in out:
            raise ValidationError(f"{at}/currency: {currency} appears twice", field=f"{at}/currency")
        try:
            per_usd = Decimal(str(row.get("per_usd", "")).strip())
        except InvalidOperation:
            per_usd = Decimal(-1)
        if not (0 < per_usd <= MAX_PER_USD) or not per_usd.is_finite():
            raise ValidationError(f"{at}/per_usd: units of {currency} for one US dollar, a positive number up to "
                                  f"{MAX_PER_USD}, got {row.get('per_usd')!r}", field=f"{at}/per_usd")
        try:
            as_of = date.fromisoformat(str(row.get("as_of", "")).strip())
        except ValueError:
            raise ValidationError(f"{at}/as_of: a date (YYYY-MM-DD) is needed, got {row.get('as_of')!r}",
                                  field=f"{at}/as_of") from None
        out[currency] = FxRate(currency, per_usd, as_of)
    if "USD" not in out and out:
        out["USD"] = FxRate("USD", Decimal(1), max(r.as_of for r in out.values()))
    return FxTable(out, source)


def parse_fx_csv(text: str, *, source: str) -> FxTable:
    """A rate table as CSV with the header `currency,per_usd,as_of` (lines numbered from 2 in errors)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"currency", "per_usd", "as_of"} - set(reader.fieldnames):
        raise ValidationError(f"{source}: the header must be currency,per_usd,as_of", field="fx")
    rows = [r for r in reader if any((v or "").strip() for v in r.values())]
    if not rows:
        raise ValidationError(f"{source}: no rates", field="fx")
    return fx_from_rows(rows, source=source, where=source, first_line=2)
