"""Transparency over HTTP: the public report (JSON, CSV, HTML with charts) and statements of reasons (admins)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from klean.adapters import transparency_render as render
from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.domain.transparency import EEA, tdb_payload
from klean.services import transparency as service

router = APIRouter(prefix="/v1", tags=["transparency"])

From = Annotated[date, Query(alias="from", description="First day (UTC), YYYY-MM-DD")]
To = Annotated[date | None, Query(alias="to", description="Last day, included (default today)")]
DEFAULT_REPORT_DAYS = 30
OptionalFrom = Annotated[date | None, Query(alias="from", description="First day (UTC), YYYY-MM-DD (default: the "
                                            f"{DEFAULT_REPORT_DAYS} days up to `to`, both included)")]


def _today() -> date:
    return datetime.now(UTC).date()


@router.get("/transparency/report", responses={200: {"content": {"application/json": {}, "text/csv": {},
                                                                 "text/html": {}}}})
def report(app: AppDep, uow: UowDep, start: OptionalFrom = None, end: To = None,
           format: Annotated[str, Query(pattern="^(json|csv|html)$")] = "json",
           lang: Annotated[str, Query(pattern="^(en|ko)$")] = "en") -> Any:
    """The public transparency report for a period (default: the last 30 days): JSON, CSV (one metric per row) or
    HTML with charts."""
    end = end or _today()
    start = start or end - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    figures = service.transparency_report(uow=uow, start=start, end=end, policy_version=app.policy.version,
                                          cache=app.extras.setdefault("transparency_reports", {}))
    if format == "csv":
        return Response(render.report_csv(figures), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="klean-transparency.csv"'})
    if format == "html":
        return HTMLResponse(render.report_html(figures, lang))
    return figures


@router.get("/transparency/statements", responses={200: {"content": {"application/json": {}, "text/csv": {}}}})
def statements(uow: UowDep, principal: PrincipalDep, app: AppDep, start: From, end: To = None,
               format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
               territory: Annotated[str | None, Query(max_length=200, description="e.g. DE,FR (default EEA)")] = None,
               ) -> Any:
    """DSA Transparency Database statements of reasons, one per action (admins and reviewers)."""
    records = service.statements_of_reasons_export(uow=uow, principal=principal, start=start, end=end or _today(),
                                                   territorial_scope=territory.split(",") if territory else EEA,
                                                   base_url=app.settings.public_url)
    if format == "csv":
        return Response(render.statements_csv(records), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="klean-statements-of-reasons.csv"'})
    return Response(json.dumps([tdb_payload(r) | {"redress": r.get("redress")} for r in records],
                               ensure_ascii=False), media_type="application/json")
