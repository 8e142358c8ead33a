"""Test buys: periods, picks and what inspectors and rights holders record about them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from klean.adapters.db.models.accounts import UserRow
from klean.adapters.db.models.cases import ReportListingRow
from klean.adapters.db.models.listings import ListingRow
from klean.adapters.db.models.qa import (
    QaAssignmentRow,
    QaConfirmationRow,
    QaPeriodRow,
    QaPhotoRow,
    QaPickRow,
    QaPurchaseRow,
    QaVerdictRow,
)
from klean.adapters.db.models.refunds import RefundClaimRow
from klean.adapters.db.models.registry import BrandRow, SellerRow
from klean.domain.qa import Candidate, Pick, PickOutcome, PickRecord


class QaRepository:
    REPOSITORY_NAME = "qa"

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- sampling
    def candidates(self, *, currency: str | None = None) -> list[Candidate]:
        """Live listings with the features the risk score reads."""
        q = select(ListingRow).where(ListingRow.status == "live").order_by(ListingRow.id)
        if currency:
            q = q.where(ListingRow.price_currency == currency)
        listings = list(self.session.scalars(q))
        sellers = {s.id: s for s in self.session.scalars(select(SellerRow))}
        reports = dict(self.session.execute(  # every listing a report names counts, not only its first
            select(ReportListingRow.listing_id, func.count()).group_by(ReportListingRow.listing_id)).all())
        # Refund claims weigh on the seller: every listing of a seller whose buyers claim refunds is riskier.
        claims = dict(self.session.execute(
            select(RefundClaimRow.seller_id, func.count()).where(
                RefundClaimRow.origin == "consumer", RefundClaimRow.status != "rejected")
            .group_by(RefundClaimRow.seller_id)).all())
        out = []
        for r in listings:
            seller = sellers.get(r.seller_id)
            out.append(Candidate(
                listing_id=r.id, seller_id=r.seller_id, price=Decimal(r.price_amount), currency=r.price_currency,
                brand_id=(r.brand_ids or [None])[0], category=r.category, screening_score=r.score,
                seller_strikes=seller.strikes if seller else 0,
                seller_account_age_days=seller.account_age_days if seller else None,
                report_count=int(reports.get(r.id, 0)), claim_count=int(claims.get(r.seller_id, 0))))
        return out

    def period_exists(self, period: str) -> bool:
        return self.session.get(QaPeriodRow, period) is not None

    def add_period(self, *, period: str, seed: int, budget_count: int, budget_money: Decimal, currency: str,
                   candidates: int, policy_version: str, created_by: str, picks: Sequence[Pick]) -> list[int]:
        self.session.add(QaPeriodRow(period=period, seed=seed, budget_count=budget_count, budget_money=budget_money,
                                     currency=currency, candidates=candidates, policy_version=policy_version,
                                     created_by=created_by))
        self.session.flush()
        rows = [QaPickRow(period=period, listing_id=p.listing_id, seller_id=p.seller_id, brand_id=p.brand_id,
                          category=p.category, price=p.price, currency=p.currency, method=p.method.value,
                          risk=p.risk, band=p.band,
                          reasons=[{"template": m.template, "params": dict(m.params), "text": m.render_en()}
                                   for m in p.reasons]) for p in picks]
        self.session.add_all(rows)
        self.session.flush()
        return [r.id for r in rows]

    # -- reading
    def _record(self, r: QaPickRow) -> PickRecord:
        a = self.session.get(QaAssignmentRow, r.id)
        pu = self.session.get(QaPurchaseRow, r.id)
        v = self.session.get(QaVerdictRow, r.id)
        c = self.session.get(QaConfirmationRow, r.id)
        photos = self.session.scalars(select(QaPhotoRow.sha256).where(QaPhotoRow.pick_id == r.id)
                                      .order_by(QaPhotoRow.id))
        purchase = None if pu is None else {
            "order_ref": pu.order_ref, "amount": format(Decimal(pu.amount).normalize(), "f"), "currency": pu.currency,
            "purchased_at": pu.purchased_at.isoformat(), "recorded_by": pu.recorded_by}
        return PickRecord(
            id=r.id, period=r.period, listing_id=r.listing_id, seller_id=r.seller_id, brand_id=r.brand_id,
            category=r.category, price=Decimal(r.price), currency=r.currency, method=r.method, risk=r.risk,
            band=r.band, reasons=tuple(r.reasons or ()), state=r.state, org=a.org if a else None, purchase=purchase,
            photos=tuple(photos), verdict=v.verdict if v else None, notes=v.notes if v else None,
            confirmed_by=c.confirmed_by if c else None)

    def get(self, pick_id: int, *, lock: bool = False) -> PickRecord | None:
        """The pick; lock=True holds its row (FOR UPDATE on PostgreSQL) so two recordings on it serialise."""
        row = self.session.get(QaPickRow, pick_id, with_for_update=lock or None)
        return self._record(row) if row is not None else None

    def picks(self, *, period: str | None = None, org: str | None = None, state: str | None = None,
              limit: int = 500, offset: int = 0) -> list[PickRecord]:
        q = select(QaPickRow).order_by(QaPickRow.id)
        if period:
            q = q.where(QaPickRow.period == period)
        if org is not None:
            q = q.join(QaAssignmentRow, QaAssignmentRow.pick_id == QaPickRow.id).where(QaAssignmentRow.org == org)
        if state:
            q = q.where(QaPickRow.state == state)
        return [self._record(r) for r in self.session.scalars(q.limit(limit).offset(offset))]

    def outcomes(self, period: str) -> list[PickOutcome]:
        out = []
        for r in self.session.scalars(select(QaPickRow).where(QaPickRow.period == period).order_by(QaPickRow.id)):
            pu = self.session.get(QaPurchaseRow, r.id)
            v = self.session.get(QaVerdictRow, r.id)
            out.append(PickOutcome(method=r.method, band=r.band, price=Decimal(r.price),
                                   spent=Decimal(pu.amount) if pu else None, verdict=v.verdict if v else None,
                                   confirmed=self.session.get(QaConfirmationRow, r.id) is not None))
        return out

    # -- recording
    def _pick(self, pick_id: int) -> QaPickRow:
        row = self.session.get(QaPickRow, pick_id)
        assert row is not None, pick_id
        return row

    def assign(self, pick_id: int, *, org: str, by: str) -> None:
        existing = self.session.get(QaAssignmentRow, pick_id)
        if existing is None:
            self.session.add(QaAssignmentRow(pick_id=pick_id, org=org, assigned_by=by))
        else:
            existing.org, existing.assigned_by = org, by
        self._pick(pick_id).state = "assigned"
        self.session.flush()

    def record_purchase(self, pick_id: int, *, order_ref: str, amount: Decimal, currency: str,
                        purchased_at: datetime, by: str) -> None:
        self.session.add(QaPurchaseRow(pick_id=pick_id, order_ref=order_ref, amount=amount, currency=currency,
                                       purchased_at=purchased_at, recorded_by=by))
        self._pick(pick_id).state = "purchased"
        self.session.flush()

    def add_photo(self, pick_id: int, *, sha256: str, caption: str | None, by: str) -> bool:
        """Record a photo; False when this pick already has it."""
        exists = self.session.scalars(select(QaPhotoRow.id).where(
            QaPhotoRow.pick_id == pick_id, QaPhotoRow.sha256 == sha256)).first()
        if exists is not None:
            return False
        self.session.add(QaPhotoRow(pick_id=pick_id, sha256=sha256, caption=caption, recorded_by=by))
        self.session.flush()
        return True

    def record_verdict(self, pick_id: int, *, verdict: str, notes: str, by: str) -> None:
        self.session.add(QaVerdictRow(pick_id=pick_id, verdict=verdict, notes=notes, recorded_by=by))
        self._pick(pick_id).state = "judged"
        self.session.flush()

    def confirm(self, pick_id: int, *, brand_id: str | None, by: str, note: str) -> None:
        self.session.add(QaConfirmationRow(pick_id=pick_id, brand_id=brand_id, confirmed_by=by, note=note))
        self._pick(pick_id).state = "confirmed"
        self.session.flush()

    def confirmed_fake_cause(self, listing_id: str) -> str | None:
        """`testbuy:<id>` when a test buy of this listing was confirmed fake by the rights holder."""
        pick_id = self.session.scalars(
            select(QaConfirmationRow.pick_id).join(QaPickRow, QaPickRow.id == QaConfirmationRow.pick_id)
            .where(QaPickRow.listing_id == listing_id).order_by(QaConfirmationRow.pick_id)).first()
        return f"testbuy:{pick_id}" if pick_id is not None else None

    # -- who may act
    def brand_owner(self, brand_id: str) -> str | None:
        brand = self.session.get(BrandRow, brand_id)
        return brand.owner if brand is not None else None

    def org_has_inspectors(self, org: str) -> bool:
        return self.session.scalars(select(UserRow.id).where(
            UserRow.role == "inspector", UserRow.org == org, UserRow.active.is_(True))).first() is not None
