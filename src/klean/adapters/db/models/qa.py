"""Test buys: sampled periods, their picks, inspector assignments, purchases, photos, verdicts, confirmations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class QaPeriodRow(Base):
    __tablename__ = "qa_periods"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    seed: Mapped[int] = mapped_column(BigInteger)
    budget_count: Mapped[int]
    budget_money: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    candidates: Mapped[int]
    policy_version: Mapped[str] = mapped_column(String(50))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaPickRow(Base):
    __tablename__ = "qa_picks"
    __table_args__ = (UniqueConstraint("period", "listing_id", name="uq_qa_picks_period_listing"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(ForeignKey("qa_periods.period", ondelete="CASCADE"), index=True)
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    seller_id: Mapped[str] = mapped_column(String(200))
    brand_id: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(10))  # risk | random
    risk: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{"template", "params", "text"}]
    # picked | assigned | purchased | judged | confirmed
    state: Mapped[str] = mapped_column(String(20), default="picked")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaAssignmentRow(Base):
    __tablename__ = "qa_assignments"

    pick_id: Mapped[int] = mapped_column(ForeignKey("qa_picks.id", ondelete="CASCADE"), primary_key=True)
    org: Mapped[str] = mapped_column(String(200), index=True)  # the inspector firm
    assigned_by: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaPurchaseRow(Base):
    __tablename__ = "qa_purchases"

    pick_id: Mapped[int] = mapped_column(ForeignKey("qa_picks.id", ondelete="CASCADE"), primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    purchased_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaPhotoRow(Base):
    __tablename__ = "qa_photos"
    __table_args__ = (UniqueConstraint("pick_id", "sha256", name="uq_qa_photos_pick_sha"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    pick_id: Mapped[int] = mapped_column(ForeignKey("qa_picks.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))  # the blob, validated and stored by content hash
    caption: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaVerdictRow(Base):
    __tablename__ = "qa_verdicts"

    pick_id: Mapped[int] = mapped_column(ForeignKey("qa_picks.id", ondelete="CASCADE"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(20))  # genuine | fake | not_as_described | undelivered
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaConfirmationRow(Base):
    __tablename__ = "qa_confirmations"

    pick_id: Mapped[int] = mapped_column(ForeignKey("qa_picks.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[str | None] = mapped_column(String(100))
    confirmed_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
