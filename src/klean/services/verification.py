"""Seller verification: proofs of brand authorisation, direct grants and revocations, INFORM-style identity.

The route layer validates and stores an uploaded document (klean.adapters.uploads.validate_document and
blobs.BlobStore); this service receives its sha256, sniffed media type and size. An approved proof creates a
registry authorisation (source "proof:<id>"), the table the screener reads.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from klean.domain.policy import EnforcementPolicy
from klean.domain.verification import (
    Proof,
    ProofState,
    check_transition,
    clean_identity_fields,
    identity_gaps,
    mask,
    validate_dates,
    validate_issuer,
)
from klean.services import seller_networks
from klean.services.enforcement import REVIEWERS, check_text, current_policy, required_reason
from klean.services.unit_of_work import AbstractUnitOfWork

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/gif")


def _today() -> date:
    return datetime.now(UTC).date()


def _brand_or_404(uow: AbstractUnitOfWork, brand_id: str) -> tuple[str, str | None]:
    brand = uow.proofs.brand(brand_id)
    if brand is None:
        raise NotFound(f"no brand {brand_id}", field="brand_id")
    return brand  # type: ignore[no-any-return]


def _may_see(principal: Principal, proof: Proof, owner: str | None) -> bool:
    if principal.role in REVIEWERS:
        return True
    if principal.role is Role.SELLER:
        return principal.seller_id == proof.seller_id
    return principal.role is Role.RIGHTS_HOLDER and principal.may_manage_brand(owner)


def _may_decide(principal: Principal, owner: str | None) -> bool:
    return principal.role in REVIEWERS or (principal.role is Role.RIGHTS_HOLDER and principal.may_manage_brand(owner))


def submit_proof(*, uow: AbstractUnitOfWork, principal: Principal, brand_id: str, document_sha256: str,
                 media_type: str, size: int, issuer: str, valid_until: date, valid_from: date | None = None,
                 policy: EnforcementPolicy | None = None, today: date | None = None) -> dict[str, Any]:
    """Submit a seller's proof of authorisation for a brand; it goes to the reviewer queue."""
    principal.require(Role.SELLER)
    assert principal.seller_id is not None
    check_text(brand_id=brand_id, issuer=issuer)
    pol = policy or current_policy()
    today = today or _today()
    if not _SHA256.match(document_sha256):
        raise ValidationError("document_sha256: 64 lowercase hex digits", field="document_sha256")
    if media_type not in DOCUMENT_TYPES:
        raise ValidationError(f"document type {media_type} is not accepted (PDF or image)", field="file")
    issuer = validate_issuer(issuer)
    validate_dates(valid_from, valid_until, today=today, max_days=pol.authorisation.max_proof_days)
    with uow:
        name, _owner = _brand_or_404(uow, brand_id)
        uow.blobs.record(sha256=document_sha256, media_type=media_type, size=size)
        proof = uow.proofs.add(seller_id=principal.seller_id, brand_id=brand_id, document_sha256=document_sha256,
                               media_type=media_type, issuer=issuer, valid_from=valid_from, valid_until=valid_until,
                               submitted_by=principal.user_id)
        uow.queue.enqueue(kind="proof", subject_type="proof", subject_id=str(proof.id), priority=20.0,
                          payload={"seller_id": proof.seller_id, "brand_id": brand_id, "brand_name": name})
        uow.events.append(type="proof.submitted", actor=principal.user_id, subject_type="seller",
                          subject_id=proof.seller_id, policy_version=pol.version,
                          payload={"proof_id": proof.id, "brand_id": brand_id, "document_sha256": document_sha256,
                                   "media_type": media_type, "issuer": issuer,
                                   "valid_from": valid_from.isoformat() if valid_from else None,
                                   "valid_until": valid_until.isoformat()},
                          reason=f"proof of authorisation for {name} submitted")
        # The same document under another account links the two (seller networks).
        seller_networks.observe_proof(uow=uow, seller_id=proof.seller_id, proof_id=proof.id,
                                      document_sha256=document_sha256)
        uow.commit()
        return proof.as_dict()


