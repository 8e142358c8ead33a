"""Rate limits per API key and per client address for reports, notices, refunds, sign-in and dry-run screenings.

Fixed windows: each (action, who, window number) has a counter. In-process by default (one worker); with
KLEAN_REDIS_URL set, the counters live in Redis (INCR + EXPIRE) so the limit holds across workers and hosts.
A limited request gets 429 with Retry-After before it reaches the route, so it never touches the database.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from klean.adapters.api.errors import error_body
from klean.adapters.app_secret import app_secret, client_host
from klean.config import Settings

log = logging.getLogger("klean.ratelimit")

# (method, path) -> action. Only the endpoints that create work for people are limited here.
LIMITED: dict[tuple[str, str], str] = {
    ("POST", "/v1/reports"): "reports",
    ("POST", "/portal/report"): "reports",
    ("POST", "/v1/notices"): "notices",
    ("POST", "/v1/refunds/claims"): "refunds",
    ("POST", "/portal/refund"): "refunds",
    ("POST", "/portal/signin"): "signin",
    ("POST", "/v1/screen"): "screen",
}


@dataclass(frozen=True, slots=True)
class Limit:
    per_key: int  # requests per window for one API key (or portal session)
    per_ip: int  # requests per window from one client address
    window: int  # seconds


def limits_from(settings: Settings) -> dict[str, Limit]:
    w = settings.rate_limit_window_seconds
    return {
        "reports": Limit(settings.rate_limit_reports_per_key, settings.rate_limit_reports_per_ip, w),
        "notices": Limit(settings.rate_limit_notices_per_key, settings.rate_limit_notices_per_ip, w),
        "refunds": Limit(settings.rate_limit_refunds_per_key, settings.rate_limit_refunds_per_ip, w),
        "signin": Limit(settings.rate_limit_signin_per_ip, settings.rate_limit_signin_per_ip, w),
        "screen": Limit(settings.rate_limit_screen_per_key, settings.rate_limit_screen_per_ip, w),
    }


class Counter(Protocol):
    def incr(self, bucket: str, window: int) -> int:
        """Count one more request in `bucket` (expiring after `window` seconds) and return the count."""
        ...


class MemoryCounter:
    """Counters in this process: exact for one worker, per-worker with several (use Redis then)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._current_window = -1

    def incr(self, bucket: str, window: int) -> int:
        with self._lock:
            # Buckets carry their window number, so the old ones are garbage once the window moves on.
            window_no = int(time.time() // window)
            if window_no != self._current_window:
                self._counts = {k: v for k, v in self._counts.items() if k.endswith(f":{window_no}")}
                self._current_window = window_no
            self._counts[bucket] = self._counts.get(bucket, 0) + 1
            return self._counts[bucket]


class RedisCounter:
    """Counters in Redis, shared by every worker: INCR then EXPIRE in one round trip."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def incr(self, bucket: str, window: int) -> int:
        import redis

        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.incr(bucket)
            pipe.expire(bucket, window + 1)
            count, _ = pipe.execute()
        except redis.RedisError:
            # Fail open: an unreachable Redis must not take reports and sign-in down; the per-account
            # sign-in lockout in the database still holds.
            log.warning("rate limit counter unavailable (redis)")
            return 0
        return int(count)


def counter_for(settings: Settings) -> Counter:
    return RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()


def _digest(value: str, secret: str) -> str:
    # Keys and addresses are never kept in the clear, not even in Redis.
    return hashlib.sha256(f"{secret}\x00{value}".encode()).hexdigest()[:24]


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and auth[7:].strip():
        return auth[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get("klean_session") or None


class RateLimiter:
    def __init__(self, settings: Settings, counter: Counter | None = None) -> None:
        self.limits = limits_from(settings)
        self.counter = counter or counter_for(settings)
        self.secret = app_secret(settings)  # the generated one when KLEAN_SECRET_KEY is not set

    def check(self, action: str, *, ip: str, key: str | None) -> int:
        """Count the request; return 0 if allowed, else the seconds until the window resets."""
        limit = self.limits[action]
        now = time.time()
        window_no = int(now // limit.window)
        retry_after = max(1, math.ceil((window_no + 1) * limit.window - now))
        checks = [("ip", ip, limit.per_ip)]
        if key:
            checks.append(("key", key, limit.per_key))
        for kind, who, allowed in checks:
            bucket = f"klean:rl:{action}:{kind}:{_digest(who, self.secret)}:{window_no}"
            if self.counter.incr(bucket, limit.window) > allowed:
                return retry_after
        return 0


class RateLimit:
    """Pure ASGI middleware: only the limited (method, path) pairs look at the request at all."""

    def __init__(self, app: ASGIApp, *, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner  # app.state.rate_limiter is read per request (tests swap it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            action = LIMITED.get((scope["method"], scope["path"].rstrip("/") or "/"))
            if action is not None:
                request = Request(scope)
                ip = client_host(request)
                retry_after = self.owner.state.rate_limiter.check(action, ip=ip, key=_presented_key(request))
                if retry_after:
                    response: Response
                    headers = {"Retry-After": str(retry_after)}
                    portal_status = getattr(self.owner.state, "portal_status", None)
                    if portal_status is not None and scope["path"].startswith("/portal"):
                        # a person at the portal: a page in their language, not the API's JSON
                        response = portal_status(request, 429, headers)
                    else:
                        response = JSONResponse(
                            error_body("rate_limited", f"too many {action} requests; try again in {retry_after} s"),
                            status_code=429, headers=headers)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> RateLimiter:
    limiter = RateLimiter(settings)
    app.state.rate_limiter = limiter
    app.add_middleware(RateLimit, owner=app)
    return limiter
