"""Seller networks over HTTP: a seller's network (accounts, the facts linking them, standing and strikes).

Reviewers and admins see every fact; rights holders and trusted partners only the networks of sellers that
listed their brands, with personal data masked; sellers and consumers not at all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.services import seller_networks

SellerId = Annotated[str, Path(min_length=1, max_length=200)]

router = APIRouter(prefix="/v1", tags=["seller networks"])


@router.get("/sellers/{seller_id}/network")
def network(seller_id: SellerId, app: AppDep, uow: UowDep, principal: PrincipalDep) -> dict[str, Any]:
    """The seller's network: its accounts with status and strike points, and each link with its kind, strength
    and the facts shared (personal data masked for rights holders)."""
    return seller_networks.network_view(uow=uow, principal=principal, seller_id=seller_id,
                                        policy=seller_networks.policy_of(app.policy))
