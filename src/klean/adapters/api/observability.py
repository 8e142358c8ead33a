"""Request ids, structured JSON logs, Prometheus metrics, and a cap on request bodies."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klean.adapters.api.errors import error_body
from klean.adapters.metrics import HTTP_LATENCY, HTTP_REQUESTS, QUEUE_DEPTH, REGISTRY

log = logging.getLogger("klean.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "method", "path", "status", "ms", "principal"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_logs: bool) -> None:
    root = logging.getLogger("klean")
    if any(getattr(h, "_klean", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler._klean = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _route_template(app: ASGIApp, scope: Scope) -> str:
    """The matched route's path template, so metrics do not explode with ids."""
    matched = scope.get("route")
    if matched is not None and hasattr(matched, "path"):
        return str(matched.path)
    for route in getattr(app, "routes", ()):  # not routed (404, 405, refused early): ask the routes
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return getattr(route, "path", "unmatched")
    return "unmatched"


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _portal_page(scope: Scope, status: int) -> Response | None:
    """On a portal address, the portal's error page for `status` in the reader's language (web.error_pages, set on
    app.state by the portal's mount); None for the API, or when the page itself cannot be made."""
    app = scope.get("app")
    portal_status = getattr(getattr(app, "state", None), "portal_status", None)
    if portal_status is None or not str(scope.get("path", "")).startswith("/portal"):
        return None
    try:
        return portal_status(Request(scope), status)  # type: ignore[no-any-return]
    except Exception:  # the error page must not fail in turn: the plain answer below still goes out
        log.exception("portal error page failed", extra={"path": scope.get("path")})
        return None


class BodyTooLarge(HTTPException):
    """Raised by the counting receive the moment a body passes the cap; FastAPI re-raises HTTPExceptions met while
    reading a body, so it reaches the 413 handler (or this middleware) instead of becoming a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit} bytes")


class Observability:
    """Pure ASGI middleware (no task per request, unlike `@app.middleware("http")`): request id, body cap (by the
    declared length before reading, and by counting the bytes as they stream in, for every route and the portal),
    metrics by route template and one JSON log line per request."""

    def __init__(self, app: ASGIApp, *, router: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.router = router
        self.max_body_bytes = max_body_bytes
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        incoming = _header(headers, b"x-request-id") or ""
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id  # request.state.request_id
        raw_id = request_id.encode("latin-1")
        start = time.perf_counter()
        status = 0

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", raw_id)]
            await send(message)

        limit = self.max_body_bytes
        received = 0

        async def receive_counted() -> Message:
            # A declared length can lie and a chunked body declares none: count what actually arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        length = _header(headers, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            response: Response | None = JSONResponse(
                error_body("too_large", f"request body over {limit} bytes"), status_code=413)
        else:
            response = None
            try:
                await self.app(scope, receive_counted, send_observed)
            except BodyTooLarge as exc:  # read outside FastAPI's body parsing (a route reading the stream itself)
                if status:
                    self._observe(scope, request_id, status, start)
                    raise
                response = _portal_page(scope, 413) or JSONResponse(error_body("too_large", str(exc.detail)),
                                                                     status_code=413)
            except Exception:  # the last line of defence: log with the request id, answer without internals
                log.exception("unhandled error", extra={"request_id": request_id, "path": scope["path"]})
                if status:  # the response had started: nothing more can be said to the client
                    self._observe(scope, request_id, 500, start)
                    raise
                response = _portal_page(scope, 500) or JSONResponse(
                    error_body("internal", f"internal error (request id {request_id})"), status_code=500)
        if response is not None:
            await response(scope, receive, send_observed)
        self._observe(scope, request_id, status or 500, start)

    def _observe(self, scope: Scope, request_id: str, status: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        method = scope["method"]
        route = _route_template(self.router, scope)
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = HTTP_REQUESTS.labels(method, route, str(status))
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[(method, route)] = HTTP_LATENCY.labels(method, route)
        counter.inc()
        histogram.observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"request_id": request_id, "method": method, "path": scope["path"],
                                       "status": status, "ms": round(elapsed * 1000, 2)})


def install(app: FastAPI, *, max_body_bytes: int) -> None:
    app.add_middleware(Observability, router=app.router, max_body_bytes=max_body_bytes)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        klean = request.app.state.klean
        try:
            with klean.uow_factory() as uow:
                QUEUE_DEPTH.set(uow.queue.depth())
        except Exception:  # metrics must answer even when the database does not
            log.warning("queue depth unavailable", extra={"path": "/metrics"})
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
