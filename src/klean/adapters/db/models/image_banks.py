"""Image hash banks: official photos per brand, known fakes, negative (never-count) hashes; and their matches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class ImageBankEntryRow(Base):
    __tablename__ = "image_bank_entries"
    __table_args__ = (Index("ix_image_bank_entries_bank_pdq", "bank", "pdq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bank: Mapped[str] = mapped_column(String(20))  # official | known_fake | negative
    pdq: Mapped[str | None] = mapped_column(String(64))  # None while pending: only the image digest is known
    sha256: Mapped[str | None] = mapped_column(String(64))
    quality: Mapped[int | None]
    brand_id: Mapped[str | None] = mapped_column(String(100), index=True)
    source_ref: Mapped[str | None] = mapped_column(String(200))  # "testbuy:3", "case:12", "import:<file>"
    note: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(200), default="operator")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(200))
    flooded_at: Mapped[datetime | None]  # set by the flood guard: matches go to review while set


class ImageBankMatchRow(Base):
    __tablename__ = "image_bank_matches"
    __table_args__ = (
        UniqueConstraint("entry_id", "listing_id", name="uq_image_bank_matches_entry_listing"),
        Index("ix_image_bank_matches_entry_at", "entry_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("image_bank_entries.id", ondelete="CASCADE"))
    listing_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
