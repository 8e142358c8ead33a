"""The application's secret and what is keyed with it: session cookies, CSRF, client addresses kept as digests.

KLEAN_SECRET_KEY when set; otherwise one generated once into the home folder (mode 0600) and shared by every
worker and command using that home, so a digest of a client's address means the same thing everywhere and
cannot be reversed by hashing every IPv4 address without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

from starlette.requests import HTTPConnection

from klean.config import Settings

_CACHE: dict[str, str] = {}


def app_secret(settings: Settings) -> str:
    """The configured secret, or the one generated into the home folder (created on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.home / "secret_key"
    cached = _CACHE.get(str(path))
    if cached is not None:
        return cached
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by another worker a moment ago
        key = ""
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                break
            time.sleep(0.01)  # the other process is still writing it
        if not key:
            raise RuntimeError(f"{path} is empty: delete it or set KLEAN_SECRET_KEY") from None
    else:
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as f:
            f.write(key)
    _CACHE[str(path)] = key
    return key


def keyed_digest(value: str, settings: Settings, *, purpose: str, length: int = 32) -> str:
    """HMAC-SHA256 of a value under the application's secret, for one purpose (hex, `length` characters)."""
    mac = hmac.new(app_secret(settings).encode(), f"{purpose}\x00{value}".encode("utf-8", "surrogatepass"),
                   hashlib.sha256)
    return mac.hexdigest()[:length]


def client_host(conn: HTTPConnection) -> str:
    """The client's address as the server saw it (uvicorn rewrites it from X-Forwarded-For only for the proxies
    listed in KLEAN_TRUSTED_PROXIES)."""
    return conn.client.host if conn.client else "unknown"


def client_digest(conn: HTTPConnection, settings: Settings, *, purpose: str = "client") -> str:
    """A keyed digest of the client's address: tells clients apart without keeping their addresses."""
    return keyed_digest(client_host(conn), settings, purpose=purpose)
