"""Transparency figures from hand-timed events: percentiles, histogram, weekly trend, DSA records, safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from klean.adapters.transparency_render import charts, report_csv, report_html, safe_cell, statements_csv
from klean.domain.events import Event
from klean.domain.transparency import (
    TDB_FIELDS,
    compute_report,
    day_bounds,
    nearest_rank,
    statement_of_reasons,
    tdb_payload,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
_seq = iter(range(1, 10_000))


def ev(type: str, subject_type: str, subject_id: str, at: datetime, actor: str = "rev-kim",
       reason: str | None = None, **payload: Any) -> Event:
    return Event(seq=next(_seq), type=type, actor=actor, subject_type=subject_type, subject_id=subject_id, at=at,
                 payload=payload, reason=reason, policy_version="2026.11-1", hash="ab" * 32)


def _notice_case(case_id: str, listing_id: str, filed: datetime, hours: float, trusted: bool = False) -> list[Event]:
    return [
        ev("case.received", "case", case_id, filed, actor="chanel-legal", listing_id=listing_id, trusted=trusted),
        ev("listing.removed", "listing", listing_id, filed + timedelta(hours=hours), cause=f"case:{case_id}",
           snapshot_id=int(case_id) + 100, snapshot_sha256="cd" * 32, trusted=trusted,
           reason="1:1 mirror-grade Chanel at 1.3% of reference"),
    ]


def test_time_to_action_median_p90_and_histogram() -> None:
    events: list[Event] = []
    for i, hours in enumerate([0.5, 2, 3, 30, 100], start=1):
        events += _notice_case(str(i), f"lst-{i}", T0 + timedelta(hours=i), hours, trusted=(i == 1))
    # filed before the period, acted on inside it: counted; filed inside, acted on after: not
    events += _notice_case("6", "lst-6", T0 - timedelta(days=3), 80)
    events += _notice_case("7", "lst-7", T0 + timedelta(days=13), 48)
    start, end = day_bounds(date(2026, 11, 2), date(2026, 11, 15))
    r = compute_report(sorted(events, key=lambda e: e.seq), start=start, end=end)
    tta = r["time_to_action_hours"]
    assert tta["cases"] == 6
    hours = sorted([0.5, 2, 3, 30, 100, 80])
    assert tta["median"] == round((hours[2] + hours[3]) / 2, 2) == 16.5
    assert tta["p90"] == 100.0 == nearest_rank(hours, 0.9)
    assert [b["count"] for b in tta["histogram"]] == [1, 2, 0, 1, 2, 0]
    assert r["by_source"]["trusted_lane"]["taken_down_after"] == 1
    assert r["by_source"]["rights_holder_notice"]["taken_down_after"] == 5
    assert r["notices"]["cases_opened"] == 6  # cases 1-5 and 7 were opened inside the period
    assert [w["week"] for w in r["weekly"]] == ["2026-W45"]  # case 7 is acted on after the period


def test_statements_of_reasons_follow_the_tdb_layout() -> None:
    snapshot = {"listing": {"id": "lst-1", "title": "Nike Dunk Low Panda 레플", "price": 39000, "currency": "KRW",
                            "seller_id": "kicks_4_less", "created_at": "2026-10-30T10:00:00+00:00"},
                "score": 0.97, "evidence": [{"signal": "brand_mention", "brand_id": "nike"},
                                            {"signal": "counterfeit_vocabulary"}]}
    blocked = ev("listing.blocked", "listing", "lst-1", T0, actor="rule:screening", snapshot_id=1,
                 snapshot_sha256="ef" * 32, reason="Nike mark with replica vocabulary")
    sor = statement_of_reasons(blocked, snapshot=snapshot, territorial_scope=["DE", "FR"])
    assert sor is not None
    assert sor["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert sor["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert sor["incompatible_content_illegal"] == "Yes"
    assert (sor["source_type"], sor["automated_detection"], sor["automated_decision"]) == (
        "SOURCE_VOLUNTARY", "Yes", "AUTOMATED_DECISION_FULLY")
    assert sor["content_date"] == "2026-10-30" and sor["application_date"] == "2026-11-02"
    assert sor["territorial_scope"] == ["DE", "FR"] and sor["content_type"] == ["CONTENT_TYPE_PRODUCT"]
    assert sor["category"] == "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    assert "brand_mention" in sor["decision_facts"] and "efef" in sor["decision_facts"]
    assert set(tdb_payload(sor)) <= set(TDB_FIELDS) and "redress" in sor

    notice = _notice_case("3", "lst-3", T0, 5)[1]
    sor = statement_of_reasons(notice)
    assert sor is not None and sor["source_type"] == "SOURCE_ARTICLE_16"
    assert sor["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT" and sor["illegal_content_legal_ground"]
    assert sor["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    trusted = _notice_case("4", "lst-4", T0, 1, trusted=True)[1]
    assert statement_of_reasons(trusted)["source_type"] == "SOURCE_TRUSTED_FLAGGER"  # type: ignore[index]
    suspended = ev("enforcement.suspended", "seller", "kicks_4_less", T0, violation="test_buy_fake")
    sor = statement_of_reasons(suspended)
    assert sor is not None and sor["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert statement_of_reasons(ev("case.received", "case", "9", T0, listing_id="lst-9")) is None


def test_csv_cells_cannot_run_formulas() -> None:
    for hostile in ("=HYPERLINK(\"http://evil\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"):
        assert safe_cell(hostile).startswith("'")
    assert safe_cell("-12.5") == "-12.5" and safe_cell(3) == "3" and safe_cell("샤넬") == "샤넬"
    events = [ev("listing.blocked", "listing", "lst-x", T0, actor="rule:screening",
                 category="=cmd|' /C calc'!A0", brand_id="@evil", reason="=1+1 looked fake")]
    start, end = day_bounds(date(2026, 11, 2), date(2026, 11, 2))
    rows = list(csv.reader(io.StringIO(report_csv(compute_report(events, start=start, end=end)))))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells), cells
    assert "by_category.'=cmd|' /C calc'!A0" not in cells  # the key is in the metric name, neutralised whole
    sor_rows = list(csv.reader(io.StringIO(statements_csv([statement_of_reasons(events[0])]))))  # type: ignore[list-item]
    assert not any(c.startswith(("=", "+", "@")) for row in sor_rows for c in row)


def test_charts_are_svg_and_in_the_html() -> None:
    events = [*_notice_case("1", "lst-1", T0, 2), ev("listing.blocked", "listing", "lst-2", T0, actor="rule:x")]
    start, end = day_bounds(date(2026, 11, 2), date(2026, 11, 8))
    r = compute_report(events, start=start, end=end)
    svgs = charts(r, "ko")
    assert set(svgs) == {"time_to_action", "weekly_trend", "sources"}
    assert all(s.startswith("<svg") and s.endswith("</svg>") for s in svgs.values())
    assert "신고부터 조치까지" in svgs["time_to_action"]
    html = report_html(r, "en")
    assert html.count("<svg") == 3 and "Transparency report" in html


def test_reviewer_decisions_take_the_source_of_their_queue_item() -> None:
    events = [
        ev("listing.removed", "listing", "lst-r", T0, cause="review:41", **{"from": "live"}, snapshot_id=1),
        ev("review.decided", "review_item", "41", T0, kind="report", decision="remove"),
        ev("listing.removed", "listing", "lst-s", T0, cause="review:42", **{"from": "held"}, snapshot_id=2),
        ev("review.decided", "review_item", "42", T0, kind="screening", decision="remove"),
    ]
    start, end = day_bounds(date(2026, 11, 2), date(2026, 11, 2))
    r = compute_report(events, start=start, end=end)
    assert r["by_source"]["consumer_report"] == {"blocked_before_live": 0, "taken_down_after": 1}
    # held for review and refused: it never went live, so it is a block by proactive screening
    assert r["by_source"]["proactive_screening"] == {"blocked_before_live": 1, "taken_down_after": 0}
