"""Enforcement over HTTP: actions with statements of reasons, appeals, seller standing, the listing gate.

A seller sees only its own actions and standing: another seller's answer 404, as if they did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_enforcement import AppealDecisionIn, AppealIn, LiftIn, ReversalIn, ViolationIn
from klean.services import enforcement

DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an integer key: out of range is 422, not a DB error

router = APIRouter(prefix="/v1", tags=["enforcement"])


@router.get("/enforcement/policy")
def policy(app: AppDep, principal: PrincipalDep) -> dict[str, Any]:
    """The enforcement policy in force: event consequences, the ladder, appeal window."""
    return enforcement.policy_summary(enforcement.policy_of(app.policy))


@router.post("/enforcement/violations", status_code=201)
def confirm_violation(body: ViolationIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Record a violation a reviewer confirmed; the policy ladder decides the actions (returned)."""
    return enforcement.confirm_violation(uow=uow, principal=principal, seller_id=body.seller_id, kind=body.kind,
                                         cause_ref=body.cause_ref, listing_id=body.listing_id,
                                         brand_id=body.brand_id, evidence=body.evidence,
                                         policy=enforcement.policy_of(app.policy))


@router.post("/enforcement/reversals")
def reverse(body: ReversalIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Undo every action of a cause found wrong (listings back live, strikes removed, restrictions lifted)."""
    count = enforcement.reverse_cause(uow=uow, principal=principal, cause_ref=body.cause_ref, reason=body.reason,
                                      policy=enforcement.policy_of(app.policy))
    return {"cause_ref": body.cause_ref, "actions_reversed": count}


@router.get("/enforcement/actions")
def list_actions(uow: UowDep, principal: PrincipalDep,
                 seller_id: str | None = Query(default=None, max_length=200),
                 state: str | None = Query(default=None, pattern="^(active|done|expired|reversed|lifted)$"),
                 limit: int = Query(default=100, ge=1, le=500), offset: int = Query(default=0, ge=0, le=10**9)
                 ) -> list[dict[str, Any]]:
    """Actions: a seller its own; reviewers any seller's (or the latest of all)."""
    return enforcement.list_actions(uow=uow, principal=principal, seller_id=seller_id, state=state, limit=limit,
                                    offset=offset)


@router.get("/enforcement/actions/{action_id}")
def get_action(action_id: DbId, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """One action with its statement of reasons and its appeals."""
    return enforcement.get_action(uow=uow, principal=principal, action_id=action_id)


@router.post("/enforcement/actions/{action_id}/appeal", status_code=201)
def appeal(action_id: DbId, body: AppealIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Appeal one of your actions; a reviewer other than the one who decided it will rule."""
    return enforcement.file_appeal(uow=uow, principal=principal, action_id=action_id, grounds=body.grounds,
                                   policy=enforcement.policy_of(app.policy))


@router.post("/enforcement/actions/{action_id}/lift")
def lift(action_id: DbId, body: LiftIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """End one action in force early (admins), with a reason; a listing it removed goes back to its status."""
    return enforcement.lift_action(uow=uow, principal=principal, action_id=action_id, reason=body.reason,
                                   policy=enforcement.policy_of(app.policy))


@router.get("/enforcement/appeals")
def open_appeals(uow: UowDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Open appeals (reviewers)."""
    return enforcement.list_open_appeals(uow=uow, principal=principal)


@router.post("/enforcement/appeals/{appeal_id}/decision")
def decide_appeal(appeal_id: DbId, body: AppealDecisionIn, app: AppDep, uow: UowDep,
                  principal: PrincipalDep) -> dict[str, Any]:
    """Uphold (the action stands) or reverse (everything it took away is restored by new events)."""
    return enforcement.decide_appeal(uow=uow, principal=principal, appeal_id=appeal_id, outcome=body.outcome,
                                     reason=body.reason, policy=enforcement.policy_of(app.policy))


@router.get("/sellers/{seller_id}/standing")
def standing(seller_id: str, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """A seller's status, active strike points, strikes with expiry dates, open actions and appeals."""
    return enforcement.standing(uow=uow, principal=principal, seller_id=seller_id,
                                policy=enforcement.policy_of(app.policy))


@router.get("/sellers/{seller_id}/listing-check")
def listing_check(seller_id: str, app: AppDep, uow: UowDep, principal: PrincipalDep,
                  brand_id: list[str] = Query(default=[], max_length=50),
                  category: str | None = Query(default=None, max_length=200)) -> dict[str, Any]:
    """May this seller list these brands now? allow, hold or block, and exactly which proof is missing."""
    return enforcement.listing_gate(uow=uow, principal=principal, seller_id=seller_id, brand_ids=brand_id,
                                    category=category, policy=enforcement.policy_of(app.policy))
