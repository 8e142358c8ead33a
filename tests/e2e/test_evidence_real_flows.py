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
    sors = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin).json()
    sources = sorted(s["source_type"] for s in sors if "decision_visibility" in s)
    assert sources == ["SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER"]
