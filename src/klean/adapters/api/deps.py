"""Dependencies as Annotated aliases: the app, a unit of work, and the authenticated principal."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from klean.bootstrap import App
from klean.domain.auth import Principal
from klean.domain.errors import Unauthenticated
from klean.services import accounts
from klean.services.unit_of_work import AbstractUnitOfWork

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer klean_<id>_<secret>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False)


# The cheap dependencies are async so FastAPI runs them inline instead of hopping to the thread pool for each.
async def get_app(request: Request) -> App:
    return request.app.state.klean  # type: ignore[no-any-return]


async def get_uow(app: Annotated[App, Depends(get_app)]) -> AbstractUnitOfWork:
    return app.uow_factory()


def get_optional_principal(
    request: Request,
    uow: Annotated[AbstractUnitOfWork, Depends(get_uow)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Principal | None:
    """The principal behind the API key, or a portal session's user; None when anonymous."""
    key = bearer.credentials if bearer else header_key
    if key:
        return _authenticate(request, uow, key)
    session_principal = getattr(request.state, "principal", None)
    return session_principal if isinstance(session_principal, Principal) else None


def _authenticate(request: Request, uow: AbstractUnitOfWork, key: str) -> Principal:
    """accounts.authenticate, remembered per worker for settings.screener_recheck_seconds (`klean serve`: 1 s).

    Two queries per request were a third of a screening's cost. The price: a revoked key or a deactivated user
    still works in a worker that saw it within that window. Only successes are remembered; 0 turns this off.
    """
    app: App = request.app.state.klean
    ttl = float(getattr(app.settings, "screener_recheck_seconds", 0.0) or 0.0)
    if ttl <= 0:
        return accounts.authenticate(uow=uow, api_key=key)
    cache: dict[str, tuple[float, Principal]] = app.extras.setdefault("principal_cache", {})
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    now = time.monotonic()
    held = cache.get(digest)
    if held is not None and held[0] > now:
        return held[1]
    principal = accounts.authenticate(uow=uow, api_key=key)
    if len(cache) > 10_000:  # bounded: a flood of distinct keys cannot grow it without limit
        cache.clear()
    cache[digest] = (now + ttl, principal)
    return principal


async def get_principal(principal: Annotated[Principal | None, Depends(get_optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthenticated("an API key is required")
    return principal


AppDep = Annotated[App, Depends(get_app)]
UowDep = Annotated[AbstractUnitOfWork, Depends(get_uow)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]
