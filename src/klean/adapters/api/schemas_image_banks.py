"""Request and response bodies of the image-bank endpoints (not domain objects, not rows)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from klean.domain.images import BankEntry


class BankEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    pdq: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="PDQ hash: 64 hex digits (256 bits)")
    brand_id: str | None = Field(default=None, min_length=1, max_length=100,
                                 description="Required for the official bank; optional for known fakes")
    source_ref: str | None = Field(default=None, max_length=200, examples=["testbuy:3", "case:12"])
    quality: int | None = Field(default=None, ge=0, le=100)
    note: str | None = Field(default=None, max_length=2000)


class BankEntryOut(BaseModel):
    id: int
    bank: str
    pdq: str
    quality: int | None
    brand_id: str | None
    source_ref: str | None

    @staticmethod
    def of(e: BankEntry) -> BankEntryOut:
        return BankEntryOut(id=e.id, bank=e.bank, pdq=e.pdq, quality=e.quality, brand_id=e.brand_id,
                            source_ref=e.source_ref)


class BankImportOut(BaseModel):
    bank: str
    lines: int
    added: int
    already_present: int
    sha256: str


class BankCountsOut(BaseModel):
    official: int
    known_fake: int
    negative: int
    flooded: list[int]


class FloodCheckOut(BaseModel):
    started: list[int]
    ended: list[int]
    flooded: list[int]


class FilledOut(BaseModel):
    filled: int
