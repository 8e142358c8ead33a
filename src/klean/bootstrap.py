"""The one composition root: settings -> engine -> unit of work (and, later, signals and policy)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from klean.adapters.db.base import load_models, make_engine
from klean.adapters.db.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from klean.config import Settings, get_settings
from klean.domain.policy_file import PolicyDocument, read_policy


@dataclass
class App:
    """What every adapter needs: settings, the engine, and a factory of units of work."""

    settings: Settings
    engine: Engine
    uow_factory: Callable[[], SqlAlchemyUnitOfWork]
    policy: PolicyDocument
    extras: dict[str, Any] = field(default_factory=dict)  # lazily built shared objects (screener, ...)


def bootstrap(settings: Settings | None = None, *, database_url: str | None = None) -> App:
    settings = settings or get_settings()
    load_models()
    engine = make_engine(database_url or settings.resolved_database_url())
    factory = session_factory(engine)
    return App(settings=settings, engine=engine, uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
               policy=read_policy(settings.policy_path))
