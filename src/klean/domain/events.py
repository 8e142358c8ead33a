"""The append-only, hash-chained event log: every state change is an event; a reversal is a new one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Event:
    seq: int
    type: str  # e.g. "listing.blocked", "notice.received", "strike.added", "appeal.granted"
    actor: str  # user id, or "rule:<name>" for automatic decisions
    subject_type: str  # "listing" | "seller" | "case" | "brand" | ...
    subject_id: str
    at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    policy_version: str | None = None
    reason: str | None = None
    prev_hash: str = GENESIS_HASH
    hash: str = ""


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def event_body(e: Event) -> dict[str, Any]:
    """The fields the hash covers: everything but the hash itself."""
    return {
        "seq": e.seq,
        "type": e.type,
        "actor": e.actor,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "at": e.at.isoformat(),
        "payload": dict(e.payload),
        "policy_version": e.policy_version,
        "reason": e.reason,
        "prev_hash": e.prev_hash,
    }


def compute_hash(e: Event) -> str:
    return hashlib.sha256(canonical_json(event_body(e))).hexdigest()


def verify_chain(events: Sequence[Event], start_prev: str = GENESIS_HASH) -> list[str]:
    """Check each event's hash and its link to the one before; return the problems found (empty: ok)."""
    problems: list[str] = []
    prev = start_prev
    for e in events:
        if e.prev_hash != prev:
            problems.append(f"event {e.seq}: links to {e.prev_hash[:12]}, expected {prev[:12]}")
        if compute_hash(e) != e.hash:
            problems.append(f"event {e.seq}: content does not match its hash")
        prev = e.hash
    return problems


def merkle_root(hashes: Sequence[str]) -> str:
    """Merkle root over hex SHA-256 leaves (odd node carried up), as in RFC 6962 without prefixes."""
    if not hashes:
        return hashlib.sha256(b"").hexdigest()
    level = [bytes.fromhex(h) for h in hashes]
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()
