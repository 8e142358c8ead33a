"""Orders the marketplace posts (only what refunds need), refund claims, payouts and chargebacks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the marketplace's order id
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    buyer_id: Mapped[str] = mapped_column(String(100), index=True)  # the buyer's Klean user id
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=0)  # refunded by the marketplace itself
    purchased_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    buyer_since: Mapped[datetime | None]  # the buyer's marketplace account creation, when sent
    payment_fingerprint: Mapped[str | None] = mapped_column(String(128), index=True)  # opaque hash, never a card
    address_fingerprint: Mapped[str | None] = mapped_column(String(128), index=True)
    posted_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RefundClaimRow(Base):
    __tablename__ = "refund_claims"
    __table_args__ = (Index("ix_refund_claims_buyer_at", "buyer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(100))
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    origin: Mapped[str] = mapped_column(String(20))  # consumer | test_buy
    cause_ref: Mapped[str | None] = mapped_column(String(100))  # e.g. testbuy:3 for refunds Klean opened
    status: Mapped[str] = mapped_column(String(20))  # approved | review | rejected
    note: Mapped[str] = mapped_column(Text, default="")
    checks: Mapped[list[Any]] = mapped_column(default=list)  # every abuse check with its explanation
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefundPayoutRow(Base):
    __tablename__ = "refund_payouts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("refund_claims.id"), unique=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChargebackRow(Base):
    __tablename__ = "refund_chargebacks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("refund_claims.id"), unique=True)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    cause_ref: Mapped[str] = mapped_column(String(100))  # what proved the listing fake, e.g. testbuy:3
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
