"""Seller verification over HTTP: proof uploads and decisions, direct grants and revocations, identity."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_enforcement import (
    GrantIn,
    IdentityIn,
    IdentityVerificationIn,
    ProofDecisionIn,
    ProofExpiryIn,
    RevokeIn,
)
from klean.adapters.blobs import BlobStore
from klean.adapters.screening_runtime import rescan_after_change
from klean.adapters.uploads import validate_document
from klean.domain.auth import Role
from klean.domain.errors import Forbidden
from klean.services import enforcement, verification

DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an integer key: out of range is 422, not a DB error

router = APIRouter(prefix="/v1", tags=["verification"])


@router.post("/verification/proofs", status_code=201)
def submit_proof(app: AppDep, uow: UowDep, principal: PrincipalDep,
                 file: Annotated[UploadFile, File(description="PDF or image (JPEG, PNG, WebP, GIF)")],
                 brand_id: Annotated[str, Form(min_length=1, max_length=100)],
                 issuer: Annotated[str, Form(min_length=1, max_length=300)],
                 valid_until: Annotated[date, Form()],
                 valid_from: Annotated[date | None, Form()] = None) -> dict[str, Any]:
    """Upload a proof of authorisation for a brand. The bytes decide the type; the document is never rendered."""
    if principal.role is not Role.SELLER:  # before storing any byte
        raise Forbidden("only a seller submits proofs of authorisation")
    settings = app.settings
    data = file.file.read(settings.max_upload_bytes + 1)  # one byte over the limit is enough to refuse
    info = validate_document(data, settings)
    sha = BlobStore(settings).put(data, info.media_type)
    return verification.submit_proof(uow=uow, principal=principal, brand_id=brand_id, document_sha256=sha,
                                     media_type=info.media_type, size=info.size, issuer=issuer,
                                     valid_from=valid_from, valid_until=valid_until,
                                     policy=enforcement.policy_of(app.policy))


@router.get("/verification/proofs")
def list_proofs(uow: UowDep, principal: PrincipalDep,
                state: str | None = Query(default=None, max_length=20),
                seller_id: str | None = Query(default=None, max_length=200)) -> list[dict[str, Any]]:
    """Proofs: a seller its own, a rights holder those for its brands, reviewers all."""
    return verification.list_proofs(uow=uow, principal=principal, state=state, seller_id=seller_id)


@router.get("/verification/proofs/{proof_id}")
def get_proof(proof_id: DbId, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    return verification.get_proof(uow=uow, principal=principal, proof_id=proof_id)


@router.get("/verification/proofs/{proof_id}/document", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}})
def proof_document(proof_id: DbId, app: AppDep, uow: UowDep, principal: PrincipalDep) -> Response:
    """Download the proof document as an attachment (never rendered inline, never sniffed as something else)."""
    proof = verification.get_proof(uow=uow, principal=principal, proof_id=proof_id)
    data = BlobStore(app.settings).get(proof["document_sha256"])
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp",
           "image/gif": "gif"}.get(proof["media_type"], "bin")
    return Response(content=data, media_type=proof["media_type"], headers={
        "Content-Disposition": f'attachment; filename="proof-{proof_id}.{ext}"',
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store"})


@router.post("/verification/proofs/{proof_id}/decision")
def decide_proof(proof_id: DbId, body: ProofDecisionIn, app: AppDep, uow: UowDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """Approve (creates the registry authorisation) or reject a proof, with a reason (reviewers, the rights holder).

    An approval applies at once: the screener is refreshed and the seller's listings of the brand are rescreened."""
    decided = verification.decide_proof(uow=uow, principal=principal, proof_id=proof_id, approve=body.approve,
                                        reason=body.reason, policy=enforcement.policy_of(app.policy))
    if decided.get("authorisation_id"):
        rescan_after_change(app, brand_ids=[decided["brand_id"]], seller_ids=[decided["seller_id"]])
    return decided


@router.put("/verification/proofs/{proof_id}/expiry")
def set_proof_expiry(proof_id: DbId, body: ProofExpiryIn, app: AppDep, uow: UowDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    """Set or correct a proof's end date (reviewers), with a reason; a past date only as a correction (the proof
    expires at once). An approved proof's authorisation moves with it and the seller's listings are rescreened."""
    updated = verification.set_proof_expiry(uow=uow, principal=principal, proof_id=proof_id,
                                            valid_until=body.valid_until, reason=body.reason,
                                            correction=body.correction, policy=enforcement.policy_of(app.policy))
    if updated["authorisation_moved"] or updated["state"] == "expired":
        rescan_after_change(app, brand_ids=[updated["brand_id"]], seller_ids=[updated["seller_id"]])
    return updated


@router.post("/verification/grants", status_code=201)
def grant(body: GrantIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Authorise a seller for a brand directly (the brand's rights holder or an admin); applies at once."""
    granted = verification.grant_authorisation(uow=uow, principal=principal, brand_id=body.brand_id,
                                               seller_id=body.seller_id, valid_from=body.valid_from,
                                               valid_until=body.valid_until, reason=body.reason,
                                               policy=enforcement.policy_of(app.policy))
    rescan_after_change(app, brand_ids=[body.brand_id], seller_ids=[body.seller_id])
    return granted


@router.post("/verification/revocations")
def revoke(body: RevokeIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Revoke a seller's authorisations for a brand (the brand's rights holder or an admin); applies at once."""
    revoked = verification.revoke_authorisation(uow=uow, principal=principal, brand_id=body.brand_id,
                                                seller_id=body.seller_id, reason=body.reason,
                                                policy=enforcement.policy_of(app.policy))
    rescan_after_change(app, brand_ids=[body.brand_id], seller_ids=[body.seller_id])
    return revoked


@router.put("/verification/identity")
def submit_identity(body: IdentityIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Give your verified-identity fields (name, address, bank account, tax id); a reviewer checks them."""
    fields = {k: v for k, v in body.model_dump().items() if v is not None}
    return verification.submit_identity(uow=uow, principal=principal, fields=fields,
                                        policy=enforcement.policy_of(app.policy))


@router.get("/sellers/{seller_id}/identity")
def identity(seller_id: str, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """A seller's identity fields (bank account and tax id masked for the seller), gaps, and flag."""
    return verification.identity_status(uow=uow, principal=principal, seller_id=seller_id,
                                        policy=enforcement.policy_of(app.policy))


@router.post("/sellers/{seller_id}/identity/verification")
def verify_identity(seller_id: str, body: IdentityVerificationIn, app: AppDep, uow: UowDep,
                    principal: PrincipalDep) -> dict[str, Any]:
    """Mark identity fields verified or not after checking them (reviewers)."""
    return verification.verify_identity(uow=uow, principal=principal, seller_id=seller_id, fields=list(body.fields),
                                        verified=body.verified, reason=body.reason,
                                        policy=enforcement.policy_of(app.policy))
