"""Request and response bodies of the Klean-to-Klean exchange."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BrandIdsIn(_In):
    brand_ids: list[str] | None = Field(default=None, max_length=1000,
                                        description="Brands to send (an agency: default, every live-mandate brand)")


class PeerIn(_In):
    name: str = Field(min_length=1, max_length=100, examples=["kipa-klean"])
    public_key: str = Field(min_length=64, max_length=64, description="The peer's Ed25519 public key, hex")
    accept: list[str] | None = Field(default=None, max_length=10, examples=[["brand"]])
    trust: str = Field(default="review", pattern=r"^(review|live)$",
                       description="review: each item waits for a reviewer; live: applied on receipt")
    note: str | None = Field(default=None, max_length=2000)


class ItemDecisionIn(_In):
    accept: bool
    reason: str = Field(min_length=1, max_length=2000)


class SignedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: dict[str, Any]
    signature: str = Field(max_length=200)


class SignedOut(BaseModel):
    payload: dict[str, Any]
    signature: str


class IdentityOut(BaseModel):
    name: str
    public_key: str


class PeerOut(BaseModel):
    name: str
    public_key: str
    accept: list[str]
    trust: str
    last_sequence: int
    note: str | None
    created_by: str
    created_at: str | None


class ItemOut(BaseModel):
    id: int
    peer: str
    kind: str
    item_id: str
    state: str
    note: str | None
    payload_id: str
    sequence: int
    updated_at: str | None


class DecidedItemOut(ItemOut):
    brand_ids: list[str]


class ReceivedOut(BaseModel):
    peer: str
    payload_id: str
    sequence: int
    applied: list[dict[str, Any]]
    pending: list[dict[str, Any]] = Field(description="held for a reviewer (a peer under review trust)")
    skipped: list[dict[str, Any]]
    revoked: list[dict[str, Any]]
    brand_ids: list[str]
