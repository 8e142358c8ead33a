"""Enforcement rows: actions (warnings, strikes, restrictions, suspensions, removals), appeals, seller proofs.

These rows are the current state; the event log holds every change to them (a reversal or expiry changes
`state` and appends an event, it never deletes a row).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class EnforcementActionRow(Base):
    __tablename__ = "enforcement_actions"
    __table_args__ = (Index("ix_enforcement_actions_seller_state", "seller_id", "state"),
                      # A seller's sanctions in force and its strikes past their end, without reading the rest of
                      # its history (a seller with 1,000 strikes costs a violation no more than one with none).
                      Index("ix_enforcement_actions_seller_kind_state_expiry", "seller_id", "kind", "state",
                            "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seller_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # remove_listing | warning | strike | restriction | suspension
    # active (in force) | done (one-off, e.g. a warning) | expired | reversed (appeal/cause undone) | lifted
    state: Mapped[str] = mapped_column(String(20), default="active")
    rule: Mapped[str] = mapped_column(String(100))  # "events.<kind>" | "ladder[<i>]"
    ground: Mapped[str] = mapped_column(Text)
    violation_kind: Mapped[str] = mapped_column(String(50))
    cause_ref: Mapped[str] = mapped_column(String(200), index=True)
    weight: Mapped[int] = mapped_column(default=0)
    scope: Mapped[str | None] = mapped_column(String(20))
    target: Mapped[str | None] = mapped_column(String(200))
    threshold: Mapped[int | None]
    listing_id: Mapped[str | None] = mapped_column(String(200))
    brand_id: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))  # who confirmed the event: a user id or "rule:<name>"
    policy_version: Mapped[str] = mapped_column(String(50))
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    statement: Mapped[dict[str, Any]] = mapped_column(default=dict)  # statement of reasons (template + params)
    event_seq: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None]  # when the statement of reasons was e-mailed (or found undeliverable)


class SellerTotalsRow(Base):
    """Running totals of a seller's strikes, kept in the same transaction as every strike added or ended (the
    enforcement repository's `add` and `end`), so a new violation reads one row instead of the whole history.

    `klean enforcement check-totals` recomputes them from enforcement_actions and reports (or fixes) any drift.
    """

    __tablename__ = "seller_totals"

    seller_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    strike_points: Mapped[int] = mapped_column(default=0)  # sum of the weights of strikes in state active
    active_strikes: Mapped[int] = mapped_column(default=0)  # how many strikes are in state active
    strikes_total: Mapped[int] = mapped_column(default=0)  # every strike ever added, whatever became of it
    # The newest strike's time: a caller deciding "as of" an earlier time cannot use the totals (they include
    # strikes from its future) and reads the history instead.
    last_strike_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppealRow(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    filed_by: Mapped[str] = mapped_column(String(100))
    grounds: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | upheld | reversed
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SellerProofRow(Base):
    __tablename__ = "seller_proofs"
    __table_args__ = (Index("ix_seller_proofs_seller_brand", "seller_id", "brand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seller_id: Mapped[str] = mapped_column(String(200))
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))  # sniffed at upload, never the client's claim
    issuer: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    authorisation_id: Mapped[int | None]
    warnings_sent: Mapped[list[Any]] = mapped_column(default=list)  # days-before-expiry warnings already sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
