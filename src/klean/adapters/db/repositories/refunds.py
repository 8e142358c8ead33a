"""Orders posted by the marketplace, refund claims, payouts and chargebacks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from klean.adapters.db.models.refunds import ChargebackRow, OrderRow, RefundClaimRow, RefundPayoutRow
from klean.domain.refunds import Claim, Order, PastClaim

_ORDER_FIELDS = ("listing_id", "seller_id", "buyer_id", "amount", "currency", "purchased_at", "delivered_at",
                 "buyer_since", "payment_fingerprint", "address_fingerprint", "refunded_amount")


def _order(r: OrderRow) -> Order:
    return Order(id=r.id, listing_id=r.listing_id, seller_id=r.seller_id, buyer_id=r.buyer_id,
                 amount=Decimal(r.amount), currency=r.currency, purchased_at=r.purchased_at,
                 delivered_at=r.delivered_at, buyer_since=r.buyer_since, payment_fingerprint=r.payment_fingerprint,
                 address_fingerprint=r.address_fingerprint, refunded_amount=Decimal(r.refunded_amount or 0))


class OrderRepository:
    REPOSITORY_NAME = "orders"

    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, order: Order, *, posted_by: str) -> str:
        """Store an order; "created", "updated" (e.g. delivery recorded later) or "unchanged"."""
        row = self.session.get(OrderRow, order.id)
        if row is None:
            self.session.add(OrderRow(id=order.id, posted_by=posted_by,
                                      **{f: getattr(order, f) for f in _ORDER_FIELDS}))
            self.session.flush()
            return "created"
        if _order(row) == order:
            return "unchanged"
        for f in _ORDER_FIELDS:
            setattr(row, f, getattr(order, f))
        row.posted_by = posted_by
        self.session.flush()
        return "updated"

    def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        """The order; lock=True holds its row (FOR UPDATE on PostgreSQL) so two claims on it serialise."""
        row = self.session.get(OrderRow, order_id, with_for_update=lock or None)
        return _order(row) if row is not None else None

    def count_for_buyer(self, buyer_id: str, *, since: datetime) -> int:
        return int(self.session.scalar(select(func.count()).select_from(OrderRow).where(
            OrderRow.buyer_id == buyer_id, OrderRow.purchased_at >= since)) or 0)

    def buyers_sharing(self, *, payment_fingerprint: str | None, address_fingerprint: str | None,
                       exclude_buyer: str) -> dict[str, set[str]]:
        """Other buyers whose orders carry the same payment or address fingerprint, by kind."""
        out: dict[str, set[str]] = {"payment": set(), "address": set()}
        for kind, col, value in (("payment", OrderRow.payment_fingerprint, payment_fingerprint),
                                 ("address", OrderRow.address_fingerprint, address_fingerprint)):
            if value:
                out[kind] = set(self.session.scalars(select(OrderRow.buyer_id).where(
                    col == value, OrderRow.buyer_id != exclude_buyer).distinct()))
        return out

    def for_listing(self, listing_id: str) -> list[Order]:
        rows = self.session.scalars(select(OrderRow).where(OrderRow.listing_id == listing_id).order_by(OrderRow.id))
        return [_order(r) for r in rows]


class RefundRepository:
    REPOSITORY_NAME = "refunds"

    def __init__(self, session: Session) -> None:
        self.session = session

    def _claim(self, r: RefundClaimRow) -> Claim:
        payout = self.session.scalars(select(RefundPayoutRow).where(RefundPayoutRow.claim_id == r.id)).first()
        cb = self.session.scalars(select(ChargebackRow).where(ChargebackRow.claim_id == r.id)).first()
        return Claim(id=r.id, order_id=r.order_id, buyer_id=r.buyer_id, listing_id=r.listing_id,
                     seller_id=r.seller_id, amount=Decimal(r.amount), currency=r.currency, origin=r.origin,
                     status=r.status, note=r.note or "", checks=tuple(r.checks or ()), cause_ref=r.cause_ref,
                     created_at=r.created_at, decided_by=r.decided_by, decided_at=r.decided_at,
                     paid=Decimal(payout.amount) if payout else Decimal(0),
                     charged_back=Decimal(cb.amount) if cb else Decimal(0))

    def add_claim(self, *, order: Order, amount: Decimal, origin: str, status: str, note: str,
                  checks: list[dict[str, Any]], at: datetime, cause_ref: str | None = None,
                  decided_by: str | None = None) -> Claim:
        row = RefundClaimRow(order_id=order.id, buyer_id=order.buyer_id, listing_id=order.listing_id,
                             seller_id=order.seller_id, amount=amount, currency=order.currency, origin=origin,
                             status=status, note=note, checks=checks, cause_ref=cause_ref, created_at=at,
                             decided_by=decided_by, decided_at=at if status != "review" else None)
        self.session.add(row)
        self.session.flush()
        return self._claim(row)

    def get(self, claim_id: int, *, lock: bool = False) -> Claim | None:
        row = self.session.get(RefundClaimRow, claim_id, with_for_update=lock or None)
        return self._claim(row) if row is not None else None

    def decide(self, claim_id: int, *, status: str, by: str, at: datetime) -> Claim:
        row = self.session.get(RefundClaimRow, claim_id)
        assert row is not None, claim_id
        row.status, row.decided_by, row.decided_at = status, by, at
        self.session.flush()
        return self._claim(row)

    def list(self, *, buyer_id: str | None = None, status: str | None = None, listing_id: str | None = None,
             order_id: str | None = None, limit: int = 200, offset: int = 0) -> list[Claim]:
        q = select(RefundClaimRow).order_by(RefundClaimRow.id)
        for col, value in ((RefundClaimRow.buyer_id, buyer_id), (RefundClaimRow.status, status),
                           (RefundClaimRow.listing_id, listing_id), (RefundClaimRow.order_id, order_id)):
            if value is not None:
                q = q.where(col == value)
        return [self._claim(r) for r in self.session.scalars(q.limit(limit).offset(offset))]

    def past_claims(self, buyer_id: str) -> list[PastClaim]:
        rows = self.session.scalars(select(RefundClaimRow).where(
            RefundClaimRow.buyer_id == buyer_id, RefundClaimRow.origin == "consumer").order_by(RefundClaimRow.id))
        return [PastClaim(claim_id=r.id, order_id=r.order_id, listing_id=r.listing_id, seller_id=r.seller_id,
                          at=r.created_at, status=r.status) for r in rows]

    def claimants_among(self, buyer_ids: Iterable[str], *, since: datetime) -> set[str]:
        ids = list(buyer_ids)
        if not ids:
            return set()
        return set(self.session.scalars(select(RefundClaimRow.buyer_id).where(
            RefundClaimRow.buyer_id.in_(ids), RefundClaimRow.origin == "consumer",
            RefundClaimRow.created_at >= since).distinct()))

    def paid_for_order(self, order_id: str) -> Decimal:
        total = self.session.scalar(select(func.sum(RefundPayoutRow.amount))
                                    .where(RefundPayoutRow.order_id == order_id))
        return Decimal(total or 0)

    def add_payout(self, claim: Claim, *, at: datetime) -> None:
        self.session.add(RefundPayoutRow(claim_id=claim.id, order_id=claim.order_id, amount=claim.amount,
                                         currency=claim.currency, created_at=at))
        self.session.flush()

    def add_chargeback(self, claim: Claim, *, cause_ref: str, at: datetime) -> bool:
        """Charge a paid claim back to its seller; False when it already was."""
        if self.session.scalars(select(ChargebackRow.id).where(ChargebackRow.claim_id == claim.id)).first():
            return False
        self.session.add(ChargebackRow(claim_id=claim.id, seller_id=claim.seller_id, amount=claim.paid,
                                       currency=claim.currency, cause_ref=cause_ref, created_at=at))
        self.session.flush()
        return True

    def count_for_listing(self, listing_id: str, *, statuses: tuple[str, ...] = ("approved", "review")) -> int:
        return int(self.session.scalar(select(func.count()).select_from(RefundClaimRow).where(
            RefundClaimRow.listing_id == listing_id, RefundClaimRow.origin == "consumer",
            RefundClaimRow.status.in_(statuses))) or 0)
