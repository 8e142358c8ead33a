"""Klean-to-Klean exchange over HTTP (first part): this Klean's identity, signed registry entries out (an agency's
member brands), revocations, peers, and the inbox that verifies and applies what a peer sends."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_exchange import (
    BrandIdsIn,
    DecidedItemOut,
    IdentityOut,
    ItemDecisionIn,
    ItemOut,
    PeerIn,
    PeerOut,
    ReceivedOut,
    SignedIn,
    SignedOut,
)
from klean.adapters.exchange_keys import exchange_key, exchange_name
from klean.adapters.screening_runtime import rescan_after_change
from klean.domain.auth import Role
from klean.domain.errors import Forbidden
from klean.services import exchange
from klean.services.exchange import public_key_hex

router = APIRouter(prefix="/v1/exchange", tags=["exchange"])


@router.get("/identity", response_model=IdentityOut)
def identity(app: AppDep, principal: PrincipalDep) -> dict[str, Any]:
    """This Klean's exchange name and Ed25519 public key, for a peer to register."""
    if principal.role not in (Role.ADMIN, Role.REVIEWER, Role.AGENCY):
        raise Forbidden("only staff and agencies see the exchange identity")
    return {"name": exchange_name(app.settings), "public_key": public_key_hex(exchange_key(app.settings))}


@router.post("/outbox", response_model=SignedOut)
def send_brands(body: BrandIdsIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """A signed envelope with the registry entries of brands (an agency: its live-mandate members' brands)."""
    if principal.role not in (Role.ADMIN, Role.AGENCY):
        raise Forbidden("only an agency or an admin sends registry entries")
    return exchange.export_brands(uow=uow, principal=principal, sender=exchange_name(app.settings),
                                  key=exchange_key(app.settings), brand_ids=body.brand_ids)


@router.post("/revocations", response_model=SignedOut)
def revoke_brands(body: BrandIdsIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """A signed envelope revoking brands sent before."""
    if principal.role not in (Role.ADMIN, Role.AGENCY):
        raise Forbidden("only an agency or an admin revokes registry entries")
    return exchange.revoke_brands(uow=uow, principal=principal, sender=exchange_name(app.settings),
                                  key=exchange_key(app.settings), brand_ids=body.brand_ids or [])


@router.post("/peers", status_code=201, response_model=PeerOut)
def register_peer(body: PeerIn, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Register another Klean by name and public key (admins)."""
    return exchange.register_peer(uow=uow, principal=principal, name=body.name, public_key=body.public_key,
                                  accept=body.accept, trust=body.trust, note=body.note)


@router.get("/peers", response_model=list[PeerOut])
def list_peers(uow: UowDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return exchange.list_peers(uow=uow, principal=principal)


@router.get("/items", response_model=list[ItemOut])
def list_items(uow: UowDep, principal: PrincipalDep, peer: str | None = Query(default=None, max_length=100),
               state: str | None = Query(default=None, pattern=r"^[a-z]{1,20}$")) -> list[dict[str, Any]]:
    """Items received from peers, each attributed to its peer, with its state (active, revoked, skipped)."""
    return exchange.list_items(uow=uow, principal=principal, peer=peer, state=state)


@router.post("/inbox", response_model=ReceivedOut)
def inbox(body: SignedIn, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """Verify and apply a peer's signed envelope (admins relay it); a forged or replayed one changes nothing."""
    result = exchange.receive(uow=uow, principal=principal, message=body.model_dump())
    if result["brand_ids"]:
        rescan_after_change(app, brand_ids=result["brand_ids"])
    return result


@router.post("/items/{item_id}/decision", response_model=DecidedItemOut)
def decide_item(body: ItemDecisionIn, app: AppDep, uow: UowDep, principal: PrincipalDep,
                item_id: int = Path(ge=1, le=2**31 - 1)) -> dict[str, Any]:
    """Accept (apply to the registry) or reject an item a peer under review trust sent (staff)."""
    result = exchange.decide_item(uow=uow, principal=principal, item_id=item_id, accept=body.accept,
                                  reason=body.reason)
    if result["brand_ids"]:
        rescan_after_change(app, brand_ids=result["brand_ids"])
    return result
