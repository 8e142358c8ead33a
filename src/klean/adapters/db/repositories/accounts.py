"""Users and API keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from klean.adapters.db.models.accounts import ApiKeyRow, SigninThrottleRow, UserRow
from klean.domain.auth import Principal, Role


def principal_of(user: UserRow) -> Principal:
    return Principal(user_id=user.id, role=Role(user.role), org=user.org, seller_id=user.seller_id)


class UserRepository:
    REPOSITORY_NAME = "users"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: str) -> UserRow | None:
        return self.session.get(UserRow, user_id)

    def get_any_case(self, user_id: str) -> UserRow | None:
        """A user whose id equals this one but for letter case (ids differing only by case are one login)."""
        return self.session.scalars(select(UserRow).where(func.lower(UserRow.id) == user_id.lower())).first()

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

    def session_principal(self, user_id: str, generation: object) -> Principal | None:
        """The principal of an active user whose sessions of this generation still stand, or None."""
        user = self.get(user_id)
        if user is None or not user.active or generation != user.session_generation:
            return None
        return principal_of(user)

    def end_sessions(self, user_id: str) -> None:
        """Move the user's session generation on: every session signed in before stops working."""
        self.session.execute(update(UserRow).where(UserRow.id == user_id)
                             .values(session_generation=UserRow.session_generation + 1))

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

    def signin_state(self, login: str) -> tuple[str, str | None, bool, int] | None:
        """(user id, password hash, active, session generation) by id or e-mail."""
        user = self.get(login) or self.by_email(login)
        if user is None:
            return None
        return user.id, user.password_hash, user.active, user.session_generation

    def signin_locked_until(self, key: str) -> datetime | None:
        """Until when sign-ins under this throttle key (login and address) are refused, if they are."""
        return self.session.scalar(select(SigninThrottleRow.locked_until).where(SigninThrottleRow.key == key))

    def record_signin_failure(self, key: str, *, now: datetime, lock_after: int,
                              lock_for: timedelta) -> datetime | None:
        """Count one more failure under the key (atomically: concurrent failures all count); lock it when they
        reach `lock_after`. Returns the lock's end when this failure set it."""
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(SigninThrottleRow).values(key=key, failures=1, updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=[SigninThrottleRow.key], set_={
            "failures": SigninThrottleRow.failures + 1, "updated_at": now})
        failures = self.session.execute(stmt.returning(SigninThrottleRow.failures)).scalar_one()
        # Old entries go as new ones come: the table holds about a day of failures, however many logins are tried.
        self.session.execute(delete(SigninThrottleRow).where(SigninThrottleRow.updated_at < now - timedelta(days=1)))
        if failures < lock_after:
            return None
        until = now + lock_for
        self.session.execute(update(SigninThrottleRow).where(SigninThrottleRow.key == key)
                             .values(failures=0, locked_until=until))
        return until

    def clear_signin_failures(self, key: str) -> None:
        self.session.execute(delete(SigninThrottleRow).where(SigninThrottleRow.key == key))
