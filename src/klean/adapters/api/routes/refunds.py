"""Orders posted by the marketplace and no-evidence refund claims by buyers who suspect a fake."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.routes.qa import refund_policy
from klean.adapters.api.schemas_refunds import CaseDecisionIn, ClaimIn, ClaimOut, DecisionIn, OrderOut, OrdersIn
from klean.domain.auth import Role
from klean.services import refunds

router = APIRouter(prefix="/v1", tags=["refunds"])
ClaimId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/orders")
def post_orders(body: OrdersIn, principal: PrincipalDep, uow: UowDep) -> dict[str, int]:
    """Post orders (the marketplace's integration, with an admin key); re-posting updates them, e.g. delivery."""
    return refunds.post_orders(uow=uow, principal=principal, orders=[o.to_order() for o in body.orders])


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: str, principal: PrincipalDep, uow: UowDep) -> OrderOut:
    """One order (its buyer, admins, reviewers)."""
    return OrderOut.of(refunds.get_order(uow=uow, principal=principal, order_id=order_id))


@router.post("/refunds/claims", status_code=201, response_model=ClaimOut)
def claim(body: ClaimIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> ClaimOut:
    """Claim a refund for a suspected fake within 3 months; no evidence needed. Approved at once or reviewed."""
    c = refunds.claim_refund(uow=uow, principal=principal, order_id=body.order_id, note=body.note,
                             policy=refund_policy(app))
    return ClaimOut.of(c, show_checks=False)


@router.get("/refunds/claims", response_model=list[ClaimOut])
def list_claims(principal: PrincipalDep, uow: UowDep,
                status: Annotated[str | None, Query(pattern="^(approved|review|rejected)$")] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[ClaimOut]:
    """Refund claims: a buyer sees its own; admins and reviewers see all, with each abuse check's explanation."""
    staff = principal.role in (Role.ADMIN, Role.REVIEWER)
    return [ClaimOut.of(c, show_checks=staff) for c in
            refunds.list_claims(uow=uow, principal=principal, status=status, limit=limit, offset=offset)]


@router.get("/refunds/claims/{claim_id}", response_model=ClaimOut)
def get_claim(claim_id: ClaimId, principal: PrincipalDep, uow: UowDep) -> ClaimOut:
    """One refund claim (its buyer, admins, reviewers)."""
    c = refunds.get_claim(uow=uow, principal=principal, claim_id=claim_id)
    return ClaimOut.of(c, show_checks=principal.role in (Role.ADMIN, Role.REVIEWER))


@router.post("/refunds/claims/{claim_id}/decision", response_model=ClaimOut)
def decide(claim_id: ClaimId, body: DecisionIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> ClaimOut:
    """Approve or reject a claim an abuse check sent to review (admin, reviewer)."""
    c = refunds.decide_claim(uow=uow, principal=principal, claim_id=claim_id, approve=body.approve,
                             reason=body.reason, policy=refund_policy(app))
    return ClaimOut.of(c, show_checks=True)


@router.post("/refunds/cases/{listing_id}/decision")
def decide_case(listing_id: Annotated[str, Path(min_length=1, max_length=200)], body: CaseDecisionIn,
                principal: PrincipalDep, uow: UowDep, app: AppDep) -> dict[str, Any]:
    """Close the case refund claims opened on a listing: dismiss it or take the listing down (admin, reviewer)."""
    return refunds.decide_listing_case(uow=uow, principal=principal, listing_id=listing_id, action=body.action,
                                       reason=body.reason, policy=refund_policy(app))
