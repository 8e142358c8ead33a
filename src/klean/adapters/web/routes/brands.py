"""Rights holder pages: brands with marks, products and reference prices, images, authorised sellers, nicknames,
design cues and same-name uses; notices
(many listings, CSV upload); cases with time-to-action, court action after a counter-notice, evidence packages;
the notifier's accuracy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klean.adapters import evidence_package
from klean.adapters.api.deps import UowDep
from klean.adapters.blobs import BlobStore
from klean.adapters.imaging import image_features
from klean.adapters.screening_runtime import rescan_after_change, screener_for
from klean.adapters.uploads import csv_rows, validate_image
from klean.adapters.web.deps import CsrfChecked, role_required
from klean.adapters.web.templating import render, request_lang
from klean.adapters.web.views import N_, app_of, pop_flash, read_upload, set_flash, tr
from klean.domain.auth import Principal, Role
from klean.domain.cases import NoticeDraft, RightClaim
from klean.domain.errors import DomainError, ValidationError
from klean.domain.evidence import safe_name
from klean.domain.listing import Money
from klean.domain.registry_rules import brand_term_id
from klean.services import notices, portal, registry

router = APIRouter(prefix="/portal")
Holder = Annotated[Principal, Depends(role_required(Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.ADMIN))]
# Notices are the rights holder's own signed statements: admins manage brands but do not file notices.
Notifier = Annotated[Principal, Depends(role_required(Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER))]
BrandId = Annotated[str, Path(min_length=1, max_length=100)]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_NOTICE_LISTINGS = 500
MAX_CSV_BYTES = 1024 * 1024


def _lines(text: str) -> list[str]:
    return [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]


def listings_from_csv(data: bytes) -> list[str]:
    """Listing ids or URLs from a CSV: the column named listing/url/id if there is a header, else the first column.

    Parsed as data only (no formulas evaluated, no types guessed); at most MAX_NOTICE_LISTINGS rows."""
    rows = csv_rows(data)
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    column = next((header.index(n) for n in ("listing", "listing_id", "url", "id") if n in header), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    found = [r[column].strip() for r in body if len(r) > column and r[column].strip()]
    if len(found) > MAX_NOTICE_LISTINGS:
        raise ValidationError(f"at most {MAX_NOTICE_LISTINGS} listings per notice", field="csv")
    return found


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _try(request: Request, ok: str, url: str, run: object, **params: object) -> Response:
    try:
        run()  # type: ignore[operator]
        set_flash(request, ok, **params)
    except DomainError as exc:
        set_flash(request, N_("Not saved: %(why)s"), why=tr(request, exc.message))
    return _redirect(url)


# --- brands -------------------------------------------------------------------------------------------------

@router.get("/brands", response_class=HTMLResponse)
def brands(request: Request, uow: UowDep, principal: Holder) -> Response:
    found, total = registry.list_brands(uow=uow, principal=principal, limit=200)
    record = notices.notifier_record(uow=uow, principal=principal, user_id=principal.user_id,
                                     policy=notices.notice_policy(app_of(request).policy))
    return render(request, "pages/brands/list.html", principal=principal, brands=found, total=total, record=record,
                  flash=pop_flash(request))


@router.post("/brands", dependencies=[CsrfChecked])
def create_brand(request: Request, uow: UowDep, principal: Holder,
                 brand_id: Annotated[str, Form(max_length=100)], name: Annotated[str, Form(max_length=300)],
                 marks: Annotated[str, Form(max_length=5000)]) -> Response:
    bid = brand_id.strip()
    try:
        registry.create_brand(uow=uow, principal=principal, brand_id=bid, name=name.strip(), marks=_lines(marks))
    except DomainError as exc:
        set_flash(request, N_("Not saved: %(why)s"), why=tr(request, exc.message))
        return _redirect("/portal/brands")
    set_flash(request, N_("Brand %(id)s registered."), id=bid)
    return _redirect(f"/portal/brands/{bid}")


@router.get("/brands/{brand_id}", response_class=HTMLResponse)
def brand(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder) -> Response:
    found = registry.get_brand(uow=uow, principal=principal, brand_id=brand_id)
    knowledge = registry.get_brand_knowledge(uow=uow, principal=principal, brand_id=brand_id)
    own = [(brand_term_id(t.kind, t.term), t) for t in knowledge.own]
    return render(request, "pages/brands/brand.html", principal=principal, brand=found, knowledge=knowledge,
                  own_terms=own, flash=pop_flash(request))


@router.post("/brands/{brand_id}/marks", dependencies=[CsrfChecked])
def add_mark(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
             mark: Annotated[str, Form(max_length=200)]) -> Response:
    return _try(request, N_("Mark %(mark)s added."), f"/portal/brands/{brand_id}",
                lambda: registry.add_mark(uow=uow, principal=principal, brand_id=brand_id, mark=mark.strip()),
                mark=mark.strip())


@router.post("/brands/{brand_id}/marks/remove", dependencies=[CsrfChecked])
def remove_mark(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
                mark: Annotated[str, Form(max_length=200)]) -> Response:
    return _try(request, N_("Mark %(mark)s removed."), f"/portal/brands/{brand_id}",
                lambda: registry.remove_mark(uow=uow, principal=principal, brand_id=brand_id, mark=mark),
                mark=mark)


@router.post("/brands/{brand_id}/products", dependencies=[CsrfChecked])
def add_product(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
                name: Annotated[str, Form(max_length=300)], price: Annotated[str, Form(max_length=30)],
                currency: Annotated[str, Form(max_length=3)] = "KRW",
                aliases: Annotated[str, Form(max_length=2000)] = "") -> Response:
    def run() -> None:
        try:
            amount = Decimal(price.replace(",", "").strip())
        except InvalidOperation as exc:
            raise ValidationError("the reference price is not a number", field="price") from exc
        registry.add_product(uow=uow, principal=principal, brand_id=brand_id, name=name.strip(),
                             reference_price=Money.of(amount, currency.strip().upper()), aliases=_lines(aliases))

    return _try(request, N_("Product %(name)s added."), f"/portal/brands/{brand_id}", run, name=name.strip())


@router.post("/brands/{brand_id}/sellers", dependencies=[CsrfChecked])
def add_seller(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
               seller_id: Annotated[str, Form(max_length=200)],
               valid_until: Annotated[str, Form(max_length=10)] = "") -> Response:
    def run() -> None:
        until = None
        if valid_until:
            try:
                until = date.fromisoformat(valid_until)
            except ValueError as exc:
                raise ValidationError("valid_until: a date, YYYY-MM-DD", field="valid_until") from exc
        registry.add_authorised_seller(uow=uow, principal=principal, brand_id=brand_id, seller_id=seller_id.strip(),
                                       valid_until=until)

    return _try(request, N_("Seller %(id)s authorised."), f"/portal/brands/{brand_id}", run, id=seller_id.strip())


@router.post("/brands/{brand_id}/sellers/remove", dependencies=[CsrfChecked])
def remove_seller(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
                  seller_id: Annotated[str, Form(max_length=200)]) -> Response:
    return _try(request, N_("Authorisation of %(id)s withdrawn."), f"/portal/brands/{brand_id}",
                lambda: registry.remove_authorised_seller(uow=uow, principal=principal, brand_id=brand_id,
                                                          seller_id=seller_id), id=seller_id)


@router.post("/brands/{brand_id}/images", dependencies=[CsrfChecked])
async def add_image(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
                    file: Annotated[UploadFile | None, File()] = None,
                    kind: Annotated[str, Form(pattern="^(logo|official)$")] = "logo") -> Response:
    settings = app_of(request).settings
    try:
        registry.require_editable(uow=uow, principal=principal, brand_id=brand_id)  # before storing any byte
        data = await read_upload(file, settings.max_upload_bytes)
        if data is None:
            raise ValidationError("choose an image to upload", field="file")
        info = validate_image(data, settings)
        pdq = image_features(data, keypoints=False).pdq
        sha = BlobStore(settings).put(data, info.media_type)
        registry.add_brand_image(uow=uow, principal=principal, brand_id=brand_id, kind=kind, sha256=sha,
                                 media_type=info.media_type, size=info.size, width=info.width, height=info.height,
                                 path=f"blobs/{BlobStore.relative_path(sha)}", pdq=pdq)
        set_flash(request, N_("Image added."))
    except DomainError as exc:
        set_flash(request, N_("Not saved: %(why)s"), why=tr(request, exc.message))
    return _redirect(f"/portal/brands/{brand_id}")


@router.post("/brands/{brand_id}/knowledge", dependencies=[CsrfChecked])
def add_term(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
             term: Annotated[str, Form(max_length=1000)], kind: Annotated[str, Form(max_length=20)],
             weight: Annotated[str, Form(max_length=20)] = "",
             with_product: Annotated[bool, Form()] = False) -> Response:
    def run() -> None:
        value = None
        if weight.strip():
            try:
                value = float(weight.strip().replace(",", "."))  # 0,5 as some keyboards type it
            except ValueError as exc:
                raise ValidationError("weight: a number from 0 to 1", field="weight") from exc
        registry.add_brand_term(uow=uow, principal=principal, brand_id=brand_id, term=term, kind=kind,
                                weight=value, with_product=with_product)
        # As the API does: the next screening and the listings the term points at see it at once.
        rescan_after_change(app_of(request), brand_ids=[brand_id])

    return _try(request, N_("Term “%(term)s” added."), f"/portal/brands/{brand_id}", run, term=term.strip())


@router.post("/brands/{brand_id}/knowledge/remove", dependencies=[CsrfChecked])
def remove_term(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
                term_id: Annotated[str, Form(max_length=64)]) -> Response:
    try:
        gone = registry.remove_brand_term(uow=uow, principal=principal, brand_id=brand_id, term_id=term_id)
    except DomainError as exc:
        set_flash(request, N_("Not saved: %(why)s"), why=tr(request, exc.message))
        return _redirect(f"/portal/brands/{brand_id}")
    rescan_after_change(app_of(request), brand_ids=[brand_id])
    set_flash(request, N_("Term “%(term)s” removed."), term=gone.term)
    return _redirect(f"/portal/brands/{brand_id}")


@router.post("/brands/{brand_id}/knowledge/pack", dependencies=[CsrfChecked])
def set_pack(request: Request, brand_id: BrandId, uow: UowDep, principal: Holder,
             use_pack: Annotated[bool, Form()] = False) -> Response:
    def run() -> None:
        registry.set_brand_pack(uow=uow, principal=principal, brand_id=brand_id, use_pack=use_pack)
        rescan_after_change(app_of(request), brand_ids=[brand_id])

    ok = N_("Klean's default pack is on for this brand.") if use_pack else \
        N_("Klean's default pack is off for this brand.")
    return _try(request, ok, f"/portal/brands/{brand_id}", run)


# --- notices and cases --------------------------------------------------------------------------------------

@router.get("/notices/new", response_class=HTMLResponse)
def notice_form(request: Request, uow: UowDep, principal: Notifier) -> Response:
    found, _ = registry.list_brands(uow=uow, principal=principal, limit=200)
    return render(request, "pages/brands/notice.html", principal=principal, brands=found, form={})


@router.post("/notices", dependencies=[CsrfChecked])
async def file_notice(
    request: Request, uow: UowDep, principal: Notifier,
    brand_id: Annotated[str, Form(max_length=100)],
    notifier_name: Annotated[str, Form(max_length=300)] = "",
    notifier_email: Annotated[str, Form(max_length=320)] = "",
    registration_number: Annotated[str, Form(max_length=100)] = "",
    office: Annotated[str, Form(max_length=100)] = "",
    listings: Annotated[str, Form(max_length=200_000)] = "",
    explanation: Annotated[str, Form(max_length=20_000)] = "",
    good_faith: Annotated[bool, Form()] = False,
    accurate: Annotated[bool, Form()] = False,
    signature: Annotated[str, Form(max_length=300)] = "",
    csv_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {"brand_id": brand_id, "notifier_name": notifier_name, "notifier_email": notifier_email,
            "registration_number": registration_number, "office": office, "listings": listings,
            "explanation": explanation, "signature": signature}
    try:
        refs = _lines(listings)
        data = await read_upload(csv_file, MAX_CSV_BYTES)
        if data is not None:
            refs += listings_from_csv(data)
        refs = list(dict.fromkeys(refs))
        if len(refs) > MAX_NOTICE_LISTINGS:
            raise ValidationError(f"at most {MAX_NOTICE_LISTINGS} listings per notice", field="listings")
        draft = NoticeDraft(brand_id=brand_id, notifier_name=notifier_name.strip(),
                            notifier_email=notifier_email.strip(),
                            right=RightClaim(kind="trademark", registration_number=registration_number.strip() or None,
                                             office=office.strip() or None),
                            listings=tuple(refs), explanation=explanation.strip(), good_faith=good_faith,
                            accurate=accurate, signature=signature.strip())
        answer, _ = notices.file_notice(uow=uow, principal=principal, draft=draft,
                                        policy=notices.notice_policy(app_of(request).policy),
                                        screener=screener_for(app_of(request)))
    except DomainError as exc:
        found, _ = registry.list_brands(uow=uow, principal=principal, limit=200)
        missing = [f for f, _r in getattr(exc, "missing", [])]
        return render(request, "pages/brands/notice.html", principal=principal, brands=found, form=form,
                      error=tr(request, exc.message), missing=missing, status_code=422)
    cases = answer.get("cases") or []
    set_flash(request, N_("Notice filed: %(n)s cases opened."), n=len(cases))
    return _redirect("/portal/cases")


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, uow: UowDep, principal: Holder) -> Response:
    return render(request, "pages/brands/cases.html", principal=principal,
                  cases=portal.my_cases(uow=uow, principal=principal), flash=pop_flash(request))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, case_id: CaseId, uow: UowDep, principal: Holder) -> Response:
    view = notices.get_case(uow=uow, principal=principal, case_id=case_id)
    return render(request, "pages/brands/case.html", principal=principal, case=view, flash=pop_flash(request))


@router.post("/cases/{case_id}/court-action", dependencies=[CsrfChecked])
def court_action(request: Request, case_id: CaseId, uow: UowDep, principal: Holder,
                 reference: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    policy = notices.notice_policy(app_of(request).policy)
    return _try(request, N_("Court action recorded: the listing stays down."), f"/portal/cases/{case_id}",
                lambda: notices.report_court_action(uow=uow, principal=principal, case_id=case_id,
                                                    reference=reference, policy=policy))


@router.get("/cases/{case_id}/evidence")
def case_evidence(request: Request, case_id: CaseId, principal: Holder) -> Response:
    data, manifest_sha = evidence_package.export_package(app_of(request), principal=principal, subject_type="case",
                                                         subject_id=str(case_id), lang=request_lang(request))
    name = f"klean-evidence-case-{safe_name(str(case_id))}.zip"
    return Response(content=data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Klean-Manifest-SHA256": manifest_sha})
