"""This Klean's exchange identity: its name (`KLEAN_EXCHANGE_NAME`, default "klean") and its Ed25519 key, a PEM
file in the Klean's home created on first use (mode 0600). Peers register its name and public key."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from klean.config import Settings


def exchange_name(settings: Settings) -> str:
    return settings.exchange_name


def key_path(settings: Settings) -> Path:
    return Path(settings.home) / "exchange-ed25519.pem"


def exchange_key(settings: Settings) -> Ed25519PrivateKey:
    path = key_path(settings)
    if path.exists():
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    os.replace(tmp, path)
    return key
