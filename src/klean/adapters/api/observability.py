"""Request ids, structured JSON logs, Prometheus metrics, and a cap on request bodies."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.routing import Match

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


def _route_template(app: FastAPI, request: Request) -> str:
    """The matched route's path template, so metrics do not explode with ids."""
    matched = request.scope.get("route")
    if matched is not None and hasattr(matched, "path"):
        return str(matched.path)
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.FULL:
            return getattr(route, "path", "unmatched")
    return "unmatched"


def install(app: FastAPI, *, max_body_bytes: int) -> None:
    @app.middleware("http")
    async def _observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = request_id
        start = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body_bytes):
            response: Response = JSONResponse(
                error_body("too_large", f"request body over {max_body_bytes} bytes"), status_code=413)
        else:
            try:
                response = await call_next(request)
            except Exception:  # the last line of defence: log with the request id, answer without internals
                log.exception("unhandled error", extra={"request_id": request_id, "path": request.url.path})
                response = JSONResponse(error_body("internal", f"internal error (request id {request_id})"),
                                        status_code=500)
        elapsed = time.perf_counter() - start
        route = _route_template(app, request)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-ID"] = request_id
        log.info("request", extra={"request_id": request_id, "method": request.method, "path": request.url.path,
                                   "status": response.status_code, "ms": round(elapsed * 1000, 2)})
        return response

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        klean = request.app.state.klean
        try:
            with klean.uow_factory() as uow:
                QUEUE_DEPTH.set(uow.queue.depth())
        except Exception:  # metrics must answer even when the database does not
            log.warning("queue depth unavailable", extra={"path": "/metrics"})
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
