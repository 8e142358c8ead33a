"""Reads evidence exports need across features: events that mention an id, brand owners, snapshots by id."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from klean.adapters.db.models.events import EventRow
from klean.adapters.db.models.listings import ListingSnapshotRow
from klean.adapters.db.models.registry import BrandRow
from klean.adapters.db.repositories.events import _to_domain
from klean.adapters.db.repositories.listings import Snapshot, _snap
from klean.domain.events import Event

_CHUNK = 40


def _like_patterns(value: str) -> set[str]:
    """The forms an id takes inside a JSON payload's text (raw, and \\u-escaped as json.dumps writes it)."""
    escaped = json.dumps(value)[1:-1]
    out = set()
    for form in {value, escaped}:
        out.add("%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return out


class EvidenceRepository:
    REPOSITORY_NAME = "evidence"

    def __init__(self, session: Session) -> None:
        self.session = session

    def events_mentioning(self, ids: Iterable[str]) -> list[Event]:
        """Events whose subject id is one of `ids` or whose payload text contains one (callers confirm exactly)."""
        wanted = sorted({str(i) for i in ids if str(i)})
        found: dict[int, Event] = {}
        payload_text = cast(EventRow.payload, Text)
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i: i + _CHUNK]
            likes = [payload_text.like(p, escape="\\") for v in chunk for p in _like_patterns(v)]
            q = select(EventRow).where(or_(EventRow.subject_id.in_(chunk), *likes)).order_by(EventRow.seq)
            for row in self.session.scalars(q):
                found.setdefault(row.seq, _to_domain(row))
        return [found[s] for s in sorted(found)]

    def brand_owners(self, brand_ids: Iterable[str]) -> dict[str, str | None]:
        ids = sorted({str(b) for b in brand_ids})
        if not ids:
            return {}
        rows = self.session.execute(select(BrandRow.id, BrandRow.owner).where(BrandRow.id.in_(ids)))
        return {r.id: r.owner for r in rows}

    def snapshots_by_id(self, snapshot_ids: Iterable[int | str]) -> list[Snapshot]:
        ids = sorted({int(s) for s in snapshot_ids if str(s).isdigit()})
        if not ids:
            return []
        rows = self.session.scalars(select(ListingSnapshotRow).where(ListingSnapshotRow.id.in_(ids))
                                    .order_by(ListingSnapshotRow.id))
        return [_snap(r) for r in rows]

    def head_seq(self) -> int:
        """The seq of the newest event (0 for an empty log): a report cached at this seq is still current."""
        return int(self.session.scalar(select(func.max(EventRow.seq))) or 0)
