"""Listings, sellers and money as the screener sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from klean.domain.errors import ValidationError

# The largest amount Klean accepts in one currency. Currencies whose unit is worth well under a US cent (and that
# have no minor unit in use) get 10^12: a 1.5 billion KRW watch is real, a price of 10^30 is an attack. Every
# other currency gets 10^9 (a billion dollars, euros or yen is no marketplace listing). Only the edge checks
# this (Money.of): amounts already stored are shown whatever they are.
HIGH_NOMINAL_CURRENCIES = frozenset({
    "KRW", "JPY", "VND", "IDR", "IRR", "LAK", "UZS", "COP", "CLP", "PYG", "UGX", "MMK", "KHR", "MNT", "LBP",
    "GNF", "SLE", "SLL", "TZS", "HUF", "KZT", "NGN", "AMD", "IQD", "MGA", "RWF", "BIF", "CDF", "SYP", "YER"})
MAX_AMOUNT = Decimal(10**9)
MAX_AMOUNT_HIGH_NOMINAL = Decimal(10**12)


def max_amount(currency: str) -> Decimal:
    """The largest amount accepted in this currency (see HIGH_NOMINAL_CURRENCIES)."""
    return MAX_AMOUNT_HIGH_NOMINAL if currency in HIGH_NOMINAL_CURRENCIES else MAX_AMOUNT


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217, e.g. KRW

    @staticmethod
    def of(amount: object, currency: str, *, field: str = "amount") -> Money:
        """Money from outside: a finite amount from 0 to max_amount(currency); errors name `field`."""
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(f"{field}: not a number: {str(amount)[:40]!r}", field=field) from exc
        if not value.is_finite() or value < 0:
            raise ValidationError(f"{field}: must be a finite number >= 0, got {str(amount)[:40]!r}", field=field)
        if len(currency) != 3 or not currency.isascii() or not currency.isupper():
            raise ValidationError(f"currency must be an ISO 4217 code, got {currency!r}", field="currency")
        limit = max_amount(currency)
        if value > limit:
            raise ValidationError(f"{field}: at most {limit:,} {currency}, got {str(amount)[:40]}", field=field)
        return Money(value, currency)

    def __str__(self) -> str:
        return f"{self.amount:,.0f} {self.currency}" if self.amount == self.amount.to_integral() \
            else f"{self.amount:,.2f} {self.currency}"


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image of a listing: a stored file (path relative to its source), its digest, a PDQ hash."""

    path: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    # Computed by klean.adapters.imaging (an ImageFeatures from klean.domain.images); not part of identity.
    features: Any = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class Listing:
    id: str
    title: str
    price: Money
    seller_id: str
    description: str = ""
    category: str | None = None
    condition: str | None = None  # new | used | refurbished | None (unknown)
    images: tuple[ImageRef, ...] = ()
    url: str | None = None
    created_at: datetime | None = None

    @property
    def text(self) -> str:
        """Title and description as one text; spans index into this string."""
        return f"{self.title}\n{self.description}" if self.description else self.title


@dataclass(frozen=True, slots=True)
class Seller:
    id: str
    name: str | None = None
    strikes: int = 0
    account_age_days: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
