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
    assert r["refunds"] == {"claimed": 3, "approved": 2, "rejected": 0, "sent_to_review": 1, "without_claim": 0,
                            "paid": 2, "paid_amount": {"KRW": "228000"}}
    assert r["consumer_reports"] == {"received": 1, "actioned": 0, "no_action": 0}
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
    # Without `from`: the last 30 days up to `to` (default today), both included.
    from datetime import timedelta

    r = client.get("/v1/transparency/report")
    assert r.status_code == 200 and r.json()["listings"]["taken_down_after"] == 5, r.text
    assert (r.json()["period"]["from"], r.json()["period"]["to"]) == (
        (_today() - timedelta(days=29)).isoformat(), day)
    assert client.get(f"/v1/transparency/report?from={day}&to=2000-01-01").status_code == 422
    assert client.get(f"/v1/transparency/statements?from={day}").status_code == 401
    consumer = make_user("jin", "consumer")
    assert client.get(f"/v1/transparency/statements?from={day}", headers=consumer).status_code == 403
    admin = make_user("ada", "admin")
    r = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin)
    assert r.status_code == 200 and len(r.json()["statements"]) == 10  # the bulk endpoint's body
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


def test_figures_from_real_histories(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    """Histories written by the features themselves, not seeded: an appeal that gives a listing back, three
    consumer reports that take one down, refund claims approved, refused and paid, and refunds after a fake."""
    from datetime import timedelta

    from klean.domain.auth import Principal, Role
    from klean.domain.refunds import Order, RefundPolicy
    from klean.services import enforcement, refunds, registry

    k = klean_app
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="gentle-monster", name="Gentle Monster",
                          marks=["Gentle Monster", "젠틀몬스터"], owner="IICOMBINED")
    with k.uow_factory() as uow:
        for lid, title, price, seller in (
                ("gm-her-02", "젠틀몬스터 HER 02 선글라스", 259000, "seoul-outlet"),
                ("ny-4410", "Nike Air Jordan 1 Chicago, UA 1:1 batch", 89000, "sneaker-vault"),
                ("ap-77", "에어팟 프로 2 미개봉", 99000, "gadget-hub")):
            uow.listings.upsert(Listing(id=lid, title=title, price=Money(Decimal(price), "KRW"), seller_id=seller),
                                status="live")
        uow.commit()

    # A reviewer finds gm-her-02 listed without authorisation; the seller appeals; another reviewer reverses.
    minji, jisoo = Principal("minji", Role.REVIEWER), Principal("jisoo", Role.REVIEWER)
    actions = enforcement.confirm_violation(uow=k.uow_factory(), principal=minji, seller_id="seoul-outlet",
                                            kind="unauthorised_listing", cause_ref="review:manual-7",
                                            listing_id="gm-her-02", brand_id="gentle-monster")
    strike = next(a for a in actions if a["kind"] == "strike")
    appeal = enforcement.file_appeal(uow=k.uow_factory(), principal=Principal("kim", Role.SELLER,
                                                                              seller_id="seoul-outlet"),
                                     action_id=strike["id"], grounds="IICOMBINED's distributor letter was on file.")
    enforcement.decide_appeal(uow=k.uow_factory(), principal=jisoo, appeal_id=appeal["id"], outcome="reverse",
                              reason="The letter is genuine (KR-DIST-0042).")

    # Three shoppers report the Jordans; a reviewer takes the listing down.
    reviewer = make_user("rev-lee", "reviewer")
    for name in ("hana", "jun", "sophie"):
        r = client.post("/v1/reports", headers=make_user(name, "consumer"),
                        json={"category": "counterfeit", "lang": "en",
                              "text": "UA 1:1 batch means an unauthorised replica: listing ny-4410"})
        assert r.status_code == 201, r.text
    item = next(i for i in client.get("/v1/review/queue", params={"kind": "report"}, headers=reviewer).json()
                if i["subject_id"] == "ny-4410")
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "remove", "reason": "Replica wording (UA 1:1 batch) at a third of retail"})
    assert r.status_code == 200, r.text

    # Refunds: one clean claim paid at once, one from a 3-day-old account refused on review; then AirPods are
    # confirmed fake and the one buyer who had not claimed is refunded without a claim.
    pol = RefundPolicy.from_section(k.policy.section("refunds"), k.policy.version)
    now = datetime.now(UTC)
    admin = Principal("marketplace-sync", Role.ADMIN)
    refunds.post_orders(uow=k.uow_factory(), principal=admin, orders=[
        Order(id=oid, listing_id="ap-77", seller_id="gadget-hub", buyer_id=buyer, amount=Decimal(99000),
              currency="KRW", purchased_at=now - timedelta(days=10), delivered_at=now - timedelta(days=8),
              buyer_since=since)
        for oid, buyer, since in (("O1", "minsu", now - timedelta(days=900)), ("O2", "newbie", now - timedelta(days=3)),
                                  ("O3", "quiet", now - timedelta(days=900)))])
    paid = refunds.claim_refund(uow=k.uow_factory(), principal=Principal("minsu", Role.CONSUMER), order_id="O1",
                                policy=pol)
    flagged = refunds.claim_refund(uow=k.uow_factory(), principal=Principal("newbie", Role.CONSUMER),
                                   order_id="O2", policy=pol)
    assert (paid.status, flagged.status) == ("approved", "review")
    refunds.decide_claim(uow=k.uow_factory(), principal=jisoo, claim_id=flagged.id, approve=False,
                         reason="The order was returned to the seller the day after delivery.", policy=pol)
    with k.uow_factory() as uow:
        opened = refunds.open_refunds_for_fake(uow=uow, listing_id="ap-77", cause_ref="testbuy:3", actor="rule:qa",
                                               policy=pol)
        uow.commit()
    assert len(opened["opened"]) == 2  # O3 (never claimed) and O2 (its claim was refused)

    r = transparency_report(uow=k.uow_factory(), start=_today(), end=_today())
    assert r["listings"]["restored"] == 1  # the appeal gave gm-her-02 back
    assert r["listings"]["taken_down_after"] == 2
    assert r["by_source"]["consumer_report"] == {"blocked_before_live": 0, "taken_down_after": 1}
    assert r["consumer_reports"] == {"received": 3, "actioned": 3, "no_action": 0}
    assert r["appeals"]["reversed"] == 1
    refunds_figures = r["refunds"]
    assert refunds_figures == {"claimed": 2, "approved": 1, "rejected": 1, "sent_to_review": 1, "without_claim": 2,
                               "paid": 3, "paid_amount": {"KRW": "297000"}}
    assert refunds_figures["approved"] + refunds_figures["rejected"] <= refunds_figures["claimed"]

    page = client.get(f"/portal/transparency?from={_today()}&to={_today()}&lang=en")
    assert page.status_code == 200 and 'id="reports-refunds"' in page.text and "refused" in page.text
