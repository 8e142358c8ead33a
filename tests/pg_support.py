"""Scratch PostgreSQL databases for tests: created on the server KLEAN_TEST_POSTGRES_URL names, dropped after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("KLEAN_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_postgres() -> None:
    """Skip the test without a PostgreSQL URL; fail it under CI=true, where PostgreSQL tests must run."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but KLEAN_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("KLEAN_TEST_POSTGRES_URL not set")


def pg_url(database: str) -> str:
    """The test server's URL for another database on it."""
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


@contextmanager
def scratch_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database (a copy of `template` if given, else empty), dropped afterwards; yields its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
