"""Enforcement storage: actions (`uow.enforcement`), appeals (`uow.appeals`), proofs of authorisation (`uow.proofs`)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.accounts import UserRow
from klean.adapters.db.models.enforcement import AppealRow, EnforcementActionRow, SellerProofRow, SellerTotalsRow
from klean.adapters.db.models.listings import ListingRow
from klean.adapters.db.models.registry import AuthorisationRow, BrandRow, SellerRow
from klean.domain.errors import NotFound
from klean.domain.policy import ActionRecord, Appeal, History, SanctionRecord, history_of
from klean.domain.registry import Authorisation
from klean.domain.verification import Proof, ProofState


def _action(r: EnforcementActionRow) -> ActionRecord:
    return ActionRecord(
        id=r.id, seller_id=r.seller_id, kind=r.kind, state=r.state, rule=r.rule, ground=r.ground,
        violation_kind=r.violation_kind, cause_ref=r.cause_ref, actor=r.actor, policy_version=r.policy_version,
        created_at=r.created_at, weight=r.weight, scope=r.scope, target=r.target, threshold=r.threshold,
        listing_id=r.listing_id, brand_id=r.brand_id, category=r.category, evidence=tuple(r.evidence or ()),
        statement=dict(r.statement or {}), expires_at=r.expires_at, ended_at=r.ended_at, end_reason=r.end_reason)


class EnforcementRepository:
    REPOSITORY_NAME = "enforcement"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, seller_id: str, kind: str, state: str, rule: str, ground: str, violation_kind: str,
            cause_ref: str, actor: str, policy_version: str, weight: int = 0, scope: str | None = None,
            target: str | None = None, threshold: int | None = None, listing_id: str | None = None,
            brand_id: str | None = None, category: str | None = None, evidence: Sequence[str] = (),
            expires_at: datetime | None = None, created_at: datetime | None = None) -> ActionRecord:
        row = EnforcementActionRow(
            seller_id=seller_id, kind=kind, state=state, rule=rule, ground=ground, violation_kind=violation_kind,
            cause_ref=cause_ref, actor=actor, policy_version=policy_version, weight=weight, scope=scope,
            target=target, threshold=threshold, listing_id=listing_id, brand_id=brand_id, category=category,
            evidence=list(evidence), statement={}, expires_at=expires_at, created_at=created_at or utcnow())
        self.session.add(row)
        self.session.flush()
        if kind == "strike":
            active = state == "active"
            self._bump_totals(seller_id, points=weight if active else 0, active=int(active), total=1,
                              last_strike_at=row.created_at)
        return _action(row)

    def _row(self, action_id: int) -> EnforcementActionRow:
        row = self.session.get(EnforcementActionRow, action_id)
        if row is None:
            raise NotFound(f"no enforcement action {action_id}", field="action_id")
        return row

    def get(self, action_id: int) -> ActionRecord | None:
        row = self.session.get(EnforcementActionRow, action_id)
        return _action(row) if row is not None else None

    def set_statement(self, action_id: int, statement: dict[str, Any], event_seq: int | None) -> None:
        row = self._row(action_id)
        row.statement, row.event_seq = statement, event_seq
        self.session.flush()

    def end(self, action_id: int, *, state: str, reason: str, at: datetime) -> ActionRecord:
        row = self._row(action_id)
        was_active = row.state == "active"
        row.state, row.end_reason, row.ended_at = state, reason, at
        self.session.flush()
        if row.kind == "strike" and was_active and state != "active":
            self._bump_totals(row.seller_id, points=-row.weight, active=-1, total=0, last_strike_at=None)
        return _action(row)

    # Running totals (seller_totals): changed only here, by add() and end(), inside the caller's transaction.

    def _bump_totals(self, seller_id: str, *, points: int, active: int, total: int,
                     last_strike_at: datetime | None) -> None:
        """Add to a seller's totals in one statement (insert or increment), so concurrent transactions add up
        instead of overwriting each other and the first strike of a seller never races to create its row."""
        t = SellerTotalsRow
        insert = postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(t).values(seller_id=seller_id, strike_points=points, active_strikes=active,
                                strikes_total=total, last_strike_at=last_strike_at, updated_at=utcnow())
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(index_elements=["seller_id"], set_={
            "strike_points": t.strike_points + new.strike_points,
            "active_strikes": t.active_strikes + new.active_strikes,
            "strikes_total": t.strikes_total + new.strikes_total,
            "last_strike_at": case((new.last_strike_at.is_(None), t.last_strike_at),
                                   (t.last_strike_at.is_(None), new.last_strike_at),
                                   (new.last_strike_at > t.last_strike_at, new.last_strike_at),
                                   else_=t.last_strike_at),
            "updated_at": new.updated_at})
        self.session.execute(stmt)

    def totals(self, seller_id: str) -> dict[str, Any]:
        """A seller's running totals as stored (zeros for a seller without strikes)."""
        t = SellerTotalsRow
        row = self.session.execute(select(t.strike_points, t.active_strikes, t.strikes_total, t.last_strike_at)
                                   .where(t.seller_id == seller_id)).first()
        if row is None:
            return {"strike_points": 0, "active_strikes": 0, "strikes_total": 0, "last_strike_at": None}
        return {"strike_points": int(row[0]), "active_strikes": int(row[1]), "strikes_total": int(row[2]),
                "last_strike_at": row[3]}

    def all_totals(self) -> dict[str, tuple[int, int, int]]:
        """Every stored seller's (strike_points, active_strikes, strikes_total)."""
        t = SellerTotalsRow
        return {sid: (int(p), int(a), int(n)) for sid, p, a, n in self.session.execute(
            select(t.seller_id, t.strike_points, t.active_strikes, t.strikes_total))}

    def recomputed_totals(self) -> dict[str, tuple[int, int, int]]:
        """The same totals recomputed from every strike in enforcement_actions (the check reads everything)."""
        a = EnforcementActionRow
        active = a.state == "active"
        q = (select(a.seller_id, func.coalesce(func.sum(case((active, a.weight), else_=0)), 0),
                    func.sum(case((active, 1), else_=0)), func.count())
             .where(a.kind == "strike").group_by(a.seller_id))
        return {sid: (int(p), int(n_active), int(n)) for sid, p, n_active, n in self.session.execute(q)}

    def set_totals(self, seller_id: str, totals: tuple[int, int, int]) -> None:
        """Overwrite one seller's totals with recomputed values (the repair after drift)."""
        last = self.session.scalar(select(func.max(EnforcementActionRow.created_at)).where(
            EnforcementActionRow.seller_id == seller_id, EnforcementActionRow.kind == "strike"))
        row = self.session.get(SellerTotalsRow, seller_id, populate_existing=True)
        if row is None:
            row = SellerTotalsRow(seller_id=seller_id)
            self.session.add(row)
        row.strike_points, row.active_strikes, row.strikes_total = totals
        row.last_strike_at, row.updated_at = last, utcnow()
        self.session.flush()

    def active_sanctions(self, seller_id: str) -> list[ActionRecord]:
        """Restrictions and suspensions in state active (whatever their end date), oldest first."""
        a = EnforcementActionRow
        q = select(a).where(a.seller_id == seller_id, a.kind.in_(["restriction", "suspension"]),
                            a.state == "active").order_by(a.id)
        return [_action(r) for r in self.session.scalars(q)]

    def current_history(self, seller_id: str, now: datetime) -> History:
        """The seller's history as decide() needs it at `now`, from the running totals: strike points, and the
        sanctions in force. Reads the totals row, the strikes already past their end that the expiry job has not
        ended yet (usually none), and the active sanctions; never the whole history, unless `now` lies before
        the seller's newest strike (a decision back-dated past it), where the totals do not apply."""
        totals = self.totals(seller_id)
        last = totals["last_strike_at"]
        if last is not None and now < last:
            return self.history(seller_id)
        a = EnforcementActionRow
        overdue = self.session.scalar(select(func.coalesce(func.sum(a.weight), 0)).where(
            a.seller_id == seller_id, a.kind == "strike", a.state == "active",
            (a.expires_at <= now) | a.expires_at.is_(None)))  # a strike without an end never counted
        sanctions = tuple(SanctionRecord(id=str(r.id), kind=r.kind, at=r.created_at, scope=r.scope, target=r.target,
                                         until=r.expires_at, ended=False, threshold=r.threshold)
                          for r in self.active_sanctions(seller_id))
        return History(seller_id=seller_id, sanctions=sanctions,
                       carried_points=totals["strike_points"] - int(overdue or 0))

    def for_seller(self, seller_id: str, *, states: Sequence[str] | None = None) -> list[ActionRecord]:
        q = select(EnforcementActionRow).where(EnforcementActionRow.seller_id == seller_id)
        if states:
            q = q.where(EnforcementActionRow.state.in_(list(states)))
        return [_action(r) for r in self.session.scalars(q.order_by(EnforcementActionRow.id))]

    def by_cause(self, cause_ref: str) -> list[ActionRecord]:
        q = select(EnforcementActionRow).where(EnforcementActionRow.cause_ref == cause_ref)
        return [_action(r) for r in self.session.scalars(q.order_by(EnforcementActionRow.id))]

    def history(self, seller_id: str) -> History:
        return history_of(seller_id, self.for_seller(seller_id))

    def due_to_expire(self, now: datetime) -> list[ActionRecord]:
        q = select(EnforcementActionRow).where(EnforcementActionRow.state == "active",
                                               EnforcementActionRow.expires_at.is_not(None),
                                               EnforcementActionRow.expires_at <= now)
        return [_action(r) for r in self.session.scalars(q.order_by(EnforcementActionRow.id))]

    def unnotified(self, *, limit: int = 500) -> list[ActionRecord]:
        """Actions whose statement of reasons has not been sent to the seller yet, oldest first."""
        q = (select(EnforcementActionRow).where(EnforcementActionRow.notified_at.is_(None))
             .order_by(EnforcementActionRow.id).limit(limit))
        return [_action(r) for r in self.session.scalars(q)]

    def mark_notified(self, action_id: int, at: datetime) -> bool:
        """Mark one action notified; False when another run already did (so only one e-mail goes out)."""
        res = self.session.execute(update(EnforcementActionRow).where(
            EnforcementActionRow.id == action_id, EnforcementActionRow.notified_at.is_(None)).values(notified_at=at))
        self.session.flush()
        return bool(res.rowcount)  # type: ignore[attr-defined]

    def list(self, *, state: str | None = None, kind: str | None = None, limit: int = 100,
             offset: int = 0) -> list[ActionRecord]:
        q = select(EnforcementActionRow)
        if state:
            q = q.where(EnforcementActionRow.state == state)
        if kind:
            q = q.where(EnforcementActionRow.kind == kind)
        q = q.order_by(EnforcementActionRow.id.desc()).offset(offset).limit(limit)
        return [_action(r) for r in self.session.scalars(q)]

    # Sellers: status and INFORM-style identity live on the registry's SellerRow.

    def _seller(self, seller_id: str) -> SellerRow:
        row = self.session.get(SellerRow, seller_id)
        if row is None:  # a seller known only from its listings: give it a row to carry its standing
            row = SellerRow(id=seller_id, identity={})
            self.session.add(row)
            self.session.flush()
        return row

    def seller_exists(self, seller_id: str) -> bool:
        if self.session.get(SellerRow, seller_id) is not None:
            return True
        return self.session.scalar(select(ListingRow.id).where(ListingRow.seller_id == seller_id).limit(1)) \
            is not None

    def seller_status(self, seller_id: str) -> str:
        row = self.session.get(SellerRow, seller_id)
        return row.status if row is not None else "active"

    def set_seller_status(self, seller_id: str, status: str) -> None:
        row = self._seller(seller_id)
        row.status = status
        self.session.flush()

    def identity(self, seller_id: str) -> dict[str, Any]:
        row = self.session.get(SellerRow, seller_id)
        # A deep copy: nested field dicts edited by the caller must not alias the loaded value, or the
        # JSON column would compare equal to itself and never be written.
        return copy.deepcopy(dict(row.identity or {})) if row is not None else {}

    def set_identity(self, seller_id: str, identity: dict[str, Any]) -> None:
        row = self._seller(seller_id)
        row.identity = identity
        self.session.flush()

    def live_listing_counts(self, *, minimum: int) -> dict[str, int]:
        q = (select(ListingRow.seller_id, func.count()).where(ListingRow.status == "live")
             .group_by(ListingRow.seller_id).having(func.count() >= minimum))
        return {sid: int(n) for sid, n in self.session.execute(q)}

    def seller_emails(self, seller_id: str) -> list[str]:
        q = select(UserRow.email).where(UserRow.seller_id == seller_id, UserRow.active.is_(True),
                                        UserRow.email.is_not(None)).order_by(UserRow.id)
        return [e for e in self.session.scalars(q) if e]


