"""Request and response bodies of the brand registry and user endpoints (not domain objects, not rows)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from klean.domain.registry import Authorisation, Brand, BrandImage, BrandTerm, Product
from klean.domain.registry_rules import MAX_TERM, brand_term_id


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MoneyIO(In):
    amount: Decimal = Field(gt=0, lt=Decimal(10) ** 14, decimal_places=4, allow_inf_nan=False,
                            examples=[1_690_000])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["KRW"])


class BrandIn(In):
    id: str = Field(min_length=1, max_length=100, examples=["samsung"])
    name: str = Field(min_length=1, max_length=200, examples=["Samsung"])
    marks: list[str] = Field(min_length=1, max_length=200, examples=[["Samsung", "삼성", "三星"]])
    owner: str | None = Field(default=None, max_length=200,
                              description="Brand owner org; rights holders may only give their own (the default)")


class BrandPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    owner: str | None = Field(default=None, min_length=1, max_length=200, description="Admins only")


class MarkIn(In):
    mark: str = Field(min_length=1, max_length=200, examples=["갤럭시"])


class ProductIn(In):
    id: str | None = Field(default=None, max_length=200, description="Generated from the name when absent")
    name: str = Field(min_length=1, max_length=300, examples=["Galaxy S24 Ultra"])
    reference_price: MoneyIO
    aliases: list[str] = Field(default_factory=list, max_length=100, examples=[["갤럭시 S24 울트라"]])
    category: str | None = Field(default=None, max_length=200, examples=["smartphone"])


class ProductPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    reference_price: MoneyIO | None = None
    aliases: list[str] | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=200)


class AuthorisationIn(In):
    seller_id: str = Field(min_length=1, max_length=200, examples=["samsung-official-store"])
    valid_from: date | None = None
    valid_until: date | None = None


class TermIn(In):
    term: str = Field(min_length=1, max_length=MAX_TERM, examples=["노페"],
                      description="The words as listings write them, in any script")
    kind: Literal["nickname", "design_cue", "collision"] = Field(
        examples=["nickname"], description="nickname (노페, 香奶奶), design_cue (trade dress in words: \"Ω 로고\") or "
                                           "collision (a same-name use that is not the brand: 삼성 라이온즈)")
    weight: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False, examples=[0.45],
                                 description="How strongly the term alone points at the brand (0..1); the kind's "
                                             "default when absent; collisions have none")
    with_product: bool = Field(default=False, description="Counts only next to one of the brand's product names")


class PackIn(In):
    use_pack: bool = Field(description="Whether Klean's default brand pack applies to this brand")


class MoneyOut(BaseModel):
    amount: Decimal
    currency: str


class ProductOut(BaseModel):
    id: str
    name: str
    reference_price: MoneyOut
    aliases: list[str]
    category: str | None

    @staticmethod
    def of(p: Product) -> ProductOut:
        return ProductOut(id=p.id, name=p.name, aliases=list(p.aliases), category=p.category,
                          reference_price=MoneyOut(amount=p.reference_price.amount,
                                                   currency=p.reference_price.currency))


class AuthorisationOut(BaseModel):
    seller_id: str
    valid_from: date | None
    valid_until: date | None

    @staticmethod
    def of(a: Authorisation) -> AuthorisationOut:
        return AuthorisationOut(seller_id=a.seller_id, valid_from=a.valid_from, valid_until=a.valid_until)


class ImageOut(BaseModel):
    kind: str
    sha256: str | None
    path: str | None
    pdq: str | None
    url: str | None = Field(description="Where to download it, for uploaded images")

    @staticmethod
    def of(brand_id: str, i: BrandImage) -> ImageOut:
        url = f"/v1/brands/{brand_id}/images/{i.sha256}" if i.sha256 else None
        return ImageOut(kind=i.kind, sha256=i.sha256, path=i.path, pdq=i.pdq, url=url)


class BrandOut(BaseModel):
    id: str
    name: str
    owner: str | None
    marks: list[str]
    products: list[ProductOut]
    authorised_sellers: list[AuthorisationOut]
    images: list[ImageOut]
    trademark_registrations: list[dict[str, str]]

    @staticmethod
    def of(b: Brand) -> BrandOut:
        return BrandOut(
            id=b.id, name=b.name, owner=b.owner, marks=list(b.marks),
            products=[ProductOut.of(p) for p in b.products],
            authorised_sellers=[AuthorisationOut.of(a) for a in b.authorisations],
            images=[ImageOut.of(b.id, i) for i in b.images],
            trademark_registrations=[{"office": t.office, "number": t.number} for t in b.trademark_registrations],
        )


class TermOut(BaseModel):
    id: str = Field(description="For DELETE /v1/brands/{brand_id}/knowledge/{id}")
    term: str
    kind: str
    weight: float
    with_product: bool
    source: str = Field(description="registry (the rights holder's own) or pack:<version> (Klean's default pack)")
    in_use: bool = Field(description="Whether screening uses it now (a pack term only while use_pack is on)")

    @staticmethod
    def of(t: BrandTerm, *, in_use: bool = True) -> TermOut:
        return TermOut(id=brand_term_id(t.kind, t.term), term=t.term, kind=t.kind, weight=t.weight,
                       with_product=t.with_product, source=t.source, in_use=in_use)


class KnowledgeOut(BaseModel):
    brand_id: str
    use_pack: bool
    pack_version: str
    terms: list[TermOut] = Field(description="The rights holder's own terms first, then the pack's for the brand")


class BrandPage(BaseModel):
    items: list[BrandOut]
    total: int
    limit: int
    offset: int


class ImportOut(BaseModel):
    brands_created: int
    brands_updated: int
    brands_unchanged: int
    sellers_created: int
    sellers_updated: int
    sellers_unchanged: int
    duplicate_marks_dropped: int
    version: str


class UserIn(In):
    id: str = Field(min_length=1, max_length=100, examples=["kim.samsung"])
    name: str = Field(default="", max_length=200)
    role: str = Field(examples=["rights_holder"],
                      description="admin, rights_holder, trusted_partner, seller, consumer, reviewer, inspector")
    org: str | None = Field(default=None, max_length=200, examples=["Samsung Electronics"])
    seller_id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class UserPatch(In):
    role: str | None = Field(default=None, examples=["reviewer"],
                             description="admin, rights_holder, trusted_partner, seller, consumer, reviewer, inspector")
    org: str | None = Field(default=None, max_length=200)
    seller_id: str | None = Field(default=None, max_length=200)
    active: bool | None = Field(default=None, description="false disables the user (its keys and sessions stop)")


class UserOut(BaseModel):
    id: str
    name: str
    role: str
    org: str | None
    seller_id: str | None
    email: str | None
    active: bool
    created_at: datetime | None


class UserCreated(UserOut):
    api_key: str = Field(description="Shown only now; only its hash is stored")


class KeyIn(In):
    label: str | None = Field(default=None, max_length=200)


class KeyOut(BaseModel):
    id: str
    label: str | None
    created_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyCreated(BaseModel):
    id: str
    api_key: str = Field(description="Shown only now; only its hash is stored")


def as_dict(model: BaseModel) -> dict[str, Any]:
    return model.model_dump()
