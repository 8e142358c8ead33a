"""Shared fixtures. Every database test runs twice: on SQLite and on a real PostgreSQL server.

PostgreSQL comes from KLEAN_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each test session migrates one template database per backend; each test gets a fresh copy of it.
Without the URL the PostgreSQL runs are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from klean.adapters.db import migrate
from klean.adapters.db.base import make_engine
from klean.bootstrap import App, bootstrap
from klean.config import Settings
from klean.domain.auth import Role
from pg_support import pg_url, require_postgres, scratch_database

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    require_postgres()
    with scratch_database("klean_tmpl") as name:
        engine = make_engine(pg_url(name))
        migrate.upgrade(engine)
        engine.dispose()
        yield name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if request.param == "sqlite":
        target = tmp_path / "klean.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    with scratch_database("klean_t", template=request.getfixturevalue("_pg_template")) as name:
        yield pg_url(name)


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
