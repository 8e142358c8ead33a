"""Consumer reports of suspected fakes: anonymous or signed in, followed by case number and token."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from klean.adapters.api.deps import AppDep, OptionalPrincipalDep, UowDep
from klean.adapters.api.schemas_notices import ReportIn
from klean.services import reports
from klean.services.notices import notice_policy

router = APIRouter(prefix="/v1", tags=["reports"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
FollowToken = Annotated[str | None, Header(alias="X-Follow-Token", max_length=200)]


def client_key(request: Request) -> str:
    """Anonymous reporters are told apart by a hash of their address (never stored in the clear)."""
    host = request.client.host if request.client else "unknown"
    return "client:" + hashlib.sha256(host.encode()).hexdigest()[:32]


@router.post("/reports", status_code=201)
def submit_report(body: ReportIn, request: Request, response: Response, app: AppDep, uow: UowDep,
                  principal: OptionalPrincipalDep, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Report a suspected fake (ko or en); keep the case number and follow token to see its status."""
    answer, replayed = reports.submit_report(uow=uow, principal=principal, draft=body.to_draft(),
                                             policy=notice_policy(app.policy), channel="api",
                                             reporter_key=client_key(request), idempotency_key=idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/reports/{case_number}")
def follow_report(case_number: str, uow: UowDep, principal: OptionalPrincipalDep, token: FollowToken = None,
                  t: str | None = None) -> dict[str, Any]:
    """A report's status, for the holder of its follow token (header X-Follow-Token or ?t=) or its reporter."""
    return reports.follow_report(uow=uow, case_number=case_number[:40], token=token or t, principal=principal)