def _appeal(r: AppealRow) -> Appeal:
    return Appeal(id=r.id, action_id=r.action_id, seller_id=r.seller_id, filed_by=r.filed_by, grounds=r.grounds,
                  state=r.state, created_at=r.created_at, decided_by=r.decided_by, decided_at=r.decided_at,
                  decision_reason=r.decision_reason)


class AppealRepository:
    REPOSITORY_NAME = "appeals"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, action_id: int, seller_id: str, filed_by: str, grounds: str) -> Appeal:
        row = AppealRow(action_id=action_id, seller_id=seller_id, filed_by=filed_by, grounds=grounds, state="open")
        self.session.add(row)
        self.session.flush()
        return _appeal(row)

    def get(self, appeal_id: int) -> Appeal | None:
        row = self.session.get(AppealRow, appeal_id)
        return _appeal(row) if row is not None else None

    def for_action(self, action_id: int) -> list[Appeal]:
        q = select(AppealRow).where(AppealRow.action_id == action_id).order_by(AppealRow.id)
        return [_appeal(r) for r in self.session.scalars(q)]

    def for_seller(self, seller_id: str) -> list[Appeal]:
        q = select(AppealRow).where(AppealRow.seller_id == seller_id).order_by(AppealRow.id)
        return [_appeal(r) for r in self.session.scalars(q)]

    def open(self, *, limit: int = 100) -> list[Appeal]:
        q = select(AppealRow).where(AppealRow.state == "open").order_by(AppealRow.id).limit(limit)
        return [_appeal(r) for r in self.session.scalars(q)]

    def decide(self, appeal_id: int, *, state: str, decided_by: str, reason: str) -> Appeal:
        row = self.session.get(AppealRow, appeal_id)
        if row is None:
            raise NotFound(f"no appeal {appeal_id}", field="appeal_id")
        row.state, row.decided_by, row.decision_reason, row.decided_at = state, decided_by, reason, utcnow()
        self.session.flush()
        return _appeal(row)


