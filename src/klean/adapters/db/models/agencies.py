"""Agency mandates: which member brands an agency may act for, on what document, until when (issue 23)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class AgencyMandateRow(Base):
    __tablename__ = "agency_mandates"
    __table_args__ = (Index("ix_agency_mandates_agency_brand", "agency", "brand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(200))  # the agency's org
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    member: Mapped[str | None] = mapped_column(String(200))  # the brand's owner when submitted
    kind: Mapped[str] = mapped_column(String(30))  # letter_of_authorisation | membership
    document_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))  # sniffed at upload, never the client's claim
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
