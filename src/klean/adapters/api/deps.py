"""Dependencies as Annotated aliases: the app, a unit of work, and the authenticated principal."""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from klean.adapters.screening_runtime import recheck_seconds
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


async def get_optional_principal(
    request: Request,
    uow: Annotated[AbstractUnitOfWork, Depends(get_uow)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Principal | None:
    """The principal behind the API key, or a portal session's user; None when anonymous.

    Async so that a remembered key is answered inline; the database is only asked from the thread pool.
    """
    key = bearer.credentials if bearer else header_key
    if key:
        app: App = request.app.state.klean
        ttl = recheck_seconds(app)
        if ttl > 0:
            held = _remembered(app, key)
            if held is not None:
                return held
            return await _authenticate_once(app, uow, key, ttl)
        return await run_in_threadpool(_authenticate, app, uow, key, ttl)
    session_principal = getattr(request.state, "principal", None)
    return session_principal if isinstance(session_principal, Principal) else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _remembered(app: App, key: str) -> Principal | None:
    cache: dict[str, tuple[float, Principal]] = app.extras.setdefault("principal_cache", {})
    held = cache.get(_digest(key))
    if held is not None and held[0] > time.monotonic():
        return held[1]
    return None


# Look-ups in flight per event loop: when a remembered key expires, the requests that present it meanwhile share
# one database look-up instead of each making its own (and each taking a connection from the pool).
_in_flight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, str], asyncio.Future[Principal]]] = (
    weakref.WeakKeyDictionary())


async def _authenticate_once(app: App, uow: AbstractUnitOfWork, key: str, ttl: float) -> Principal:
    pending = _in_flight.setdefault(asyncio.get_running_loop(), {})
    slot = (id(app), _digest(key))
    lookup = pending.get(slot)
    if lookup is None:
        lookup = asyncio.ensure_future(run_in_threadpool(_authenticate, app, uow, key, ttl))
        pending[slot] = lookup

        def done(finished: asyncio.Future[Principal]) -> None:
            pending.pop(slot, None)
            if not finished.cancelled():
                finished.exception()  # retrieved here too, in case every waiter went away (client disconnects)

        lookup.add_done_callback(done)
    return await asyncio.shield(lookup)


def _authenticate(app: App, uow: AbstractUnitOfWork, key: str, ttl: float) -> Principal:
    """accounts.authenticate, remembered per worker for settings.screener_recheck_seconds (`klean serve`: 1 s).

    Two queries per request were a third of a screening's cost. The price: a revoked key or a deactivated user
    still works in a worker that saw it within that window. Only successes are remembered; 0 turns this off.
    """
    principal = accounts.authenticate(uow=uow, api_key=key)
    if ttl > 0:
        cache: dict[str, tuple[float, Principal]] = app.extras.setdefault("principal_cache", {})
        if len(cache) > 10_000:  # bounded: a flood of distinct keys cannot grow it without limit
            cache.clear()
        cache[_digest(key)] = (time.monotonic() + ttl, principal)
    return principal


async def get_principal(principal: Annotated[Principal | None, Depends(get_optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthenticated("an API key is required")
    return principal


AppDep = Annotated[App, Depends(get_app)]
UowDep = Annotated[AbstractUnitOfWork, Depends(get_uow)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]
