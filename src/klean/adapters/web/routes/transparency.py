"""The public transparency report with charts (SVG images served alongside, so the page needs no inline style)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from klean.adapters import transparency_render
from klean.adapters.api.deps import UowDep
from klean.adapters.web.deps import PortalPrincipal
from klean.adapters.web.templating import render, request_lang
from klean.adapters.web.views import app_of
from klean.services import transparency

router = APIRouter(prefix="/portal/transparency")
DEFAULT_DAYS = 30


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=366)), end  # at most a year: the report is computed on request


def _report(request: Request, uow: UowDep, start: date | None, end: date | None) -> dict[str, Any]:
    app = app_of(request)
    first, last = _period(start, end)
    return transparency.transparency_report(uow=uow, start=first, end=last, policy_version=app.policy.version,
                                            cache=app.extras.setdefault("transparency_reports", {}))


@router.get("", response_class=HTMLResponse)
def report(request: Request, uow: UowDep, principal: PortalPrincipal,
           start: Annotated[date | None, Query(alias="from")] = None,
           end: Annotated[date | None, Query(alias="to")] = None) -> Response:
    figures = _report(request, uow, start, end)
    lang = request_lang(request)
    labels = transparency_render.LABELS.get(lang, transparency_render.LABELS["en"])
    # Each chart's figures as a table too: a small screen cannot read a chart's labels, a screen reader none.
    buckets = transparency_render.BUCKETS.get(lang, {})
    histogram = [(buckets.get(str(b["bucket"]), str(b["bucket"])), b["count"])
                 for b in figures["time_to_action_hours"]["histogram"]]
    weeks = [(transparency_render.week_label(w["week"], lang), w) for w in figures["weekly"]]
    return render(request, "pages/transparency.html", principal=principal, r=figures,
                  period=figures["period"], labels=labels, histogram=histogram, weeks=weeks)


@router.get("/charts/{name}.svg")
def chart(request: Request, uow: UowDep, name: Annotated[str, Path(pattern="^(time_to_action|weekly_trend|sources)$")],
          start: Annotated[date | None, Query(alias="from")] = None,
          end: Annotated[date | None, Query(alias="to")] = None) -> Response:
    svg = transparency_render.charts(_report(request, uow, start, end), request_lang(request))[name]
    return Response(svg, media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "X-Content-Type-Options": "nosniff"})
