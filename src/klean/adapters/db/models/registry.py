"""Brand registry rows: brands, marks, products, images, authorisations, sellers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from klean.adapters.db.base import Base, utcnow


class BrandRow(Base):
    __tablename__ = "brands"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    trademark_registrations: Mapped[list[Any]] = mapped_column(default=list)
    # The rights holder's nicknames, design cues and collisions: [{term, kind, weight, with_product}], in the
    # order given. One JSON value, not a table: screening reads them with the brand, never one by one, and a
    # term's id is derived from its text (registry_rules.term_id). Writers lock the brand row (get(lock=True)).
    knowledge: Mapped[list[Any]] = mapped_column(default=list)
    use_pack: Mapped[bool] = mapped_column(default=True)  # Klean's default brand pack applies to this brand
    kind: Mapped[str] = mapped_column(String(20), default="brand")  # brand | insignia (domain.registry.ENTRY_KINDS)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    marks: Mapped[list[MarkRow]] = relationship(
        back_populates="brand", cascade="all, delete-orphan", order_by="MarkRow.id"
    )
    products: Mapped[list[ProductRow]] = relationship(
        back_populates="brand", cascade="all, delete-orphan", order_by="ProductRow.id"
    )
    images: Mapped[list[BrandImageRow]] = relationship(
        back_populates="brand", cascade="all, delete-orphan", order_by="BrandImageRow.id"
    )
    authorisations: Mapped[list[AuthorisationRow]] = relationship(
        back_populates="brand", cascade="all, delete-orphan", order_by="AuthorisationRow.id"
    )


class MarkRow(Base):
    __tablename__ = "marks"
    __table_args__ = (UniqueConstraint("brand_id", "folded", name="uq_marks_brand_folded"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    folded: Mapped[str] = mapped_column(String(200), index=True)  # NFKC + casefold: duplicate check
    brand: Mapped[BrandRow] = relationship(back_populates="marks")


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    category: Mapped[str | None] = mapped_column(String(200))
    reference_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    reference_currency: Mapped[str] = mapped_column(String(3))
    brand: Mapped[BrandRow] = relationship(back_populates="products")


class BrandImageRow(Base):
    __tablename__ = "brand_images"
    __table_args__ = (UniqueConstraint("brand_id", "kind", "sha256", name="uq_brand_images_brand_kind_sha"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # logo | official
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(Text)  # blob path or the registry file's relative path
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    brand: Mapped[BrandRow] = relationship(back_populates="images")


class AuthorisationRow(Base):
    __tablename__ = "authorisations"
    __table_args__ = (Index("ix_authorisations_seller_brand", "seller_id", "brand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    seller_id: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(50), default="registry")  # registry | grant | proof:<id>
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    brand: Mapped[BrandRow] = relationship(back_populates="authorisations")


class SellerRow(Base):
    __tablename__ = "sellers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    strikes: Mapped[int] = mapped_column(default=0)  # imported prior strikes; live ones are events
    account_age_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(30), default="active")  # active | restricted | suspended
    identity: Mapped[dict[str, Any]] = mapped_column(default=dict)  # INFORM-style verified fields


class FxRateRow(Base):
    """Exchange rates imported with `klean fx import` (units of the currency for one US dollar, and their date)."""

    __tablename__ = "fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    per_usd: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
