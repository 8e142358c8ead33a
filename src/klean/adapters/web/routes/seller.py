"""Seller centre: why a listing was held or blocked (in the seller's language), appeals, counter-notices,
standing and strikes, proofs of authorisation with their expiry."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klean.adapters.api.deps import UowDep
from klean.adapters.blobs import BlobStore
from klean.adapters.i18n import render as render_message
from klean.adapters.mail.notify import mailer
from klean.adapters.uploads import validate_document
from klean.adapters.web.deps import CsrfChecked, role_required
from klean.adapters.web.templating import render, request_lang
from klean.adapters.web.views import (
    N_,
    app_of,
    evidence_rows,
    highlight,
    pop_flash,
    read_upload,
    set_flash,
    spans_of,
    tr,
)
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError, ValidationError
from klean.domain.messages import Message
from klean.services import enforcement, notices, portal, screening, verification

router = APIRouter(prefix="/portal/seller")
Seller = Annotated[Principal, Depends(role_required(Role.SELLER))]
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def statement_text(action: dict[str, Any], lang: str) -> str:
    """An action's statement of reasons in the reader's language (English where the catalog lacks it)."""
    st = action.get("statement") or {}
    if isinstance(st.get("template"), str):
        text = render_message(Message(st["template"], dict(st.get("params") or {})), lang)
    else:
        text = str(st.get("text") or "")
    # Statements written before the action had its id carried a placeholder: show the real link.
    return text.replace("/actions/<id>/", f"/actions/{action.get('id')}/")


def _actions(uow: UowDep, principal: Principal, lang: str) -> list[dict[str, Any]]:
    found = enforcement.list_actions(uow=uow, principal=principal)
    return [{**a, "statement_text": statement_text(a, lang)} for a in found]


@router.get("", response_class=HTMLResponse)
def centre(request: Request, uow: UowDep, principal: Seller) -> Response:
    lang = request_lang(request)
    standing = enforcement.standing(uow=uow, principal=principal, seller_id=principal.seller_id or "",
                                    policy=enforcement.policy_of(app_of(request).policy))
    return render(request, "pages/seller/centre.html", principal=principal, standing=standing,
                  listings=portal.seller_listings(uow=uow, principal=principal),
                  actions=_actions(uow, principal, lang), cases=portal.my_cases(uow=uow, principal=principal),
                  proofs=verification.list_proofs(uow=uow, principal=principal), today=date.today().isoformat(),
                  flash=pop_flash(request))


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing(request: Request, listing_id: Annotated[str, Path(max_length=200)], uow: UowDep,
            principal: Seller) -> Response:
    lang = request_lang(request)
    view = screening.get_listing(uow=uow, principal=principal, listing_id=listing_id)
    rows = evidence_rows(view.evidence, lang)
    actions = [a for a in _actions(uow, principal, lang) if a.get("listing_id") == listing_id]
    cases = [c for c in portal.my_cases(uow=uow, principal=principal) if c["listing_id"] == listing_id]
    return render(request, "pages/seller/listing.html", principal=principal, view=view, rows=rows,
                  pieces=highlight(view.listing.text, spans_of(rows)), actions=actions, cases=cases,
                  flash=pop_flash(request))


def _back(back: str) -> str:
    """Back to the seller-centre page the form was on (only a path inside the seller centre: no open redirect)."""
    ok = back.startswith("/portal/seller") and "//" not in back and "\\" not in back
    return back if ok else "/portal/seller"


@router.post("/actions/{action_id}/appeal", dependencies=[CsrfChecked])
def appeal(request: Request, action_id: DbId, uow: UowDep, principal: Seller,
           grounds: Annotated[str, Form(max_length=5000)],
           back: Annotated[str, Form(max_length=300)] = "") -> Response:
    try:
        filed = enforcement.file_appeal(uow=uow, principal=principal, action_id=action_id, grounds=grounds,
                                        policy=enforcement.policy_of(app_of(request).policy))
        set_flash(request, N_("Appeal %(id)s filed: a different reviewer will decide."), id=filed.get("id", ""))
    except DomainError as exc:
        set_flash(request, N_("The appeal was not filed: %(why)s"), why=tr(request, exc.message))
    return RedirectResponse(_back(back), status_code=303)


@router.post("/cases/{case_id}/counter-notice", dependencies=[CsrfChecked])
def counter_notice(request: Request, case_id: DbId, uow: UowDep, principal: Seller,
                   reasons: Annotated[str, Form(max_length=20_000)],
                   authorisation_proof: Annotated[str, Form(max_length=2000)] = "",
                   back: Annotated[str, Form(max_length=300)] = "") -> Response:
    app = app_of(request)
    try:
        notices.file_counter_notice(uow=uow, principal=principal, case_id=case_id, reasons=reasons,
                                    authorisation_proof=authorisation_proof.strip() or None,
                                    policy=notices.notice_policy(app.policy), notify=mailer(app.settings))
        set_flash(request, N_("Counter-notice filed for case %(id)s."), id=case_id)
    except DomainError as exc:
        set_flash(request, N_("The counter-notice was not filed: %(why)s"), why=tr(request, exc.message))
    return RedirectResponse(_back(back), status_code=303)


@router.post("/proofs", dependencies=[CsrfChecked])
async def proof(request: Request, uow: UowDep, principal: Seller,
                brand_id: Annotated[str, Form(min_length=1, max_length=100)],
                issuer: Annotated[str, Form(min_length=1, max_length=300)],
                valid_until: Annotated[str, Form(max_length=10)],
                file: Annotated[UploadFile | None, File()] = None,
                valid_from: Annotated[str, Form(max_length=10)] = "") -> Response:
    app = app_of(request)
    try:
        until = _date(valid_until, "valid_until")
        since = _date(valid_from, "valid_from") if valid_from else None
        data = await read_upload(file, app.settings.max_upload_bytes)
        if data is None:
            raise ValidationError("choose the document to upload", field="file")
        info = validate_document(data, app.settings)
        sha = BlobStore(app.settings).put(data, info.media_type)
        verification.submit_proof(uow=uow, principal=principal, brand_id=brand_id.strip(), document_sha256=sha,
                                  media_type=info.media_type, size=info.size, issuer=issuer, valid_from=since,
                                  valid_until=until, policy=enforcement.policy_of(app.policy))
        set_flash(request, N_("Proof submitted: a reviewer will check it."))
    except DomainError as exc:
        set_flash(request, N_("The proof was not submitted: %(why)s"), why=tr(request, exc.message))
    return RedirectResponse("/portal/seller", status_code=303)


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"{field}: a date, YYYY-MM-DD", field=field) from exc
