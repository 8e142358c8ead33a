"""Listing change streams into the one submission path (issue 25): JSONL from a file, stdin or an HTTP URL, and Redis
Streams through a consumer group. At least once, with idempotent effects.

Every change goes through services.screening.submit_listings, the path `POST /v1/listings:batch` takes, in batches
of up to 500 listings (committed 50 at a time). A change is identified by its `idempotency_key`, else by its
content (the SHA-256 of the listing as canonical JSON), so a change delivered twice (a file read again, a stream
entry redelivered after a crash) is stored once and answers as the first time.

Redis Streams: entries are read with XREADGROUP, and acknowledged (XACK) only after the transaction that stored
their effects committed. A consumer that crashes between the commit and the acknowledgement leaves its entries
pending; they are claimed again (XAUTOCLAIM, after `min_idle_ms`) by any consumer of the group, and replayed by
their keys. A refused change (not a listing, another seller's id, a restricted seller) is acknowledged too, after
being copied with its reason to the dead-letter stream `<stream>:refused`: nothing received is dropped in silence.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from klean.adapters.api.errors import status_of
from klean.adapters.api.schemas_screening import ListingIn
from klean.adapters.listing_images import with_images
from klean.adapters.screening_runtime import screener_for
from klean.bootstrap import App
from klean.domain.auth import Principal
from klean.domain.errors import DomainError, ValidationError
from klean.domain.events import canonical_json
from klean.domain.files import listing_from_dict
from klean.services import enforcement, screening

BATCH = screening.MAX_BATCH


def content_key(listing: Any) -> str:
    """The key of a change that brings none: its content, so the same change delivered twice has the same key."""
    return "sha256:" + hashlib.sha256(canonical_json(listing)).hexdigest()


def batch_item(raw: Any, app: App, *, keyed_by_content: bool = False) -> screening.BatchItem:
    """One change as the submission service takes it: `{"idempotency_key": ..., "listing": {...}}`. A body that is
    not a listing, or an image Klean cannot screen, is refused here for this change only."""
    if not isinstance(raw, dict):
        return screening.BatchItem(None, error=ValidationError("each entry must be an object: "
                                                               '{"idempotency_key": ..., "listing": {...}}'))
    key = raw.get("idempotency_key")
    if key is not None and not isinstance(key, str):
        return screening.BatchItem(None, error=ValidationError("idempotency_key must be a string",
                                                               field="idempotency_key"))
    if key is None and keyed_by_content and raw.get("listing") is not None:
        key = content_key(raw["listing"])
    try:
        body = ListingIn.model_validate(raw.get("listing"))
        listing = with_images(listing_from_dict(body.as_record()), body.images, app, store=True)
    except PydanticValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "not a listing"}
        where = ".".join(["listing", *(str(p) for p in first.get("loc", ()))])
        return screening.BatchItem(None, key, ValidationError(f"{where}: {first.get('msg', 'not a listing')}",
                                                              field=where))
    except DomainError as exc:
        return screening.BatchItem(None, key, exc)
    return screening.BatchItem(listing, key)


def change_of_line(line: str) -> Any:
    """A JSONL line as a change: `{"idempotency_key": ..., "listing": {...}}`, or a bare listing (its own optional
    `idempotency_key` taken out of it). Not JSON: a ValidationError for this line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not JSON ({exc.msg} at column {exc.colno})") from exc
    if isinstance(obj, dict) and "listing" not in obj:
        obj = dict(obj)
        key = obj.pop("idempotency_key", None)
        return {"idempotency_key": key, "listing": obj}
    return obj


@dataclass
class IngestReport:
    read: int = 0
    submitted: int = 0
    replayed: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)  # where, status, code, message, field
    batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "submitted": self.submitted, "replayed": self.replayed,
                "refused": len(self.refused), "batches": self.batches}


def _submit(app: App, principal: Principal, items: list[screening.BatchItem]) -> list[screening.BatchOutcome]:
    return screening.submit_listings(uow=app.uow_factory(), principal=principal, items=items,
                                     screener=screener_for(app), enforcement_policy=enforcement.policy_of(app.policy))


def _tally(report: IngestReport, where: list[str], items: list[screening.BatchItem],
           outcomes: list[screening.BatchOutcome]) -> None:
    report.batches += 1
    for w, item, out in zip(where, items, outcomes, strict=True):
        if out.error is not None:
            report.refused.append({"where": w, "idempotency_key": item.idempotency_key,
                                   "status": status_of(out.error), "code": out.error.code,
                                   "message": out.error.message, "field": out.error.field})
        elif out.replayed:
            report.replayed += 1
        else:
            report.submitted += 1


# --- JSONL ---------------------------------------------------------------------------------------------------------


def open_lines(source: str, *, timeout: float = 60.0) -> Iterator[str]:
    """The lines of a JSONL source: `-` (stdin), an http(s) URL (streamed as it arrives), or a file."""
    if source == "-":
        yield from sys.stdin
        return
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=timeout) as resp:
            for raw in resp:
                yield raw.decode("utf-8", errors="replace")
        return
    with open(source, encoding="utf-8", errors="replace") as f:
        yield from f


