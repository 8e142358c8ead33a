"""Klean-to-Klean exchange (`uow.exchange`): peers, payloads received, items received, payloads sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.exchange import ExchangeItemRow, ExchangePeerRow, ExchangeReceivedRow, ExchangeSentRow
from klean.domain.errors import Conflict, NotFound


def _peer(r: ExchangePeerRow) -> dict[str, Any]:
    return {"name": r.name, "public_key": r.public_key, "accept": list(r.accept or []), "trust": r.trust,
            "last_sequence": r.last_sequence, "note": r.note, "created_by": r.created_by,
            "created_at": r.created_at.isoformat() if r.created_at else None}


def _item(r: ExchangeItemRow) -> dict[str, Any]:
    return {"id": r.id, "peer": r.peer, "kind": r.kind, "item_id": r.item_id, "state": r.state, "note": r.note,
            "payload_id": r.payload_id, "sequence": r.sequence,
            "updated_at": r.updated_at.isoformat() if r.updated_at else None}


class ExchangeRepository:
    REPOSITORY_NAME = "exchange"

    def __init__(self, session: Session) -> None:
        self.session = session

    # peers
    def add_peer(self, *, name: str, public_key: str, accept: Sequence[str], trust: str, note: str | None,
                 created_by: str) -> dict[str, Any]:
        if self.session.get(ExchangePeerRow, name) is not None:
            raise Conflict(f"peer {name} is registered already", field="name")
        row = ExchangePeerRow(name=name, public_key=public_key, accept=list(accept), trust=trust, note=note,
                              created_by=created_by, last_sequence=0)
        self.session.add(row)
        self.session.flush()
        return _peer(row)

    def peer(self, name: str, *, lock: bool = False) -> dict[str, Any] | None:
        q = select(ExchangePeerRow).where(ExchangePeerRow.name == name)
        if lock:
            q = q.with_for_update()
        row = self.session.scalars(q).first()
        return _peer(row) if row is not None else None

    def peers(self) -> list[dict[str, Any]]:
        return [_peer(r) for r in self.session.scalars(select(ExchangePeerRow).order_by(ExchangePeerRow.name))]

    def set_last_sequence(self, name: str, sequence: int) -> None:
        row = self.session.get(ExchangePeerRow, name)
        assert row is not None
        row.last_sequence = sequence
        self.session.flush()

    # payloads received
    def received(self, payload_id: str) -> bool:
        return self.session.get(ExchangeReceivedRow, payload_id) is not None

    def record_received(self, *, payload_id: str, peer: str, sequence: int, sha256: str, items: int) -> None:
        self.session.add(ExchangeReceivedRow(payload_id=payload_id, peer=peer, sequence=sequence, sha256=sha256,
                                             items=items))
        self.session.flush()

    # items received
    def item(self, peer: str, kind: str, item_id: str) -> dict[str, Any] | None:
        row = self._item_row(peer, kind, item_id)
        return _item(row) if row is not None else None

    def _item_row(self, peer: str, kind: str, item_id: str) -> ExchangeItemRow | None:
        return self.session.scalars(select(ExchangeItemRow).where(
            ExchangeItemRow.peer == peer, ExchangeItemRow.kind == kind, ExchangeItemRow.item_id == item_id)).first()

    def put_item(self, *, peer: str, kind: str, item_id: str, state: str, payload_id: str, sequence: int,
                 data: dict[str, Any], note: str | None = None) -> None:
        row = self._item_row(peer, kind, item_id)
        if row is None:
            row = ExchangeItemRow(peer=peer, kind=kind, item_id=item_id)
            self.session.add(row)
        row.state, row.payload_id, row.sequence, row.data, row.note = state, payload_id, sequence, data, note
        row.updated_at = utcnow()
        self.session.flush()

    def item_by_id(self, item_id: int, *, lock: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the item, its data)."""
        q = select(ExchangeItemRow).where(ExchangeItemRow.id == item_id)
        if lock:
            q = q.with_for_update()
        row = self.session.scalars(q).first()
        if row is None:
            raise NotFound(f"no exchange item {item_id}", field="item_id")
        return _item(row), dict(row.data or {})

    def items(self, *, peer: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        q = select(ExchangeItemRow).order_by(ExchangeItemRow.id)
        if peer:
            q = q.where(ExchangeItemRow.peer == peer)
        if state:
            q = q.where(ExchangeItemRow.state == state)
        return [_item(r) for r in self.session.scalars(q)]

    # payloads sent
    def next_sent(self, *, payload_id: str, op: str, item_ids: Sequence[str], sent_by: str,
                  now: datetime) -> int:
        row = ExchangeSentRow(payload_id=payload_id, op=op, item_ids=list(item_ids), sent_by=sent_by, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.sequence
