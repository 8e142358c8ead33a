"""Request and response bodies of the orders and refunds API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from klean.domain.refunds import Claim, Order

_ID = Field(min_length=1, max_length=200)


class OrderIn(BaseModel):
    """Only what refunds need. Fingerprints are opaque hashes the marketplace computes (never card or address)."""

    model_config = ConfigDict(extra="forbid")

    id: str = _ID
    listing_id: str = _ID
    seller_id: str = _ID
    buyer_id: str = Field(min_length=1, max_length=100, description="The buyer's Klean user id")
    amount: Decimal = Field(gt=0, le=Decimal(10**12), decimal_places=4)
    currency: str = Field(pattern="^[A-Z]{3}$")
    purchased_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    buyer_since: AwareDatetime | None = Field(default=None, description="The buyer's account creation")
    payment_fingerprint: str | None = Field(default=None, min_length=8, max_length=128)
    address_fingerprint: str | None = Field(default=None, min_length=8, max_length=128)
    refunded_amount: Decimal = Field(default=Decimal(0), ge=0, le=Decimal(10**12), decimal_places=4,
                                     description="Refunds the marketplace itself already paid")

    def to_order(self) -> Order:
        return Order(**self.model_dump())


class OrdersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: list[OrderIn] = Field(min_length=1, max_length=1000)


class OrderOut(BaseModel):
    id: str
    listing_id: str
    seller_id: str
    buyer_id: str
    amount: str
    currency: str
    purchased_at: datetime
    delivered_at: datetime | None

    @staticmethod
    def of(o: Order) -> OrderOut:
        return OrderOut(id=o.id, listing_id=o.listing_id, seller_id=o.seller_id, buyer_id=o.buyer_id,
                        amount=format(o.amount.normalize(), "f"), currency=o.currency, purchased_at=o.purchased_at,
                        delivered_at=o.delivered_at)


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = _ID
    note: str = Field(default="", max_length=2000, description="Optional; no evidence is required")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: str = Field(min_length=1, max_length=2000)


class CaseDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(pattern="^(dismiss|remove)$", description="dismiss the case, or take the listing down")
    reason: str = Field(min_length=1, max_length=2000)


class ClaimOut(BaseModel):
    id: int
    order_id: str
    listing_id: str
    seller_id: str
    buyer_id: str
    amount: str
    currency: str
    origin: str
    status: str
    paid: str
    charged_back: str
    checks: list[dict[str, Any]]
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def of(c: Claim, *, show_checks: bool) -> ClaimOut:
        return ClaimOut(id=c.id, order_id=c.order_id, listing_id=c.listing_id, seller_id=c.seller_id,
                        buyer_id=c.buyer_id, amount=format(c.amount.normalize(), "f"), currency=c.currency,
                        origin=c.origin,
                        status=c.status, paid=format(c.paid.normalize(), "f"),
                        charged_back=format(c.charged_back.normalize(), "f"),
                        checks=[{k: ch.get(k) for k in ("check", "flagged", "reason")} for ch in c.checks]
                        if show_checks else [],
                        created_at=c.created_at, decided_at=c.decided_at)
