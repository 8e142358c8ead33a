"""Klean-to-Klean exchange, first part (issue 23): the signed envelope one Klean sends another, and the registry
entries it carries. Signing and verifying (Ed25519) happen in the service; this module is the shape and its checks.

An envelope: {"format", "payload_id", "sender", "sequence", "created_at", "items": [{"kind", "id", "op", "data"}]}.
The signature covers the canonical JSON of the envelope (sorted keys, no spaces, UTF-8). A receiver accepts an
envelope only from a registered peer, with a valid signature, a payload id it has not seen and a sequence above
the last one it accepted from that peer; so a replayed or forged envelope changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from klean.domain.errors import ValidationError
from klean.domain.events import canonical_json
from klean.domain.files import brand_to_dict
from klean.domain.registry import Brand

FORMAT = "klean-exchange/1"
KINDS = ("brand", "known_fake")  # registry entries, known-fake image hashes (PDQ); vocabulary, notices, later
OPS = ("upsert", "revoke")
MAX_ITEMS = 1000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_PAYLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
_PDQ = re.compile(r"^[0-9a-f]{64}$")
LOCAL_ONLY = ("owner", "authorized_sellers")  # who owns a brand and whom it authorises stay on each side


def check_peer_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError("peer name: 1-100 letters, digits, _ . : -", field="name")
    return name


def check_public_key(key: str) -> str:
    if not isinstance(key, str) or not _HEX_KEY.match(key):
        raise ValidationError("public_key: the peer's Ed25519 public key, 64 lowercase hex digits",
                              field="public_key")
    return key


def exported_brand(b: Brand) -> dict[str, Any]:
    """A brand as it crosses to another Klean: marks, products and reference prices, nicknames, design cues and
    collisions, official images and logos as PDQ hashes only (no file paths)."""
    d = {k: v for k, v in brand_to_dict(b).items() if k not in LOCAL_ONLY}
    for key in ("logos", "official_images"):
        if key in d:
            kept = [{k: v for k, v in i.items() if k in ("pdq", "sha256")} for i in d[key] if i.get("pdq")]
            if kept:
                d[key] = kept
            else:
                del d[key]
    return d


def signed_bytes(envelope: dict[str, Any]) -> bytes:
    return canonical_json(envelope)


def check_envelope(envelope: Any) -> dict[str, Any]:
    """The envelope's shape, before any signature is checked (a malformed one is refused, never half-read)."""
    if not isinstance(envelope, dict):
        raise ValidationError("payload: a JSON object", field="payload")
    if envelope.get("format") != FORMAT:
        raise ValidationError(f"payload.format: {FORMAT}", field="payload.format")
    if not isinstance(envelope.get("payload_id"), str) or not _PAYLOAD_ID.match(envelope["payload_id"]):
        raise ValidationError("payload.payload_id: 32 lowercase hex digits", field="payload.payload_id")
    check_peer_name(envelope.get("sender", ""))
    seq = envelope.get("sequence")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**53:
        raise ValidationError("payload.sequence: a positive integer", field="payload.sequence")
    items = envelope.get("items")
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ValidationError(f"payload.items: a list of at most {MAX_ITEMS}", field="payload.items")
    for i, item in enumerate(items):
        where = f"payload.items[{i}]"
        if not isinstance(item, dict) or item.get("kind") not in KINDS or item.get("op") not in OPS:
            raise ValidationError(f"{where}: kind one of {KINDS}, op one of {OPS}", field=where)
        if not isinstance(item.get("id"), str) or not 1 <= len(item["id"]) <= 100:
            raise ValidationError(f"{where}.id: 1-100 characters", field=where)
        if item["op"] == "upsert" and item["kind"] == "brand" and (
                not isinstance(item.get("data"), dict) or item["data"].get("id") != item["id"]):
            raise ValidationError(f"{where}.data: the brand entry, with the item's id", field=where)
        if item["kind"] == "known_fake" and (not _PDQ.match(item["id"]) or (item["op"] == "upsert" and (
                not isinstance(item.get("data"), dict) or not isinstance(item["data"].get("brand_id"), str | None)))):
            raise ValidationError(f"{where}: a known fake is its PDQ hash (64 hex) with its brand_id",
                                  field=where)
    return envelope
