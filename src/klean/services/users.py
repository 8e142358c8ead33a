"""Users and their API keys, as the API shows them: list users (admin), create and list one's own keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from klean.domain.auth import Principal, Role
from klean.domain.errors import ValidationError
from klean.domain.keys import new_api_key
from klean.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class UserInfo:
    id: str
    name: str
    role: str
    org: str | None
    seller_id: str | None
    email: str | None
    active: bool
    created_at: datetime | None


@dataclass(frozen=True)
class KeyInfo:
    id: str
    label: str | None
    created_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def _user(u: object) -> UserInfo:
    return UserInfo(**{k: getattr(u, k) for k in UserInfo.__dataclass_fields__})


def list_users(*, uow: AbstractUnitOfWork, principal: Principal, role: str | None = None) -> list[UserInfo]:
    """List users (admin only), optionally of one role."""
    principal.require(Role.ADMIN)
    if role is not None and role not in {r.value for r in Role}:
        raise ValidationError(f"role: one of {', '.join(r.value for r in Role)}", field="role")
    with uow:
        return [_user(u) for u in uow.users.list(role)]


def get_user(*, uow: AbstractUnitOfWork, principal: Principal, user_id: str) -> UserInfo | None:
    """Return a user (admin, or the user itself)."""
    if principal.role is not Role.ADMIN and principal.user_id != user_id:
        principal.require(Role.ADMIN)
    with uow:
        u = uow.users.get(user_id)
        return _user(u) if u is not None else None


def create_api_key(*, uow: AbstractUnitOfWork, principal: Principal, label: str | None = None) -> tuple[str, str]:
    """Create another API key for oneself; return (key id, the key, shown only now)."""
    with uow:
        key_id, key, key_hash = new_api_key()
        uow.users.add_key(key_id=key_id, user_id=principal.user_id, key_hash=key_hash, label=label)
        uow.events.append(type="api_key.created", actor=principal.user_id, subject_type="user",
                          subject_id=principal.user_id, payload={"key_id": key_id, "label": label})
        uow.commit()
    return key_id, key


def list_api_keys(*, uow: AbstractUnitOfWork, principal: Principal) -> list[KeyInfo]:
    """List one's own API keys (never the keys themselves: only their ids and dates)."""
    with uow:
        return [KeyInfo(id=k.id, label=k.label, created_at=k.created_at, revoked_at=k.revoked_at,
                        last_used_at=k.last_used_at) for k in uow.users.keys_of(principal.user_id)]
