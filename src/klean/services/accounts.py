"""Accounts: create users with an API key (shown once), authenticate keys, revoke them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthenticated, ValidationError
from klean.domain.keys import new_api_key, parse_api_key, secret_matches
from klean.domain.passwords import hash_password, verify_password
from klean.services.unit_of_work import AbstractUnitOfWork

_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


def create_user(
    *,
    uow: AbstractUnitOfWork,
    actor: Principal | None,
    user_id: str,
    name: str,
    role: Role,
    org: str | None = None,
    seller_id: str | None = None,
    email: str | None = None,
) -> tuple[str, str]:
    """Create a user and its first API key; return (user id, the key, shown only now).

    actor None means the operator at the command line, who may do anything.
    """
    if actor is not None:
        actor.require(Role.ADMIN)
    if not _ID.match(user_id):
        raise ValidationError("user id: 1-100 letters, digits, _ . @ -", field="id")
    if role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.INSPECTOR) and not org:
        raise ValidationError(f"a {role.value} needs an org (the brand owner or firm it acts for)", field="org")
    if role is Role.SELLER and not seller_id:
        raise ValidationError("a seller user needs a seller_id", field="seller_id")
    with uow:
        if uow.users.get(user_id) is not None:
            raise Conflict(f"user {user_id} exists", field="id")
        email = email.strip() if email else None  # "" is no e-mail, not a second user with the same one
        if email and uow.users.by_email(email) is not None:
            raise Conflict("another user has this e-mail address", field="email")
        uow.users.create(user_id=user_id, name=name, role=role.value, org=org, seller_id=seller_id, email=email)
        key_id, key, key_hash = new_api_key()
        uow.users.add_key(key_id=key_id, user_id=user_id, key_hash=key_hash, label="initial")
        uow.events.append(type="user.created", actor=actor.user_id if actor else "operator",
                          subject_type="user", subject_id=user_id, payload={"role": role.value, "org": org})
        uow.commit()
    return user_id, key


def authenticate(*, uow: AbstractUnitOfWork, api_key: str) -> Principal:
    """Return the principal of a valid, unrevoked key of an active user."""
    key_id, secret = parse_api_key(api_key)
    with uow:
        row = uow.users.key(key_id)
        if row is None or row.revoked_at is not None or not secret_matches(secret, row.key_hash):
            raise Unauthenticated("unknown or revoked API key")
        principal = uow.users.principal(row.user_id)
        if principal is None:
            raise Unauthenticated("user inactive")
        return principal


def revoke_key(*, uow: AbstractUnitOfWork, actor: Principal, key_id: str) -> None:
    """Revoke an API key (its owner or an admin)."""
    with uow:
        row = uow.users.key(key_id)
        if row is None:
            raise NotFound(f"no key {key_id}")
        if actor.role is not Role.ADMIN and row.user_id != actor.user_id:
            raise Forbidden("not your key")
        row.revoked_at = datetime.now(UTC)
        uow.events.append(type="api_key.revoked", actor=actor.user_id, subject_type="user",
                          subject_id=row.user_id, payload={"key_id": key_id})
        uow.commit()


MAX_FAILED_SIGNINS = 5
LOCKOUT = timedelta(minutes=15)


def set_password(*, uow: AbstractUnitOfWork, actor: Principal | None, user_id: str, password: str) -> None:
    """Set a user's portal password (the user itself, an admin, or the operator)."""
    if actor is not None and actor.role is not Role.ADMIN and actor.user_id != user_id:
        raise Forbidden("you may only change your own password")
    if len(password) < 8 or len(password) > 200:
        raise ValidationError("password: 8 to 200 characters", field="password")
    with uow:
        if uow.users.get(user_id) is None:
            raise NotFound(f"no user {user_id}", field="user_id")
        uow.users.set_password_hash(user_id, hash_password(password))
        uow.events.append(type="user.password_set", actor=actor.user_id if actor else "operator",
                          subject_type="user", subject_id=user_id)
        uow.commit()


def sign_in(*, uow: AbstractUnitOfWork, login: str, password: str, now: datetime | None = None) -> Principal:
    """Check a password; lock the account for 15 minutes after 5 consecutive failures."""
    now = now or datetime.now(UTC)
    with uow:
        state = uow.users.signin_state(login.strip())
        if state is None:
            verify_password(password, None)
            raise Unauthenticated("wrong user or password")
        user_id, stored, failures, locked_until, active = state
        if locked_until is not None and locked_until > now:
            raise RateLimited(f"too many failed sign-ins; try again after {locked_until:%H:%M} UTC")
        if not active or not verify_password(password, stored):
            lock = now + LOCKOUT if failures + 1 >= MAX_FAILED_SIGNINS else None
            uow.users.record_signin(user_id, ok=False, locked_until=lock)
            if lock is not None:
                uow.events.append(type="user.locked_out", actor="rule:signin_lockout", subject_type="user",
                                  subject_id=user_id, payload={"until": lock.isoformat()})
            uow.commit()
            raise Unauthenticated("wrong user or password")
        uow.users.record_signin(user_id, ok=True)
        principal = uow.users.principal(user_id)
        uow.commit()
    assert principal is not None
    return principal
