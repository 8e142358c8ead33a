"""Evidence packages and transparency figures over the events the real features record, through the API.

Samsung files a notice on a fake Galaxy S24 Ultra; a reviewer upholds it; the seller counter-notices and the
listing comes back when the window passes. A trusted partner of Chanel takes a flap bag down on receipt; the
after-the-fact review finds a boutique receipt and puts it back. Then Samsung downloads its case package and the
public report counts what happened.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from klean.adapters import evidence_package
from klean.bootstrap import App
from klean.domain.listing import Listing, Money
from klean.domain.policy_file import PolicyDocument
from klean.domain.registry import Brand

MakeUser = Callable[..., dict[str, str]]


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        return "250 OK"


@pytest.fixture
def relay(klean_app: App) -> Iterator[None]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    klean_app.settings.smtp_relay_port = port
    try:
        yield
    finally:
        controller.stop()


def _notice(brand: str, listing: str, name: str, email: str, reg: str, why: str) -> dict[str, Any]:
    return {"brand_id": brand, "notifier_name": name, "notifier_email": email,
            "right": {"kind": "trademark", "registration_number": reg, "office": "KIPO"}, "listings": [listing],
            "explanation": why, "good_faith": True, "accurate": True, "signature": name}


def _decide(client: TestClient, reviewer: dict[str, str], case_id: int, decision: str, reason: str) -> None:
    items = client.get("/v1/review/queue", params={"kind": "notice"}, headers=reviewer).json()
    item = next(i for i in items if i["subject_id"] == str(case_id))
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": decision, "reason": reason})
    assert r.status_code == 200, r.text


def test_case_package_and_report_from_real_flows(client: TestClient, klean_app: App, make_user: MakeUser,
                                                 relay: None) -> None:
    from klean.services import notices

    assert klean_app.settings.signing_key_path is not None
    evidence_package.keygen(klean_app.settings.signing_key_path)
    with klean_app.uow_factory() as uow:
        uow.brands.add(Brand(id="samsung", name="Samsung", marks=("Samsung", "삼성"), owner="samsung-electronics"))
        uow.brands.add(Brand(id="chanel", name="Chanel", marks=("Chanel", "샤넬"), owner="chanel-sas"))
        uow.listings.upsert(Listing(id="cp-1001", title="삼성 갤럭시 S24 울트라 정품 미개봉 특가",
                                    price=Money.of(390_000, "KRW"), seller_id="seoul-deals", category="phones"))
        uow.listings.upsert(Listing(id="cp-2001", title="샤넬 클래식 플랩백 미러급 1:1",
                                    price=Money.of(350_000, "KRW"), seller_id="mirror-lux", category="bags"))
        uow.commit()
    sections = dict(klean_app.policy.sections)
    sections["notices"] = {**sections.get("notices", {}), "trusted_min_decided": 1}
    klean_app.policy = PolicyDocument(version=f"{klean_app.policy.version}-test", sections=sections)

    samsung = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    chanel_partner = make_user("brandshield-kr", "trusted_partner", org="chanel-sas")
    reviewer = make_user("rev-minji", "reviewer")
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    admin = make_user("ada", "admin")

    r = client.post("/v1/notices", headers=samsung, json=_notice(
        "samsung", "cp-1001", "Kim Ji-won", "ip@samsung.example", "40-0789123",
        "Sold as a genuine Galaxy S24 Ultra at 23% of the reference price, with a fake IMEI label."))
    assert r.status_code == 201, r.text
    samsung_case = r.json()["cases"][0]["case_id"]
    _decide(client, reviewer, samsung_case, "uphold", "Fake IMEI label and 23% of reference price")
    r = client.post(f"/v1/cases/{samsung_case}/counter-notice", headers=seller,
                    json={"reasons": "Bought from Samsung's Korean distributor; invoice SEC-2026-0412 attached."})
    assert r.status_code == 201, r.text
    with klean_app.uow_factory() as uow:
        counter = uow.cases.pending_counter_notice(samsung_case)
    notices.process_counter_notice_deadlines(uow=klean_app.uow_factory(), policy=notices.notice_policy(
        klean_app.policy), now=counter.deadline_at + timedelta(seconds=1))

    r = client.post("/v1/notices", headers=chanel_partner, json=_notice(
        "chanel", "cp-2001", "BrandShield Korea", "takedowns@brandshield.example", "40-0123456",
        "Mirror-grade 1:1 Chanel Classic Flap at 2% of the boutique price; quilting and CC lock do not match."))
    assert r.status_code == 201 and r.json()["trusted"] is True
    chanel_case = r.json()["cases"][0]["case_id"]
    _decide(client, reviewer, chanel_case, "reject", "Seller showed a Chanel boutique receipt; genuine pre-owned")

    # Samsung's package of its own case: verifiable, the whole story in it, Chanel's case not.
    r = client.get(f"/v1/evidence/cases/{samsung_case}?lang=ko", headers=samsung)
    assert r.status_code == 200, r.text
    assert evidence_package.verify_zip(r.content).ok
    files, _ = evidence_package.read_zip(r.content)
    events = [json.loads(line) for line in files["events.jsonl"].decode().splitlines()]
    full = {e["type"] for e in events if not e.get("redacted")}
    assert {"notice.received", "case.received", "case.actioned", "listing.removed", "case.countered",
            "case.restored", "listing.restored"} <= full
    assert not any(e.get("subject_id") == str(chanel_case) and e.get("subject_type") == "case" for e in events)
    assert "갤럭시 S24" in files["summary.html"].decode()
    assert any(p.startswith("snapshots/cp-1001/") for p in files)
    case_record = json.loads(files["records/case_records.json"])[0]  # read through the cases repository
    assert case_record["listing_id"] == "cp-1001" and case_record["state"] == "restored"
    assert json.loads(files["records/notice_records.json"])[0]["notifier_name"] == "Kim Ji-won"
    assert client.get(f"/v1/evidence/cases/{chanel_case}", headers=samsung).status_code == 403

    # The public report counts both lanes, the counter-notice that restored, and the trusted-lane reversal.
    day = datetime.now(UTC).date().isoformat()
    report = client.get(f"/v1/transparency/report?from={day}&to={day}").json()
    assert report["by_source"]["rights_holder_notice"]["taken_down_after"] == 1
    assert report["by_source"]["trusted_lane"]["taken_down_after"] == 1
    assert report["listings"]["restored"] == 2
    assert report["notices"] == {"received": 2, "cases_opened": 2}
    assert report["counter_notices"]["filed"] == 1 and report["counter_notices"]["restored"] == 1
    assert report["time_to_action_hours"]["cases"] == 2
    sors = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin).json()["statements"]
    sources = sorted(s["source_type"] for s in sors if "decision_visibility" in s)
    assert sources == ["SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER"]


SCREEN_REGISTRY: dict[str, Any] = {
    "brands": [
        {"id": "chanel", "name": "Chanel", "owner": "Chanel S.A.", "marks": ["Chanel", "CHANEL", "샤넬"],
         "products": [{"id": "chanel.cf", "name": "Classic 11.12 Handbag (Medium)", "aliases": ["클래식 플랩"],
                       "category": "bags", "reference_price": {"amount": 15570000, "currency": "KRW"}}]},
        {"id": "samsung", "name": "Samsung Electronics", "owner": "Samsung Electronics",
         "marks": ["Samsung", "삼성", "Galaxy", "갤럭시"],
         "products": [{"id": "samsung.watch6", "name": "Galaxy Watch6 40mm", "aliases": ["갤럭시 워치6"],
                       "category": "wearables", "reference_price": {"amount": 299000, "currency": "KRW"}}],
         "authorized_sellers": ["samsung_official"]},
    ],
    "sellers": [{"id": "samsung_official", "strikes": 0, "account_age_days": 3650},
                {"id": "dream_outlet_77", "strikes": 0, "account_age_days": 260}],
}


def test_screening_submissions_count_as_proactive_blocks(client: TestClient, klean_app: App,
                                                         make_user: MakeUser) -> None:
    from klean.services import registry

    registry.import_registry(uow=klean_app.uow_factory(), data=SCREEN_REGISTRY, actor=None)
    shop = make_user("dream", "seller", seller_id="dream_outlet_77")
    official = make_user("samsung-store", "seller", seller_id="samsung_official")
    reviewer = make_user("rui", "reviewer")
    admin = make_user("ada", "admin")
    base = {"description": "", "currency": "KRW", "condition": "new"}
    r = client.post("/v1/listings", headers=official, json={
        **base, "id": "OK1", "title": "Galaxy Watch6 40mm", "price": 299000, "seller_id": "samsung_official",
        "category": "wearables"})
    assert r.status_code == 201 and r.json()["status"] == "live", r.text
    r = client.post("/v1/listings", headers=shop, json={
        **base, "id": "HOLD1", "title": "샤넬 클래식 플랩 미디움 새상품", "price": 3900000,
        "seller_id": "dream_outlet_77", "category": "bags"})
    assert r.status_code == 201 and r.json()["status"] == "held", r.text
    r = client.post("/v1/listings", headers=shop, json={
        **base, "id": "BLOCK1", "title": "Chanel Classic Flap replica, mirror quality", "price": 390000,
        "seller_id": "dream_outlet_77", "category": "bags"})
    assert r.status_code == 201 and r.json()["status"] == "blocked", r.text
    items = client.get("/v1/review/queue", params={"kind": "screening"}, headers=reviewer).json()
    item = next(i for i in items if i["subject_id"] == "HOLD1")
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "remove", "reason": "Classic Flap at 25% of the boutique price, no receipt"})
    assert r.status_code == 200, r.text

    day = datetime.now(UTC).date().isoformat()
    report = client.get(f"/v1/transparency/report?from={day}&to={day}").json()
    assert report["listings"] == {"screened": 3, "blocked_before_live": 2, "taken_down_after": 0, "restored": 0}
    assert report["by_source"]["proactive_screening"] == {"blocked_before_live": 2, "taken_down_after": 0}
    assert report["by_brand"] == {"chanel": 2} and report["by_category"] == {"bags": 2}
    assert report["by_signal"] == {"brand_mention": 2, "price": 2, "seller": 2, "counterfeit_vocabulary": 1}
    sors = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin).json()["statements"]
    listing_sors = {s["puid"]: s for s in sors if "decision_visibility" in s}
    assert len(listing_sors) == 2
    assert sorted(s["automated_decision"] for s in listing_sors.values()) == [
        "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY"]  # the screener; a reviewer it prompted
    assert all(s["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"] for s in listing_sors.values())
