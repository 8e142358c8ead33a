"""Consumer pages: report a suspected fake without an account, follow the case, claim a refund for an order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klean.adapters.api.deps import UowDep
from klean.adapters.api.routes.qa import refund_policy
from klean.adapters.api.routes.reports import anonymous_limiter, client_key, reserve_anonymous_report
from klean.adapters.blobs import BlobStore
from klean.adapters.uploads import validate_image
from klean.adapters.web.deps import CsrfChecked, PortalPrincipal, role_required
from klean.adapters.web.templating import render, request_lang
from klean.adapters.web.views import N_, app_of, pop_flash, read_upload, set_flash, tr
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError, RateLimited, ValidationError
from klean.domain.reports import ReportCategory, ReportDraft
from klean.services import refunds, reports
from klean.services.notices import notice_policy

router = APIRouter(prefix="/portal")
MAX_PHOTOS = 4
ConsumerOnly = Depends(role_required(Role.CONSUMER))


def _categories() -> list[str]:
    return [c.value for c in ReportCategory]


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, principal: PortalPrincipal) -> Response:
    return render(request, "pages/consumer/report.html", principal=principal, categories=_categories(), form={})


@router.post("/report", dependencies=[CsrfChecked])
async def report_submit(
    request: Request,
    uow: UowDep,
    principal: PortalPrincipal,
    category: Annotated[str, Form(max_length=40)],
    text: Annotated[str, Form(max_length=5000)],
    listing: Annotated[str, Form(max_length=2000)] = "",
    contact_email: Annotated[str, Form(max_length=320)] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    app = app_of(request)
    form = {"category": category, "text": text, "listing": listing, "contact_email": contact_email}
    key = client_key(request, app.settings)
    reserved = False
    try:
        if principal is None:
            reserve_anonymous_report(app, key, N_("too many reports from this address; sign in or try again later"))
            reserved = True
        chosen = [p for p in (photos or []) if p.filename]
        if len(chosen) > MAX_PHOTOS:
            raise ValidationError(f"at most {MAX_PHOTOS} photos", field="photos")
        stored: list[str] = []
        for photo in chosen:
            data = await read_upload(photo, app.settings.max_upload_bytes)
            if data is None:
                continue
            info = validate_image(data, app.settings, field="photos")
            stored.append(BlobStore(app.settings).put(data, info.media_type))
        # The report record has no photo field: the stored photos are named in the text for the reviewer.
        body = text + "".join(f"\nphoto sha256:{sha}" for sha in stored)
        draft = ReportDraft(category=category, text=body, lang=request_lang(request),
                            listings=(listing.strip(),) if listing.strip() else (),
                            contact_email=contact_email.strip() or None)
        answer, _ = reports.submit_report(uow=uow, principal=principal, draft=draft,
                                          policy=notice_policy(app.policy), channel="portal", reporter_key=key)
    except BaseException as exc:
        if reserved:
            anonymous_limiter(app).release(key)  # nothing was filed: the address keeps its place
        if not isinstance(exc, DomainError):
            raise
        status = 429 if isinstance(exc, RateLimited) else 422
        page = render(request, "pages/consumer/report.html", principal=principal, categories=_categories(),
                      form=form, error=tr(request, exc.message), status_code=status)
        if isinstance(exc, RateLimited) and exc.retry_after:
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    return render(request, "pages/consumer/report_done.html", principal=principal, answer=answer,
                  photos=len(stored), status_code=201)


@router.get("/follow", response_class=HTMLResponse)
def follow(request: Request, uow: UowDep, principal: PortalPrincipal, case: str = "", t: str = "") -> Response:
    view, error = None, None
    if case:
        try:
            view = reports.follow_report(uow=uow, case_number=case[:40], token=t[:200] or None, principal=principal)
        except DomainError:
            error = tr(request, N_("No case with that number and follow code."))
    return render(request, "pages/consumer/follow.html", principal=principal, case=case[:40], token=t[:200],
                  view=view, error=error, status_code=404 if error else 200)


@router.get("/refund", response_class=HTMLResponse)
def refund_form(request: Request, uow: UowDep, principal: Annotated[Principal, ConsumerOnly]) -> Response:
    claims = refunds.list_claims(uow=uow, principal=principal)
    return render(request, "pages/consumer/refund.html", principal=principal, claims=claims,
                  flash=pop_flash(request))


@router.post("/refund", dependencies=[CsrfChecked])
def refund_submit(request: Request, uow: UowDep, principal: Annotated[Principal, ConsumerOnly],
                  order_id: Annotated[str, Form(min_length=1, max_length=200)],
                  note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        claim = refunds.claim_refund(uow=uow, principal=principal, order_id=order_id.strip(), note=note,
                                     policy=refund_policy(app_of(request)))
    except DomainError as exc:
        claims = refunds.list_claims(uow=uow, principal=principal)
        return render(request, "pages/consumer/refund.html", principal=principal, claims=claims,
                      error=tr(request, exc.message), order_id=order_id, status_code=422)
    if claim.status == "approved":
        set_flash(request, N_("Refund claim %(id)s for order %(order)s is approved."), id=claim.id,
                  order=claim.order_id)
    else:
        set_flash(request, N_("Refund claim %(id)s for order %(order)s is waiting for review."), id=claim.id,
                  order=claim.order_id)
    return RedirectResponse("/portal/refund", status_code=303)