def decide_proof(*, uow: AbstractUnitOfWork, principal: Principal, proof_id: int, approve: bool, reason: str,
                 policy: EnforcementPolicy | None = None, today: date | None = None) -> dict[str, Any]:
    """Approve (creating a registry authorisation) or reject a submitted proof, with a reason."""
    reason = required_reason(reason, "a decision on a proof needs a reason the seller can read")
    pol = policy or current_policy()
    today = today or _today()
    with uow:
        proof = uow.proofs.get(proof_id)
        if proof is None:
            raise NotFound(f"no proof {proof_id}", field="proof_id")
        _, owner = _brand_or_404(uow, proof.brand_id)
        if not _may_see(principal, proof, owner):
            raise NotFound(f"no proof {proof_id}", field="proof_id")
        if not _may_decide(principal, owner):
            raise Forbidden("only a reviewer or the brand's rights holder may decide a proof")
        target = ProofState.APPROVED if approve else ProofState.REJECTED
        check_transition(proof.state, target)
        auth_id = None
        if approve:
            if proof.valid_until < today:
                raise ValidationError(f"proof {proof_id} expired on {proof.valid_until}; it cannot be approved",
                                      field="valid_until")
            auth_id = uow.proofs.grant(seller_id=proof.seller_id, brand_id=proof.brand_id,
                                       valid_from=proof.valid_from, valid_until=proof.valid_until,
                                       source=f"proof:{proof.id}")
        decided = uow.proofs.set_state(proof_id, target, decided_by=principal.user_id, reason=reason,
                                       authorisation_id=auth_id)
        uow.queue.close_for_subject("proof", str(proof_id), f"{target.value}: {reason}", kind="proof")
        uow.events.append(type=f"proof.{target.value}", actor=principal.user_id, subject_type="seller",
                          subject_id=proof.seller_id, policy_version=pol.version, reason=reason,
                          payload={"proof_id": proof_id, "brand_id": proof.brand_id, "authorisation_id": auth_id})
        uow.commit()
        return decided.as_dict()


def set_proof_expiry(*, uow: AbstractUnitOfWork, principal: Principal, proof_id: int, valid_until: date,
                     reason: str, correction: bool = False, policy: EnforcementPolicy | None = None,
                     today: date | None = None) -> dict[str, Any]:
    """Set or correct the end date of a submitted or approved proof (reviewers), with a reason, as an event.

    The date may not be in the past unless `correction` says the document really ended then: the proof then
    expires at once. An approved proof's registry authorisation moves with it. Warnings not yet due under the new
    date are sent again when it comes near."""
    principal.require(*REVIEWERS)
    reason = required_reason(reason, "say why the end date is set or corrected (e.g. the date on the letter)")
    pol = policy or current_policy()
    today = today or _today()
    with uow:
        proof = uow.proofs.get(proof_id)
        if proof is None:
            raise NotFound(f"no proof {proof_id}", field="proof_id")
        if proof.state not in (ProofState.SUBMITTED, ProofState.APPROVED):
            raise Conflict(f"proof {proof_id} is {proof.state.value}: only a submitted or approved proof's end date "
                           "can be set; the seller uploads a current proof instead", field="proof_id")
        if valid_until == proof.valid_until:
            raise ValidationError(f"proof {proof_id} already ends on {valid_until}", field="valid_until")
        if valid_until < today and not correction:
            raise ValidationError(
                f"valid_until {valid_until} is in the past; to record that the document really ended then, send "
                "correction: true (the proof expires at once)", field="valid_until")
        if proof.valid_from is not None and valid_until < proof.valid_from:
            raise ValidationError(f"valid_until {valid_until} is before valid_from {proof.valid_from}",
                                  field="valid_until")
        span_from = proof.valid_from or today
        if (valid_until - span_from).days > pol.authorisation.max_proof_days:
            raise ValidationError(f"a proof valid for more than {pol.authorisation.max_proof_days} days is not "
                                  "accepted; ask the brand for a dated letter", field="valid_until")
        left = (valid_until - today).days
        keep = [d for d in proof.warnings_sent if left <= d]  # windows already reached under the new date
        updated = uow.proofs.set_valid_until(proof_id, valid_until, keep_warnings=keep)
        moved = proof.authorisation_id is not None and uow.proofs.set_authorisation_until(proof.authorisation_id,
                                                                                         valid_until)
        uow.events.append(type="proof.expiry_set", actor=principal.user_id, subject_type="seller",
                          subject_id=proof.seller_id, policy_version=pol.version, reason=reason,
                          payload={"proof_id": proof_id, "brand_id": proof.brand_id,
                                   "from": proof.valid_until.isoformat(), "to": valid_until.isoformat(),
                                   "correction": correction, "authorisation_id": proof.authorisation_id,
                                   "authorisation_moved": moved})
        if valid_until < today:
            updated = uow.proofs.set_state(proof_id, ProofState.EXPIRED)
            uow.events.append(type="proof.expired", actor=principal.user_id, subject_type="seller",
                              subject_id=proof.seller_id, policy_version=pol.version,
                              payload={"proof_id": proof_id, "brand_id": proof.brand_id,
                                       "valid_until": valid_until.isoformat(), "correction": True},
                              reason=f"proof {proof_id} for {proof.brand_id} ended on {valid_until} (corrected: "
                                     f"{reason})")
        uow.commit()
        return {**updated.as_dict(), "authorisation_moved": moved}


