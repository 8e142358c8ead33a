"""Transparency reports and DSA statements of reasons for a period, computed from the event log."""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import date
from typing import Any

from klean.domain.auth import Principal
from klean.domain.errors import ValidationError
from klean.domain.events import Event
from klean.domain.transparency import EEA, compute_report, day_bounds
from klean.services.unit_of_work import AbstractUnitOfWork

MAX_DAYS = 3 * 366
CACHE_SIZE = 32


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationError("--to is before --from", field="to")
    if (end - start).days > MAX_DAYS:
        raise ValidationError(f"a report covers at most {MAX_DAYS} days", field="to")


def _events_and_snapshots(uow: AbstractUnitOfWork) -> tuple[list[Event], dict[str, Mapping[str, Any]]]:
    # The whole log is read: time to action needs notices filed before the period, and events carry no index
    # by "kind". Fine to millions of events; beyond that a materialised daily rollup is the next step.
    events = uow.events.range()
    ids = {(e.payload or {}).get("snapshot_id") for e in events} - {None}
    snaps = {str(s.id): s.content for s in uow.evidence.snapshots_by_id(str(i) for i in ids)}
    return events, snaps


def transparency_report(*, uow: AbstractUnitOfWork, start: date, end: date, policy_version: str | None = None,
                        cache: MutableMapping[Any, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Compute the public transparency report for the days start..end (both included, UTC).

    With `cache`, a report is reused until the event log grows: the page is public, the computation reads the log.
    """
    _check_period(start, end)
    lo, hi = day_bounds(start, end)
    with uow:
        key = (start, end, policy_version, uow.evidence.head_seq())
        if cache is not None and key in cache:
            return copy.deepcopy(cache[key])
        events, snaps = _events_and_snapshots(uow)
    report = compute_report(events, start=lo, end=hi, snapshots=snaps)
    report["period"] = {"from": start.isoformat(), "to": end.isoformat(), "timezone": "UTC"}
    report["policy_version"] = policy_version
    if cache is not None:
        if len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = copy.deepcopy(report)
    return report


def statements_of_reasons_export(*, uow: AbstractUnitOfWork, principal: Principal | None, start: date, end: date,
                                 territorial_scope: Sequence[str] | str | None = EEA,
                                 base_url: str = "") -> list[dict[str, Any]]:
    """Export one DSA Transparency Database statement of reasons per action taken in the period (admins and
    reviewers), each with `redress` (how to contest it, under `base_url`) and, when the database would refuse it,
    `problems`. klean.services.dsa.export_statements gives them checked, for writing."""
    from klean.services import dsa

    return [{**s.body, "redress": s.redress, **({"problems": list(s.problems)} if s.problems else {})}
            for s in dsa.export_statements(uow=uow, principal=principal, start=start, end=end,
                                           territorial_scope=territorial_scope, base_url=base_url)]
