"""Transparency over HTTP: the public report (JSON, CSV, HTML with charts) and statements of reasons (admins)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from klean.adapters import transparency_render as render
from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.domain import dsa
from klean.services import dsa as dsa_service
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
def statements(request: Request, uow: UowDep, principal: PrincipalDep, app: AppDep, start: From, end: To = None,
               format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
               territory: Annotated[str | None, Query(max_length=200, description="e.g. DE,FR, or EU (default EEA)")]
               = None,
               page: Annotated[int, Query(ge=1, le=1_000_000, description="JSON: 100 statements a page")] = 1,
               ) -> Any:
    """DSA Transparency Database statements of reasons, one per action (admins and reviewers).

    JSON is the body the database's bulk endpoint takes, `{"statements": [...]}` with 1 to 100 statements (a page;
    the `Link` header names the next one, `X-Total-Count` counts them all). Each is checked against the database's
    rules first: one it would refuse is left out and listed under `refused` with why (never silently), and
    `X-Klean-Refused-Count` counts them. CSV holds every valid statement with how to contest it (`redress`)."""
    built = dsa_service.export_statements(uow=uow, principal=principal, start=start, end=end or _today(),
                                          territorial_scope=territory, base_url=app.settings.public_url)
    valid = [s for s in built if not s.problems]
    refused = [{"puid": s.puid, "event_seq": s.event_seq, "problems": list(s.problems)} for s in built if s.problems]
    headers = {"X-Total-Count": str(len(valid)), "X-Klean-Refused-Count": str(len(refused))}
    if format == "csv":
        return Response(render.statements_csv([{**s.body, "redress": s.redress} for s in valid]),
                        media_type="text/csv; charset=utf-8",
                        headers={**headers,
                                 "Content-Disposition": 'attachment; filename="klean-statements-of-reasons.csv"'})
    size = dsa.BATCH_MAX
    chunk = valid[(page - 1) * size:page * size]
    if page * size < len(valid):
        headers["Link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
    body: dict[str, Any] = {"statements": [s.body for s in chunk]}
    if refused:
        body["refused"] = refused  # the bulk endpoint reads `statements` only
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json", headers=headers)
