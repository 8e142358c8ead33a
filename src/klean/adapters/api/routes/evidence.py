"""Evidence packages over HTTP: a rights holder downloads the signed archive of its own case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from klean.adapters import evidence_package
from klean.adapters.api.deps import AppDep, PrincipalDep
from klean.domain.evidence import safe_name

router = APIRouter(prefix="/v1", tags=["evidence"])

_ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "The signed evidence package (.zip)."}}
IdPath = Annotated[str, Path(min_length=1, max_length=200)]
Lang = Annotated[str, Query(pattern="^(en|ko)$", description="Language of the summary")]


def _zip(app: AppDep, principal: PrincipalDep, subject_type: str, subject_id: str, lang: str) -> Response:
    data, manifest_sha = evidence_package.export_package(app, principal=principal, subject_type=subject_type,
                                                         subject_id=subject_id, lang=lang)
    name = f"klean-evidence-{subject_type}-{safe_name(subject_id)}.zip"
    return Response(content=data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Klean-Manifest-SHA256": manifest_sha})


@router.get("/evidence/cases/{case_id}", responses=_ZIP, response_class=Response)
def case_package(case_id: IdPath, app: AppDep, principal: PrincipalDep, lang: Lang = "en") -> Response:
    """The evidence package of a case: admins, or the rights holder whose brand the case is about."""
    return _zip(app, principal, "case", case_id, lang)


@router.get("/evidence/listings/{listing_id}", responses=_ZIP, response_class=Response)
def listing_package(listing_id: IdPath, app: AppDep, principal: PrincipalDep, lang: Lang = "en") -> Response:
    """The evidence package of a listing (admins)."""
    return _zip(app, principal, "listing", listing_id, lang)


@router.get("/evidence/sellers/{seller_id}", responses=_ZIP, response_class=Response)
def seller_package(seller_id: IdPath, app: AppDep, principal: PrincipalDep, lang: Lang = "en") -> Response:
    """The evidence package of a seller (admins)."""
    return _zip(app, principal, "seller", seller_id, lang)
