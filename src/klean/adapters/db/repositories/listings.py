"""Listings: store, read, change status (each change snapshots the listing as it was, hashed)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.listings import ListingRow, ListingSnapshotRow
from klean.domain.errors import NotFound
from klean.domain.events import canonical_json
from klean.domain.files import listing_to_dict
from klean.domain.listing import ImageRef, Listing, Money
from klean.domain.screening import ScreeningResult

STATUSES = ("live", "held", "blocked", "removed", "withdrawn")


@dataclass(frozen=True)
class StoredListing:
    listing: Listing
    status: str
    score: float | None
    decision: str | None
    evidence: list[dict[str, Any]]
    brand_ids: list[str]
    policy_version: str | None
    screened_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Snapshot:
    id: int
    listing_id: str
    taken_at: datetime
    cause: str
    content: dict[str, Any]
    sha256: str


def _to_listing(r: ListingRow) -> Listing:
    return Listing(
        id=r.id, title=r.title, description=r.description or "", price=Money(Decimal(r.price_amount), r.price_currency),
        seller_id=r.seller_id, category=r.category, condition=r.condition,
        images=tuple(ImageRef(path=i.get("path"), sha256=i.get("sha256"), pdq=i.get("pdq")) for i in r.images or ()),
        url=r.url, created_at=r.created_at,
    )


def _stored(r: ListingRow) -> StoredListing:
    return StoredListing(listing=_to_listing(r), status=r.status, score=r.score, decision=r.decision,
                         evidence=list(r.evidence or []), brand_ids=list(r.brand_ids or []),
                         policy_version=r.policy_version, screened_at=r.screened_at, updated_at=r.updated_at)


def _snap(s: ListingSnapshotRow) -> Snapshot:
    return Snapshot(id=s.id, listing_id=s.listing_id, taken_at=s.taken_at, cause=s.cause, content=dict(s.content),
                    sha256=s.sha256)


class ListingRepository:
    REPOSITORY_NAME = "listings"

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, listing_id: str) -> ListingRow:
        row = self.session.get(ListingRow, listing_id)
        if row is None:
            raise NotFound(f"no listing {listing_id}", field="listing_id")
        return row

    def get(self, listing_id: str) -> StoredListing | None:
        row = self.session.get(ListingRow, listing_id)
        return _stored(row) if row is not None else None

    def require(self, listing_id: str) -> StoredListing:
        return _stored(self._row(listing_id))

    def exists(self, listing_id: str) -> bool:
        return self.session.get(ListingRow, listing_id) is not None

    def upsert(self, listing: Listing, *, status: str = "live") -> None:
        """Insert or replace a listing's content; status as given."""
        assert status in STATUSES, status
        row = self.session.get(ListingRow, listing.id)
        if row is None:
            row = ListingRow(id=listing.id)
            self.session.add(row)
            if listing.created_at is not None:
                row.created_at = listing.created_at
        row.seller_id, row.title, row.description = listing.seller_id, listing.title, listing.description
        row.price_amount, row.price_currency = listing.price.amount, listing.price.currency
        row.category, row.condition, row.url = listing.category, listing.condition, listing.url
        row.images = [{k: v for k, v in (("path", i.path), ("sha256", i.sha256), ("pdq", i.pdq)) if v}
                      for i in listing.images]
        row.status = status
        self.session.flush()

    def record_screening(self, listing_id: str, result: ScreeningResult, evidence: list[dict[str, Any]],
                         brand_ids: Sequence[str]) -> None:
        row = self._row(listing_id)
        row.score, row.decision = result.score, result.decision.value
        row.evidence, row.brand_ids = evidence, sorted(set(brand_ids))
        row.policy_version, row.screened_at = result.policy_version, utcnow()
        self.session.flush()

    def snapshot(self, listing_id: str, *, cause: str) -> Snapshot:
        """Capture the listing as it is now (content + screening), hashed, for evidence."""
        stored = self.require(listing_id)
        content = {
            "listing": listing_to_dict(stored.listing), "status": stored.status, "score": stored.score,
            "decision": stored.decision, "evidence": stored.evidence, "policy_version": stored.policy_version,
        }
        row = ListingSnapshotRow(listing_id=listing_id, cause=cause, content=content,
                                 sha256=hashlib.sha256(canonical_json(content)).hexdigest())
        self.session.add(row)
        self.session.flush()
        return _snap(row)

    def set_status(self, listing_id: str, status: str, *, cause: str) -> Snapshot:
        """Change a listing's status; the snapshot taken just before the change is returned for the event."""
        assert status in STATUSES, status
        snap = self.snapshot(listing_id, cause=f"{cause} -> {status}")
        row = self._row(listing_id)
        row.status = status
        self.session.flush()
        return snap

    def snapshots(self, listing_id: str) -> list[Snapshot]:
        rows = self.session.scalars(select(ListingSnapshotRow).where(ListingSnapshotRow.listing_id == listing_id)
                                    .order_by(ListingSnapshotRow.id))
        return [_snap(r) for r in rows]

    def list(self, *, status: str | None = None, seller_id: str | None = None, brand_id: str | None = None,
             limit: int = 100, offset: int = 0) -> list[StoredListing]:
        q = select(ListingRow).order_by(ListingRow.id)
        if status:
            q = q.where(ListingRow.status == status)
        if seller_id:
            q = q.where(ListingRow.seller_id == seller_id)
        rows = list(self.session.scalars(q))
        if brand_id:  # brand_ids is JSON: filter in Python, portable across SQLite and PostgreSQL
            rows = [r for r in rows if brand_id in (r.brand_ids or [])]
        return [_stored(r) for r in rows[offset: offset + limit]]

    def ids(self, *, status: str | None = None, seller_id: str | None = None) -> list[str]:
        q = select(ListingRow.id).order_by(ListingRow.id)
        if status:
            q = q.where(ListingRow.status == status)
        if seller_id:
            q = q.where(ListingRow.seller_id == seller_id)
        return list(self.session.scalars(q))
