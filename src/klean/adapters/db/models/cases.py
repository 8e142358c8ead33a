"""Takedown notices, their cases per listing (every transition time-stamped), counter-notices, complaints,
consumer reports, notifier standing, and idempotency keys (a 2xx answer is stored with the work it answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class NoticeRow(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notifier_id: Mapped[str] = mapped_column(String(100), index=True)  # the user who filed it
    notifier_role: Mapped[str] = mapped_column(String(30))
    notifier_name: Mapped[str] = mapped_column(String(300))
    notifier_email: Mapped[str] = mapped_column(String(320))
    brand_id: Mapped[str] = mapped_column(String(100), index=True)
    right: Mapped[dict[str, Any]] = mapped_column(default=dict)
    listing_refs: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[str] = mapped_column(Text)
    statements: Mapped[dict[str, Any]] = mapped_column(default=dict)  # good_faith, accurate, signature
    trusted: Mapped[bool] = mapped_column(default=False)  # filed in the trusted lane
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_listing_state", "listing_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[str] = mapped_column(String(200))
    listing_ref: Mapped[str] = mapped_column(Text)  # as the notice gave it (id or URL)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    brand_id: Mapped[str] = mapped_column(String(100))
    notifier_id: Mapped[str] = mapped_column(String(100), index=True)
    trusted: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="received")
    outcome: Mapped[str | None] = mapped_column(String(30))  # upheld | rejected | reversed | counter_restored
    manifestly_unfounded: Mapped[bool] = mapped_column(default=False)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]  # a trusted takedown's after-the-fact review
    decided_at: Mapped[datetime | None]
    actioned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTransitionRow(Base):
    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class CounterNoticeRow(Base):
    __tablename__ = "counter_notices"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[str] = mapped_column(String(200))
    filed_by: Mapped[str] = mapped_column(String(100))
    reasons: Mapped[str] = mapped_column(Text)
    authorisation_proof: Mapped[str | None] = mapped_column(Text)  # a reference (blob sha256, licence number)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    court_action_ref: Mapped[str | None] = mapped_column(Text)
    court_action_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="pending")  # pending|restored|court_action|rejected
    closed_at: Mapped[datetime | None]


class ComplaintRow(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    complainant_id: Mapped[str] = mapped_column(String(100))
    complainant_side: Mapped[str] = mapped_column(String(20))  # seller | notifier
    grounds: Mapped[str] = mapped_column(Text)
    state_before: Mapped[str] = mapped_column(String(20))  # the decision complained about
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | granted | denied
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None]


class ConsumerReportRow(Base):
    __tablename__ = "consumer_reports"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    follow_token_hash: Mapped[str] = mapped_column(String(64))
    reporter_id: Mapped[str | None] = mapped_column(String(100))  # signed-in user, if any
    reporter_key: Mapped[str] = mapped_column(String(200), index=True)  # independence: user, e-mail or client
    contact_email: Mapped[str | None] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))  # api | portal | email
    lang: Mapped[str] = mapped_column(String(5))
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    listing_refs: Mapped[list[Any]] = mapped_column(default=list)
    listing_id: Mapped[str | None] = mapped_column(String(200), index=True)  # the first of report_listings
    unknown_refs: Mapped[list[Any]] = mapped_column(default=list)  # references that named no listing of ours
    state: Mapped[str] = mapped_column(String(20), default="received")
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportListingRow(Base):
    """A listing a consumer report names. A report may name several; each counts towards its own listing's
    threshold of independent reporters (hence the reporter key here, and the index by listing and time) and is
    decided on its own."""

    __tablename__ = "report_listings"
    __table_args__ = (UniqueConstraint("report_id", "listing_id", name="uq_report_listings_report_listing"),
                      Index("ix_report_listings_listing_created", "listing_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("consumer_reports.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[str] = mapped_column(String(200))
    reporter_key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)  # order of mention in the report
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | actioned | no_action
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class NotifierStandingRow(Base):
    __tablename__ = "notifier_standing"

    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[datetime | None]
    trusted_removed_at: Mapped[datetime | None]
    trusted_barred_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(200))  # operation + principal: keys never collide across users
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
