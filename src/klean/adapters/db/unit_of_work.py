"""The SQLAlchemy unit of work: one session, repositories discovered by name, explicit commit."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from klean.adapters.db.repositories import repository_classes
from klean.services.unit_of_work import AbstractUnitOfWork


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self.session: Session | None = None
        self._repos: dict[str, Any] = {}

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self._repos = {}
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None
            self._repos = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("session", "session_factory"):
            raise AttributeError(name)
        cls = repository_classes().get(name)
        if cls is None:
            raise AttributeError(f"no repository {name!r}")
        if self.session is None:
            raise RuntimeError("unit of work used outside `with`")
        repo = self._repos.get(name)
        if repo is None:
            repo = self._repos[name] = cls(self.session)
        return repo

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)
