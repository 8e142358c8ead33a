"""Seller networks: the facts each seller account has (normalised), and the network each account belongs to.

Links are not stored: two sellers are linked when they hold rows with the same (kind, match), found through the
(kind, match) index, so a new fact links its seller at once. Networks are kept incrementally (a new link at or
above the threshold merges two networks by relabelling the smaller); `klean networks rebuild` recomputes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class SellerFactRow(Base):
    __tablename__ = "seller_facts"
    __table_args__ = (UniqueConstraint("seller_id", "kind", "key", "match", name="uq_seller_facts_fact"),
                      Index("ix_seller_facts_kind_match", "kind", "match"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # bank_account | tax_id | phone | email | address | document ...
    # The normalised value (personal data: shown masked to rights holders) or a hash (image, text, document).
    key: Mapped[str] = mapped_column(String(500))
    # What equal rows are joined on: the key itself, or one band of a near-duplicate hash (image, text).
    match: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(250))  # identity | listing:<id> | proof:<id> | user:<id>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SellerNetworkRow(Base):
    __tablename__ = "seller_networks"

    seller_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    network_id: Mapped[str] = mapped_column(String(200), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
