"""Klean-to-Klean exchange: peers with their public keys, payloads received (replays refused), items received
(attributed to their peer, revocable by it), and payloads sent (the sender's sequence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class ExchangePeerRow(Base):
    __tablename__ = "exchange_peers"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # Ed25519, hex
    accept: Mapped[list[Any]] = mapped_column(default=list)  # the kinds taken from this peer
    trust: Mapped[str] = mapped_column(String(10), default="review")  # live: applied at once; review: a reviewer
    last_sequence: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeReceivedRow(Base):
    __tablename__ = "exchange_received"

    payload_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    peer: Mapped[str] = mapped_column(String(100), index=True)
    sequence: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    items: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeItemRow(Base):
    __tablename__ = "exchange_items"
    __table_args__ = (UniqueConstraint("peer", "kind", "item_id", name="uq_exchange_items_peer_kind_item"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    peer: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))  # pending | active | rejected | revoked | skipped
    note: Mapped[str | None] = mapped_column(Text)  # why skipped
    payload_id: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeSentRow(Base):
    __tablename__ = "exchange_sent"

    sequence: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    payload_id: Mapped[str] = mapped_column(String(32), unique=True)
    op: Mapped[str] = mapped_column(String(20))
    item_ids: Mapped[list[Any]] = mapped_column(default=list)
    sent_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
