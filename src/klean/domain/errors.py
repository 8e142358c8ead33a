"""Domain errors. Adapters map them to 4xx answers; they always say what is wrong and where."""

from __future__ import annotations


class DomainError(Exception):
    """Base for every error a user can cause. `field` names the input at fault when there is one."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after  # seconds until trying again can succeed, when known
