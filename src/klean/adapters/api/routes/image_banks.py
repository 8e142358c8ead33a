"""Image hash banks over HTTP: official, known-fake and negative banks; import/export in plain PDQ hex.

Admins and reviewers manage every bank; a rights holder may list, add to and export the official bank of
its own brands (its official photos usually arrive through POST /v1/brands/{id}/images).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_image_banks import (
    BankCountsOut,
    BankEntryIn,
    BankEntryOut,
    BankImportOut,
    FilledOut,
    FloodCheckOut,
)
from klean.adapters.image_index import blob_hasher
from klean.adapters.imaging import image_features
from klean.domain.auth import Role
from klean.domain.errors import ValidationError
from klean.services import image_banks

router = APIRouter(prefix="/v1", tags=["image banks"])
_MANAGERS = (Role.ADMIN, Role.REVIEWER)


@router.get("/image-banks", response_model=BankCountsOut)
def bank_counts(principal: PrincipalDep, uow: UowDep, app: AppDep) -> BankCountsOut:
    """How many live hashes each bank holds, and which entries are flooded (admins, reviewers)."""
    principal.require(*_MANAGERS)
    counts = image_banks.bank_counts(uow=uow)
    flooded = image_banks.bank_snapshot(uow=app.uow_factory()).flooded
    return BankCountsOut(official=counts["official"], known_fake=counts["known_fake"], negative=counts["negative"],
                         flooded=sorted(flooded))


@router.get("/image-banks/{bank}/entries", response_model=list[BankEntryOut])
def list_entries(bank: str, principal: PrincipalDep, uow: UowDep,
                 brand_id: Annotated[str | None, Query(max_length=100)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[BankEntryOut]:
    """Live entries of a bank, oldest first."""
    entries = image_banks.list_entries(uow=uow, principal=principal, bank=bank, brand_id=brand_id, limit=limit,
                                       offset=offset)
    return [BankEntryOut.of(e) for e in entries]


@router.post("/image-banks/{bank}/entries", status_code=201, response_model=BankEntryOut)
def add_entry(bank: str, body: BankEntryIn, principal: PrincipalDep, uow: UowDep) -> BankEntryOut:
    """Add a PDQ hash to a bank (an existing identical entry is returned as is)."""
    entry = image_banks.add_entry(uow=uow, principal=principal, bank=bank, pdq=body.pdq, brand_id=body.brand_id,
                                  source_ref=body.source_ref, quality=body.quality, note=body.note)
    return BankEntryOut.of(entry)


@router.post("/image-banks/{bank}/images", status_code=201, response_model=BankEntryOut)
def add_image(bank: str, principal: PrincipalDep, uow: UowDep, app: AppDep,
              file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF")],
              brand_id: Annotated[str | None, Form(max_length=100)] = None,
              source_ref: Annotated[str | None, Form(max_length=200)] = None) -> BankEntryOut:
    """Add an image to a bank by uploading it: only its PDQ hash is kept (the bytes are not stored)."""
    image_banks.require_manager(uow=uow, principal=principal, bank=bank, brand_id=brand_id)  # who, before what
    policy = image_banks.image_policy(app.policy)
    data = file.file.read(policy.max_bytes + 1)
    features = image_features(data, policy, keypoints=False)  # ImageRejected is a 422 with the reason
    if features.quality < policy.min_quality:
        raise ValidationError(f"image quality {features.quality} is below {policy.min_quality}: too flat or small "
                              "to be recognised reliably", field="file")
    entry = image_banks.add_entry(uow=uow, principal=principal, bank=bank, pdq=features.pdq, brand_id=brand_id,
                                  source_ref=source_ref, quality=features.quality, sha256=features.sha256)
    return BankEntryOut.of(entry)


@router.delete("/image-banks/entries/{entry_id}", status_code=204)
def remove_entry(entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: PrincipalDep, uow: UowDep,
                 reason: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    """Take an entry out of its bank (kept on record; the removal is an event)."""
    image_banks.remove_entry(uow=uow, principal=principal, entry_id=entry_id, reason=reason)
    return Response(status_code=204)


@router.post("/image-banks/{bank}/import", response_model=BankImportOut,
             openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def import_bank(bank: str, request: Request, principal: PrincipalDep, uow: UowDep,
                      brand_id: Annotated[str | None, Query(max_length=100)] = None) -> BankImportOut:
    """Import a bank file in plain PDQ hex (text/plain body: one hash per line, optional `,quality,brand,ref`)."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("the bank file must be UTF-8 text", field="body") from exc
    result = image_banks.import_bank(uow=uow, principal=principal, bank=bank, text=text, source="upload",
                                     brand_id=brand_id)
    return BankImportOut(**result.as_dict())


@router.get("/image-banks/{bank}/export", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def export_bank(bank: str, principal: PrincipalDep, uow: UowDep,
                brand_id: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """Export a bank in plain PDQ hex, one `pdq,quality,brand_id,source_ref` line per hash."""
    text = image_banks.export_bank(uow=uow, principal=principal, bank=bank, brand_id=brand_id)
    return Response(text, media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="klean-{bank}.pdq.txt"'})


@router.post("/image-banks/floods/check", response_model=FloodCheckOut)
def check_floods(principal: PrincipalDep, uow: UowDep, app: AppDep) -> FloodCheckOut:
    """Re-run the flood guard over every entry now (it also runs as matches are recorded)."""
    principal.require(*_MANAGERS)
    return FloodCheckOut(**image_banks.check_floods(uow=uow, policy=image_banks.image_policy(app.policy)))


@router.post("/image-banks/official/fill-hashes", response_model=FilledOut)
def fill_official_hashes(principal: PrincipalDep, uow: UowDep, app: AppDep) -> FilledOut:
    """Compute PDQ hashes of the registry's official images that have none yet (admins)."""
    principal.require(Role.ADMIN)
    hasher = blob_hasher(app.settings, image_banks.image_policy(app.policy))
    return FilledOut(filled=image_banks.fill_official_hashes(uow=uow, hasher=hasher))
