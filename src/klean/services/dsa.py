"""Statements of reasons for the EU DSA Transparency Database: made from the event log, checked against the
database's published rules, written once into an outbox per database (sandbox and production are two), and sent
in batches of up to 100 to its bulk endpoint, each exactly once.

A statement the database would refuse is never written: it is recorded as `invalid` with its problems and
reported. Sending is at-most-once per statement and run (a lease), and a run that ends before it learns the outcome
of a batch leaves it `sending`: the next run asks the database whether each puid arrived before sending it again.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from klean.domain import dsa
from klean.domain.auth import Principal, Role
from klean.domain.errors import Forbidden, ValidationError
from klean.domain.transparency import Statement, checked_statements, day_bounds
from klean.services.transparency import _check_period, _events_and_snapshots
from klean.services.unit_of_work import AbstractUnitOfWork

INSTANCE_KEY = "instance_id"
PSEUDONYM_KEY = "pseudonym_key"
MAX_BACKOFF = 3600.0
PERSON_ROLES = (Role.ADMIN.value, Role.REVIEWER.value, Role.SELLER.value, Role.CONSUMER.value, Role.INSPECTOR.value)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Identity:
    """What every statement of this database shares: the instance id in its puid, the key of its handles."""

    instance_id: str
    pseudonym_key: bytes


def identity(uow: AbstractUnitOfWork) -> Identity:
    """This database's identity, made the first time it is asked for (inside the caller's `with uow`; commit it)."""
    instance = uow.dsa.ensure_meta(INSTANCE_KEY, lambda: secrets.token_hex(6))
    key = uow.dsa.ensure_meta(PSEUDONYM_KEY, lambda: secrets.token_hex(32))
    return Identity(instance_id=instance, pseudonym_key=bytes.fromhex(key))


def scope_of(codes: Sequence[str] | str | None) -> list[str]:
    """The territorial scope as the database takes it (default: the EEA), or a ValidationError naming bad codes."""
    if codes is None or codes == "" or codes == []:
        return list(dsa.EEA)
    if isinstance(codes, str):
        codes = codes.split(",")
    try:
        return dsa.territorial_scope(codes)
    except ValueError as exc:
        raise ValidationError(f"territorial scope: {exc}", field="territorial_scope") from exc


def _names(uow: AbstractUnitOfWork, key: bytes) -> dict[str, str]:
    """Account names to keep out of free text, each with what replaces it: sellers' ids and names (their handle),
    and people's user ids and names (rights holders' and partners' names are their organisations: kept)."""
    names: dict[str, str] = {}
    for s in uow.sellers.all():
        alias = dsa.handle(key, "seller", s.id)
        if dsa.looks_like_handle(s.id):
            names[s.id] = alias
        if s.name and (dsa.looks_like_handle(s.name) or " " in s.name.strip()):
            names[s.name] = alias
    for u in uow.users.list():
        if dsa.looks_like_handle(u.id):
            names.setdefault(u.id, "a Klean user")
        if u.role in PERSON_ROLES and u.name and (" " in u.name.strip() or dsa.looks_like_handle(u.name)):
            names.setdefault(u.name, "a Klean user")
    return names


def build_statements(*, uow: AbstractUnitOfWork, start: datetime | None = None, end: datetime | None = None,
                     territorial_scope: Sequence[str] = dsa.EEA, base_url: str = "",
                     after_seq: int = 0) -> tuple[list[Statement], int]:
    """Every statement for the action events in [start, end) after `after_seq`, checked; and the last event seq."""
    with uow:
        ident = identity(uow)
        names = _names(uow, ident.pseudonym_key)
        events, snaps = _events_and_snapshots(uow)
        uow.commit()
    built = checked_statements(events, snapshots=snaps, start=start, end=end, territorial_scope=territorial_scope,
                               base_url=base_url, instance_id=ident.instance_id, pseudonym_key=ident.pseudonym_key,
                               names=names, after_seq=after_seq)
    return built, max((e.seq for e in events), default=0)


