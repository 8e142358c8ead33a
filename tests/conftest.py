"""Shared fixtures. Every database test runs twice: on SQLite and on a real PostgreSQL server.

PostgreSQL comes from KLEAN_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each test session migrates one template database per backend; each test gets a fresh copy of it.
Without the URL the PostgreSQL runs are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from klean.adapters.db import migrate
from klean.adapters.db.base import make_engine
from klean.bootstrap import App, bootstrap
from klean.config import Settings
from klean.domain.auth import Role

PG_URL = os.environ.get("KLEAN_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _pg_admin_url() -> str:
    return make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but KLEAN_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("KLEAN_TEST_POSTGRES_URL not set")
    name = f"klean_tmpl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if request.param == "sqlite":
        target = tmp_path / "klean.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("_pg_template")
    name = f"klean_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", signing_key_path=tmp_path / "home" / "signing.pem")


@pytest.fixture
def klean_app(database_url: str, settings: Settings) -> Iterator[App]:
    app = bootstrap(settings, database_url=database_url)
    yield app
    app.engine.dispose()


@pytest.fixture
def client(klean_app: App) -> Iterator[TestClient]:
    from klean.adapters.api.app import create_app

    with TestClient(create_app(klean_app)) as c:
        yield c


@pytest.fixture
def make_user(klean_app: App) -> Callable[..., dict[str, str]]:
    """Create a user of a role and return the headers that authenticate as it."""
    from klean.services import accounts

    def _make(user_id: str, role: Role | str, *, org: str | None = None,
              seller_id: str | None = None) -> dict[str, str]:
        _, key = accounts.create_user(uow=klean_app.uow_factory(), actor=None, user_id=user_id,
                                      name=user_id, role=Role(role), org=org, seller_id=seller_id)
        return {"Authorization": f"Bearer {key}"}

    return _make


@pytest.fixture(scope="session")
def eval_dev_dir() -> Path:
    d = SHARED / "data" / "eval-dev"
    if not d.exists():
        pytest.skip("../shared/data/eval-dev not present")
    return d
