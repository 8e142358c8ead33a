"""This database's identity, and the statements of reasons sent (or to send) to the DSA Transparency Database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class InstanceMetaRow(Base):
    """Values made once per database: its instance id (in every statement's puid), the key of pseudonymous handles,
    and how far the event log has been turned into statements for each Transparency Database."""

    __tablename__ = "instance_meta"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DsaStatementRow(Base):
    """One statement of reasons for one Transparency Database (sandbox and production are two targets).

    state: pending (to send), sending (in flight, leased until lease_until; after that its outcome is looked up),
    submitted (the database has it, sent now or found there), refused (the database said no: message), invalid
    (Klean's own check found it would be refused: never sent)."""

    __tablename__ = "dsa_statements"
    __table_args__ = (UniqueConstraint("target", "puid"),
                      Index("ix_dsa_statements_queue", "target", "state", "event_seq"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(300))
    puid: Mapped[str] = mapped_column(String(200))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    tdb_uuid: Mapped[str | None] = mapped_column(String(64))
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