def export_statements(*, uow: AbstractUnitOfWork, principal: Principal | None, start: date, end: date,
                      territorial_scope: Sequence[str] | str | None = None, base_url: str = "") -> list[Statement]:
    """One checked statement of reasons per action taken in the days start..end (admins and reviewers); each says
    how to contest the decision, with links under `base_url`. Callers write only those without problems and report
    the others with them."""
    if principal is not None and principal.role not in (Role.ADMIN, Role.REVIEWER):
        raise Forbidden("statements of reasons are exported by admins and reviewers")
    _check_period(start, end)
    scope = scope_of(territorial_scope)
    lo, hi = day_bounds(start, end)
    built, _ = build_statements(uow=uow, start=lo, end=hi, territorial_scope=scope, base_url=base_url)
    return built


# ---- the outbox ---------------------------------------------------------------------------------------


def _hwm_key(target: str) -> str:
    return f"dsa_recorded_seq:{target}"[:200]


@dataclass
class SubmitReport:
    """What a run did, and what is left."""

    target: str
    recorded: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (puid, problems): never sent
    submitted: int = 0
    duplicates: int = 0  # the database had the puid already: counted as submitted
    found: int = 0  # sent by an interrupted run, found in the database
    refused: list[tuple[str, str]] = field(default_factory=list)  # (puid, the database's message)
    batches: int = 0
    retries: int = 0
    stopped: str | None = None  # why the run stopped with statements left to send
    counts: dict[str, int] = field(default_factory=dict)  # by state, after the run
    next_attempt_at: str | None = None

    @property
    def pending(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("sending", 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pending": self.pending}


def record_statements(*, uow_factory: Callable[[], AbstractUnitOfWork], target: str,
                      territorial_scope: Sequence[str] = dsa.EEA, base_url: str = "", since: date | None = None,
                      report: SubmitReport | None = None) -> SubmitReport:
    """Write the statements of action events not yet written for this target into its outbox: `pending`, or
    `invalid` with the problems that would get it refused. `since` (first run only): leave out earlier actions."""
    report = report or SubmitReport(target=target)
    key = _hwm_key(target)
    with uow_factory() as uow:
        uow.dsa.ensure_meta(key, lambda: "0")
        hwm = int(uow.dsa.meta(key) or 0)
        uow.commit()
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    built, head = build_statements(uow=uow_factory(), start=start, territorial_scope=territorial_scope,
                                   base_url=base_url, after_seq=hwm)
    with uow_factory() as uow:
        hwm = uow.dsa.lock_counter(key)  # another run may have written some meanwhile
        fresh = [s for s in built if s.event_seq > hwm]
        known = uow.dsa.known_puids(target, [s.puid for s in fresh])
        for s in fresh:
            if s.puid in known:
                continue
            known.add(s.puid)
            if s.problems:
                uow.dsa.add(target=target, puid=s.puid, event_seq=s.event_seq, body=s.body, state="invalid",
                            message="; ".join(s.problems))
                report.invalid.append((s.puid, "; ".join(s.problems)))
            else:
                uow.dsa.add(target=target, puid=s.puid, event_seq=s.event_seq, body=s.body, state="pending")
                report.recorded += 1
        uow.dsa.set_meta(key, str(max(hwm, head)))
        uow.commit()
    return report


@dataclass(frozen=True)
class TdbReply:
    """The database's answer to one request; status None when there was none (refused connection, timeout)."""

    status: int | None
    body: Any = None
    retry_after: float | None = None
    error: str | None = None


class TdbClient(Protocol):
    """The two calls of the Transparency Database API that sending needs."""

    def post_statements(self, statements: Sequence[Mapping[str, Any]]) -> TdbReply: ...

    def existing_puid(self, puid: str) -> bool | None: ...  # None: could not tell


def _field_errors(errors: Any) -> str:
    if isinstance(errors, Mapping):
        parts = []
        for k, v in errors.items():
            msgs = v if isinstance(v, list) else [v]
            parts.append(f"{k}: {' '.join(str(m) for m in msgs)}")
        return "; ".join(parts)
    return json.dumps(errors, ensure_ascii=False)[:2000]


def _delay(backoff: float, n: int, retry_after: float | None = None) -> float:
    wait = min(MAX_BACKOFF, backoff * (2 ** max(0, n - 1)))
    return max(wait, min(MAX_BACKOFF, retry_after or 0.0))


def _resolve_in_doubt(uow_factory: Callable[[], AbstractUnitOfWork], client: TdbClient, target: str,
                      report: SubmitReport, lease_seconds: float, clock: Callable[[], datetime]) -> bool:
    """Ask the database about statements an interrupted run sent; False when it could not answer."""
    with uow_factory() as uow:
        doubtful = uow.dsa.in_doubt(target=target, now=clock())
    for s in doubtful:
        token = secrets.token_hex(16)
        now = clock()
        with uow_factory() as uow:
            if not uow.dsa.take_in_doubt(s.id, token=token, lease_until=now + timedelta(seconds=lease_seconds),
                                         now=now):
                continue
            uow.commit()
        there = client.existing_puid(s.puid)
        with uow_factory() as uow:
            now = clock()
            if there is True:
                uow.dsa.settle([s.id], token=token, state="submitted", now=now,
                               message="found in the Transparency Database after an interrupted run")
                report.found += 1
            elif there is False:
                uow.dsa.settle([s.id], token=token, state="pending", now=now)
            else:  # still in doubt: looked up again next time
                uow.dsa.settle([s.id], token=token, state="sending", now=now, lease_until=now)
            uow.commit()
        if there is None:
            report.stopped = "the Transparency Database did not say whether statements of an interrupted run arrived"
            return False
    return True


def submit_statements(*, uow_factory: Callable[[], AbstractUnitOfWork], client: TdbClient, target: str,
                      territorial_scope: Sequence[str] = dsa.EEA, base_url: str = "", batch_size: int = 100,
                      retries: int = 4, backoff: float = 2.0, lease_seconds: float = 300.0,
                      max_batches: int | None = None, since: date | None = None, record: bool = True,
                      sleep: Callable[[float], None] = time.sleep,
                      clock: Callable[[], datetime] = _now) -> SubmitReport:
    """Send the statements not yet in the Transparency Database at `target`, in batches (at most 100), and record
    each one's outcome: submitted (a duplicate puid counts: the database has it), refused with the database's
    message, or left pending with the time of the next attempt. A failed request is retried `retries` times with
    exponential back-off (`backoff` seconds, doubling; Retry-After when the database gives one)."""
    report = SubmitReport(target=target)
    if record:
        record_statements(uow_factory=uow_factory, target=target, territorial_scope=territorial_scope,
                          base_url=base_url, since=since, report=report)
    size = max(1, min(batch_size, dsa.BATCH_MAX))
    failures = 0
    while max_batches is None or report.batches < max_batches:
        if not _resolve_in_doubt(uow_factory, client, target, report, lease_seconds, clock):
            break
        token = secrets.token_hex(16)
        now = clock()
        with uow_factory() as uow:
            batch = uow.dsa.claim(target=target, now=now, limit=size, token=token,
                                  lease_until=now + timedelta(seconds=lease_seconds))
            uow.commit()
        if not batch:
            break
        report.batches += 1
        reply = client.post_statements([s.body for s in batch])
        wait = _delay(backoff, failures + 1, reply.retry_after)
        outcome = _settle(uow_factory, batch, reply, token=token, report=report, wait=wait, clock=clock)
        if outcome == "ok":
            failures = 0
            continue
        if outcome == "stop":
            break
        failures += 1  # a transient failure: retried after a pause, up to `retries` times in this run
        if failures > retries:
            report.stopped = report.stopped or (f"the Transparency Database did not take a batch {failures} times "
                                                f"in a row (last: {_said(reply)}); the next run retries")
            break
        report.retries += 1
        sleep(wait)
    with uow_factory() as uow:
        report.counts = uow.dsa.counts(target)
        due = uow.dsa.next_due(target)
        report.next_attempt_at = due.isoformat() if due else None
    return report


def _said(reply: TdbReply) -> str:
    if reply.status is None:
        return f"no answer: {reply.error or 'connection failed'}"
    body = reply.body if isinstance(reply.body, Mapping) else {}
    said = body.get("errors") or body.get("message")
    detail = reply.error or (said if isinstance(said, str) else _field_errors(said) if said else "")
    return f"HTTP {reply.status}" + (f": {detail}" if detail else "")


def _settle(uow_factory: Callable[[], AbstractUnitOfWork], batch: Sequence[Any], reply: TdbReply, *, token: str,
            report: SubmitReport, wait: float, clock: Callable[[], datetime]) -> str:
    """Record a batch's outcome; "ok" (go on), "retry" (a transient failure: due again after `wait` seconds) or
    "stop"."""
    ids = [s.id for s in batch]
    by_puid = {s.puid: s.id for s in batch}
    now = clock()
    status, body = reply.status, reply.body if isinstance(reply.body, Mapping) else {}
    with uow_factory() as uow:
        repo = uow.dsa
        if status in (200, 201):
            uuids = {by_puid[x["puid"]]: str(x.get("uuid")) for x in body.get("statements") or []
                     if isinstance(x, Mapping) and x.get("puid") in by_puid and x.get("uuid")}
            report.submitted += repo.settle(ids, token=token, state="submitted", now=now, tdb_uuids=uuids)
            outcome = "ok"
        elif status == 422 and isinstance(body.get("errors"), Mapping):
            errors = body["errors"]
            existing = {str(p) for p in errors.get("existing_puids") or []}
            if isinstance(body.get("existing"), Mapping) and body["existing"].get("puid"):
                existing.add(str(body["existing"]["puid"]))
            refused = {i: errors[f"statement_{i}"] for i in range(len(batch)) if f"statement_{i}" in errors}
            dup_ids = [by_puid[p] for p in existing if p in by_puid]
            if dup_ids:
                report.duplicates += repo.settle(dup_ids, token=token, state="submitted", now=now,
                                                 message="the Transparency Database already had this puid")
            for i, errs in refused.items():
                message = _field_errors(errs)
                repo.settle([batch[i].id], token=token, state="refused", now=now, message=message)
                report.refused.append((batch[i].puid, message))
            rest = [i for i in ids if i not in dup_ids and i not in {batch[j].id for j in refused}]
            if dup_ids or refused:  # the whole request was refused for these: the others go in the next one
                repo.settle(rest, token=token, state="pending", now=now, attempts_back=True)
                outcome = "ok"
            else:
                message = f"HTTP 422: {_field_errors(errors)}"
                repo.settle(rest, token=token, state="pending", now=now, message=message, attempts_back=True)
                report.stopped = message
                outcome = "stop"
        elif status in (401, 403):
            repo.settle(ids, token=token, state="pending", now=now, attempts_back=True,
                        message=f"HTTP {status}: the token was refused")
            report.stopped = f"the Transparency Database refused the token (HTTP {status}): check KLEAN_DSA_TDB_TOKEN"
            outcome = "stop"
        elif status is None:
            # No answer: the database may have taken the batch. Left in doubt, looked up before any resend.
            repo.settle(ids, token=token, state="sending", now=now, lease_until=now, message=_said(reply))
            outcome = "retry"
        elif status == 429 or status >= 500:  # "not created" (API documentation): sent again after a pause
            repo.settle(ids, token=token, state="pending", now=now, message=_said(reply),
                        next_attempt_at=now + timedelta(seconds=wait))
            outcome = "retry"
        else:
            repo.settle(ids, token=token, state="pending", now=now, attempts_back=True, message=_said(reply))
            report.stopped = f"the Transparency Database answered {_said(reply)}"
            outcome = "stop"
        uow.commit()
    return outcome


def outbox_status(*, uow: AbstractUnitOfWork, target: str, limit: int = 20) -> dict[str, Any]:
    """What is submitted, refused (with the database's message), invalid (with Klean's) and pending for target."""
    with uow:
        counts = uow.dsa.counts(target)
        refused = [s.as_dict() for s in uow.dsa.list(target=target, states=["refused"], limit=limit)]
        invalid = [s.as_dict() for s in uow.dsa.list(target=target, states=["invalid"], limit=limit)]
        waiting = [s.as_dict() for s in uow.dsa.list(target=target, states=["pending", "sending"], limit=limit)]
        due = uow.dsa.next_due(target)
    return {"target": target, "counts": counts, "pending": counts.get("pending", 0) + counts.get("sending", 0),
            "next_attempt_at": due.isoformat() if due else None, "refused": refused, "invalid": invalid,
            "waiting": waiting}