def grant_authorisation(*, uow: AbstractUnitOfWork, principal: Principal, brand_id: str, seller_id: str,
                        valid_until: date | None, valid_from: date | None = None, reason: str = "",
                        policy: EnforcementPolicy | None = None) -> dict[str, Any]:
    """Grant a seller an authorisation for a brand directly (its rights holder or an admin)."""
    pol = policy or current_policy()
    if not seller_id or len(seller_id) > 200:
        raise ValidationError("seller_id: 1-200 characters", field="seller_id")
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError("valid_until is before valid_from", field="valid_until")
    with uow:
        _, owner = _brand_or_404(uow, brand_id)
        if not (principal.role is Role.ADMIN or (principal.role is Role.RIGHTS_HOLDER
                                                 and principal.may_manage_brand(owner))):
            raise Forbidden("only the brand's rights holder or an admin may grant an authorisation")
        auth_id = uow.proofs.grant(seller_id=seller_id, brand_id=brand_id, valid_from=valid_from,
                                   valid_until=valid_until, source="grant")
        uow.events.append(type="authorisation.granted", actor=principal.user_id, subject_type="seller",
                          subject_id=seller_id, policy_version=pol.version, reason=reason or None,
                          payload={"authorisation_id": auth_id, "brand_id": brand_id,
                                   "valid_from": valid_from.isoformat() if valid_from else None,
                                   "valid_until": valid_until.isoformat() if valid_until else None})
        uow.commit()
    return {"authorisation_id": auth_id, "brand_id": brand_id, "seller_id": seller_id,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_until": valid_until.isoformat() if valid_until else None}


def revoke_authorisation(*, uow: AbstractUnitOfWork, principal: Principal, brand_id: str, seller_id: str,
                         reason: str, policy: EnforcementPolicy | None = None) -> dict[str, Any]:
    """Revoke every authorisation a seller holds for a brand (its rights holder or an admin), with a reason."""
    pol = policy or current_policy()
    reason = required_reason(reason, "a revocation needs a reason the seller can read")
    with uow:
        _, owner = _brand_or_404(uow, brand_id)
        if not (principal.role is Role.ADMIN or (principal.role is Role.RIGHTS_HOLDER
                                                 and principal.may_manage_brand(owner))):
            raise Forbidden("only the brand's rights holder or an admin may revoke an authorisation")
        revoked = [aid for aid, _, _ in uow.proofs.authorisations(seller_id, brand_id) if uow.proofs.revoke(aid)]
        proofs = [p for p in uow.proofs.list(seller_id=seller_id, brand_id=brand_id, states=["approved"])]
        for p in proofs:
            uow.proofs.set_state(p.id, ProofState.REVOKED, decided_by=principal.user_id, reason=reason)
        if not revoked and not proofs:
            raise NotFound(f"seller {seller_id} holds no authorisation for {brand_id}", field="seller_id")
        uow.events.append(type="authorisation.revoked", actor=principal.user_id, subject_type="seller",
                          subject_id=seller_id, policy_version=pol.version, reason=reason,
                          payload={"brand_id": brand_id, "authorisation_ids": revoked,
                                   "proof_ids": [p.id for p in proofs]})
        uow.commit()
    return {"brand_id": brand_id, "seller_id": seller_id, "authorisations_revoked": revoked,
            "proofs_revoked": [p.id for p in proofs]}


def get_proof(*, uow: AbstractUnitOfWork, principal: Principal, proof_id: int) -> dict[str, Any]:
    """Return one proof (its seller, reviewers, or the brand's rights holder)."""
    with uow:
        proof = uow.proofs.get(proof_id)
        if proof is None:
            raise NotFound(f"no proof {proof_id}", field="proof_id")
        brand = uow.proofs.brand(proof.brand_id)
        if not _may_see(principal, proof, brand[1] if brand else None):
            raise NotFound(f"no proof {proof_id}", field="proof_id")
        return proof.as_dict()


def list_proofs(*, uow: AbstractUnitOfWork, principal: Principal, state: str | None = None,
                seller_id: str | None = None) -> list[dict[str, Any]]:
    """List proofs: a seller its own; a rights holder those for its brands; reviewers all."""
    check_text(seller_id=seller_id)
    if state is not None and state not in {s.value for s in ProofState}:
        raise ValidationError(f"state: one of {', '.join(s.value for s in ProofState)}", field="state")
    states = [state] if state else None
    with uow:
        if principal.role is Role.SELLER:
            return [p.as_dict() for p in uow.proofs.list(seller_id=principal.seller_id, states=states)]
        if principal.role in REVIEWERS:
            return [p.as_dict() for p in uow.proofs.list(seller_id=seller_id, states=states)]
        if principal.role is Role.RIGHTS_HOLDER and principal.org:
            brand_ids = [b.id for b in uow.brands.list(owner=principal.org)]
            return [p.as_dict() for p in uow.proofs.list(seller_id=seller_id, states=states, brand_ids=brand_ids)]
        raise Forbidden("only sellers, rights holders and reviewers see proofs")


# --- INFORM-style identity --------------------------------------------------------------------------------------


def submit_identity(*, uow: AbstractUnitOfWork, principal: Principal, fields: dict[str, Any],
                    policy: EnforcementPolicy | None = None) -> dict[str, Any]:
    """Record a seller's identity fields (name, address, bank account, tax id) as unverified until checked."""
    principal.require(Role.SELLER)
    assert principal.seller_id is not None
    pol = policy or current_policy()
    cleaned = clean_identity_fields(fields)
    if not cleaned:
        raise ValidationError("give at least one identity field", field="fields")
    with uow:
        identity = uow.enforcement.identity(principal.seller_id)
        for name, value in cleaned.items():
            identity[name] = {"value": value, "verified": False, "submitted_at": datetime.now(UTC).isoformat()}
        uow.enforcement.set_identity(principal.seller_id, identity)
        uow.events.append(type="seller.identity_submitted", actor=principal.user_id, subject_type="seller",
                          subject_id=principal.seller_id, policy_version=pol.version,
                          payload={"fields": sorted(cleaned)})  # values stay out of the log (personal data)
        uow.queue.enqueue(kind="proof", subject_type="seller_identity", subject_id=principal.seller_id,
                          priority=10.0, payload={"fields": sorted(cleaned)})
        # A changed account now tied to a suspended or restricted seller: its live listings wait for review.
        seller_networks.observe_identity(uow=uow, seller_id=principal.seller_id)
        seller_networks.hold_live_listings(uow=uow, seller_id=principal.seller_id, actor="rule:seller_network")
        uow.commit()
        return _identity_view(identity, pol, reveal=False)


def verify_identity(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str, fields: list[str],
                    verified: bool, reason: str, policy: EnforcementPolicy | None = None) -> dict[str, Any]:
    """Mark identity fields verified (or not) after checking them (reviewers)."""
    principal.require(*REVIEWERS)
    check_text(seller_id=seller_id)
    pol = policy or current_policy()
    reason = required_reason(reason, "say how the fields were checked")
    with uow:
        identity = uow.enforcement.identity(seller_id)
        for name in fields:
            entry = identity.get(name)
            if not isinstance(entry, dict) or not entry.get("value"):
                raise ValidationError(f"seller {seller_id} has not submitted {name}", field=name)
            entry.update(verified=verified, checked_by=principal.user_id, checked_at=datetime.now(UTC).isoformat())
        if not identity_gaps(identity, pol.identity):
            identity.pop("flagged_at", None)  # fully verified now: a later lapse flags it afresh
        uow.enforcement.set_identity(seller_id, identity)
        uow.events.append(type="seller.identity_verified" if verified else "seller.identity_refused",
                          actor=principal.user_id, subject_type="seller", subject_id=seller_id,
                          policy_version=pol.version, reason=reason, payload={"fields": sorted(fields)})
        uow.queue.close_for_subject("seller_identity", seller_id, reason, kind="proof")
        uow.commit()
        return _identity_view(identity, pol, reveal=True)


def identity_status(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str,
                    policy: EnforcementPolicy | None = None) -> dict[str, Any]:
    """Return a seller's identity fields (masked), what is missing, and whether it is a flagged high-volume seller."""
    check_text(seller_id=seller_id)
    if not (principal.role in REVIEWERS or (principal.role is Role.SELLER and principal.seller_id == seller_id)):
        raise NotFound(f"no seller {seller_id}", field="seller_id")
    pol = policy or current_policy()
    with uow:
        return _identity_view(uow.enforcement.identity(seller_id), pol, reveal=principal.role in REVIEWERS)


def _identity_view(identity: dict[str, Any], pol: EnforcementPolicy, *, reveal: bool) -> dict[str, Any]:
    fields = {}
    for name, entry in identity.items():
        if isinstance(entry, dict) and "value" in entry:
            value = str(entry["value"])
            fields[name] = {"value": value if reveal else mask(name, value), "verified": bool(entry.get("verified"))}
    return {"fields": fields, "missing_or_unverified": identity_gaps(identity, pol.identity),
            "flagged_at": identity.get("flagged_at")}


def flag_unverified_high_volume(*, uow: AbstractUnitOfWork, policy: EnforcementPolicy | None = None,
                                now: datetime | None = None) -> list[str]:
    """Flag (once) high-volume sellers whose required identity fields are not verified; return the new flags.

    Runs inside the caller's transaction.
    """
    pol = policy or current_policy()
    now = now or datetime.now(UTC)
    flagged = []
    for seller_id, count in sorted(uow.enforcement.live_listing_counts(minimum=pol.identity.high_volume_listings)
                                   .items()):
        identity = uow.enforcement.identity(seller_id)
        gaps = identity_gaps(identity, pol.identity)
        if not gaps or identity.get("flagged_at"):
            continue
        identity["flagged_at"] = now.isoformat()
        uow.enforcement.set_identity(seller_id, identity)
        uow.queue.enqueue(kind="proof", subject_type="seller_identity", subject_id=seller_id, priority=25.0,
                          payload={"reason": "high_volume_unverified", "live_listings": count, "missing": gaps})
        uow.events.append(type="seller.identity_flagged", actor="rule:inform_high_volume", subject_type="seller",
                          subject_id=seller_id, policy_version=pol.version,
                          payload={"live_listings": count, "missing": gaps},
                          reason=f"high-volume seller ({count} live listings) without verified {', '.join(gaps)}")
        flagged.append(seller_id)
    return flagged
