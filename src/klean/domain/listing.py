"""Listings, sellers and money as the screener sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from klean.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217, e.g. KRW

    @staticmethod
    def of(amount: object, currency: str) -> Money:
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(f"not a number: {amount!r}", field="amount") from exc
        if not value.is_finite() or value < 0:
            raise ValidationError(f"amount must be a finite number >= 0, got {amount!r}", field="amount")
        if len(currency) != 3 or not currency.isascii() or not currency.isupper():
            raise ValidationError(f"currency must be an ISO 4217 code, got {currency!r}", field="currency")
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
