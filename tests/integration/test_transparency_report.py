"""The transparency report against a seeded fortnight whose every count is known.

The scenario, seeded through the repositories as the features record it:
- screening sees 8 listings and blocks 3 before they go live (two Nike Dunk "rep" listings, one Chanel bag);
- Chanel files 4 notices: two are upheld and taken down, one is rejected, one comes through the trusted lane and is
  taken down on receipt;
- a consumer report and a confirmed test buy take down one listing each;
- two counter-notices: one restores its listing, one is maintained;
- appeals and DSA complaints: 2 filed, 2 reversed, 2 upheld;
- refunds: 3 claimed, 2 approved, 2 paid (189,000 + 39,000 KRW);
- test buys: 3 verdicts, 2 fake;
- sellers: 1 warned (twice), 1 restricted, 1 suspended (a lifted suspension does not count).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from klean.adapters.transparency_render import charts
from klean.bootstrap import App
from klean.domain.errors import Forbidden, ValidationError
from klean.domain.listing import Listing, Money
from klean.domain.screening import Decision, ScreeningResult
from klean.services.transparency import statements_of_reasons_export, transparency_report

LISTINGS = {
    # id: (title, price KRW, seller, category, brand, signals)
    "dunk-1": ("나이키 덩크 로우 판다 레플 1:1", 39000, "kicks_4_less", "shoes", "nike",
               ["brand_mention", "counterfeit_vocabulary"]),
    "dunk-2": ("Nike Dunk Low Panda rep batch", 42000, "kicks_4_less", "shoes", "nike", ["brand_mention", "price"]),
    "flap-1": ("샤넬 클래식 플랩백 미러급", 189000, "luxe_outlet_77", "bags", "chanel", ["brand_mention", "price"]),
    "flap-2": ("CHANEL 클래식 플랩 정품급 S급", 210000, "luxe_outlet_77", "bags", "chanel", ["brand_mention"]),
    "flap-3": ("샤넬 보이백 미러", 250000, "luxe_outlet_77", "bags", "chanel", ["brand_mention"]),
    "flap-4": ("Chanel 2.55 reissue 1:1", 300000, "bag_heaven", "bags", "chanel", ["brand_mention"]),
    "flap-5": ("샤넬 WOC 정품급", 150000, "bag_heaven", "bags", "chanel", ["brand_mention"]),
    "jordan-1": ("조던 1 시카고 정품급", 59000, "kicks_4_less", "shoes", "nike", ["brand_mention", "price"]),
}


def _seed(app: App) -> None:
    with app.uow_factory() as uow:
        ev = uow.events.append

        def take(listing_id: str, status: str, why: str, type: str, actor: str, **payload: Any) -> None:
            snap = uow.listings.set_status(listing_id, status, cause=why)
            ev(type=type, actor=actor, subject_type="listing", subject_id=listing_id,
               payload={"snapshot_id": snap.id, "snapshot_sha256": snap.sha256, **payload},
               reason=f"{type} ({why})")

        for lid, (title, price, seller, category, brand, signals) in LISTINGS.items():
            uow.listings.upsert(Listing(id=lid, title=title, price=Money(Decimal(price), "KRW"), seller_id=seller,
                                        category=category), status="held")
            evidence = [{"signal": s, "brand_id": brand, "weight": 0.5} for s in signals]
            uow.listings.record_screening(lid, ScreeningResult(lid, 0.9, Decision.REVIEW, (), "2026.11-1"), evidence,
                                          [brand])
            ev(type="listing.screened", actor="rule:screening", subject_type="listing", subject_id=lid,
               payload={"score": 0.9, "decision": "review"})
        for lid in ("dunk-1", "dunk-2", "flap-1"):
            take(lid, "blocked", "screening", "listing.blocked", "rule:screening")
        for lid in ("flap-2", "flap-3", "flap-4", "flap-5", "jordan-1"):
            uow.listings.set_status(lid, "live", cause="review")

        for case_id, lid, trusted in (("1", "flap-2", False), ("2", "flap-3", False), ("3", "flap-4", False),
                                      ("4", "flap-5", True)):
            ev(type="notice.received", actor="chanel-legal", subject_type="notice", subject_id=case_id,
               payload={"brand_id": "chanel", "listings": [lid]})
            ev(type="case.received", actor="chanel-legal", subject_type="case", subject_id=case_id,
               payload={"notice_id": int(case_id), "listing_id": lid, "trusted": trusted})
        for case_id, lid, trusted in (("1", "flap-2", False), ("2", "flap-3", False), ("4", "flap-5", True)):
            ev(type="case.actioned", actor="rev-kim", subject_type="case", subject_id=case_id,
               payload={"from": "under_review", "to": "actioned", "listing_id": lid})
            take(lid, "removed", f"case:{case_id}", "listing.removed", "rev-kim", cause=f"case:{case_id}",
                 trusted=trusted)
        ev(type="case.rejected", actor="rev-kim", subject_type="case", subject_id="3",
           payload={"from": "under_review", "to": "rejected", "listing_id": "flap-4"})

        ev(type="report.received", actor="consumer:anonymous", subject_type="report", subject_id="R-2026-0001",
           payload={"listing_id": "jordan-1", "category": "counterfeit"})
        take("jordan-1", "removed", "report:R-2026-0001", "listing.removed", "rev-lee",
             cause_ref="report:R-2026-0001")
        for pick, verdict in (("7", "fake"), ("8", "fake"), ("9", "genuine")):
            ev(type="qa.verdict", actor="inspector-park", subject_type="test_buy", subject_id=pick,
               payload={"verdict": verdict, "listing_id": "flap-4"})
        take("flap-4", "removed", "testbuy:7", "listing.removed", "chanel-legal", cause_ref="testbuy:7")

        ev(type="case.countered", actor="luxe_outlet_77", subject_type="case", subject_id="1",
           payload={"from": "actioned", "to": "countered", "listing_id": "flap-2"})
        ev(type="case.restored", actor="rule:counter_notice", subject_type="case", subject_id="1",
           payload={"from": "countered", "to": "restored", "listing_id": "flap-2"})
        take("flap-2", "live", "case:1", "listing.restored", "rule:counter_notice", cause="case:1")
        ev(type="case.countered", actor="luxe_outlet_77", subject_type="case", subject_id="2",
           payload={"from": "actioned", "to": "countered", "listing_id": "flap-3"})
        ev(type="case.closed", actor="rev-kim", subject_type="case", subject_id="2",
           payload={"from": "countered", "to": "closed", "listing_id": "flap-3"}, reason="court action shown")

        for t in ("appeal.filed", "appeal.filed", "appeal.reversed", "appeal.upheld"):
            ev(type=t, actor="rev-choi", subject_type="seller", subject_id="kicks_4_less", payload={"appeal_id": 1})
        ev(type="complaint.granted", actor="rev-choi", subject_type="complaint", subject_id="1",
           payload={"case_id": 3})
        ev(type="complaint.denied", actor="rev-choi", subject_type="complaint", subject_id="2",
           payload={"case_id": 2})

        for claim in ("1", "2", "3"):
            ev(type="refund.claimed", actor="buyer-jin", subject_type="refund_claim", subject_id=claim,
               payload={"order_id": f"ord-{claim}"})
        for claim, amount in (("1", "189000"), ("2", "39000")):
            ev(type="refund.approved", actor="rule:refunds", subject_type="refund_claim", subject_id=claim)
            ev(type="refund.paid", actor="rule:refunds", subject_type="refund_claim", subject_id=claim,
               payload={"amount": amount, "currency": "KRW"})
        ev(type="refund.queued", actor="rule:refunds", subject_type="refund_claim", subject_id="3")

        ev(type="enforcement.warning", actor="rule:ladder", subject_type="seller", subject_id="bag_heaven")
        ev(type="enforcement.warning", actor="rule:ladder", subject_type="seller", subject_id="bag_heaven")
        ev(type="enforcement.restricted", actor="rule:ladder", subject_type="seller", subject_id="luxe_outlet_77")
        ev(type="enforcement.suspended", actor="rule:ladder", subject_type="seller", subject_id="kicks_4_less")
        ev(type="enforcement.suspension_lifted", actor="rev-choi", subject_type="seller", subject_id="kicks_4_less")
        ev(type="enforcement.warning_withdrawn", actor="rev-choi", subject_type="seller", subject_id="jordan_king")
        ev(type="user.created", actor="operator", subject_type="user", subject_id="rev-kim")
        uow.commit()


@pytest.fixture
def seeded(klean_app: App) -> App:
    _seed(klean_app)
    return klean_app


def _today() -> Any:
    return datetime.now(UTC).date()


def test_figures_match_the_seeded_scenario(seeded: App) -> None:
    r = transparency_report(uow=seeded.uow_factory(), start=_today(), end=_today(), policy_version="2026.11-1")
    assert r["listings"] == {"screened": 8, "blocked_before_live": 3, "taken_down_after": 5, "restored": 1}
    src = {k: (v["blocked_before_live"], v["taken_down_after"]) for k, v in r["by_source"].items()}
    assert src == {"proactive_screening": (3, 0), "rights_holder_notice": (0, 2), "trusted_lane": (0, 1),
                   "consumer_report": (0, 1), "test_buy": (0, 1), "other": (0, 0)}
    assert r["by_brand"] == {"chanel": 5, "nike": 3}
    assert r["by_category"] == {"bags": 5, "shoes": 3}
    assert r["by_signal"] == {"brand_mention": 8, "price": 3, "counterfeit_vocabulary": 1}
    assert r["notices"] == {"received": 4, "cases_opened": 4}
    tta = r["time_to_action_hours"]
    assert tta["cases"] == 3 and tta["median"] is not None and tta["median"] < 1
    assert tta["histogram"][0] == {"bucket": "< 1 h", "count": 3}
    assert r["counter_notices"] == {"filed": 2, "restored": 1, "maintained": 1, "reversal_rate": 0.5}
    assert r["appeals"] == {"filed": 2, "reversed": 2, "upheld": 2, "reversal_rate": 0.5}
    assert r["refunds"] == {"claimed": 3, "approved": 2, "paid": 2, "paid_amount": {"KRW": "228000"}}
    assert r["test_buys"] == {"verdicts": 3, "fake": 2, "hit_rate": 0.6667, "by_verdict": {"fake": 2, "genuine": 1}}
    assert r["sellers"] == {"warned": 1, "restricted": 1, "suspended": 1}
    assert sum(w["blocked"] + w["removed"] for w in r["weekly"]) == 8
    svgs = charts(r)
    assert "<rect" in svgs["sources"] and ">3<" in svgs["sources"]


def test_nothing_outside_the_period(seeded: App) -> None:
    from datetime import date

    r = transparency_report(uow=seeded.uow_factory(), start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert r["listings"] == {"screened": 0, "blocked_before_live": 0, "taken_down_after": 0, "restored": 0}
    with pytest.raises(ValidationError):
        transparency_report(uow=seeded.uow_factory(), start=date(2025, 2, 1), end=date(2025, 1, 31))


def test_statements_of_reasons_one_per_action(seeded: App) -> None:
    records = statements_of_reasons_export(uow=seeded.uow_factory(), principal=None, start=_today(), end=_today(),
                                           territorial_scope=["de", "FR"])
    listing_actions = [r for r in records if "decision_visibility" in r]
    assert len(listing_actions) == 8  # 3 blocks + 5 takedowns; the restoration is not a restriction
    assert [r for r in records if r.get("decision_account")] and [r for r in records if r.get("decision_provision")]
    assert len(records) == 10 and len({r["puid"] for r in records}) == 10
    assert all(r["territorial_scope"] == ["DE", "FR"] for r in records)
    from klean.domain.auth import Principal, Role

    with pytest.raises(Forbidden):
        statements_of_reasons_export(uow=seeded.uow_factory(), principal=Principal("c", Role.CONSUMER),
                                     start=_today(), end=_today())


def test_api_serves_json_csv_html_and_guards_statements(seeded: App, client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    day = _today().isoformat()
    r = client.get(f"/v1/transparency/report?from={day}&to={day}")
    assert r.status_code == 200 and r.json()["listings"]["taken_down_after"] == 5
    r = client.get(f"/v1/transparency/report?from={day}&to={day}&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = dict(csv.reader(io.StringIO(r.text)))
    assert rows["listings.blocked_before_live"] == "3" and rows["refunds.paid_amount.KRW"] == "228000"
    r = client.get(f"/v1/transparency/report?from={day}&to={day}&format=html&lang=ko")
    assert r.status_code == 200 and r.text.count("<svg") == 3 and "투명성 보고서" in r.text
    assert client.get("/v1/transparency/report?from=yesterday").status_code == 422
    assert client.get(f"/v1/transparency/report?from={day}&to=2000-01-01").status_code == 422
    assert client.get(f"/v1/transparency/statements?from={day}").status_code == 401
    consumer = make_user("jin", "consumer")
    assert client.get(f"/v1/transparency/statements?from={day}", headers=consumer).status_code == 403
    admin = make_user("ada", "admin")
    r = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin)
    assert r.status_code == 200 and len(r.json()) == 10
    r = client.get(f"/v1/transparency/statements?from={day}&to={day}&territory=Germany", headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "territorial_scope"
    r = client.get(f"/v1/transparency/statements?from={day}&to={day}&format=csv&territory=DE,FR", headers=admin)
    assert r.status_code == 200 and len(list(csv.reader(io.StringIO(r.text)))) == 11


def test_cli_report_and_statements(seeded: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from klean.adapters.cli import app as cli
    from klean.config import get_settings

    monkeypatch.setenv("KLEAN_DATABASE_URL", str(seeded.engine.url.render_as_string(hide_password=False)))
    get_settings.cache_clear()
    try:
        day = _today().isoformat()
        out = tmp_path / "report.html"
        result = CliRunner().invoke(cli, ["report", "transparency", "--from", day, "--to", day, "--format", "html",
                                          "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text().count("<svg") == 3
        result = CliRunner().invoke(cli, ["report", "transparency", "--from", day, "--to", day])
        assert result.exit_code == 0 and json.loads(result.stdout)["listings"]["blocked_before_live"] == 3
        result = CliRunner().invoke(cli, ["report", "statements", "--from", day, "--to", day])
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == 10
        assert "redress" not in result.stdout  # the submission body holds TDB API fields only
        result = CliRunner().invoke(cli, ["report", "transparency", "--from", "last week"])
        assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    finally:
        get_settings.cache_clear()


def test_a_cached_report_lasts_until_the_log_grows(seeded: App) -> None:
    cache: dict[Any, dict[str, Any]] = {}
    first = transparency_report(uow=seeded.uow_factory(), start=_today(), end=_today(), cache=cache)
    first["listings"]["blocked_before_live"] = 999  # callers get copies: the cache is not theirs to change
    again = transparency_report(uow=seeded.uow_factory(), start=_today(), end=_today(), cache=cache)
    assert again["listings"]["blocked_before_live"] == 3 and len(cache) == 1
    with seeded.uow_factory() as uow:
        snap = uow.listings.set_status("flap-5", "blocked", cause="screening")
        uow.events.append(type="listing.blocked", actor="rule:screening", subject_type="listing",
                          subject_id="flap-5", payload={"snapshot_id": snap.id, "snapshot_sha256": snap.sha256})
        uow.commit()
    fresh = transparency_report(uow=seeded.uow_factory(), start=_today(), end=_today(), cache=cache)
    assert fresh["listings"]["blocked_before_live"] == 4 and len(cache) == 2


def test_the_portal_gets_figures_and_charts_in_one_call(seeded: App) -> None:
    from klean.adapters.transparency_render import for_period

    report, svgs = for_period(seeded, _today(), _today(), "ko")
    assert report["listings"]["taken_down_after"] == 5
    assert set(svgs) == {"time_to_action", "weekly_trend", "sources"} and "경로별" in svgs["sources"]
