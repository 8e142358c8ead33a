"""Agency mandates (`uow.mandates`), and the reads an agency's per-member report needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from klean.adapters.db.models.accounts import UserRow
from klean.adapters.db.models.agencies import AgencyMandateRow
from klean.adapters.db.models.cases import CaseRow
from klean.adapters.db.models.enforcement import EnforcementActionRow
from klean.adapters.db.models.registry import BrandRow
from klean.adapters.db.repositories.cases import _case
from klean.domain.cases import Case
from klean.domain.errors import NotFound
from klean.domain.mandates import Mandate, MandateState


def _mandate(r: AgencyMandateRow) -> Mandate:
    return Mandate(id=r.id, agency=r.agency, brand_id=r.brand_id, member=r.member, kind=r.kind,
                   document_sha256=r.document_sha256, media_type=r.media_type, valid_from=r.valid_from,
                   valid_until=r.valid_until, state=MandateState(r.state), submitted_by=r.submitted_by,
                   decided_by=r.decided_by, decided_at=r.decided_at, decision_reason=r.decision_reason,
                   ended_at=r.ended_at, ended_by=r.ended_by, end_reason=r.end_reason, created_at=r.created_at)


class MandateRepository:
    REPOSITORY_NAME = "mandates"

    def __init__(self, session: Session) -> None:
        self.session = session

    def brand(self, brand_id: str) -> tuple[str, str | None] | None:
        """(name, owner) of a brand, or None."""
        row = self.session.get(BrandRow, brand_id)
        return (row.name, row.owner) if row is not None else None

    def add(self, *, agency: str, brand_id: str, member: str | None, kind: str, document_sha256: str,
            media_type: str, valid_from: date | None, valid_until: date, submitted_by: str) -> Mandate:
        row = AgencyMandateRow(agency=agency, brand_id=brand_id, member=member, kind=kind,
                               document_sha256=document_sha256, media_type=media_type, valid_from=valid_from,
                               valid_until=valid_until, state=MandateState.SUBMITTED.value,
                               submitted_by=submitted_by)
        self.session.add(row)
        self.session.flush()
        return _mandate(row)

    def get(self, mandate_id: int, *, lock: bool = False) -> Mandate:
        q = select(AgencyMandateRow).where(AgencyMandateRow.id == mandate_id)
        if lock:
            q = q.with_for_update()
        row = self.session.scalars(q).first()
        if row is None:
            raise NotFound(f"no mandate {mandate_id}", field="mandate_id")
        return _mandate(row)

    def update(self, mandate_id: int, **fields: Any) -> Mandate:
        row = self.session.get(AgencyMandateRow, mandate_id)
        if row is None:
            raise NotFound(f"no mandate {mandate_id}", field="mandate_id")
        for k, v in fields.items():
            setattr(row, k, v.value if isinstance(v, MandateState) else v)
        self.session.flush()
        return _mandate(row)

    def list(self, *, agency: str | None = None, brand_ids: Sequence[str] | None = None,
             members: Sequence[str] | None = None, states: Sequence[str] | None = None,
             limit: int = 1000) -> list[Mandate]:
        q = select(AgencyMandateRow).order_by(AgencyMandateRow.id).limit(limit)
        if agency is not None:
            q = q.where(AgencyMandateRow.agency == agency)
        if brand_ids is not None:
            q = q.where(AgencyMandateRow.brand_id.in_(list(brand_ids)))
        if members is not None:
            q = q.where(AgencyMandateRow.member.in_(list(members)))
        if states is not None:
            q = q.where(AgencyMandateRow.state.in_(list(states)))
        return [_mandate(r) for r in self.session.scalars(q)]

    def past_end(self, today: date) -> list[Mandate]:
        """Submitted or approved mandates whose end date has passed (for the daily job to mark expired)."""
        q = select(AgencyMandateRow).where(AgencyMandateRow.valid_until < today,
                                           AgencyMandateRow.state.in_([MandateState.SUBMITTED.value,
                                                                       MandateState.APPROVED.value]))
        return [_mandate(r) for r in self.session.scalars(q)]

    # reads for the agency's view of its members' cases and its report
    def agency_users(self, agency: str) -> list[str]:
        q = select(UserRow.id).where(UserRow.role == "agency", UserRow.org == agency)
        return list(self.session.scalars(q))

    def cases(self, *, brand_ids: Sequence[str], notifier_ids: Sequence[str] | None = None,
              state: str | None = None, limit: int = 10_000) -> list[Case]:
        if not brand_ids:
            return []
        q = select(CaseRow).where(CaseRow.brand_id.in_(list(brand_ids))).order_by(CaseRow.id.desc()).limit(limit)
        if notifier_ids is not None:
            q = q.where(CaseRow.notifier_id.in_(list(notifier_ids)))
        if state:
            q = q.where(CaseRow.state == state)
        return [_case(r) for r in self.session.scalars(q)]

    def restricted_since(self, sellers: dict[str, datetime]) -> set[str]:
        """Sellers (of those given, each with a time) restricted or suspended at or after that time."""
        if not sellers:
            return set()
        q = select(EnforcementActionRow.seller_id, EnforcementActionRow.created_at).where(
            EnforcementActionRow.seller_id.in_(list(sellers)),
            EnforcementActionRow.kind.in_(["restriction", "suspension"]))
        return {s for s, at in self.session.execute(q) if at >= sellers[s]}
