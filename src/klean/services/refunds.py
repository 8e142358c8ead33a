"""No-evidence consumer refunds: orders from the marketplace, claims, review of flagged claims, chargebacks.

Orders are posted by the marketplace's integration, which holds an `admin` key (the marketplace
operator runs Klean; there is no separate marketplace role). A buyer is a `consumer` user whose
user id is the order's buyer_id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from klean.domain.refunds import (
    CLAIM_STATUSES,
    Claim,
    ClaimContext,
    Order,
    RefundPolicy,
    assess_claim,
    claim_window,
)
from klean.services.unit_of_work import AbstractUnitOfWork

MAX_NOTE = 2000


def _now(now: datetime | None) -> datetime:
    if now is not None and now.tzinfo is None:
        raise ValidationError("now must carry a time zone", field="now")
    return (now or datetime.now(UTC)).astimezone(UTC)


def post_orders(*, uow: AbstractUnitOfWork, principal: Principal, orders: Sequence[Order]) -> dict[str, int]:
    """Store orders the marketplace posts (new ones, or updates such as a delivery date)."""
    principal.require(Role.ADMIN)
    if not orders:
        raise ValidationError("no orders given", field="orders")
    for o in orders:
        o.validate()
    if len({o.id for o in orders}) != len(orders):
        raise ValidationError("an order id appears twice in one request", field="orders")
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with uow:
        for o in orders:
            outcome = uow.orders.upsert(o, posted_by=principal.user_id)
            counts[outcome] += 1
            if outcome != "unchanged":
                uow.events.append(type=f"order.{outcome}", actor=principal.user_id, subject_type="order",
                                  subject_id=o.id, payload={"listing_id": o.listing_id, "seller_id": o.seller_id,
                                                            "buyer_id": o.buyer_id, "amount": str(o.amount),
                                                            "currency": o.currency})
        uow.commit()
    return counts


def get_order(*, uow: AbstractUnitOfWork, principal: Principal, order_id: str) -> Order:
    """Return an order to an admin, a reviewer or its buyer."""
    with uow:
        order = uow.orders.get(order_id)
    if order is None or (principal.role not in (Role.ADMIN, Role.REVIEWER) and order.buyer_id != principal.user_id):
        raise NotFound(f"no order {order_id}", field="order_id")
    return order


def _pay(uow: AbstractUnitOfWork, claim: Claim, *, actor: str, at: datetime, policy_version: str,
         reason: str) -> Claim:
    """Record the payout of an approved claim, and charge it back when the listing is a confirmed fake."""
    uow.refunds.add_payout(claim, at=at)
    claim = uow.refunds.get(claim.id)
    uow.events.append(type="refund.paid", actor=actor, subject_type="refund_claim", subject_id=str(claim.id),
                      payload={"order_id": claim.order_id, "amount": str(claim.paid), "currency": claim.currency,
                               "seller_id": claim.seller_id, "listing_id": claim.listing_id},
                      policy_version=policy_version, reason=reason)
    cause = uow.qa.confirmed_fake_cause(claim.listing_id)
    if cause is not None:
        _charge_back(uow, claim, cause_ref=cause, actor=actor, at=at, policy_version=policy_version)
    return uow.refunds.get(claim.id)


def _charge_back(uow: AbstractUnitOfWork, claim: Claim, *, cause_ref: str, actor: str, at: datetime,
                 policy_version: str) -> bool:
    if claim.paid <= 0 or not uow.refunds.add_chargeback(claim, cause_ref=cause_ref, at=at):
        return False
    uow.events.append(type="refund.charged_back", actor=actor, subject_type="seller", subject_id=claim.seller_id,
                      payload={"claim_id": claim.id, "order_id": claim.order_id, "listing_id": claim.listing_id,
                               "amount": str(claim.paid), "currency": claim.currency, "cause_ref": cause_ref},
                      policy_version=policy_version, reason="the listing was confirmed fake")
    return True


def claim_refund(*, uow: AbstractUnitOfWork, principal: Principal, order_id: str, policy: RefundPolicy,
                 note: str = "", now: datetime | None = None) -> Claim:
    """Claim a refund for a suspected fake: no evidence; approved at once unless an abuse check flags it."""
    principal.require(Role.CONSUMER)
    if principal.user_id == "anonymous":
        raise Forbidden("sign in as the buyer to claim a refund")
    if len(note) > MAX_NOTE:
        raise ValidationError(f"note: at most {MAX_NOTE} characters", field="note")
    at = _now(now)
    with uow:
        order = uow.orders.get(order_id, lock=True)
        if order is None or order.buyer_id != principal.user_id:
            raise NotFound(f"no order {order_id} of yours", field="order_id")
        window = claim_window(purchased_at=order.purchased_at, delivered_at=order.delivered_at, policy=policy)
        if at < order.purchased_at:
            raise ValidationError("the order was placed after this claim's time", field="order_id")
        if at >= window.closes_at:
            raise ValidationError(
                f"the claim window closed at the end of {window.last_day.isoformat()} ({policy.timezone}): "
                f"{policy.window_months} months from {window.basis.removesuffix('_at')}", field="order_id")
        earlier = uow.refunds.list(order_id=order.id)
        if any(c.status == "review" for c in earlier):
            raise Conflict(f"a claim for order {order.id} is already waiting for review", field="order_id")
        paid_by_klean = sum((c.paid for c in earlier), Decimal(0))
        amount = order.amount - paid_by_klean
        if amount <= 0:
            raise Conflict(f"order {order.id} was already refunded in full", field="order_id")

        shares = uow.orders.buyers_sharing(payment_fingerprint=order.payment_fingerprint,
                                           address_fingerprint=order.address_fingerprint,
                                           exclude_buyer=order.buyer_id)
        since = at - timedelta(days=policy.linked_window_days)
        linked = {kind: len(uow.refunds.claimants_among(ids, since=since)) for kind, ids in shares.items()}
        buyer_since = order.buyer_since
        if buyer_since is None:
            user = uow.users.get(principal.user_id)
            buyer_since = getattr(user, "created_at", None)
        ctx = ClaimContext(
            at=at, order_id=order.id, listing_id=order.listing_id, seller_id=order.seller_id,
            buyer_id=order.buyer_id, buyer_since=buyer_since, buyer_claims=uow.refunds.past_claims(order.buyer_id),
            buyer_order_count=uow.orders.count_for_buyer(order.buyer_id,
                                                         since=at - timedelta(days=policy.rate_window_days)),
            linked_claimants=linked, paid_for_order=paid_by_klean + order.refunded_amount)
        assessment = assess_claim(ctx, policy)
        checks = [c.as_dict() for c in assessment.checks]
        status = "review" if assessment.needs_review else "approved"
        claim = uow.refunds.add_claim(order=order, amount=amount, origin="consumer", status=status, note=note,
                                      checks=checks, at=at, decided_by=None if status == "review" else "rule:refunds")
        payload: dict[str, Any] = {"order_id": order.id, "listing_id": order.listing_id, "seller_id": order.seller_id,
                                   "amount": str(amount), "currency": order.currency,
                                   "window_closes_at": window.closes_at.isoformat(),
                                   "flags": [c.check for c in assessment.flags]}
        uow.events.append(type="refund.claimed", actor=principal.user_id, subject_type="refund_claim",
                          subject_id=str(claim.id), payload={**payload, "checks": checks},
                          policy_version=policy.version, reason=note or None)
        if status == "review":
            uow.queue.enqueue(kind="refund_claim", subject_type="refund_claim", subject_id=str(claim.id),
                              priority=float(len(assessment.flags)),
                              payload={**payload, "explanations": [c.as_dict() for c in assessment.flags]})
            uow.events.append(type="refund.queued", actor="rule:refunds", subject_type="refund_claim",
                              subject_id=str(claim.id), payload=payload, policy_version=policy.version,
                              reason="; ".join(c.reason.render_en() for c in assessment.flags))
        else:
            uow.events.append(type="refund.approved", actor="rule:refunds", subject_type="refund_claim",
                              subject_id=str(claim.id), payload=payload, policy_version=policy.version,
                              reason="eligible and no abuse check flagged it")
            claim = _pay(uow, claim, actor="rule:refunds", at=at, policy_version=policy.version,
                         reason="approved at once")
        _feed_seller_risk(uow, order, policy=policy)
        uow.commit()
        return claim


def _feed_seller_risk(uow: AbstractUnitOfWork, order: Order, *, policy: RefundPolicy) -> None:
    """Claims count towards the listing's test-buy risk (the QA sampler reads them) and can open a case."""
    n = uow.refunds.count_for_listing(order.listing_id)
    if policy.case_after_claims and n >= policy.case_after_claims:
        uow.queue.enqueue(kind="refund_claim", subject_type="listing", subject_id=order.listing_id,
                          priority=float(n), payload={"refund_claims": n, "seller_id": order.seller_id,
                                                      "reason": f"{n} buyers claimed refunds suspecting a fake"})
        if n == policy.case_after_claims:
            uow.events.append(type="refund.case_opened", actor="rule:refunds", subject_type="listing",
                              subject_id=order.listing_id, payload={"refund_claims": n, "seller_id": order.seller_id},
                              policy_version=policy.version,
                              reason=f"{n} refund claims suspecting a fake (policy: {policy.case_after_claims})")


