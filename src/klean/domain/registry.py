"""The brand registry: brands, their word marks in every script, products, images, authorisations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from klean.domain.fx import FxTable
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


KNOWLEDGE_KINDS = ("nickname", "design_cue", "collision")
ENTRY_KINDS = ("brand", "insignia")
DEFAULT_TERM_WEIGHT = {"nickname": 0.45, "design_cue": 0.4, "collision": 0.0}


@dataclass(frozen=True, slots=True)
class BrandTerm:
    """What a rights holder knows about how its brand is alluded to without its mark, in any language.

    kind: `nickname` (노페, 香奶奶, TNF), `design_cue` (trade dress in words: "check lining with the knight
    button", "Ω 로고"), or `collision` (a same-name or licensed use that is *not* the brand: 삼성 라이온즈,
    구스다운, Gucci Mane). weight: how strongly the term alone alludes to the brand (0..1; unused for collisions).
    with_product: the term counts only next to one of the brand's product names (水果 is also fruit).
    """

    term: str
    kind: str
    weight: float = 0.45
    with_product: bool = False
    source: str = "registry"  # registry (the rights holder's own) | pack:<version> (the shipped default pack)


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
    knowledge: tuple[BrandTerm, ...] = ()  # nicknames, design cues and collisions; see BrandTerm
    use_pack: bool = True  # take the shipped default pack's knowledge for this brand as well
    # "brand" (a trademark: reference prices, authorised sellers) or "insignia" (an official badge, emblem or
    # uniform insignia, registered by an authority: never for sale, whatever the price; see signals/insignia.py)
    kind: str = "brand"

    def terms(self, kind: str) -> tuple[BrandTerm, ...]:
        return tuple(t for t in self.knowledge if t.kind == kind)


@dataclass(frozen=True)
class RegistrySnapshot:
    """Everything screening needs from the registry, as plain data: picklable, no database."""

    brands: tuple[Brand, ...]
    sellers: dict[str, Seller] = field(default_factory=dict)
    version: str = ""
    fx: FxTable | None = None  # exchange rates imported into the registry (None: the shipped table)

    def brand(self, brand_id: str) -> Brand | None:
        for b in self.brands:
            if b.id == brand_id:
                return b
        return None
