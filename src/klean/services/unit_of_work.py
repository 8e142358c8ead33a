"""The unit of work services run in: repositories plus one transaction, committed by the service."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Any, Self


class AbstractUnitOfWork(abc.ABC):
    """Repositories are attributes named by feature (`uow.brands`, `uow.events`, `uow.notices`...).

    The SQLAlchemy implementation in adapters/db discovers them; services only see this interface.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def __getattr__(self, name: str) -> Any:  # repositories are resolved by the implementation
        raise AttributeError(f"{type(self).__name__} has no repository {name!r}")
