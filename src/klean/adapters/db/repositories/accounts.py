"""Users and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from klean.adapters.db.models.accounts import ApiKeyRow, UserRow
from klean.domain.auth import Principal, Role


def principal_of(user: UserRow) -> Principal:
    return Principal(user_id=user.id, role=Role(user.role), org=user.org, seller_id=user.seller_id)


class UserRepository:
    REPOSITORY_NAME = "users"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: str) -> UserRow | None:
        return self.session.get(UserRow, user_id)

    def by_email(self, email: str) -> UserRow | None:
        return self.session.scalars(select(UserRow).where(UserRow.email == email)).first()

    def create(self, *, user_id: str, name: str, role: str, org: str | None = None,
               seller_id: str | None = None, email: str | None = None) -> UserRow:
        row = UserRow(id=user_id, name=name, role=role, org=org, seller_id=seller_id, email=email)
        self.session.add(row)
        self.session.flush()
        return row

    def principal(self, user_id: str) -> Principal | None:
        """The principal of an active user, or None."""
        user = self.get(user_id)
        return principal_of(user) if user is not None and user.active else None

    def list(self, role: str | None = None) -> list[UserRow]:
        q = select(UserRow).order_by(UserRow.id)
        if role:
            q = q.where(UserRow.role == role)
        return list(self.session.scalars(q))

    def add_key(self, *, key_id: str, user_id: str, key_hash: str, label: str | None = None) -> None:
        self.session.add(ApiKeyRow(id=key_id, user_id=user_id, key_hash=key_hash, label=label))
        self.session.flush()

    def key(self, key_id: str) -> ApiKeyRow | None:
        return self.session.get(ApiKeyRow, key_id)

    def keys_of(self, user_id: str) -> list[ApiKeyRow]:
        return list(self.session.scalars(select(ApiKeyRow).where(ApiKeyRow.user_id == user_id)))

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        user = self.get(user_id)
        if user is not None:
            user.password_hash = password_hash
            self.session.flush()

    def signin_state(self, login: str) -> tuple[str, str | None, int, datetime | None, bool] | None:
        """(user id, password hash, consecutive failures, locked until, active) by id or e-mail."""
        user = self.get(login) or self.by_email(login)
        if user is None:
            return None
        return user.id, user.password_hash, user.failed_signins, user.locked_until, user.active

    def record_signin(self, user_id: str, *, ok: bool, locked_until: datetime | None = None) -> None:
        user = self.get(user_id)
        if user is None:
            return
        user.failed_signins = 0 if ok else user.failed_signins + 1
        user.locked_until = None if ok else (locked_until or user.locked_until)
        self.session.flush()
