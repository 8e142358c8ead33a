"""The one reviewer queue: screening hits, notices, consumer reports, counter-notices, appeals, proofs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class ReviewItemRow(Base):
    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_open", "state", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))  # screening | notice | report | counter_notice | appeal | proof
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(200))
    priority: Mapped[float] = mapped_column(Float, default=0.0)  # higher first
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | claimed | done
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
