"""Consumer reports of suspected fakes: anonymous or signed in, followed by case number and token."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from klean.adapters.api.deps import AppDep, OptionalPrincipalDep, UowDep
from klean.adapters.api.schemas_notices import ReportIn
from klean.adapters.app_secret import client_digest
from klean.adapters.mail.inbound import RateLimiter
from klean.bootstrap import App
from klean.config import Settings
from klean.domain.errors import RateLimited
from klean.services import reports
from klean.services.notices import notice_policy

router = APIRouter(prefix="/v1", tags=["reports"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
FollowToken = Annotated[str | None, Header(alias="X-Follow-Token", max_length=200)]
# Anonymous reports per client address per hour; signed-in reporters are accountable and not limited here.
ANONYMOUS_REPORTS_PER_HOUR = 30


def client_key(request: Request, settings: Settings) -> str:
    """Anonymous reporters are told apart by a keyed hash of their address (HMAC under the application's secret,
    the generated one when KLEAN_SECRET_KEY is unset): never stored in the clear, not reversible by hashing every
    address."""
    return "client:" + client_digest(request, settings, purpose="reporter")


def anonymous_limiter(app: App) -> RateLimiter:
    return app.extras.setdefault(  # type: ignore[no-any-return]
        "anonymous_report_limiter", RateLimiter(limit=ANONYMOUS_REPORTS_PER_HOUR, window=3600.0))


def reserve_anonymous_report(app: App, key: str, message: str) -> None:
    """Take one of the address's anonymous reports for this hour, or raise RateLimited with Retry-After."""
    wait = anonymous_limiter(app).reserve(key)
    if wait:
        raise RateLimited(message, retry_after=math.ceil(wait))


@router.post("/reports", status_code=201)
def submit_report(body: ReportIn, request: Request, response: Response, app: AppDep, uow: UowDep,
                  principal: OptionalPrincipalDep, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Report a suspected fake (in ko, en, id, th or vi); keep the case number and follow token to see its status."""
    key = client_key(request, app.settings)
    if principal is None:
        reserve_anonymous_report(app, key, f"at most {ANONYMOUS_REPORTS_PER_HOUR} anonymous reports an hour from "
                                           "one address; sign in or try again later")
    try:
        answer, replayed = reports.submit_report(uow=uow, principal=principal, draft=body.to_draft(),
                                                 policy=notice_policy(app.policy), channel="api",
                                                 reporter_key=key, idempotency_key=idempotency_key)
    except Exception:
        if principal is None:
            anonymous_limiter(app).release(key)
        raise
    if principal is None and replayed:
        anonymous_limiter(app).release(key)  # a replay creates nothing: it does not count
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/reports/{case_number}")
def follow_report(case_number: str, uow: UowDep, principal: OptionalPrincipalDep, token: FollowToken = None,
                  t: str | None = None) -> dict[str, Any]:
    """A report's status, for the holder of its follow token (header X-Follow-Token or ?t=) or its reporter."""
    return reports.follow_report(uow=uow, case_number=case_number[:40], token=token or t, principal=principal)
