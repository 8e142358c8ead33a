"""No-evidence refunds: a Seoul marketplace posts its orders; buyers who suspect a fake claim within 3 months.

Times are stated with their zone; the window is counted in the marketplace's zone (policy: Asia/Seoul).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, NotFound, ValidationError
from klean.domain.listing import Listing, Money
from klean.domain.refunds import Order, RefundPolicy
from klean.services import refunds

Headers = dict[str, str]
SEOUL = ZoneInfo("Asia/Seoul")
ADMIN = Principal("marketplace-sync", Role.ADMIN)
LONG_AGO = datetime(2019, 3, 1, tzinfo=UTC)


def order(oid: str, buyer: str, *, listing: str = "lst-airpods-pro2", seller: str = "gadget-hub",
          amount: int = 359_000, purchased: datetime, delivered: datetime | None = None, **extra: object) -> Order:
    return Order(id=oid, listing_id=listing, seller_id=seller, buyer_id=buyer, amount=Decimal(amount),
                 currency="KRW", purchased_at=purchased, delivered_at=delivered,
                 buyer_since=extra.pop("buyer_since", LONG_AGO), **extra)  # type: ignore[arg-type]


def policy(app: App) -> RefundPolicy:
    return RefundPolicy.from_section(app.policy.section("refunds"), app.policy.version)


def buyer(user_id: str) -> Principal:
    return Principal(user_id, Role.CONSUMER)


def test_the_window_ends_with_the_last_local_day_three_months_on(klean_app: App) -> None:
    pol = policy(klean_app)
    delivered = datetime(2026, 1, 31, 14, 0, tzinfo=SEOUL)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=ADMIN, orders=[
        order("ORD-JAN31-A", "minji", purchased=delivered - timedelta(days=2), delivered=delivered),
        order("ORD-JAN31-B", "seojun", purchased=delivered - timedelta(days=2), delivered=delivered),
        order("ORD-NOV30", "yuna", purchased=datetime(2027, 11, 30, 21, 0, tzinfo=SEOUL)),
    ])
    on_time = refunds.claim_refund(uow=klean_app.uow_factory(), principal=buyer("minji"), order_id="ORD-JAN31-A",
                                   policy=pol, now=datetime(2026, 4, 30, 23, 59, 59, tzinfo=SEOUL))
    assert on_time.status == "approved" and on_time.paid == Decimal(359_000)
    with pytest.raises(ValidationError, match="2026-04-30"):  # one second after the window
        refunds.claim_refund(uow=klean_app.uow_factory(), principal=buyer("seojun"), order_id="ORD-JAN31-B",
                             policy=pol, now=datetime(2026, 5, 1, 0, 0, 0, tzinfo=SEOUL))
    # Nov 30 + 3 months in a leap year is Feb 29; 2028-02-29 23:59:59 Seoul is 14:59:59 UTC.
    leap = refunds.claim_refund(uow=klean_app.uow_factory(), principal=buyer("yuna"), order_id="ORD-NOV30",
                                policy=pol, now=datetime(2028, 2, 29, 14, 59, 59, tzinfo=UTC))
    assert leap.status == "approved"


def test_month_end_without_leap_day_closes_after_feb_28(klean_app: App) -> None:
    pol = policy(klean_app)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=ADMIN, orders=[
        order("ORD-1", "minji", purchased=datetime(2026, 11, 30, 10, tzinfo=SEOUL))])
    with pytest.raises(ValidationError):
        refunds.claim_refund(uow=klean_app.uow_factory(), principal=buyer("minji"), order_id="ORD-1", policy=pol,
                             now=datetime(2027, 3, 1, 0, 0, 0, tzinfo=SEOUL))
    assert refunds.claim_refund(uow=klean_app.uow_factory(), principal=buyer("minji"), order_id="ORD-1", policy=pol,
                                now=datetime(2027, 2, 28, 23, 59, 59, tzinfo=SEOUL)).status == "approved"


def test_clean_claim_is_approved_at_once_and_recorded_as_events(client: TestClient,
                                                               make_user: Callable[..., Headers],
                                                               klean_app: App) -> None:
    admin = make_user("ops", "admin")
    minji = make_user("minji", "consumer")
    seojun = make_user("seojun", "consumer")
    now = datetime.now(UTC)
    body = {"orders": [{"id": "ORD-100", "listing_id": "lst-airpods-pro2", "seller_id": "gadget-hub",
                        "buyer_id": "minji", "amount": 359000, "currency": "KRW",
                        "purchased_at": (now - timedelta(days=10)).isoformat(),
                        "buyer_since": "2019-03-01T00:00:00+09:00", "payment_fingerprint": "pf-1f9a3c77e0"}]}
    assert client.post("/v1/orders", headers=minji, json=body).status_code == 403  # buyers cannot post orders
    assert client.post("/v1/orders", headers=admin, json=body).json()["created"] == 1
    assert client.post("/v1/orders", headers=admin, json=body).json()["unchanged"] == 1
    body["orders"][0]["delivered_at"] = (now - timedelta(days=8)).isoformat()
    assert client.post("/v1/orders", headers=admin, json=body).json()["updated"] == 1

    assert client.post("/v1/refunds/claims", headers=seojun, json={"order_id": "ORD-100"}).status_code == 404
    assert client.get("/v1/orders/ORD-100", headers=seojun).status_code == 404
    assert client.get("/v1/orders/ORD-100", headers=minji).json()["buyer_id"] == "minji"
    r = client.post("/v1/refunds/claims", headers=minji, json={"order_id": "ORD-100",
                                                               "note": "케이스 각인이 흐리고 시리얼 조회가 안 됩니다"})
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == "approved" and claim["paid"] == "359000" and claim["checks"] == []
    assert client.post("/v1/refunds/claims", headers=minji, json={"order_id": "ORD-100"}).status_code == 409
    with klean_app.uow_factory() as uow:
        types = [e.type for e in uow.events.for_subject("refund_claim", str(claim["id"]))]
    assert types == ["refund.claimed", "refund.approved", "refund.paid"]
    assert client.get("/v1/refunds/claims", headers=seojun).json() == []
    staff = client.get(f"/v1/refunds/claims/{claim['id']}", headers=admin).json()
    assert {c["check"] for c in staff["checks"]} >= {"claim_rate", "linked_accounts", "already_paid"}


def test_invalid_input_gets_4xx(client: TestClient, make_user: Callable[..., Headers]) -> None:
    admin = make_user("ops", "admin")
    minji = make_user("minji", "consumer")
    good = {"id": "ORD-1", "listing_id": "l", "seller_id": "s", "buyer_id": "minji", "amount": 1000,
            "currency": "KRW", "purchased_at": "2026-11-01T10:00:00+09:00"}
    for bad in ({"amount": 0}, {"amount": "free"}, {"currency": "won"}, {"purchased_at": "2026-11-01T10:00:00"},
                {"delivered_at": "2026-10-01T10:00:00+09:00"}, {"id": ""}, {"refunded_amount": 5000},
                {"payment_fingerprint": "x"}, {"surprise": 1}, {"amount": 10**20},
                {"purchased_at": "0001-01-01T00:00:00+14:00"}, {"buyer_since": "1900-01-01T00:00:00Z"}):
        r = client.post("/v1/orders", headers=admin, json={"orders": [{**good, **bad}]})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"] == "invalid"
    assert client.post("/v1/orders", headers=admin, json={"orders": []}).status_code == 422
    assert client.post("/v1/orders", headers=admin, json={"orders": [good, good]}).status_code == 422
    assert client.post("/v1/refunds/claims", json={"order_id": "ORD-1"}).status_code == 401
    assert client.post("/v1/refunds/claims", headers=minji, json={"order_id": "nope"}).status_code == 404
    assert client.post("/v1/refunds/claims", headers=minji, json={"order_id": ""}).status_code == 422
    assert client.post("/v1/refunds/claims", headers=minji, json={"order_id": "x", "note": "n" * 3000}).status_code \
        == 422
    assert client.get("/v1/refunds/claims?status=maybe", headers=admin).status_code == 422
    assert client.get(f"/v1/refunds/claims/{2**64}", headers=admin).status_code == 422
    assert client.post("/v1/refunds/claims/12345/decision", headers=admin,
                       json={"approve": True, "reason": "ok"}).status_code == 404
    assert client.post("/v1/refunds/claims/12345/decision", headers=minji,
                       json={"approve": True, "reason": "ok"}).status_code == 403
    assert client.post("/v1/refunds/claims/12345/decision", headers=admin, json={"approve": True}).status_code == 422


def _claim(app: App, oid: str, who: str, now: datetime) -> object:
    return refunds.claim_refund(uow=app.uow_factory(), principal=buyer(who), order_id=oid, policy=policy(app),
                                now=now)


def test_each_abuse_check_sends_the_claim_to_review_with_its_explanation(klean_app: App) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=SEOUL)
    day = timedelta(days=1)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=ADMIN, orders=[
        # velocity and many sellers: three claims in a week against three sellers
        order("V1", "hoarder", listing="lst-a", seller="s-one", purchased=now - 20 * day),
        order("V2", "hoarder", listing="lst-b", seller="s-two", purchased=now - 20 * day),
        order("V3", "hoarder", listing="lst-c", seller="s-three", purchased=now - 20 * day),
        # repeat: the same Galaxy Buds listing bought twice, claimed twice
        order("R1", "twice", listing="lst-buds", purchased=now - 40 * day),
        order("R2", "twice", listing="lst-buds", purchased=now - 10 * day),
        # a new account
        order("N1", "newbie", purchased=now - 2 * day, buyer_since=now - 3 * day),
        # linked accounts: same payment fingerprint as "twice"'s claimant sibling
        order("L0", "sibling-a", listing="lst-x", purchased=now - 30 * day, payment_fingerprint="pf-shared-card-01"),
        order("L1", "sibling-b", listing="lst-y", purchased=now - 5 * day, payment_fingerprint="pf-shared-card-01"),
        # refunded already by the marketplace (a return)
        order("P1", "returner", purchased=now - 5 * day, refunded_amount=Decimal(100_000)),
    ])
    assert _claim(klean_app, "V1", "hoarder", now - 3 * day).status == "approved"
    assert _claim(klean_app, "V2", "hoarder", now - 2 * day).status == "approved"
    v3 = _claim(klean_app, "V3", "hoarder", now)
    assert v3.status == "review"
    flags = {c["check"] for c in v3.checks if c["flagged"]}
    assert {"claim_velocity", "many_sellers", "claim_rate"} <= flags

    assert _claim(klean_app, "R1", "twice", now - 30 * day).status == "approved"
    r2 = _claim(klean_app, "R2", "twice", now)
    assert r2.status == "review" and {c["check"] for c in r2.checks if c["flagged"]} == {"repeat_item"}

    n1 = _claim(klean_app, "N1", "newbie", now)
    assert [c["check"] for c in n1.checks if c["flagged"]] == ["account_age"]
    assert any("3 days old" in c["reason"] for c in n1.checks)

    assert _claim(klean_app, "L0", "sibling-a", now - 20 * day).status == "approved"
    l1 = _claim(klean_app, "L1", "sibling-b", now)
    assert [c["check"] for c in l1.checks if c["flagged"]] == ["linked_accounts"]
    assert any("1 by payment, 0 by address" in c["reason"] for c in l1.checks)

    p1 = _claim(klean_app, "P1", "returner", now)
    assert [c["check"] for c in p1.checks if c["flagged"]] == ["already_paid"]

    with klean_app.uow_factory() as uow:
        queued = {i.subject_id: i for i in uow.queue.open_items(kind="refund_claim", limit=50)
                  if i.subject_type == "refund_claim"}
        assert set(queued) == {str(c.id) for c in (v3, r2, n1, l1, p1)}
        assert queued[str(v3.id)].payload["explanations"][0]["reason"]
        assert all(c.paid == 0 for c in (v3, r2, n1, l1, p1))  # nothing paid while in review

    # A claim in review is not denied: a reviewer decides, and only then is it paid.
    with pytest.raises(Conflict):
        _claim(klean_app, "N1", "newbie", now)
    reviewer = Principal("hana", Role.REVIEWER)
    ok = refunds.decide_claim(uow=klean_app.uow_factory(), principal=reviewer, claim_id=n1.id, approve=True,
                              reason="new account, but the order and delivery are real", policy=policy(klean_app))
    assert ok.status == "approved" and ok.paid == Decimal(359_000)
    no = refunds.decide_claim(uow=klean_app.uow_factory(), principal=reviewer, claim_id=r2.id, approve=False,
                              reason="second claim on the same listing; asked for the item back",
                              policy=policy(klean_app))
    assert no.status == "rejected" and no.paid == 0
    with pytest.raises(Conflict):
        refunds.decide_claim(uow=klean_app.uow_factory(), principal=reviewer, claim_id=r2.id, approve=True,
                             reason="again", policy=policy(klean_app))
    with klean_app.uow_factory() as uow:
        open_ids = {i.subject_id for i in uow.queue.open_items(kind="refund_claim", limit=50)}
    assert str(n1.id) not in open_ids and str(r2.id) not in open_ids


def test_claims_feed_seller_risk_and_open_a_case(klean_app: App) -> None:
    now = datetime.now(UTC)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=ADMIN, orders=[
        order(f"ORD-{who}", who, listing="lst-dyson-airwrap", seller="beauty-deals", amount=299_000,
              purchased=now - timedelta(days=9)) for who in ("minji", "seojun", "yuna")])
    _claim(klean_app, "ORD-minji", "minji", now)
    with klean_app.uow_factory() as uow:
        assert not [i for i in uow.queue.open_items(kind="refund_claim") if i.subject_type == "listing"]
    _claim(klean_app, "ORD-seojun", "seojun", now)
    _claim(klean_app, "ORD-yuna", "yuna", now)
    with klean_app.uow_factory() as uow:
        (case,) = [i for i in uow.queue.open_items(kind="refund_claim") if i.subject_type == "listing"]
        opened = [e for e in uow.events.for_subject("listing", "lst-dyson-airwrap") if e.type == "refund.case_opened"]
        uow.listings.upsert(Listing(id="lst-dyson-airwrap", title="다이슨 에어랩 멀티 스타일러",
                                    price=Money(Decimal(299_000), "KRW"), seller_id="beauty-deals"))
        uow.commit()
    assert case.subject_id == "lst-dyson-airwrap" and case.payload["refund_claims"] == 3
    assert len(opened) == 1
    with klean_app.uow_factory() as uow:
        (cand,) = [c for c in uow.qa.candidates() if c.listing_id == "lst-dyson-airwrap"]
    assert cand.claim_count == 3  # the test-buy sampler reads them as the seller's risk
    reviewer = Principal("hana", Role.REVIEWER)
    with pytest.raises(ValidationError):
        refunds.decide_listing_case(uow=klean_app.uow_factory(), principal=reviewer, listing_id="lst-dyson-airwrap",
                                    action="shrug", reason="?", policy=policy(klean_app))
    closed = refunds.decide_listing_case(uow=klean_app.uow_factory(), principal=reviewer,
                                         listing_id="lst-dyson-airwrap", action="remove",
                                         reason="three buyers in nine days; photos are of a grey import",
                                         policy=policy(klean_app))
    assert closed["action"] == "remove" and closed["snapshot_sha256"]
    with klean_app.uow_factory() as uow:
        assert uow.listings.get("lst-dyson-airwrap").status == "removed"
        assert not [i for i in uow.queue.open_items(kind="refund_claim") if i.subject_type == "listing"]
    with pytest.raises(NotFound):
        refunds.decide_listing_case(uow=klean_app.uow_factory(), principal=reviewer, listing_id="lst-dyson-airwrap",
                                    action="dismiss", reason="again", policy=policy(klean_app))
    with pytest.raises(NotFound):
        refunds.get_claim(uow=klean_app.uow_factory(), principal=buyer("stranger"), claim_id=1)


def test_two_simultaneous_claims_on_one_order_pay_once(klean_app: App) -> None:
    if klean_app.engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite runs one writer at a time")
    import threading

    now = datetime.now(UTC)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=ADMIN, orders=[
        order("ORD-RACE", "minji", purchased=now - timedelta(days=4))])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(_claim(klean_app, "ORD-RACE", "minji", now).status)  # type: ignore[attr-defined]
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "conflict"]
    with klean_app.uow_factory() as uow:
        assert uow.refunds.paid_for_order("ORD-RACE") == Decimal(359_000)
