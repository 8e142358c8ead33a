"""Request and response bodies of the screening API (listing.schema.json in, result.schema.json out)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class ImageIn(BaseModel):
    """A listing image: its bytes in `data` (base64; hashed by Klean), or the PDQ hash the marketplace computed.
    A path or digest alone is not enough (Klean never fetches files or URLs): such an image is a 422."""

    model_config = ConfigDict(extra="allow")
    path: str | None = Field(default=None, max_length=2000)
    sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    pdq: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    data: str | None = Field(default=None, max_length=14_000_000,
                             description="The image file, base64 (JPEG, PNG, WebP or GIF; upload size and pixel "
                                         "limits apply)")


class ListingIn(BaseModel):
    """A listing as in listing.schema.json."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=200)
    title: str = Field(max_length=2000)
    description: str = Field(default="", max_length=100_000)
    price: float = Field(ge=0, allow_inf_nan=False)
    currency: str = Field(pattern="^[A-Z]{3}$")
    seller_id: str = Field(min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    condition: Literal["new", "used", "refurbished"] | None = None
    images: list[ImageIn] = Field(default_factory=list, max_length=50)
    url: str | None = Field(default=None, max_length=2000)
    created_at: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        # PostgreSQL text and jsonb cannot hold NUL: refuse it here (422) instead of failing in the database (500).
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data

    def as_record(self) -> dict[str, Any]:
        """The listing as listing.schema.json has it (the images' bytes are not part of it)."""
        d = self.model_dump(exclude_none=True)
        if not d.get("images"):
            d.pop("images", None)
        else:
            d["images"] = [{k: v for k, v in img.items() if k != "data"} for img in d["images"]]
        return d


class DryRunIn(ListingIn):
    id: str = Field(default="dry-run", min_length=1, max_length=200)
    seller_id: str = Field(default="anonymous", min_length=1, max_length=200)


class EvidenceOut(BaseModel):
    signal: str
    weight: float
    brand_id: str | None = None
    span: list[int] | None = None
    reason: str


class ContributionOut(BaseModel):
    signal: str
    log_odds: float


class ModelOut(BaseModel):
    """The learned layer that decided: its version, the rules' own score, each signal's share of its log-odds."""

    version: str
    rule_score: float | None = None
    contributions: list[ContributionOut] = []


class ShadowOut(BaseModel):
    """The score a model running in shadow would have given (it did not decide)."""

    version: str
    score: float


class ResultOut(BaseModel):
    """One result.schema.json record, plus the policy version it was decided under."""

    id: str
    score: float
    decision: Literal["allow", "review", "block"]
    flagged: bool
    evidence: list[EvidenceOut]
    policy_version: str
    model: ModelOut | None = None
    shadow: ShadowOut | None = None


class SubmissionOut(BaseModel):
    id: str
    status: Literal["live", "held", "blocked"]
    score: float
    decision: Literal["allow", "review", "block"]
    reasons: list[str] = Field(description="Why, in the language asked for: what the seller sees")
    evidence: list[EvidenceOut]
    review_item: int | None = None
    policy_version: str


class StoredListingOut(BaseModel):
    listing: dict[str, Any]
    status: str
    score: float | None
    decision: str | None
    reasons: list[str]
    evidence: list[EvidenceOut]
    policy_version: str | None


class BatchIn(BaseModel):
    """A batch of listings for `POST /v1/listings:batch` (a catalogue feed): 1-500 entries, each
    `{"idempotency_key": "...", "listing": {...}}` with the listing as `POST /v1/listings` takes it. Entries are
    checked one by one, so one malformed listing is refused in its place and the others go on."""

    listings: list[Any] = Field(min_length=1, description="1-500 entries: {idempotency_key?, listing}")


class ErrorOut(BaseModel):
    code: str
    message: str
    field: str | None = None


class BatchResultOut(BaseModel):
    """One entry's outcome, in the order sent: the status it would have had alone (201 stored, 200 replayed for an
    Idempotency-Key already used with the same listing, 4xx refused with the reason)."""

    index: int
    idempotency_key: str | None = None
    status: int
    replayed: bool = False
    result: SubmissionOut | None = None
    error: ErrorOut | None = None


class BatchOut(BaseModel):
    submitted: int
    replayed: int
    refused: int
    results: list[BatchResultOut]