def ingest_jsonl(app: App, principal: Principal, lines: Iterable[str], *, batch_size: int = BATCH,
                 source: str = "stdin") -> IngestReport:
    """Submit every change of a JSONL stream, `batch_size` per transaction; refusals are reported by line number."""
    report = IngestReport()
    batch_size = max(1, min(batch_size, BATCH))
    items: list[screening.BatchItem] = []
    where: list[str] = []

    def flush() -> None:
        if items:
            _tally(report, where, items, _submit(app, principal, items))
            items.clear()
            where.clear()

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        report.read += 1
        try:
            items.append(batch_item(change_of_line(line), app, keyed_by_content=True))
        except DomainError as exc:
            items.append(screening.BatchItem(None, error=exc))
        where.append(f"{source}:{n}")
        if len(items) >= batch_size:
            flush()
    flush()
    return report


# --- Redis Streams ---------------------------------------------------------------------------------------------------


class RedisIngest:
    """One consumer of a consumer group on a Redis stream of listing changes.

    An entry carries the change in its field `change` (a JSONL line's JSON) or in `listing` (the listing's JSON)
    with an optional `idempotency_key` field."""

    def __init__(self, app: App, principal: Principal, client: Any, *, stream: str, group: str, consumer: str,
                 batch_size: int = BATCH, min_idle_ms: int = 60_000) -> None:
        self.app, self.principal, self.redis = app, principal, client
        self.stream, self.group, self.consumer = stream, group, consumer
        self.batch_size = max(1, min(batch_size, BATCH))
        self.min_idle_ms = min_idle_ms
        self.dead_letter = f"{stream}:refused"

    def ensure_group(self, start_id: str = "0") -> None:
        """Create the consumer group (and the stream) unless it exists; `start_id` 0 reads the stream from its start."""
        import redis

        try:
            self.redis.xgroup_create(self.stream, self.group, id=start_id, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    @staticmethod
    def _text(value: Any) -> str:
        return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)

    def _change(self, fields: dict[Any, Any]) -> Any:
        f = {self._text(k): self._text(v) for k, v in fields.items()}
        if "change" in f:
            return change_of_line(f["change"])
        if "listing" in f:
            try:
                listing = json.loads(f["listing"])
            except json.JSONDecodeError as exc:
                raise ValidationError(f"listing: not JSON ({exc.msg})", field="listing") from exc
            return {"idempotency_key": f.get("idempotency_key"), "listing": listing}
        raise ValidationError("a stream entry needs a field `change` or `listing`")

    def process(self, entries: list[tuple[Any, dict[Any, Any]]], report: IngestReport) -> None:
        """Store the effects of these entries in one transaction, then acknowledge them (never before)."""
        if not entries:
            return
        ids = [self._text(entry_id) for entry_id, _ in entries]
        items: list[screening.BatchItem] = []
        for _, fields in entries:
            try:
                items.append(batch_item(self._change(fields), self.app, keyed_by_content=True))
            except DomainError as exc:
                items.append(screening.BatchItem(None, error=exc))
        report.read += len(entries)
        before = len(report.refused)
        _tally(report, [f"{self.stream}:{i}" for i in ids], items, _submit(self.app, self.principal, items))
        # Committed: record the refusals where an operator can find them, then acknowledge the whole batch.
        pipe = self.redis.pipeline(transaction=True)
        for refusal in report.refused[before:]:
            pipe.xadd(self.dead_letter, {"entry": refusal["where"].rsplit(":", 1)[-1],
                                         "reason": json.dumps(refusal, ensure_ascii=False)})
        pipe.xack(self.stream, self.group, *ids)
        pipe.execute()

    def reclaim(self, report: IngestReport) -> int:
        """Take over entries other consumers read but never acknowledged (they crashed) and process them."""
        taken = 0
        cursor = "0-0"
        while True:
            cursor, entries, *_ = self.redis.xautoclaim(self.stream, self.group, self.consumer,
                                                        min_idle_time=self.min_idle_ms, start_id=cursor,
                                                        count=self.batch_size)
            entries = [(i, f) for i, f in entries if f is not None]  # deleted from the stream meanwhile
            self.process(entries, report)
            taken += len(entries)
            if self._text(cursor) == "0-0":
                return taken

    def own_pending(self, report: IngestReport) -> int:
        """Entries this consumer read before it stopped (same name) and never acknowledged: processed first."""
        taken = 0
        while True:
            got = self.redis.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=self.batch_size)
            entries = [(i, f) for _, batch in got or [] for i, f in batch if f]
            if not entries:
                return taken
            self.process(entries, report)
            taken += len(entries)

    def run(self, *, once: bool = False, block_ms: int = 5_000, report: IngestReport | None = None) -> IngestReport:
        """Consume until stopped (or, with `once`, until nothing new arrives within `block_ms`)."""
        report = report or IngestReport()
        self.own_pending(report)
        self.reclaim(report)
        while True:
            got = self.redis.xreadgroup(self.group, self.consumer, {self.stream: ">"}, count=self.batch_size,
                                        block=block_ms)
            entries = [(i, f) for _, batch in got or [] for i, f in batch]
            if entries:
                self.process(entries, report)
                continue
            if self.reclaim(report) == 0 and once:
                return report
