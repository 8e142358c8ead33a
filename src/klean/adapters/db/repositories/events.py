"""Appending to and reading the hash-chained event log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.events import EventHeadRow, EventRow
from klean.domain.events import GENESIS_HASH, Event, compute_hash


def _to_domain(r: EventRow) -> Event:
    return Event(
        seq=r.seq, type=r.type, actor=r.actor, subject_type=r.subject_type, subject_id=r.subject_id,
        at=r.at, payload=r.payload or {}, policy_version=r.policy_version, reason=r.reason,
        prev_hash=r.prev_hash, hash=r.hash,
    )


class EventLog:
    REPOSITORY_NAME = "events"

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        *,
        type: str,
        actor: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any] | None = None,
        policy_version: str | None = None,
        reason: str | None = None,
    ) -> Event:
        """Append one event. The head row is locked (FOR UPDATE) so concurrent appends serialise."""
        head = self._locked_head()
        if head is None:
            # The first event ever: concurrent first appends must not race to create the head (a duplicate key
            # would fail all but one). Insert it if absent, then lock it like every other append.
            insert = (postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert)
            self.session.execute(insert(EventHeadRow).values(id=1, seq=0, hash=GENESIS_HASH)
                                 .on_conflict_do_nothing(index_elements=["id"]))
            head = self._locked_head()
            assert head is not None
        event = Event(
            seq=head.seq + 1, type=type, actor=actor, subject_type=subject_type, subject_id=subject_id,
            at=utcnow(), payload=dict(payload or {}), policy_version=policy_version, reason=reason,
            prev_hash=head.hash,
        )
        h = compute_hash(event)
        self.session.add(EventRow(
            seq=event.seq, type=type, actor=actor, subject_type=subject_type, subject_id=subject_id,
            at=event.at, payload=dict(event.payload), policy_version=policy_version, reason=reason,
            prev_hash=event.prev_hash, hash=h,
        ))
        head.seq, head.hash = event.seq, h
        self.session.flush()
        return Event(**{**event.__dict__, "hash": h})

    def _locked_head(self) -> EventHeadRow | None:
        return self.session.execute(
            select(EventHeadRow).where(EventHeadRow.id == 1).with_for_update()
        ).scalar_one_or_none()

    def for_subject(self, subject_type: str, subject_id: str) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow).where(EventRow.subject_type == subject_type, EventRow.subject_id == subject_id)
            .order_by(EventRow.seq)
        )
        return [_to_domain(r) for r in rows]

    def range(self, start_seq: int = 1, end_seq: int | None = None) -> list[Event]:
        q = select(EventRow).where(EventRow.seq >= start_seq).order_by(EventRow.seq)
        if end_seq is not None:
            q = q.where(EventRow.seq <= end_seq)
        return [_to_domain(r) for r in self.session.scalars(q)]

    def of_types(self, types: Sequence[str]) -> list[Event]:
        rows = self.session.scalars(select(EventRow).where(EventRow.type.in_(list(types))).order_by(EventRow.seq))
        return [_to_domain(r) for r in rows]
