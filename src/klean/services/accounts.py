"""Accounts: create users with an API key (shown once), authenticate keys, revoke them; portal sign-in and sessions
(which sign-out, a new password, a new role and disabling the user all end)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthenticated, ValidationError
from klean.domain.keys import new_api_key, parse_api_key, secret_matches
from klean.domain.messages import N_
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
    if role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.INSPECTOR, Role.AGENCY) and not org:
        raise ValidationError(f"a {role.value} needs an org (the brand owner or firm it acts for)", field="org")
    if role is Role.SELLER and not seller_id:
        raise ValidationError("a seller user needs a seller_id", field="seller_id")
    with uow:
        if uow.users.get_any_case(user_id) is not None:  # Kim and kim would be told apart by nobody
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
# One answer for a wrong password, an unknown login and a locked one alike (each after the same number of tries),
# so sign-in never tells whether an account exists.
WRONG_LOGIN = N_("wrong user or password")
LOCKED_OUT = N_("too many failed sign-ins for this user from this address; try again in 15 minutes")


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
        uow.users.end_sessions(user_id)  # a stolen session must not outlive the password it was signed in with
        uow.events.append(type="user.password_set", actor=actor.user_id if actor else "operator",
                          subject_type="user", subject_id=user_id)
        uow.commit()


def _throttle_key(login: str, client: str) -> str:
    return hashlib.sha256(f"{login.casefold()}\x00{client}".encode("utf-8", "surrogatepass")).hexdigest()


def sign_in(*, uow: AbstractUnitOfWork, login: str, password: str, client: str = "",
            now: datetime | None = None) -> Principal:
    """Check a password; see start_session."""
    return start_session(uow=uow, login=login, password=password, client=client, now=now)[0]


def start_session(*, uow: AbstractUnitOfWork, login: str, password: str, client: str = "",
                  now: datetime | None = None) -> tuple[Principal, int]:
    """Check a password and return the principal with its session generation (the portal keeps both in the
    session). After 5 consecutive failures for one login from one client (`client`: a keyed digest of its
    address), that pair is refused for 15 minutes: known and unknown logins alike, with the same words."""
    now = now or datetime.now(UTC)
    login = login.strip()
    key = _throttle_key(login, client)
    with uow:
        locked_until = uow.users.signin_locked_until(key)
        if locked_until is not None and locked_until > now:
            raise RateLimited(LOCKED_OUT)
        state = uow.users.signin_state(login)
        user_id, stored, active, generation = state if state is not None else (None, None, False, 0)
        matches = verify_password(password, stored)  # hashed even for unknown logins: the same time either way
        if user_id is None or not active or not matches:
            lock = uow.users.record_signin_failure(key, now=now, lock_after=MAX_FAILED_SIGNINS, lock_for=LOCKOUT)
            if lock is not None and user_id is not None:
                uow.events.append(type="user.locked_out", actor="rule:signin_lockout", subject_type="user",
                                  subject_id=user_id, payload={"until": lock.isoformat(), "client": client[:16]})
            uow.commit()
            raise Unauthenticated(WRONG_LOGIN)
        uow.users.clear_signin_failures(key)
        principal = uow.users.principal(user_id)
        uow.commit()
    assert principal is not None
    return principal, generation


def session_principal(*, uow: AbstractUnitOfWork, user_id: str, generation: object) -> Principal | None:
    """The signed-in user of a portal session, or None when the user is inactive or the session was ended."""
    with uow:
        return uow.users.session_principal(user_id, generation)


def sign_out(*, uow: AbstractUnitOfWork, user_id: str) -> None:
    """End every portal session of the user (a saved cookie stops working too)."""
    with uow:
        if uow.users.get(user_id) is None:
            return
        uow.users.end_sessions(user_id)
        uow.events.append(type="user.signed_out", actor=user_id, subject_type="user", subject_id=user_id)
        uow.commit()


def update_user(*, uow: AbstractUnitOfWork, actor: Principal | None, user_id: str, role: Role | None = None,
                org: str | None = None, seller_id: str | None = None, active: bool | None = None) -> None:
    """Change a user's role (with its org or seller account) or disable/enable it (an admin, or the operator);
    either ends the user's portal sessions."""
    if actor is not None:
        actor.require(Role.ADMIN)
    with uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}", field="user_id")
        if actor is not None and actor.user_id == user_id and (active is False or role not in (None, Role.ADMIN)):
            raise ValidationError("an admin may not disable or demote itself", field="user_id")
        changes: dict[str, object] = {}
        new_role = role.value if role is not None else user.role
        new_org = org if org is not None else user.org
        new_seller = seller_id if seller_id is not None else user.seller_id
        if new_role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.INSPECTOR, Role.AGENCY) and not new_org:
            raise ValidationError(f"a {new_role} needs an org (the brand owner or firm it acts for)", field="org")
        if new_role == Role.SELLER and not new_seller:
            raise ValidationError("a seller user needs a seller_id", field="seller_id")
        for name, value in (("role", new_role), ("org", new_org), ("seller_id", new_seller)):
            if getattr(user, name) != value:
                changes[name] = value
        if active is not None and active != user.active:
            changes["active"] = active
        if not changes:
            return
        for name, value in changes.items():
            setattr(user, name, value)
        uow.users.end_sessions(user_id)
        uow.events.append(type="user.updated", actor=actor.user_id if actor else "operator", subject_type="user",
                          subject_id=user_id, payload=changes)
        uow.commit()
