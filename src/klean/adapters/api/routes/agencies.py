"""Agencies over HTTP: mandates (upload, review, end), bulk notices from a CSV over many brands, the per-member
report. An agency's single notices go through POST /v1/notices like anyone's; its members' cases through
GET /v1/cases."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Path, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import ValidationError as PydanticValidationError

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.errors import error_body
from klean.adapters.api.schemas_agencies import (
    AgencyReportOut,
    BulkNoticesOut,
    MandateDecisionIn,
    MandateEndIn,
    MandateOut,
)
from klean.adapters.api.schemas_notices import NoticeIn
from klean.adapters.blobs import BlobStore
from klean.adapters.screening_runtime import screener_for
from klean.adapters.uploads import csv_rows, validate_document
from klean.domain.auth import Role
from klean.domain.errors import Forbidden, ValidationError
from klean.services import agencies, notices

router = APIRouter(prefix="/v1", tags=["agencies"])
MandateId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
MAX_CSV_BYTES = 1024 * 1024
BRAND_COLUMNS = ("brand_id", "brand")
LISTING_COLUMNS = ("listing", "listing_id", "url", "id")


@router.post("/mandates", status_code=201, response_model=MandateOut)
def submit_mandate(app: AppDep, uow: UowDep, principal: PrincipalDep,
                   file: Annotated[UploadFile, File(description="The letter of authorisation or membership "
                                                                 "document: PDF or image")],
                   brand_id: Annotated[str, Form(min_length=1, max_length=100)],
                   valid_until: Annotated[date, Form()],
                   kind: Annotated[str, Form(pattern=r"^(letter_of_authorisation|membership)$")] =
                   "letter_of_authorisation",
                   valid_from: Annotated[date | None, Form()] = None) -> dict[str, Any]:
    """Upload an agency's mandate for a member brand; a reviewer approves it before the agency may act."""
    if principal.role is not Role.AGENCY:  # before storing any byte
        raise Forbidden("only an agency submits mandates")
    settings = app.settings
    data = file.file.read(settings.max_upload_bytes + 1)
    info = validate_document(data, settings)
    sha = BlobStore(settings).put(data, info.media_type)
    return agencies.submit_mandate(uow=uow, principal=principal, brand_id=brand_id, kind=kind,
                                   document_sha256=sha, media_type=info.media_type, size=info.size,
                                   valid_from=valid_from, valid_until=valid_until)


@router.get("/mandates", response_model=list[MandateOut])
def list_mandates(uow: UowDep, principal: PrincipalDep,
                  state: str | None = Query(default=None, pattern=r"^[a-z]{1,20}$")) -> list[dict[str, Any]]:
    """Mandates: an agency its own, a rights holder those over its brands, reviewers all."""
    return agencies.list_mandates(uow=uow, principal=principal, state=state)


@router.get("/mandates/{mandate_id}", response_model=MandateOut)
def get_mandate(mandate_id: MandateId, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    return agencies.get_mandate(uow=uow, principal=principal, mandate_id=mandate_id)


@router.post("/mandates/{mandate_id}/decision", response_model=MandateOut)
def decide_mandate(mandate_id: MandateId, body: MandateDecisionIn, uow: UowDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    """Approve or reject a submitted mandate (reviewers)."""
    return agencies.decide_mandate(uow=uow, principal=principal, mandate_id=mandate_id, approve=body.approve,
                                   reason=body.reason)


@router.post("/mandates/{mandate_id}/end", response_model=MandateOut)
def end_mandate(mandate_id: MandateId, body: MandateEndIn, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """End a mandate at once: the member's rights holder (leaving), the agency, or a reviewer."""
    return agencies.end_mandate(uow=uow, principal=principal, mandate_id=mandate_id, reason=body.reason)


def bulk_rows_from_csv(data: bytes) -> list[agencies.BulkRow]:
    """Rows of a bulk notice CSV: a listing column (listing/listing_id/url/id, else the first column) and, when the
    header has them, brand_id, registration_number and office. Parsed as data only."""
    rows = csv_rows(data)
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]

    def col(names: tuple[str, ...]) -> int | None:
        return next((header.index(n) for n in names if n in header), None)

    listing, brand, reg, office = col(LISTING_COLUMNS), col(BRAND_COLUMNS), col(("registration_number",)), \
        col(("office",))
    has_header = any(c is not None for c in (listing, brand, reg, office))
    body = rows[1:] if has_header else rows
    listing = listing or 0

    def cell(r: list[str], i: int | None) -> str | None:
        return r[i].strip() or None if i is not None and len(r) > i else None

    if len(body) > agencies.MAX_BULK_ROWS:
        raise ValidationError(f"at most {agencies.MAX_BULK_ROWS} rows per upload", field="csv")
    return [agencies.BulkRow(listing=ref, brand_id=cell(r, brand), registration_number=cell(r, reg),
                             office=cell(r, office))
            for r in body if (ref := cell(r, listing))]


@router.post("/notices/bulk", status_code=201, response_model=BulkNoticesOut)
def bulk_notices(app: AppDep, uow: UowDep, principal: PrincipalDep,
                 file: Annotated[UploadFile, File(description="CSV: listing (or url/id), optional brand_id, "
                                                               "registration_number, office")],
                 notice: Annotated[str, Form(max_length=50_000, description="The notice's statement as JSON "
                                                                           "(POST /v1/notices' body; listings "
                                                                           "come from the file)")],
                 idempotency_key: IdempotencyKey = None) -> Any:
    """File notices from a CSV, one per brand it names (rights holders, trusted partners, agencies for the
    brands they hold a live mandate for); brands refused are listed with the reason."""
    if principal.role not in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.AGENCY):
        raise Forbidden("only rights holders, trusted partners and agencies file notices")
    try:
        base = NoticeIn.model_validate(json.loads(notice))
    except (ValueError, PydanticValidationError) as exc:
        raise ValidationError(f"notice: not a valid notice statement ({str(exc).splitlines()[0][:200]})",
                              field="notice") from exc
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(f"the CSV file is larger than {MAX_CSV_BYTES} bytes", field="csv")
    rows = [agencies.BulkRow(listing=ref) for ref in base.listings] + bulk_rows_from_csv(data)
    try:
        return agencies.file_bulk_notices(uow=uow, principal=principal, draft=base.to_draft(), rows=rows,
                                          policy=notices.notice_policy(app.policy), idempotency_key=idempotency_key,
                                          screener=screener_for(app))
    except notices.IncompleteNotice as exc:
        return JSONResponse(error_body("incomplete_notice", exc.message, exc.field,
                                       [{"field": f, "requirement": r} for f, r in exc.missing]), status_code=422)


@router.get("/agency/report", response_model=AgencyReportOut)
def agency_report(uow: UowDep, principal: PrincipalDep,
                  agency: str | None = Query(default=None, max_length=200,
                                             description="reviewers: whose report (an agency sees its own)"),
                  member: str | None = Query(default=None, max_length=200),
                  since: datetime | None = Query(default=None)) -> dict[str, Any]:
    """Per member brand: notices, listings removed, sellers restricted, time to action."""
    return agencies.member_report(uow=uow, principal=principal, agency=agency, member=member, since=since)
