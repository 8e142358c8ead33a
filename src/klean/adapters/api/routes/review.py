"""The reviewer queue: list by priority, claim, release, decide with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_notices import DecisionIn
from klean.adapters.mail.notify import mailer
from klean.services import review
from klean.services.notices import notice_policy

router = APIRouter(prefix="/v1/review", tags=["review"])
ItemId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/queue")
def queue(uow: UowDep, principal: PrincipalDep,
          kind: str | None = Query(default=None, max_length=40, pattern=r"^[a-z_]+$"),
          limit: int = Query(default=50, ge=1, le=500)) -> list[dict[str, Any]]:
    """Open items, trusted lane and risk first, then oldest."""
    return review.list_queue(uow=uow, principal=principal, kind=kind, limit=limit)


@router.post("/items/{item_id}/claim")
def claim(item_id: ItemId, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Claim an item; 409 if another reviewer has it."""
    return review.claim(uow=uow, principal=principal, item_id=item_id, policy=notice_policy(app.policy))


@router.post("/items/{item_id}/release")
def release(item_id: ItemId, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Give an item you claimed back to the queue."""
    return review.release(uow=uow, principal=principal, item_id=item_id, policy=notice_policy(app.policy))


@router.post("/items/{item_id}/decide")
def decide(item_id: ItemId, body: DecisionIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Decide an item you claimed, with a reason (uphold/reject, restore/reject, grant/deny, remove/dismiss)."""
    return review.decide(uow=uow, principal=principal, item_id=item_id, decision=body.decision, reason=body.reason,
                         manifestly_unfounded=body.manifestly_unfounded, policy=notice_policy(app.policy),
                         notify=mailer(app.settings))
