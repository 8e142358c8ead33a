"""Takedown notices end to end through the API: completeness, dedup, review, the trusted lane and its accuracy,
counter-notices that restore a listing, court action, complaints (DSA Art. 20), misuse, idempotency, 4xx."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from klean.adapters.api.schemas_notices import NoticeIn
from klean.bootstrap import App
from klean.domain.errors import Conflict
from klean.domain.listing import Listing, Money
from klean.domain.policy_file import PolicyDocument
from klean.domain.registry import Brand, Product
from klean.services import notices, review

SAMSUNG_URL = "https://www.coupang.example/vp/products/7264582"

MakeUser = Callable[..., dict[str, str]]


class MailSink:
    """A real SMTP server standing in for the outbound relay; keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def relay(klean_app: App) -> Iterator[MailSink]:
    sink = MailSink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    klean_app.settings.smtp_relay_port = port
    try:
        yield sink
    finally:
        controller.stop()


def seed(app: App) -> None:
    """Samsung and Chanel in the registry; a Seoul reseller's suspiciously cheap listings."""
    with app.uow_factory() as uow:
        uow.brands.add(Brand(id="samsung", name="Samsung", marks=("Samsung", "삼성", "三星"),
                             owner="samsung-electronics",
                             products=(Product(id="samsung.s24u", brand_id="samsung", name="Galaxy S24 Ultra",
                                               reference_price=Money.of(1_698_400, "KRW"),
                                               aliases=("갤럭시 S24 울트라",), category="phones"),)))
        uow.brands.add(Brand(id="chanel", name="Chanel", marks=("Chanel", "샤넬"), owner="chanel-sas"))
        for lid, title, price, seller, url in [
            ("cp-1001", "삼성 갤럭시 S24 울트라 정품 미개봉 특가", 390_000, "seoul-deals", None),
            ("cp-1002", "Galaxy S24 Ultra 512GB copy grade AAA", 250_000, "seoul-deals", SAMSUNG_URL),
            ("cp-2001", "샤넬 클래식 플랩백 미러급 1:1", 350_000, "mirror-lux", None),
            ("cp-2002", "Chanel Boy bag replica, 정품급 가죽", 420_000, "mirror-lux", None),
        ]:
            uow.listings.upsert(Listing(id=lid, title=title, price=Money.of(price, "KRW"), seller_id=seller,
                                        url=url))
        uow.commit()


def notice_body(brand: str = "samsung", listings: list[str] | None = None, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "brand_id": brand,
        "notifier_name": "Kim Ji-won, Samsung Electronics IP team" if brand == "samsung" else "BrandShield Korea",
        "notifier_email": "ip@samsung.example" if brand == "samsung" else "takedowns@brandshield.example",
        "right": {"kind": "trademark", "registration_number": "40-0789123" if brand == "samsung" else "40-0123456",
                  "office": "KIPO"},
        "listings": listings if listings is not None else ["cp-1001"],
        "explanation": "The listing sells a phone as a genuine Galaxy S24 Ultra at 23% of the reference price; "
                       "the box shows a fake IMEI label and the seller is not an authorised reseller.",
        "good_faith": True, "accurate": True, "signature": "Kim Ji-won",
    }
    body.update(over)
    return body


def claim_and_decide(client: TestClient, reviewer: dict[str, str], kind: str, subject_id: str, decision: str,
                     reason: str, **extra: Any) -> dict[str, Any]:
    items = client.get("/v1/review/queue", params={"kind": kind}, headers=reviewer).json()
    item = next(i for i in items if i["subject_id"] == subject_id)
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": decision, "reason": reason, **extra})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def listing_status(app: App, listing_id: str) -> str:
    with app.uow_factory() as uow:
        return uow.listings.require(listing_id).status  # type: ignore[no-any-return]


def event_types(app: App, subject_type: str, subject_id: str) -> list[str]:
    with app.uow_factory() as uow:
        return [e.type for e in uow.events.for_subject(subject_type, subject_id)]


def with_policy(app: App, **overrides: Any) -> None:
    sections = dict(app.policy.sections)
    sections["notices"] = {**sections.get("notices", {}), **overrides}
    app.policy = PolicyDocument(version=f"{app.policy.version}-test", sections=sections)


