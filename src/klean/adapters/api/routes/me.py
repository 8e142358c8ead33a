"""Who am I: the authenticated principal."""

from __future__ import annotations

from fastapi import APIRouter

from klean.adapters.api.deps import PrincipalDep

router = APIRouter(prefix="/v1", tags=["accounts"])


@router.get("/me")
def me(principal: PrincipalDep) -> dict[str, str | None]:
    return {"user_id": principal.user_id, "role": principal.role.value, "org": principal.org,
            "seller_id": principal.seller_id}
