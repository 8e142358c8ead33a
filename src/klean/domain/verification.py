"""Proofs of brand authorisation: their states, the transitions allowed, and validity rules.

A seller submits a proof (a stored document, its issuer, validity dates); a reviewer or the brand's rights
holder approves or rejects it with a reason; an approved proof expires on its end date or is revoked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from klean.domain.errors import Conflict, ValidationError
from klean.domain.policy import IDENTITY_FIELDS, IdentityRules


class ProofState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    REVOKED = "revoked"


TRANSITIONS: dict[ProofState, frozenset[ProofState]] = {
    ProofState.SUBMITTED: frozenset({ProofState.APPROVED, ProofState.REJECTED, ProofState.EXPIRED}),
    ProofState.APPROVED: frozenset({ProofState.EXPIRED, ProofState.REVOKED}),
    ProofState.REJECTED: frozenset(),
    ProofState.EXPIRED: frozenset(),
    ProofState.REVOKED: frozenset(),
}


def check_transition(current: ProofState | str, target: ProofState) -> None:
    """Raise Conflict when a proof may not move from `current` to `target`."""
    cur = ProofState(current)
    if target not in TRANSITIONS[cur]:
        raise Conflict(f"a proof that is {cur.value} cannot become {target.value}", field="state")


def validate_dates(valid_from: date | None, valid_until: date, *, today: date, max_days: int) -> None:
    """A proof needs an end date in the future, after its start, and a plausible span."""
    if valid_from is not None and valid_until < valid_from:
        raise ValidationError(f"valid_until {valid_until} is before valid_from {valid_from}", field="valid_until")
    if valid_until < today:
        raise ValidationError(f"this proof already expired on {valid_until}", field="valid_until")
    start = valid_from or today
    if (valid_until - start).days > max_days:
        raise ValidationError(f"a proof valid for more than {max_days} days is not accepted; "
                              "ask the brand for a dated letter", field="valid_until")


def validate_issuer(issuer: str) -> str:
    cleaned = " ".join(issuer.split())
    if not 2 <= len(cleaned) <= 300:
        raise ValidationError("issuer: the organisation that issued the proof, 2-300 characters", field="issuer")
    return cleaned


def warnings_due(valid_until: date, today: date, warn_days: Iterable[int], already_sent: Iterable[int]) -> list[int]:
    """The advance-warning windows (days before expiry) newly reached today and not yet sent, largest first.

    If the job missed days, several windows can be reached at once: the caller sends one message (with
    the real number of days left) and records all of them, so a 30-day warning never follows a 7-day one.
    """
    left = (valid_until - today).days
    if left < 0:
        return []
    sent = set(already_sent)
    return sorted((d for d in set(warn_days) if left <= d and d not in sent), reverse=True)


@dataclass(frozen=True, slots=True)
class Proof:
    id: int
    seller_id: str
    brand_id: str
    document_sha256: str
    media_type: str
    issuer: str
    valid_from: date | None
    valid_until: date
    state: ProofState
    submitted_by: str
    decided_by: str | None = None
    decision_reason: str | None = None
    authorisation_id: int | None = None
    warnings_sent: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "seller_id": self.seller_id, "brand_id": self.brand_id,
                "document_sha256": self.document_sha256, "media_type": self.media_type, "issuer": self.issuer,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_until": self.valid_until.isoformat(), "state": self.state.value,
                "submitted_by": self.submitted_by, "decided_by": self.decided_by,
                "decision_reason": self.decision_reason, "authorisation_id": self.authorisation_id,
                "warnings_sent": list(self.warnings_sent)}


def identity_gaps(identity: Mapping[str, Any], rules: IdentityRules) -> list[str]:
    """The required INFORM-style fields that are missing or not verified (each field: {value, verified})."""
    gaps = []
    for name in rules.required:
        entry = identity.get(name)
        if not isinstance(entry, Mapping) or not entry.get("value") or not entry.get("verified"):
            gaps.append(name)
    return gaps


def clean_identity_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """Validate submitted identity fields: known names, non-empty short strings."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if name not in IDENTITY_FIELDS:
            raise ValidationError(f"unknown identity field {name!r}; known: {', '.join(IDENTITY_FIELDS)}",
                                  field=name)
        if not isinstance(value, str) or not value.strip() or len(value) > 500 or "\x00" in value:
            raise ValidationError(f"{name}: a non-empty text of at most 500 characters", field=name)
        out[name] = " ".join(value.split())
    return out


def mask(name: str, value: str) -> str:
    """Bank accounts and tax ids are shown masked (last 4 characters) outside the verifying reviewer's view."""
    if name in ("bank_account", "tax_id") and len(value) > 4:
        return "*" * (len(value) - 4) + value[-4:]
    return value
