"""API keys: `klean_<id>_<secret>`; only sha256(secret) is stored, so a leaked database leaks no key."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from klean.domain.errors import Unauthenticated

PREFIX = "klean"


def new_api_key() -> tuple[str, str, str]:
    """Return (key id, the full key to show once, the hash to store)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{PREFIX}_{key_id}_{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(key: str) -> tuple[str, str]:
    """Split a presented key into (key id, secret), or raise Unauthenticated."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise Unauthenticated("malformed API key")
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