def decide_claim(*, uow: AbstractUnitOfWork, principal: Principal, claim_id: int, approve: bool, reason: str,
                 policy: RefundPolicy, now: datetime | None = None) -> Claim:
    """Approve or reject a refund claim that an abuse check sent to review."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    if not reason.strip() or len(reason) > MAX_NOTE:
        raise ValidationError(f"reason: 1-{MAX_NOTE} characters", field="reason")
    at = _now(now)
    with uow:
        claim = uow.refunds.get(claim_id, lock=True)
        if claim is None:
            raise NotFound(f"no refund claim {claim_id}", field="claim_id")
        if claim.status != "review":
            raise Conflict(f"refund claim {claim_id} is {claim.status}, not waiting for review")
        status = "approved" if approve else "rejected"
        claim = uow.refunds.decide(claim_id, status=status, by=principal.user_id, at=at)
        uow.events.append(type=f"refund.{status}", actor=principal.user_id, subject_type="refund_claim",
                          subject_id=str(claim_id), payload={"order_id": claim.order_id, "by_review": True},
                          policy_version=policy.version, reason=reason)
        if approve:
            claim = _pay(uow, claim, actor=principal.user_id, at=at, policy_version=policy.version, reason=reason)
        uow.queue.close_for_subject("refund_claim", str(claim_id), f"{status}: {reason}", kind="refund_claim")
        uow.commit()
        return claim


def decide_listing_case(*, uow: AbstractUnitOfWork, principal: Principal, listing_id: str, action: str,
                        reason: str, policy: RefundPolicy) -> dict[str, Any]:
    """Close the case that refund claims opened on a listing: dismiss it, or take the listing down."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    if action not in ("dismiss", "remove"):
        raise ValidationError("action: dismiss or remove", field="action")
    if not reason.strip() or len(reason) > MAX_NOTE:
        raise ValidationError(f"reason: 1-{MAX_NOTE} characters", field="reason")
    with uow:
        open_items = [i for i in uow.queue.open_items(kind="refund_claim", limit=500)
                      if i.subject_type == "listing" and i.subject_id == listing_id]
        if not open_items:
            raise NotFound(f"no open refund case for listing {listing_id}", field="listing_id")
        payload: dict[str, Any] = {"action": action, "refund_claims": uow.refunds.count_for_listing(listing_id)}
        stored = uow.listings.get(listing_id)
        if action == "remove" and stored is not None and stored.status in ("live", "held"):
            snap = uow.listings.set_status(listing_id, "removed", cause=f"refund_case:{listing_id}")
            payload.update(snapshot_id=snap.id, snapshot_sha256=snap.sha256, previous_status=stored.status)
            uow.events.append(type="listing.removed", actor=principal.user_id, subject_type="listing",
                              subject_id=listing_id, payload=payload, policy_version=policy.version, reason=reason)
        uow.queue.close_for_subject("listing", listing_id, f"{action}: {reason}", kind="refund_claim")
        uow.events.append(type="refund.case_closed", actor=principal.user_id, subject_type="listing",
                          subject_id=listing_id, payload=payload, policy_version=policy.version, reason=reason)
        uow.commit()
        return {"listing_id": listing_id, **payload}


