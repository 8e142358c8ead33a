"""Request bodies for enforcement and seller verification (responses are the services' plain dicts)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in items):
            raise ValueError("must not contain NUL characters")
        return value


class ViolationIn(_In):
    seller_id: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=50, description="e.g. counterfeit_confirmed, unauthorised_listing")
    cause_ref: str = Field(min_length=1, max_length=200, description="what this is about, e.g. case:12")
    listing_id: str | None = Field(default=None, max_length=200)
    brand_id: str | None = Field(default=None, max_length=100)
    evidence: list[str] = Field(default_factory=list, max_length=50)


class ReversalIn(_In):
    cause_ref: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=5000)


class LiftIn(_In):
    reason: str = Field(min_length=1, max_length=5000)


class AppealIn(_In):
    grounds: str = Field(min_length=1, max_length=5000, description="why the decision is wrong")


class AppealDecisionIn(_In):
    outcome: Literal["uphold", "reverse"]
    reason: str = Field(min_length=1, max_length=5000)


class ProofDecisionIn(_In):
    approve: bool
    reason: str = Field(min_length=1, max_length=5000)


class ProofExpiryIn(_In):
    valid_until: date = Field(description="The proof's last valid day")
    reason: str = Field(min_length=1, max_length=5000, description="Why: e.g. the date on the letter")
    correction: bool = Field(default=False, description="The document really ended on this past date: the proof "
                                                        "expires at once")


class GrantIn(_In):
    brand_id: str = Field(min_length=1, max_length=100)
    seller_id: str = Field(min_length=1, max_length=200)
    valid_from: date | None = None
    valid_until: date | None = None
    reason: str = Field(default="", max_length=5000)


class RevokeIn(_In):
    brand_id: str = Field(min_length=1, max_length=100)
    seller_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=5000)


class IdentityIn(_In):
    name: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=500)
    bank_account: str | None = Field(default=None, max_length=500)
    tax_id: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=500)


class IdentityVerificationIn(_In):
    fields: list[Literal["name", "address", "bank_account", "tax_id", "phone", "email"]] = Field(min_length=1)
    verified: bool
    reason: str = Field(min_length=1, max_length=5000)
