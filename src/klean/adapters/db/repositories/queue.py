"""The reviewer queue: enqueue once per open subject, claim so two reviewers never take one item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.queue import ReviewItemRow
from klean.domain.errors import Conflict, NotFound


@dataclass(frozen=True)
class ReviewItem:
    id: int
    kind: str
    subject_type: str
    subject_id: str
    priority: float
    state: str
    claimed_by: str | None
    payload: dict[str, Any]
    created_at: datetime
    resolution: str | None = None


def _item(r: ReviewItemRow) -> ReviewItem:
    return ReviewItem(id=r.id, kind=r.kind, subject_type=r.subject_type, subject_id=r.subject_id,
                      priority=r.priority, state=r.state, claimed_by=r.claimed_by, payload=dict(r.payload or {}),
                      created_at=r.created_at, resolution=r.resolution)


class ReviewQueue:
    REPOSITORY_NAME = "queue"

    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, *, kind: str, subject_type: str, subject_id: str, priority: float,
                payload: dict[str, Any] | None = None) -> ReviewItem:
        """Add an item, or raise the priority of the open one of the same kind and subject."""
        existing = self.session.scalars(select(ReviewItemRow).where(
            ReviewItemRow.kind == kind, ReviewItemRow.subject_type == subject_type,
            ReviewItemRow.subject_id == subject_id, ReviewItemRow.state != "done")).first()
        if existing is not None:
            existing.priority = max(existing.priority, priority)
            if payload:
                existing.payload = {**(existing.payload or {}), **payload}
            self.session.flush()
            return _item(existing)
        row = ReviewItemRow(kind=kind, subject_type=subject_type, subject_id=subject_id, priority=priority,
                            payload=payload or {})
        self.session.add(row)
        self.session.flush()
        return _item(row)

    def get(self, item_id: int) -> ReviewItem:
        row = self.session.get(ReviewItemRow, item_id)
        if row is None:
            raise NotFound(f"no review item {item_id}", field="item_id")
        return _item(row)

    def open_items(self, *, kind: str | None = None, limit: int = 50) -> list[ReviewItem]:
        q = select(ReviewItemRow).where(ReviewItemRow.state != "done")
        if kind:
            q = q.where(ReviewItemRow.kind == kind)
        q = q.order_by(ReviewItemRow.priority.desc(), ReviewItemRow.created_at, ReviewItemRow.id).limit(limit)
        return [_item(r) for r in self.session.scalars(q)]

    def claim(self, item_id: int, reviewer_id: str) -> ReviewItem:
        """Atomically claim an open item (a conditional UPDATE: the loser of a race gets Conflict)."""
        res = self.session.execute(
            update(ReviewItemRow).where(ReviewItemRow.id == item_id, ReviewItemRow.state == "open")
            .values(state="claimed", claimed_by=reviewer_id, claimed_at=utcnow(), updated_at=utcnow())
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            self.get(item_id)  # NotFound when it does not exist
            raise Conflict(f"review item {item_id} is not open (claimed or done)")
        self.session.flush()
        return self.get(item_id)

    def release(self, item_id: int, reviewer_id: str) -> ReviewItem:
        res = self.session.execute(
            update(ReviewItemRow).where(ReviewItemRow.id == item_id, ReviewItemRow.state == "claimed",
                                        ReviewItemRow.claimed_by == reviewer_id)
            .values(state="open", claimed_by=None, claimed_at=None, updated_at=utcnow())
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"review item {item_id} is not claimed by {reviewer_id}")
        return self.get(item_id)

    def resolve(self, item_id: int, reviewer_id: str, resolution: str) -> ReviewItem:
        row = self.session.get(ReviewItemRow, item_id)
        if row is None:
            raise NotFound(f"no review item {item_id}")
        if row.state == "done":
            raise Conflict(f"review item {item_id} is already resolved")
        row.state, row.resolved_by, row.resolution = "done", reviewer_id, resolution
        self.session.flush()
        return _item(row)

    def close_for_subject(self, subject_type: str, subject_id: str, resolution: str, *, kind: str | None = None) -> int:
        q = select(ReviewItemRow).where(ReviewItemRow.subject_type == subject_type,
                                        ReviewItemRow.subject_id == subject_id, ReviewItemRow.state != "done")
        if kind:
            q = q.where(ReviewItemRow.kind == kind)
        rows = list(self.session.scalars(q))
        for r in rows:
            r.state, r.resolution = "done", resolution
        self.session.flush()
        return len(rows)

    def depth(self) -> int:
        return len(list(self.session.scalars(select(ReviewItemRow.id).where(ReviewItemRow.state != "done"))))