def test_incomplete_notice_is_answered_with_every_missing_element(client: TestClient, klean_app: App,
                                                                   make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    r = client.post("/v1/notices", headers=rh, json={"brand_id": "samsung", "listings": ["cp-1001"],
                                                      "explanation": "fake"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "incomplete_notice"
    missing = {d["field"] for d in err["details"]}
    assert missing == {"notifier_name", "notifier_email", "right.registration_number", "right.office",
                       "explanation", "good_faith", "accurate", "signature"}
    assert all(d["requirement"] for d in err["details"])
    with klean_app.uow_factory() as uow:
        assert uow.cases.list() == []  # nothing half-filed


def test_notice_opens_a_case_per_listing_dedups_and_an_upheld_case_removes_the_listing(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    r = client.post("/v1/notices", headers=rh, json=notice_body(
        listings=["cp-1001", SAMSUNG_URL, "https://www.coupang.example/vp/products/does-not-exist"]))
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["trusted"] is False
    assert [(c["listing_id"], c["state"], c["duplicate_of"]) for c in answer["cases"]] == [
        ("cp-1001", "received", None), ("cp-1002", "received", None)]
    assert answer["unresolved"] == ["https://www.coupang.example/vp/products/does-not-exist"]
    first_case = answer["cases"][0]["case_id"]

    again = client.post("/v1/notices", headers=rh, json=notice_body(listings=["cp-1001"])).json()
    assert again["cases"][0]["duplicate_of"] == first_case  # no second case while the first is open

    queue = client.get("/v1/review/queue", params={"kind": "notice"}, headers=reviewer).json()
    assert {i["subject_id"] for i in queue} == {str(c["case_id"]) for c in answer["cases"]}
    assert listing_status(klean_app, "cp-1001") == "live"  # the normal lane waits for a reviewer

    item = next(i for i in queue if i["subject_id"] == str(first_case))
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    assert client.get(f"/v1/cases/{first_case}", headers=rh).json()["state"] == "under_review"
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "uphold", "reason": "Fake IMEI label and 23% of reference price"})
    assert r.status_code == 200, r.text
    case = client.get(f"/v1/cases/{first_case}", headers=rh).json()
    assert case["state"] == "actioned" and case["outcome"] == "upheld"
    assert [t["to"] for t in case["transitions"]] == ["received", "under_review", "actioned"]
    assert all(t["at"] for t in case["transitions"]) and case["time_to_action_seconds"] >= 0
    assert listing_status(klean_app, "cp-1001") == "removed"
    with klean_app.uow_factory() as uow:
        removed = [e for e in uow.events.for_subject("listing", "cp-1001") if e.type == "listing.removed"]
    assert removed and len(removed[0].payload["snapshot_sha256"]) == 64

    # the seller sees its case, another rights holder does not
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    assert client.get(f"/v1/cases/{first_case}", headers=seller).status_code == 200
    other = make_user("chanel-ip", "rights_holder", org="chanel-sas")
    assert client.get(f"/v1/cases/{first_case}", headers=other).status_code == 404


def test_only_the_brand_owner_files_notices(client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    chanel = make_user("chanel-ip", "rights_holder", org="chanel-sas")
    r = client.post("/v1/notices", headers=chanel, json=notice_body("samsung"))
    assert r.status_code == 403 and r.json()["error"]["field"] == "brand_id"
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    assert client.post("/v1/notices", headers=seller, json=notice_body()).status_code == 403
    assert client.post("/v1/notices", json=notice_body()).status_code == 401
    r = client.post("/v1/notices", headers=chanel, json=notice_body("chanel", listings=["nope-1", "nope-2"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "listings"
    r = client.post("/v1/notices", headers=chanel, json=notice_body("no-such-brand"))
    assert r.status_code == 404


def test_trusted_notice_removes_at_once_and_a_reversal_counts_against_accuracy(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    with_policy(klean_app, trusted_min_decided=1)  # judge the partner from its first decided notice
    partner = make_user("brandshield-kr", "trusted_partner", org="chanel-sas")
    reviewer = make_user("rev-james", "reviewer")
    admin = make_user("ada", "admin")
    r = client.post("/v1/notices", headers=partner, json=notice_body("chanel", listings=["cp-2001"]))
    assert r.status_code == 201, r.text
    assert r.json()["trusted"] is True
    case_id = r.json()["cases"][0]["case_id"]
    assert r.json()["cases"][0]["state"] == "actioned"
    assert listing_status(klean_app, "cp-2001") == "removed"  # on receipt, before any review
    queue = client.get("/v1/review/queue", headers=reviewer).json()
    assert queue[0]["subject_id"] == str(case_id) and queue[0]["payload"]["trusted"] is True

    # the after-the-fact review finds the bag was a genuine second-hand one: reversed
    claim_and_decide(client, reviewer, "notice", str(case_id), "reject",
                     "Seller showed a Chanel boutique receipt; genuine pre-owned bag")
    case = client.get(f"/v1/cases/{case_id}", headers=partner).json()
    assert case["state"] == "rejected" and case["outcome"] == "reversed"
    assert listing_status(klean_app, "cp-2001") == "live"
    assert "listing.restored" in event_types(klean_app, "listing", "cp-2001")

    record = client.get("/v1/notifiers/brandshield-kr/record", headers=partner).json()
    assert record["accuracy"]["decided"] == 1 and record["accuracy"]["upheld"] == 0
    assert record["accuracy"]["upheld_share"] == 0.0
    assert record["trusted_lane"] is False and record["trusted_barred_until"]  # removed, re-admission barred
    assert "notifier.trusted_removed" in event_types(klean_app, "user", "brandshield-kr")

    # out of the lane: the next notice waits for review like anyone's
    r = client.post("/v1/notices", headers=partner, json=notice_body("chanel", listings=["cp-2002"]))
    assert r.json()["trusted"] is False and listing_status(klean_app, "cp-2002") == "live"
    r = client.post("/v1/notifiers/brandshield-kr/readmit", headers=admin)
    assert r.status_code == 409 and "barred" in r.json()["error"]["message"]


def test_counter_notice_restores_the_listing_when_the_window_passes(client: TestClient, klean_app: App,
                                                                    make_user: MakeUser, relay: MailSink) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    case_id = client.post("/v1/notices", headers=rh, json=notice_body()).json()["cases"][0]["case_id"]
    claim_and_decide(client, reviewer, "notice", str(case_id), "uphold", "Price and packaging point to a fake")
    assert listing_status(klean_app, "cp-1001") == "removed"

    stranger = make_user("mirror-lux-owner", "seller", seller_id="mirror-lux")
    reasons = "Bought from Samsung's Korean distributor; invoice SEC-2026-0412 attached as proof."
    assert client.post(f"/v1/cases/{case_id}/counter-notice", headers=stranger,
                       json={"reasons": reasons}).status_code == 404
    r = client.post(f"/v1/cases/{case_id}/counter-notice", headers=seller,
                    json={"reasons": reasons, "authorisation_proof": "invoice SEC-2026-0412"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "countered"
    told = relay.to("ip@samsung.example")[-1]  # the rights holder is told, with the seller's reasons
    assert "counter-notice" in str(told["Subject"]) and "SEC-2026-0412" in told.get_body().get_content()
    with klean_app.uow_factory() as uow:
        counter = uow.cases.pending_counter_notice(case_id)
    assert counter is not None
    assert (counter.deadline_at - counter.filed_at) >= timedelta(days=14)  # 10 business days span two weekends
    # a second counter-notice while one is pending is refused
    assert client.post(f"/v1/cases/{case_id}/counter-notice", headers=seller,
                       json={"reasons": reasons}).status_code == 409

    policy = notices.notice_policy(klean_app.policy)
    assert notices.process_counter_notice_deadlines(uow=klean_app.uow_factory(), policy=policy,
                                                    now=counter.deadline_at - timedelta(seconds=1)) == 0
    assert listing_status(klean_app, "cp-1001") == "removed"
    assert notices.process_counter_notice_deadlines(uow=klean_app.uow_factory(), policy=policy,
                                                    now=counter.deadline_at + timedelta(seconds=1)) == 1
    assert listing_status(klean_app, "cp-1001") == "live"
    case = client.get(f"/v1/cases/{case_id}", headers=seller).json()
    assert case["state"] == "restored" and case["outcome"] == "counter_restored"
    assert case["counter_notices"][0]["outcome"] == "restored"
    assert [t["to"] for t in case["transitions"]][-2:] == ["countered", "restored"]
    types = event_types(klean_app, "case", str(case_id))
    assert {"case.countered", "counter_notice.forwarded", "case.restored"} <= set(types)
    with klean_app.uow_factory() as uow:
        principal = uow.users.principal("samsung-ip")
    record = notices.notifier_record(uow=klean_app.uow_factory(), principal=principal, user_id="samsung-ip",
                                     policy=policy, now=counter.deadline_at + timedelta(minutes=1))
    assert record["accuracy"]["countered"] == 1 and record["accuracy"]["countered_share"] == 1.0
    # the job is idempotent: nothing left to restore
    assert notices.process_counter_notice_deadlines(uow=klean_app.uow_factory(), policy=policy,
                                                    now=counter.deadline_at + timedelta(days=30)) == 0


def test_court_action_within_the_window_keeps_the_listing_down(client: TestClient, klean_app: App,
                                                               make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    case_id = client.post("/v1/notices", headers=rh, json=notice_body()).json()["cases"][0]["case_id"]
    claim_and_decide(client, reviewer, "notice", str(case_id), "uphold", "Fake IMEI label")
    client.post(f"/v1/cases/{case_id}/counter-notice", headers=seller,
                json={"reasons": "This is a genuine phone imported in parallel from Vietnam."})
    r = client.post(f"/v1/cases/{case_id}/court-action", headers=rh,
                    json={"reference": "Seoul Central District Court 2026가합12345"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "actioned"
    with klean_app.uow_factory() as uow:
        counters = uow.cases.counter_notices(case_id)
    assert counters[0].outcome == "court_action"
    assert notices.process_counter_notice_deadlines(uow=klean_app.uow_factory(),
                                                    now=counters[0].deadline_at + timedelta(days=1)) == 0
    assert listing_status(klean_app, "cp-1001") == "removed"


def test_complaints_against_decisions_get_reasoned_answers_within_six_months(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    cases = client.post("/v1/notices", headers=rh, json=notice_body(listings=["cp-1001", "cp-1002"])).json()["cases"]
    removed_case, rejected_case = cases[0]["case_id"], cases[1]["case_id"]
    claim_and_decide(client, reviewer, "notice", str(removed_case), "uphold", "Fake IMEI label")
    claim_and_decide(client, reviewer, "notice", str(rejected_case), "reject", "Photos match a genuine unit")

    # the seller complains against the removal and is heard: the listing comes back
    r = client.post(f"/v1/cases/{removed_case}/complaints", headers=seller,
                    json={"grounds": "The phone is genuine: serial verified by a Samsung service centre."})
    assert r.status_code == 201, r.text
    assert r.json()["side"] == "seller" and r.json()["state"] == "appealed"
    claim_and_decide(client, reviewer, "complaint", str(r.json()["complaint_id"]), "grant",
                     "Service-centre report confirms the serial number")
    case = client.get(f"/v1/cases/{removed_case}", headers=seller).json()
    assert case["state"] == "restored" and case["complaints"][0]["answer"]
    assert listing_status(klean_app, "cp-1001") == "live"

    # the notifier complains against the rejection and is refused, with reasons
    assert client.post(f"/v1/cases/{rejected_case}/complaints", headers=seller,
                       json={"grounds": "Not the seller's decision to contest here at all."}).status_code == 409
    r = client.post(f"/v1/cases/{rejected_case}/complaints", headers=rh,
                    json={"grounds": "The copy grade AAA wording is an admission that it is a replica."})
    assert r.status_code == 201
    claim_and_decide(client, reviewer, "complaint", str(r.json()["complaint_id"]), "deny",
                     "Grade wording alone is not enough; photos show genuine serial")
    case = client.get(f"/v1/cases/{rejected_case}", headers=rh).json()
    assert case["state"] == "rejected" and case["complaints"][0]["state"] == "denied"

    # after six months the window is closed
    policy = notices.notice_policy(klean_app.policy)
    with klean_app.uow_factory() as uow:
        decided_at = uow.cases.get(rejected_case).decided_at
        principal = uow.users.principal("samsung-ip")
    with pytest.raises(Conflict, match="window closed"):
        notices.file_complaint(uow=klean_app.uow_factory(), principal=principal, case_id=rejected_case,
                               grounds="Trying again much later with the same arguments as before.",
                               policy=policy, now=decided_at + timedelta(days=185))


def test_manifestly_unfounded_notices_lead_to_a_warning_then_suspension(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    with_policy(klean_app, misuse_warn_unfounded=1, misuse_suspend_unfounded=2)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    for listing_id in ("cp-1001", "cp-1002"):
        case_id = client.post("/v1/notices", headers=rh, json=notice_body(listings=[listing_id])).json()[
            "cases"][0]["case_id"]
        claim_and_decide(client, reviewer, "notice", str(case_id), "reject",
                         "A Samsung notice against an unrelated listing", manifestly_unfounded=True)
    types = event_types(klean_app, "user", "samsung-ip")
    assert "notifier.warned" in types and "notifier.suspended" in types
    r = client.post("/v1/notices", headers=rh, json=notice_body(listings=["cp-1001"]))
    assert r.status_code == 403 and "suspended" in r.json()["error"]["message"]


def test_repeated_submissions_with_one_idempotency_key_create_one_case(client: TestClient, klean_app: App,
                                                                       make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    key = {"Idempotency-Key": "notice-2026-11-24-0001"}
    first = client.post("/v1/notices", headers={**rh, **key}, json=notice_body())
    second = client.post("/v1/notices", headers={**rh, **key}, json=notice_body())
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    with klean_app.uow_factory() as uow:
        assert len(uow.cases.list()) == 1
    changed = client.post("/v1/notices", headers={**rh, **key}, json=notice_body(listings=["cp-1002"]))
    assert changed.status_code == 409 and changed.json()["error"]["field"] == "Idempotency-Key"
    # the same key from another principal is another request
    rh2 = make_user("samsung-ip-2", "rights_holder", org="samsung-electronics")
    other = client.post("/v1/notices", headers={**rh2, **key}, json=notice_body(listings=["cp-1002"]))
    assert other.status_code == 201 and other.json()["notice_id"] != first.json()["notice_id"]


def test_two_reviewers_racing_for_one_item_one_wins(client: TestClient, klean_app: App,
                                                     make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    make_user("rev-minji", "reviewer")
    make_user("rev-james", "reviewer")
    client.post("/v1/notices", headers=rh, json=notice_body())
    with klean_app.uow_factory() as uow:
        item_id = uow.queue.open_items(kind="notice")[0].id
        reviewers = [uow.users.principal("rev-minji"), uow.users.principal("rev-james")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(principal: Any) -> None:
        barrier.wait()
        try:
            review.claim(uow=klean_app.uow_factory(), principal=principal, item_id=item_id)
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=attempt, args=(p,)) for p in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "won"]
    with klean_app.uow_factory() as uow:
        item = uow.queue.get(item_id)
    assert item.claimed_by in ("rev-minji", "rev-james")
    # over HTTP too: the holder's claim stands, the other reviewer gets 409 and cannot decide it
    other = make_user("rev-sora", "reviewer")
    assert client.post(f"/v1/review/items/{item_id}/claim", headers=other).status_code == 409
    r = client.post(f"/v1/review/items/{item_id}/decide", headers=other,
                    json={"decision": "uphold", "reason": "taking it over"})
    assert r.status_code == 409


def test_invalid_input_gets_a_4xx_with_the_reason(client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    consumer = make_user("hana", "consumer")
    bad = [
        ("post", "/v1/notices", rh, {**notice_body(), "listings": "cp-1001"}, 422),
        ("post", "/v1/notices", rh, {**notice_body(), "surprise": 1}, 422),
        ("post", "/v1/notices", rh, notice_body(right={"kind": "copyright-ish"}), 422),
        ("post", "/v1/notices", rh, notice_body(listings=["x" * 3000]), 422),
        ("post", "/v1/notices", consumer, notice_body(), 403),
        ("get", "/v1/cases/not-a-number", rh, None, 422),
        ("get", "/v1/cases/999999", rh, None, 404),
        ("post", "/v1/cases/999999/counter-notice", rh, {"reasons": "x" * 30}, 403),
        ("post", "/v1/review/items/999999/claim", reviewer, None, 404),
        ("get", "/v1/review/queue", consumer, None, 403),
        ("post", "/v1/reports", None, {"category": "counterfeit", "text": "짝"}, 422),
        ("post", "/v1/reports", None, {"category": "aliens", "text": "a fake handbag"}, 422),
        ("post", "/v1/reports", None, {"category": "counterfeit", "text": "fake bag", "lang": "fr"}, 422),
        ("get", "/v1/reports/R-20260101-XXXXXX", None, None, 404),
    ]
    for method, path, headers, body, status in bad:
        r = client.request(method.upper(), path, headers=headers or {}, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["error"]["message"], (path, r.text)
    # deciding needs a claim, and the decision must fit the item
    case_id = client.post("/v1/notices", headers=rh, json=notice_body()).json()["cases"][0]["case_id"]
    item = client.get("/v1/review/queue", headers=reviewer).json()[0]
    assert item["subject_id"] == str(case_id)
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "uphold", "reason": "clear fake"})
    assert r.status_code == 409
    client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer)
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "grant", "reason": "clear fake"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "decision"
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "uphold", "reason": ""})
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
    assert client.post(f"/v1/review/items/{item['id']}/release", headers=reviewer).status_code == 200
    case = client.get(f"/v1/cases/{case_id}", headers=rh).json()
    assert [t["to"] for t in case["transitions"]] == ["received", "under_review", "received"]


def test_policy_section_parses_and_rejects_nonsense() -> None:
    from klean.domain.cases import NoticePolicy
    from klean.domain.errors import ValidationError
    from klean.domain.policy_file import read_policy

    doc = read_policy()
    p = NoticePolicy.from_section(doc.section("notices"), doc.version)
    assert (p.trusted_min_upheld_share, p.trusted_max_countered_share, p.trusted_window_days) == (0.9, 0.05, 90)
    assert p.counter_notice_business_days == 10 and p.complaint_window_months == 6
    assert p.trusted_removal_bar_days == 90
    for bad in ({"trusted_min_upheld_share": 1.5}, {"counter_notice_business_days": "ten"},
                {"misuse_warn_unfounded": 5, "misuse_suspend_unfounded": 2}, {"nonsense": 1}):
        with pytest.raises(ValidationError):
            NoticePolicy.from_section(bad)
    assert replace(p, version="x").version == "x"


def test_concurrent_repeats_with_one_key_make_one_case(klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    with klean_app.uow_factory() as uow:
        principal = uow.users.principal("samsung-ip")
    policy = notices.notice_policy(klean_app.policy)
    draft = NoticeIn.model_validate(notice_body()).to_draft()
    barrier = threading.Barrier(4)
    answers: list[Any] = []

    def submit() -> None:
        barrier.wait()
        try:
            answers.append(notices.file_notice(uow=klean_app.uow_factory(), principal=principal, draft=draft,
                                               policy=policy, idempotency_key="burst-1")[0])
        except Conflict as exc:  # still in flight elsewhere: the client retries
            answers.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [a for a in answers if isinstance(a, dict)]
    assert done and all(a == done[0] for a in done) and len(answers) == 4
    with klean_app.uow_factory() as uow:
        assert len(uow.cases.list()) == 1
    retry = notices.file_notice(uow=klean_app.uow_factory(), principal=principal, draft=draft, policy=policy,
                                idempotency_key="burst-1")
    assert retry == (done[0], True)


def test_queue_orders_trusted_then_risk_then_age_and_screening_hits_are_decided_too(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    partner = make_user("brandshield-kr", "trusted_partner", org="chanel-sas")
    reviewer = make_user("rev-minji", "reviewer")
    with klean_app.uow_factory() as uow:
        uow.queue.enqueue(kind="screening", subject_type="listing", subject_id="cp-2002", priority=8.5,
                          payload={"score": 0.85})
        uow.commit()
    client.post("/v1/notices", headers=rh, json=notice_body(listings=["cp-1001"]))
    client.post("/v1/notices", headers=rh, json=notice_body(listings=["cp-1002"]))
    client.post("/v1/notices", headers=partner, json=notice_body("chanel", listings=["cp-2001"]))
    queue = client.get("/v1/review/queue", headers=reviewer).json()
    assert [(i["kind"], i["payload"].get("listing_id")) for i in queue] == [
        ("notice", "cp-2001"), ("notice", "cp-1001"), ("notice", "cp-1002"), ("screening", None)]
    assert client.get("/v1/cases", headers=rh).json()[0]["listing_id"] == "cp-1002"
    assert len(client.get("/v1/cases", headers=reviewer).json()) == 3
    claim_and_decide(client, reviewer, "screening", "cp-2002", "remove", "Replica wording and 5% of retail price")
    assert listing_status(klean_app, "cp-2002") == "removed"


def test_scheduled_jobs_restore_a_countered_listing_after_the_window(client: TestClient, klean_app: App,
                                                                     make_user: MakeUser, relay: MailSink) -> None:
    from klean.adapters.jobs import run_once

    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    reviewer = make_user("rev-minji", "reviewer")
    seller = make_user("seoul-deals-owner", "seller", seller_id="seoul-deals")
    case_id = client.post("/v1/notices", headers=rh, json=notice_body()).json()["cases"][0]["case_id"]
    claim_and_decide(client, reviewer, "notice", str(case_id), "uphold", "Price and packaging point to a fake")
    r = client.post(f"/v1/cases/{case_id}/counter-notice", headers=seller,
                    json={"reasons": "Bought from Samsung's Korean distributor; invoice SEC-2026-0412."})
    assert r.status_code == 201, r.text
    with klean_app.uow_factory() as uow:
        counter = uow.cases.pending_counter_notice(case_id)
    assert run_once(klean_app, notify=lambda **_: None,
                    now=counter.deadline_at - timedelta(hours=1)).counter_notices_restored == 0
    assert listing_status(klean_app, "cp-1001") == "removed"
    report = run_once(klean_app, notify=lambda **_: None, now=counter.deadline_at + timedelta(hours=1))
    assert report.counter_notices_restored == 1
    assert listing_status(klean_app, "cp-1001") == "live"


def test_a_trusted_notice_takes_down_only_the_listings_of_its_brand(client: TestClient, klean_app: App,
                                                                     make_user: MakeUser) -> None:
    """A partner for Chanel names Chanel fakes, an authorised Samsung reseller's phone and a plain wallet: only the
    Chanel listings come down; the others wait for a reviewer, with no strike, and the partner's record counts
    them."""
    seed(klean_app)
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="sm-77", title="Galaxy S24 Ultra 256GB 자급제 정품 새제품",
                                    seller_id="samsung-store", price=Money.of(1_650_000, "KRW")))
        uow.listings.upsert(Listing(id="wl-5", title="소가죽 반지갑 (무지, 브랜드 없음)", seller_id="seoul-deals",
                                    price=Money.of(29_000, "KRW")))
        uow.listings.upsert(Listing(id="cp-2003", title="C-H-A-N-E-L 보이백 st급", seller_id="mirror-lux",
                                    price=Money.of(190_000, "KRW")))
        uow.commit()
    partner = make_user("brandshield-kr", "trusted_partner", org="chanel-sas")
    reviewer = make_user("rev-james", "reviewer")
    r = client.post("/v1/notices", headers=partner,
                    json=notice_body("chanel", listings=["cp-2001", "sm-77", "cp-1001", "wl-5", "cp-2003"]))
    assert r.status_code == 201, r.text
    cases = {c["listing_id"]: c for c in r.json()["cases"]}
    for lid in ("cp-2001", "cp-2003"):  # the mark, and the mark spelled apart
        assert (cases[lid]["state"], cases[lid]["trusted"], cases[lid]["alludes_to_brand"]) == ("actioned", True, True)
        assert listing_status(klean_app, lid) == "removed"
    for lid in ("sm-77", "cp-1001", "wl-5"):
        assert (cases[lid]["state"], cases[lid]["trusted"], cases[lid]["alludes_to_brand"]) == \
            ("received", False, False), lid
        assert listing_status(klean_app, lid) == "live"
        case = client.get(f"/v1/cases/{cases[lid]['case_id']}", headers=partner).json()
        assert case["trusted"] is False and "does not allude to the brand chanel" in case["transitions"][0]["reason"]
    with klean_app.uow_factory() as uow:
        assert uow.enforcement.for_seller("samsung-store") == []  # no strike, no removal
        assert [a.violation_kind for a in uow.enforcement.for_seller("seoul-deals")] == []
        assert {a.violation_kind for a in uow.enforcement.for_seller("mirror-lux")} == {"trusted_takedown"}

    queue = client.get("/v1/review/queue", params={"kind": "notice"}, headers=reviewer).json()
    marked = {i["payload"]["listing_id"]: i for i in queue}
    assert [marked[lid]["payload"]["alludes_to_brand"] for lid in ("sm-77", "cp-1001", "wl-5")] == [False] * 3
    assert marked["cp-2001"]["payload"]["alludes_to_brand"] is True
    assert marked["sm-77"]["priority"] < marked["cp-2001"]["priority"]  # not in the trusted lane's priority

    record = client.get("/v1/notifiers/brandshield-kr/record", headers=partner).json()
    assert record["accuracy"]["off_brand"] == 3 and record["accuracy"]["decided"] == 0
    claim_and_decide(client, reviewer, "notice", str(cases["sm-77"]["case_id"]), "reject",
                     "A Samsung phone from an authorised reseller; nothing of Chanel's")
    record = client.get("/v1/notifiers/brandshield-kr/record", headers=partner).json()
    assert (record["accuracy"]["decided"], record["accuracy"]["upheld"]) == (1, 0)
    assert listing_status(klean_app, "sm-77") == "live"


def test_a_rights_holders_notice_is_checked_against_its_brand_before_review(client: TestClient, klean_app: App,
                                                                             make_user: MakeUser) -> None:
    seed(klean_app)
    rh = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    r = client.post("/v1/notices", headers=rh, json=notice_body(listings=["cp-1001", SAMSUNG_URL, "cp-2001"]))
    assert r.status_code == 201, r.text
    cases = {c["listing_id"]: c for c in r.json()["cases"]}
    # 삼성 (the mark) and "Galaxy S24 Ultra" (a product) are Samsung's; a Chanel bag is not
    assert {lid: c["alludes_to_brand"] for lid, c in cases.items()} == {"cp-1001": True, "cp-1002": True,
                                                                         "cp-2001": False}
    assert all(c["state"] == "received" for c in cases.values())
    case = client.get(f"/v1/cases/{cases['cp-2001']['case_id']}", headers=rh).json()
    assert "does not allude to the brand samsung" in case["transitions"][0]["reason"]
    assert client.get("/v1/notifiers/samsung-ip/record", headers=rh).json()["accuracy"]["off_brand"] == 1

    from klean.services import accounts

    make_user("rev-minji", "reviewer")
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id="rev-minji", password="a long passphrase 7")
    page = client.get("/portal/signin")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/portal/signin", data={"login": "rev-minji", "password": "a long passphrase 7",
                                               "csrf_token": token}, follow_redirects=False).status_code == 303
    queue = client.get("/portal/review?lang=en")
    assert queue.status_code == 200 and queue.text.count("does not allude to the brand") == 1
    with klean_app.uow_factory() as uow:
        item = next(i for i in uow.queue.open_items(kind="notice")
                    if i.payload["listing_id"] == "cp-2001")
    page = client.get(f"/portal/review/{item.id}?lang=ko")
    assert page.status_code == 200 and 'id="off-brand"' in page.text
