"""Users (admins create them; the API key is shown once) and one's own API keys."""

from __future__ import annotations

from fastapi import APIRouter, Response

from klean.adapters.api.deps import PrincipalDep, UowDep
from klean.adapters.api.schemas_registry import KeyCreated, KeyIn, KeyOut, UserCreated, UserIn, UserOut, UserPatch
from klean.domain.auth import Role
from klean.domain.errors import NotFound, ValidationError
from klean.services import accounts, users

router = APIRouter(prefix="/v1", tags=["users"])


@router.post("/users", status_code=201, response_model=UserCreated)
def create_user(body: UserIn, principal: PrincipalDep, uow: UowDep) -> UserCreated:
    """Create a user (admin only). The response holds its first API key: store it now, it is not shown again."""
    principal.require(Role.ADMIN)
    try:
        role = Role(body.role)
    except ValueError:
        raise ValidationError(f"role: one of {', '.join(r.value for r in Role)}", field="role") from None
    user_id, key = accounts.create_user(uow=uow, actor=principal, user_id=body.id, name=body.name or body.id,
                                        role=role, org=body.org, seller_id=body.seller_id, email=body.email)
    info = users.get_user(uow=uow, principal=principal, user_id=user_id)
    assert info is not None
    return UserCreated(**info.__dict__, api_key=key)


@router.get("/users", response_model=list[UserOut])
def list_users(principal: PrincipalDep, uow: UowDep, role: str | None = None) -> list[UserOut]:
    """List users (admin only)."""
    return [UserOut(**u.__dict__) for u in users.list_users(uow=uow, principal=principal, role=role)]


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: str, body: UserPatch, principal: PrincipalDep, uow: UowDep) -> UserOut:
    """Change a user's role (with its org or seller account) or disable/enable it (admin only). Either ends the
    user's portal sessions; a disabled user's API keys stop working too."""
    principal.require(Role.ADMIN)
    role = None
    if body.role is not None:
        try:
            role = Role(body.role)
        except ValueError:
            raise ValidationError(f"role: one of {', '.join(r.value for r in Role)}", field="role") from None
    accounts.update_user(uow=uow, actor=principal, user_id=user_id, role=role, org=body.org,
                         seller_id=body.seller_id, active=body.active)
    info = users.get_user(uow=uow, principal=principal, user_id=user_id)
    if info is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    return UserOut(**info.__dict__)


@router.get("/users/me/keys", response_model=list[KeyOut])
def my_keys(principal: PrincipalDep, uow: UowDep) -> list[KeyOut]:
    """List your API keys (ids and dates only)."""
    return [KeyOut(**k.__dict__) for k in users.list_api_keys(uow=uow, principal=principal)]


@router.post("/users/me/keys", status_code=201, response_model=KeyCreated)
def create_key(principal: PrincipalDep, uow: UowDep, body: KeyIn | None = None) -> KeyCreated:
    """Create another API key for yourself; it is shown only in this response."""
    key_id, key = users.create_api_key(uow=uow, principal=principal, label=body.label if body else None)
    return KeyCreated(id=key_id, api_key=key)


@router.delete("/users/me/keys/{key_id}", status_code=204)
def revoke_key(key_id: str, principal: PrincipalDep, uow: UowDep) -> Response:
    """Revoke one of your API keys (admins: any key)."""
    accounts.revoke_key(uow=uow, actor=principal, key_id=key_id)
    return Response(status_code=204)
