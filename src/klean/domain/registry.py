"""The brand registry: brands, their word marks in every script, products, images, authorisations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from klean.domain.listing import Money, Seller


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    brand_id: str
    name: str
    reference_price: Money
    aliases: tuple[str, ...] = ()
    category: str | None = None


@dataclass(frozen=True, slots=True)
class BrandImage:
    """A logo or an official product image, stored by content hash."""

    kind: str  # "logo" | "official"
    path: str | None = None
    sha256: str | None = None
    pdq: str | None = None


@dataclass(frozen=True, slots=True)
class Authorisation:
    """A seller may sell a brand between valid_from and valid_until (inclusive; None is open)."""

    seller_id: str
    brand_id: str
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True, slots=True)
class TrademarkRegistration:
    office: str
    number: str


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    name: str
    marks: tuple[str, ...]
    owner: str | None = None
    products: tuple[Product, ...] = ()
    authorisations: tuple[Authorisation, ...] = ()
    images: tuple[BrandImage, ...] = ()
    trademark_registrations: tuple[TrademarkRegistration, ...] = ()


@dataclass(frozen=True)
class RegistrySnapshot:
    """Everything screening needs from the registry, as plain data: picklable, no database."""

    brands: tuple[Brand, ...]
    sellers: dict[str, Seller] = field(default_factory=dict)
    version: str = ""

    def brand(self, brand_id: str) -> Brand | None:
        for b in self.brands:
            if b.id == brand_id:
                return b
        return None
