"""Users and their API keys (stored hashed, shown once), and failed portal sign-ins per login and client address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    org: Mapped[str | None] = mapped_column(String(200))
    seller_id: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))  # portal sign-in (scrypt)
    active: Mapped[bool] = mapped_column(default=True)
    # Portal sessions carry the generation they were signed in under; sign-out, a new password, a new role and
    # disabling the user each move it on, so every earlier session cookie stops working.
    session_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the public prefix of the key
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the secret part
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class SigninThrottleRow(Base):
    """Consecutive failed sign-ins for one login from one client address (keyed digest of both, never in clear).

    Locking per login *and* address means nobody can lock another person out from elsewhere, and an unknown login
    is counted and locked exactly like a known one, so the answers never tell them apart."""

    __tablename__ = "signin_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(index=True)