def _proof(r: SellerProofRow) -> Proof:
    return Proof(id=r.id, seller_id=r.seller_id, brand_id=r.brand_id, document_sha256=r.document_sha256,
                 media_type=r.media_type, issuer=r.issuer, valid_from=r.valid_from, valid_until=r.valid_until,
                 state=ProofState(r.state), submitted_by=r.submitted_by, decided_by=r.decided_by,
                 decision_reason=r.decision_reason, authorisation_id=r.authorisation_id,
                 warnings_sent=tuple(int(d) for d in r.warnings_sent or ()))


class ProofRepository:
    """Proofs of authorisation, and the registry authorisations an approved proof creates."""

    REPOSITORY_NAME = "proofs"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, seller_id: str, brand_id: str, document_sha256: str, media_type: str, issuer: str,
            valid_from: date | None, valid_until: date, submitted_by: str) -> Proof:
        row = SellerProofRow(seller_id=seller_id, brand_id=brand_id, document_sha256=document_sha256,
                             media_type=media_type, issuer=issuer, valid_from=valid_from, valid_until=valid_until,
                             state=ProofState.SUBMITTED.value, submitted_by=submitted_by, warnings_sent=[])
        self.session.add(row)
        self.session.flush()
        return _proof(row)

    def _row(self, proof_id: int) -> SellerProofRow:
        row = self.session.get(SellerProofRow, proof_id)
        if row is None:
            raise NotFound(f"no proof {proof_id}", field="proof_id")
        return row

    def get(self, proof_id: int) -> Proof | None:
        row = self.session.get(SellerProofRow, proof_id)
        return _proof(row) if row is not None else None

    def set_state(self, proof_id: int, state: ProofState, *, decided_by: str | None = None,
                  reason: str | None = None, authorisation_id: int | None = None) -> Proof:
        row = self._row(proof_id)
        row.state = state.value
        if decided_by is not None:
            row.decided_by, row.decided_at, row.decision_reason = decided_by, utcnow(), reason
        if authorisation_id is not None:
            row.authorisation_id = authorisation_id
        self.session.flush()
        return _proof(row)

    def set_valid_until(self, proof_id: int, valid_until: date, *, keep_warnings: Sequence[int]) -> Proof:
        """A proof's new end date; only the warnings in `keep_warnings` stay recorded as sent."""
        row = self._row(proof_id)
        row.valid_until = valid_until
        row.warnings_sent = sorted({int(d) for d in row.warnings_sent or []} & {int(d) for d in keep_warnings},
                                   reverse=True)
        self.session.flush()
        return _proof(row)

    def set_authorisation_until(self, authorisation_id: int, valid_until: date | None) -> bool:
        """Move an unrevoked authorisation's end date (the registry changes: screeners rebuild)."""
        row = self.session.get(AuthorisationRow, authorisation_id)
        if row is None or row.revoked_at is not None:
            return False
        row.valid_until = valid_until
        brand = self.session.get(BrandRow, row.brand_id)
        if brand is not None:
            brand.updated_at = utcnow()
        self.session.flush()
        return True

    def record_warning(self, proof_id: int, days: int) -> None:
        row = self._row(proof_id)
        row.warnings_sent = sorted({*(row.warnings_sent or []), days}, reverse=True)
        self.session.flush()

    def list(self, *, seller_id: str | None = None, brand_id: str | None = None,
             states: Sequence[str] | None = None, brand_ids: Sequence[str] | None = None,
             limit: int = 500) -> list[Proof]:
        q = select(SellerProofRow)
        if seller_id:
            q = q.where(SellerProofRow.seller_id == seller_id)
        if brand_id:
            q = q.where(SellerProofRow.brand_id == brand_id)
        if brand_ids is not None:
            q = q.where(SellerProofRow.brand_id.in_(list(brand_ids)))
        if states:
            q = q.where(SellerProofRow.state.in_(list(states)))
        return [_proof(r) for r in self.session.scalars(q.order_by(SellerProofRow.id).limit(limit))]

    def live_until_before(self, day: date) -> list[Proof]:
        """Submitted or approved proofs whose validity ends before `day` (candidates for warnings and expiry)."""
        q = select(SellerProofRow).where(SellerProofRow.state.in_(["submitted", "approved"]),
                                         SellerProofRow.valid_until < day).order_by(SellerProofRow.id)
        return [_proof(r) for r in self.session.scalars(q)]

    # The registry side: brands and authorisations (the table the screener reads).

    def brand(self, brand_id: str) -> tuple[str, str | None] | None:
        """(name, owner) of a brand, or None when it is not registered."""
        row = self.session.get(BrandRow, brand_id)
        return (row.name, row.owner) if row is not None else None

    def brands(self, brand_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        rows = self.session.scalars(select(BrandRow).where(BrandRow.id.in_(list(brand_ids))))
        return {r.id: (r.name, r.owner) for r in rows}

    def grant(self, *, seller_id: str, brand_id: str, valid_from: date | None, valid_until: date | None,
              source: str) -> int:
        row = AuthorisationRow(brand_id=brand_id, seller_id=seller_id, valid_from=valid_from,
                               valid_until=valid_until, source=source)
        self.session.add(row)
        brand = self.session.get(BrandRow, brand_id)
        if brand is not None:
            brand.updated_at = utcnow()  # the registry changed: screeners rebuild on the new version
        self.session.flush()
        return row.id

    def revoke(self, authorisation_id: int) -> bool:
        row = self.session.get(AuthorisationRow, authorisation_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        brand = self.session.get(BrandRow, row.brand_id)
        if brand is not None:
            brand.updated_at = utcnow()
        self.session.flush()
        return True

    def authorisations(self, seller_id: str, brand_id: str | None = None) -> list[tuple[int, Authorisation, str]]:
        """Unrevoked authorisations of a seller: (id, authorisation, source)."""
        q = select(AuthorisationRow).where(AuthorisationRow.seller_id == seller_id,
                                           AuthorisationRow.revoked_at.is_(None))
        if brand_id:
            q = q.where(AuthorisationRow.brand_id == brand_id)
        return [(r.id, Authorisation(seller_id=r.seller_id, brand_id=r.brand_id, valid_from=r.valid_from,
                                     valid_until=r.valid_until), r.source)
                for r in self.session.scalars(q.order_by(AuthorisationRow.id))]
