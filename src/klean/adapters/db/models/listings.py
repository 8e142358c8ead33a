"""Listings as the marketplace holds them, with their latest screening."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class ListingRow(Base):
    __tablename__ = "listings"
    # Reports name listings by their links; a hash index on PostgreSQL has no length limit on the URL.
    __table_args__ = (Index("ix_listings_url", "url", postgresql_using="hash"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    price_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    price_currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str | None] = mapped_column(String(200))
    condition: Mapped[str | None] = mapped_column(String(20))
    images: Mapped[list[Any]] = mapped_column(default=list)
    url: Mapped[str | None] = mapped_column(Text)
    # live | held (review) | blocked (never went live) | removed (taken down) | withdrawn
    status: Mapped[str] = mapped_column(String(20), default="live", index=True)
    score: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(10))
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    brand_ids: Mapped[list[Any]] = mapped_column(default=list)  # brands the screening linked it to
    policy_version: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    screened_at: Mapped[datetime | None]


class ListingSnapshotRow(Base):
    """The listing as it was when acted on, hashed at that moment (evidence is never re-read later)."""

    __tablename__ = "listing_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    cause: Mapped[str] = mapped_column(String(200))  # e.g. "status:removed", "notice:12"
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
