"""Request and response bodies of the test-buy API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from klean.domain.qa import PickRecord


class SampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(ge=0, le=2**63 - 1, description="Same seed over the same listings: same picks")
    budget_count: int | None = Field(default=None, ge=0, le=10_000, description="Default: policy [qa]")
    budget_money: Decimal | None = Field(default=None, ge=0, le=Decimal(10**12), decimal_places=4)
    currency: str | None = Field(default=None, pattern="^[A-Z]{3}$")


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org: str = Field(min_length=1, max_length=200, description="The inspector firm")


class PurchaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_ref: str = Field(min_length=1, max_length=200, description="The marketplace's order number")
    amount: Decimal = Field(ge=0, le=Decimal(10**12), decimal_places=4)
    currency: str = Field(pattern="^[A-Z]{3}$")
    purchased_at: datetime = Field(description="With its time zone, e.g. 2026-11-03T14:20:00+09:00")


class VerdictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: str = Field(description="genuine | fake | not_as_described | undelivered")
    notes: str = Field(default="", max_length=4000)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)


class PickOut(BaseModel):
    id: int
    period: str
    listing_id: str
    seller_id: str
    brand_id: str | None
    category: str | None
    price: str
    currency: str
    method: str
    risk: float
    band: str
    reasons: list[str]
    state: str
    org: str | None
    purchase: dict[str, Any] | None
    photos: list[str]
    verdict: str | None
    notes: str | None
    confirmed_by: str | None

    @staticmethod
    def of(p: PickRecord) -> PickOut:
        return PickOut(id=p.id, period=p.period, listing_id=p.listing_id, seller_id=p.seller_id, brand_id=p.brand_id,
                       category=p.category, price=format(p.price.normalize(), "f"), currency=p.currency,
                       method=p.method,
                       risk=round(p.risk, 4), band=p.band, reasons=[str(r.get("text", "")) for r in p.reasons],
                       state=p.state, org=p.org, purchase=dict(p.purchase) if p.purchase else None,
                       photos=list(p.photos), verdict=p.verdict, notes=p.notes, confirmed_by=p.confirmed_by)
