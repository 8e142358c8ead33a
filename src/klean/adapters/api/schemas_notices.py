"""Request bodies of notices, cases, counter-notices, complaints, consumer reports and the review queue.

Notice fields default to empty so that an incomplete notice is answered with every missing element at once
(the domain's completeness check), not just the first one the parser meets."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from klean.domain.cases import NoticeDraft, RightClaim
from klean.domain.reports import ReportDraft


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list):
        for v in value:
            _no_nul(v)
    return value


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:  # PostgreSQL text cannot hold NUL
        return _no_nul(value)


class RightIn(In):
    kind: str = Field(default="trademark", max_length=20, examples=["trademark"])
    registration_number: str | None = Field(default=None, max_length=100, examples=["40-0789123"])
    office: str | None = Field(default=None, max_length=100, examples=["KIPO"])
    ground: str | None = Field(default=None, max_length=2000)


class NoticeIn(In):
    brand_id: str = Field(default="", max_length=100, examples=["samsung"])
    notifier_name: str = Field(default="", max_length=300, examples=["Kim Ji-won, Samsung Electronics IP team"])
    notifier_email: str = Field(default="", max_length=320, examples=["ip@samsung.example"])
    right: RightIn = Field(default_factory=RightIn)
    listings: list[str] = Field(default_factory=list, max_length=500,
                                examples=[["cp-7264581", "https://www.example-market.kr/vp/products/7264582"]])
    explanation: str = Field(default="", max_length=20_000)
    good_faith: bool = False
    accurate: bool = False
    signature: str = Field(default="", max_length=300, examples=["Kim Ji-won"])

    def to_draft(self) -> NoticeDraft:
        return NoticeDraft(brand_id=self.brand_id, notifier_name=self.notifier_name,
                           notifier_email=self.notifier_email,
                           right=RightClaim(kind=self.right.kind, registration_number=self.right.registration_number,
                                            office=self.right.office, ground=self.right.ground),
                           listings=tuple(self.listings), explanation=self.explanation, good_faith=self.good_faith,
                           accurate=self.accurate, signature=self.signature)


class CounterNoticeIn(In):
    reasons: str = Field(min_length=1, max_length=20_000)
    authorisation_proof: str | None = Field(default=None, max_length=2000,
                                            description="A reference to proof: licence number, uploaded file hash")


class CourtActionIn(In):
    reference: str = Field(min_length=1, max_length=500, examples=["Seoul Central District Court 2026가합12345"])


class ComplaintIn(In):
    grounds: str = Field(min_length=1, max_length=20_000)


class ReportIn(In):
    category: str = Field(max_length=40, examples=["counterfeit"])
    text: str = Field(max_length=10_000, examples=["정품이라고 하는데 가격이 너무 싸고 로고가 삐뚤어요"])
    lang: str = Field(default="en", max_length=5, examples=["ko"])
    listings: list[str] = Field(default_factory=list, max_length=20)
    contact_email: str | None = Field(default=None, max_length=320)

    def to_draft(self) -> ReportDraft:
        return ReportDraft(category=self.category, text=self.text, lang=self.lang, listings=tuple(self.listings),
                           contact_email=self.contact_email)


class DecisionIn(In):
    decision: str = Field(max_length=20, examples=["uphold"])
    reason: str = Field(max_length=5000, examples=["Listing shows the registered mark on a bag sold at 8% of retail"])
    manifestly_unfounded: bool = False
