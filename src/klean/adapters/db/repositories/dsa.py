"""This database's identity values, and the outbox of statements of reasons for the DSA Transparency Database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.dsa import DsaStatementRow, InstanceMetaRow


@dataclass(frozen=True)
class OutboxStatement:
    id: int
    target: str
    puid: str
    event_seq: int
    body: dict[str, Any]
    state: str
    attempts: int
    message: str | None
    tdb_uuid: str | None
    lease_until: datetime | None
    next_attempt_at: datetime | None
    submitted_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"puid": self.puid, "event_seq": self.event_seq, "state": self.state, "attempts": self.attempts,
                "message": self.message, "tdb_uuid": self.tdb_uuid,
                "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
                "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None}


def _statement(r: DsaStatementRow) -> OutboxStatement:
    return OutboxStatement(id=r.id, target=r.target, puid=r.puid, event_seq=r.event_seq, body=dict(r.body or {}),
                           state=r.state, attempts=r.attempts, message=r.message, tdb_uuid=r.tdb_uuid,
                           lease_until=r.lease_until, next_attempt_at=r.next_attempt_at,
                           submitted_at=r.submitted_at)


class DsaRepository:
    REPOSITORY_NAME = "dsa"

    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- values made once per database ----

    def meta(self, key: str) -> str | None:
        row = self.session.get(InstanceMetaRow, key)
        return None if row is None else row.value

    def ensure_meta(self, key: str, make: Callable[[], str]) -> str:
        """The value under key, made by `make` and stored the first time (the first writer wins a race)."""
        found = self.meta(key)
        if found is not None:
            return found
        try:
            with self.session.begin_nested():
                self.session.add(InstanceMetaRow(key=key, value=make()))
        except IntegrityError:  # another process stored it a moment ago
            pass
        value = self.meta(key)
        assert value is not None
        return value

    def lock_counter(self, key: str) -> int:
        """Lock the integer under key for the rest of the transaction (it must exist) and return it. The lock is the
        transaction's first write, so on SQLite too it serialises with every other writer."""
        self.session.execute(update(InstanceMetaRow).where(InstanceMetaRow.key == key)
                             .values(value=InstanceMetaRow.value))
        value = self.session.execute(select(InstanceMetaRow.value).where(InstanceMetaRow.key == key)).scalar_one()
        return int(value)

    def set_meta(self, key: str, value: str) -> None:
        self.session.execute(update(InstanceMetaRow).where(InstanceMetaRow.key == key)
                             .values(value=value, updated_at=utcnow()))

    # ---- the outbox ----

    def known_puids(self, target: str, puids: Iterable[str]) -> set[str]:
        wanted = list(puids)
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            found |= set(self.session.scalars(select(DsaStatementRow.puid).where(
                DsaStatementRow.target == target, DsaStatementRow.puid.in_(wanted[i:i + 500]))))
        return found

    def add(self, *, target: str, puid: str, event_seq: int, body: dict[str, Any], state: str,
            message: str | None = None) -> None:
        self.session.add(DsaStatementRow(target=target, puid=puid, event_seq=event_seq, body=body, state=state,
                                         message=message))

    def claim(self, *, target: str, now: datetime, limit: int, token: str,
              lease_until: datetime) -> list[OutboxStatement]:
        """Take up to `limit` pending statements that are due, oldest event first, for this run alone: one UPDATE
        whose condition re-checks the state, so two runs never take the same statement."""
        due = (select(DsaStatementRow.id)
               .where(DsaStatementRow.target == target, DsaStatementRow.state == "pending",
                      (DsaStatementRow.next_attempt_at.is_(None)) | (DsaStatementRow.next_attempt_at <= now))
               .order_by(DsaStatementRow.event_seq, DsaStatementRow.id).limit(limit))
        self.session.execute(
            update(DsaStatementRow)
            .where(DsaStatementRow.id.in_(due.scalar_subquery()), DsaStatementRow.state == "pending")
            .values(state="sending", lease_token=token, lease_until=lease_until,
                    attempts=DsaStatementRow.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        rows = self.session.scalars(select(DsaStatementRow).where(DsaStatementRow.lease_token == token,
                                                                  DsaStatementRow.state == "sending")
                                    .order_by(DsaStatementRow.event_seq, DsaStatementRow.id))
        return [_statement(r) for r in rows]

    def in_doubt(self, *, target: str, now: datetime, limit: int = 1000) -> list[OutboxStatement]:
        """Statements sent by a run that ended before it learnt the outcome (its lease has run out)."""
        rows = self.session.scalars(select(DsaStatementRow).where(
            DsaStatementRow.target == target, DsaStatementRow.state == "sending",
            DsaStatementRow.lease_until < now).order_by(DsaStatementRow.event_seq).limit(limit))
        return [_statement(r) for r in rows]

    def take_in_doubt(self, statement_id: int, *, token: str, lease_until: datetime, now: datetime) -> bool:
        """Lease one in-doubt statement to look its outcome up; False when another run took it first."""
        res = self.session.execute(update(DsaStatementRow).where(
            DsaStatementRow.id == statement_id, DsaStatementRow.state == "sending",
            DsaStatementRow.lease_until < now).values(lease_token=token, lease_until=lease_until, updated_at=now)
            .execution_options(synchronize_session=False))
        return bool(res.rowcount)  # type: ignore[attr-defined]

    def settle(self, ids: Sequence[int], *, token: str, state: str, now: datetime, message: str | None = None,
               tdb_uuids: dict[int, str] | None = None, next_attempt_at: datetime | None = None,
               attempts_back: bool = False, lease_until: datetime | None = None) -> int:
        """Record what became of statements this run holds (by its lease token); returns how many it still held."""
        done = 0
        for statement_id in ids:
            values: dict[str, Any] = {"state": state, "updated_at": now, "next_attempt_at": next_attempt_at}
            if state != "sending":
                values.update(lease_token=None, lease_until=None)
            elif lease_until is not None:
                values["lease_until"] = lease_until
            if message is not None or state in ("submitted", "pending"):
                values["message"] = message
            if state == "submitted":
                values["submitted_at"] = now
                if tdb_uuids and statement_id in tdb_uuids:
                    values["tdb_uuid"] = tdb_uuids[statement_id]
            if attempts_back:
                values["attempts"] = DsaStatementRow.attempts - 1
            res = self.session.execute(update(DsaStatementRow).where(
                DsaStatementRow.id == statement_id, DsaStatementRow.lease_token == token).values(**values)
                .execution_options(synchronize_session=False))
            done += int(res.rowcount)  # type: ignore[attr-defined]
        return done

    def counts(self, target: str) -> dict[str, int]:
        rows = self.session.execute(select(DsaStatementRow.state, func.count()).where(
            DsaStatementRow.target == target).group_by(DsaStatementRow.state))
        return {str(state): int(n) for state, n in rows}

    def list(self, *, target: str, states: Sequence[str] | None = None, limit: int = 100,
             offset: int = 0) -> list[OutboxStatement]:
        q = select(DsaStatementRow).where(DsaStatementRow.target == target)
        if states:
            q = q.where(DsaStatementRow.state.in_(list(states)))
        rows = self.session.scalars(q.order_by(DsaStatementRow.event_seq, DsaStatementRow.id)
                                    .limit(limit).offset(offset))
        return [_statement(r) for r in rows]

    def next_due(self, target: str) -> datetime | None:
        return self.session.execute(select(func.min(DsaStatementRow.next_attempt_at)).where(
            DsaStatementRow.target == target, DsaStatementRow.state == "pending")).scalar_one_or_none()

    def targets(self) -> list[str]:
        return list(self.session.scalars(select(DsaStatementRow.target).distinct().order_by(DsaStatementRow.target)))
