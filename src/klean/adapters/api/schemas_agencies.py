"""Request and response bodies of agencies: mandates, bulk notices over many brands, the per-member report."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:  # PostgreSQL text cannot hold NUL
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class MandateDecisionIn(_In):
    approve: bool
    reason: str = Field(min_length=1, max_length=2000, examples=["Letter signed by the brand's legal director, "
                                                                 "checked against the KIPO register"])


class MandateEndIn(_In):
    reason: str = Field(min_length=1, max_length=2000, examples=["The member left the agency on 1 December"])


class MandateOut(BaseModel):
    id: int
    agency: str
    brand_id: str
    member: str | None
    kind: str = Field(description="letter_of_authorisation | membership")
    document_sha256: str
    media_type: str
    valid_from: str | None
    valid_until: str
    state: str = Field(description="submitted | approved | rejected | expired | ended")
    submitted_by: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    ended_at: str | None
    ended_by: str | None
    end_reason: str | None
    created_at: str | None
    live: bool = Field(description="whether the agency may act for the brand under it today")
    why_not_live: str | None


class BulkNoticesOut(BaseModel):
    notices: list[dict[str, Any]] = Field(description="one filed notice per brand, as POST /v1/notices answers")
    refused: list[dict[str, Any]] = Field(description="brands not filed for, each with its listings and the reason")
    cases: int


class MemberBrandOut(BaseModel):
    brand_id: str
    mandate_id: int
    mandate_live: bool
    why_not_live: str | None
    valid_until: str
    notices: int
    cases: int
    open: int
    listings_removed: int
    rejected: int
    reversed: int
    sellers_restricted: int
    time_to_action_median_seconds: float | None
    time_to_action_p90_seconds: float | None


class MemberOut(BaseModel):
    member: str | None
    brands: list[MemberBrandOut]
    totals: dict[str, Any]


class AgencyReportOut(BaseModel):
    agency: str
    as_of: str
    since: str | None
    members: list[MemberOut]
