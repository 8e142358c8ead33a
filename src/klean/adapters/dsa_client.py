"""The DSA Transparency Database API over HTTPS (the standard library's client: no extra dependency).

KLEAN_DSA_TDB_URL is the database's address, sandbox or production (https://transparency.dsa.ec.europa.eu, or the
sandbox address the Digital Services Coordinator gives); `/api/v1` is added unless the URL has it. The token is
the platform's API token, sent as `Authorization: Bearer`. Statements go to the bulk endpoint (POST
/api/v1/statements, 1 to 100 at a time); GET /api/v1/statement/existing-puid/{puid} says whether one arrived.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from klean.bootstrap import App
from klean.services import dsa
from klean.services.dsa import SubmitReport, TdbReply


def api_base(url: str) -> str:
    """The API's base address for a configured URL: scheme and host in lower case, ending in /api/v1."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"KLEAN_DSA_TDB_URL must be an http(s) address, got {url!r}")
    path = parts.path.rstrip("/")
    for tail in ("/statements", "/statement"):
        if path.endswith("/api/v1" + tail):
            path = path[: -len(tail)]
    if not path.endswith("/api/v1"):
        path += "/api/v1"
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """existing-puid answers 302 Found with a body: an answer, not somewhere to go."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpTdbClient:
    """Sends to one Transparency Database (its `target` is the API base address)."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        if not token:
            raise ValueError("KLEAN_DSA_TDB_TOKEN is empty: the platform's API token is needed")
        self.target = api_base(url)
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect())

    def _request(self, method: str, path: str, body: Any = None) -> TdbReply:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.target + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            "Content-Type": "application/json", "User-Agent": "klean-dsa"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return TdbReply(status=response.status, body=_json(response.read()))
        except urllib.error.HTTPError as exc:
            retry = exc.headers.get("Retry-After") if exc.headers else None
            try:
                payload = exc.read()
            except (OSError, http.client.HTTPException):
                payload = b""
            return TdbReply(status=exc.code, body=_json(payload), retry_after=_seconds(retry),
                            error=None if payload else exc.reason if isinstance(exc.reason, str) else None)
        except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            return TdbReply(status=None, error=f"{type(exc).__name__}: {reason}")

    def post_statements(self, statements: Sequence[Mapping[str, Any]]) -> TdbReply:
        return self._request("POST", "/statements", {"statements": list(statements)})

    def existing_puid(self, puid: str) -> bool | None:
        reply = self._request("GET", "/statement/existing-puid/" + urllib.parse.quote(puid, safe=""))
        return True if reply.status == 302 else False if reply.status == 404 else None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return {"message": data[:500].decode("utf-8", "replace")}


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def configured_client(k: App) -> HttpTdbClient | None:
    """The client for KLEAN_DSA_TDB_URL with KLEAN_DSA_TDB_TOKEN, or None when either is unset."""
    if not k.settings.dsa_tdb_url or not k.settings.dsa_tdb_token:
        return None
    return HttpTdbClient(k.settings.dsa_tdb_url, k.settings.dsa_tdb_token, timeout=k.settings.dsa_timeout_seconds)


def submit_configured(k: App, *, retries: int | None = None, max_batches: int | None = None, batch_size: int = 100,
                      since: date | None = None) -> SubmitReport:
    """Send what is new and due to the configured database (ValueError when it is not configured)."""
    client = configured_client(k)
    if client is None:
        raise ValueError("set KLEAN_DSA_TDB_URL (the Transparency Database's address, sandbox or production) and "
                         "KLEAN_DSA_TDB_TOKEN (the platform's API token)")
    s = k.settings
    return dsa.submit_statements(
        uow_factory=k.uow_factory, client=client, target=client.target,
        territorial_scope=dsa.scope_of(s.dsa_territory or None), base_url=s.public_url, batch_size=batch_size,
        retries=s.dsa_retries if retries is None else retries, backoff=s.dsa_backoff_seconds,
        lease_seconds=s.dsa_lease_seconds, max_batches=max_batches, since=since)