def list_claims(*, uow: AbstractUnitOfWork, principal: Principal, status: str | None = None,
                limit: int = 100, offset: int = 0) -> list[Claim]:
    """List refund claims: a buyer sees its own, admins and reviewers all."""
    if status is not None and status not in CLAIM_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(CLAIM_STATUSES)}", field="status")
    with uow:
        if principal.role in (Role.ADMIN, Role.REVIEWER):
            return uow.refunds.list(status=status, limit=limit, offset=offset)
        principal.require(Role.CONSUMER)
        return uow.refunds.list(buyer_id=principal.user_id, status=status, limit=limit, offset=offset)


def get_claim(*, uow: AbstractUnitOfWork, principal: Principal, claim_id: int) -> Claim:
    """Return a refund claim to its buyer, an admin or a reviewer."""
    with uow:
        claim = uow.refunds.get(claim_id)
    if claim is None or (principal.role not in (Role.ADMIN, Role.REVIEWER) and claim.buyer_id != principal.user_id):
        raise NotFound(f"no refund claim {claim_id}", field="claim_id")
    return claim


def open_refunds_for_fake(*, uow: AbstractUnitOfWork, listing_id: str, cause_ref: str, actor: str,
                          policy: RefundPolicy, now: datetime | None = None) -> dict[str, list[int]]:
    """Refund recent buyers of a listing confirmed fake and charge the seller back (joins the caller's transaction).

    Recent buyers are those whose order is still inside the claim window. Buyers with a claim waiting for
    review keep it (the reviewer decides; approval is then charged back too).
    """
    at = _now(now)
    opened: list[int] = []
    charged: list[int] = []
    for order in uow.orders.for_listing(listing_id):
        earlier = uow.refunds.list(order_id=order.id)
        window = claim_window(purchased_at=order.purchased_at, delivered_at=order.delivered_at, policy=policy)
        paid = sum((c.paid for c in earlier), Decimal(0))
        if (window.contains(at) and not any(c.status == "review" for c in earlier)
                and order.amount - paid > 0):
            claim = uow.refunds.add_claim(order=order, amount=order.amount - paid, origin="test_buy", status="approved",
                                          note="", checks=[], at=at, cause_ref=cause_ref, decided_by=actor)
            uow.events.append(type="refund.approved", actor=actor, subject_type="refund_claim",
                              subject_id=str(claim.id),
                              payload={"order_id": order.id, "listing_id": listing_id, "buyer_id": order.buyer_id,
                                       "amount": str(claim.amount), "currency": claim.currency,
                                       "cause_ref": cause_ref},
                              policy_version=policy.version, reason="the listing was confirmed fake")
            uow.refunds.add_payout(claim, at=at)
            uow.events.append(type="refund.paid", actor=actor, subject_type="refund_claim", subject_id=str(claim.id),
                              payload={"order_id": order.id, "amount": str(claim.amount), "currency": claim.currency,
                                       "seller_id": claim.seller_id, "listing_id": listing_id},
                              policy_version=policy.version, reason="the listing was confirmed fake")
            opened.append(claim.id)
            earlier = [*earlier, claim]
        for c in earlier:
            fresh = uow.refunds.get(c.id)
            if fresh.status == "approved" and _charge_back(uow, fresh, cause_ref=cause_ref, actor=actor, at=at,
                                                           policy_version=policy.version):
                charged.append(fresh.id)
    return {"opened": opened, "charged_back": charged}
