"""Every error a client can cause becomes a 4xx with a machine-readable reason; never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from klean.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthenticated,
)

STATUS = {NotFound: 404, Conflict: 409, Forbidden: 403, Unauthenticated: 401, RateLimited: 429}


def error_body(code: str, message: str, field: str | None = None, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "field": field}}
    if details is not None:
        body["error"]["details"] = details
    return body


def status_of(exc: DomainError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 422


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        portal_errors = getattr(request.app.state, "portal_error", None)
        if portal_errors is not None and request.url.path.startswith("/portal"):
            return portal_errors(request, exc, status_of(exc))  # type: ignore[no-any-return]
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        if isinstance(exc, RateLimited) and exc.retry_after:
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=status_of(exc),
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        portal_invalid = getattr(request.app.state, "portal_invalid", None)
        if portal_invalid is not None and request.url.path.startswith("/portal"):
            # a person sent a form: a page in their language naming the field, not the API's JSON
            return portal_invalid(request, exc.errors())  # type: ignore[no-any-return]
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"field": None, "problem": "invalid request"}
        return JSONResponse(
            error_body("invalid", f"{first['field']}: {first['problem']}", first["field"], problems),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        portal_not_found = getattr(request.app.state, "portal_not_found", None)
        if exc.status_code == 404 and portal_not_found is not None and request.url.path.startswith("/portal/"):
            return portal_not_found(request)  # type: ignore[no-any-return]
        portal_status = getattr(request.app.state, "portal_status", None)
        if portal_status is not None and request.url.path.startswith("/portal"):
            return portal_status(request, exc.status_code, getattr(exc, "headers", None))  # type: ignore[no-any-return]
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "too_large", 429: "rate_limited"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
