"""Takedown notices, cases, counter-notices, court action, complaints and notifier records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.errors import error_body
from klean.adapters.api.schemas_notices import ComplaintIn, CounterNoticeIn, CourtActionIn, NoticeIn
from klean.adapters.mail.notify import mailer
from klean.adapters.screening_runtime import screener_for
from klean.domain.auth import Role
from klean.services import agencies, notices
from klean.services.notices import case_view

router = APIRouter(prefix="/v1", tags=["notices"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
CaseId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.post("/notices", status_code=201)
def file_notice(body: NoticeIn, app: AppDep, uow: UowDep, principal: PrincipalDep, response: Response,
                idempotency_key: IdempotencyKey = None) -> Any:
    """File a takedown notice (rights holders for their own brands; trusted partners take effect at once, for
    the listings that allude to the notice's brand; the others wait for a reviewer)."""
    try:
        answer, replayed = notices.file_notice(uow=uow, principal=principal, draft=body.to_draft(),
                                               policy=notices.notice_policy(app.policy),
                                               idempotency_key=idempotency_key, screener=screener_for(app))
    except notices.IncompleteNotice as exc:
        return JSONResponse(error_body("incomplete_notice", exc.message, exc.field,
                                       [{"field": f, "requirement": r} for f, r in exc.missing]), status_code=422)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/cases")
def list_cases(uow: UowDep, principal: PrincipalDep,
               state: str | None = Query(default=None, pattern=r"^[a-z_]{1,20}$")) -> list[dict[str, Any]]:
    """Your cases: as notifier, as seller, an agency's members', or all (reviewers, admins)."""
    if principal.role is Role.AGENCY:  # its own notices' cases and those on its live-mandate brands
        return [case_view(c) for c in agencies.member_cases(uow=uow, principal=principal, state=state)]
    with uow:
        if principal.role in (Role.ADMIN, Role.REVIEWER):
            cases = uow.cases.list(state=state)
        elif principal.role is Role.SELLER and principal.seller_id:
            cases = uow.cases.list(seller_id=principal.seller_id, state=state)
        else:
            cases = uow.cases.list(notifier_id=principal.user_id, state=state)
        return [case_view(c) for c in cases]


@router.get("/cases/{case_id}")
def get_case(case_id: CaseId, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """A case with every transition (time-stamped), counter-notices and complaints."""
    return notices.get_case(uow=uow, principal=principal, case_id=case_id)


@router.post("/cases/{case_id}/counter-notice", status_code=201)
def counter_notice(case_id: CaseId, body: CounterNoticeIn, app: AppDep, uow: UowDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    """Answer a removal of your listing; restored after the window unless the rights holder goes to court."""
    return notices.file_counter_notice(uow=uow, principal=principal, case_id=case_id, reasons=body.reasons,
                                       authorisation_proof=body.authorisation_proof,
                                       policy=notices.notice_policy(app.policy), notify=mailer(app.settings))


@router.post("/cases/{case_id}/court-action")
def court_action(case_id: CaseId, body: CourtActionIn, app: AppDep, uow: UowDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """Show you have filed a court action, within the counter-notice window; the listing stays down."""
    return notices.report_court_action(uow=uow, principal=principal, case_id=case_id, reference=body.reference,
                                       policy=notices.notice_policy(app.policy))


@router.post("/cases/{case_id}/complaints", status_code=201)
def complaint(case_id: CaseId, body: ComplaintIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Ask for a review of a decision (DSA Art. 20): sellers against removals, notifiers against rejections."""
    return notices.file_complaint(uow=uow, principal=principal, case_id=case_id, grounds=body.grounds,
                                  policy=notices.notice_policy(app.policy))


UserId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.@-]{1,100}$")]


@router.get("/notifiers/{user_id}/record")
def notifier_record(user_id: UserId, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """A notifier's accuracy over the rolling window, warnings, suspension and trusted-lane standing."""
    return notices.notifier_record(uow=uow, principal=principal, user_id=user_id,
                                   policy=notices.notice_policy(app.policy))


@router.post("/notifiers/{user_id}/readmit")
def readmit(user_id: UserId, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Re-admit a removed trusted partner to the trusted lane (admins; after the bar, on a good record)."""
    return notices.readmit_trusted(uow=uow, principal=principal, user_id=user_id,
                                   policy=notices.notice_policy(app.policy))
