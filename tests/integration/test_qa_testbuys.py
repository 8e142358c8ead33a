"""Test buys end to end: a Chanel bag sampled, bought by an inspector firm, judged fake, confirmed by Chanel.

The story: a marketplace in Seoul lists Chanel Classic Flap bags from "luxe-outlet" (2 strikes, a 12-day-old
account) at 890,000 KRW (the real one costs over 15 million) beside ordinary T-shirts. Two inspector firms,
Seoul Mystery Shop and Busan Check, buy what the sampler picks.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from klean.adapters.db.repositories import repository_classes
from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden
from klean.domain.listing import ImageRef, Listing, Money, Seller
from klean.domain.qa import QaPolicy
from klean.domain.screening import Decision, ScreeningResult
from klean.services import qa, registry

Headers = dict[str, str]
ADMIN = Principal("ops-admin", Role.ADMIN)
PDQ = "f" * 16 + "0" * 48


def seed_catalogue(app: App) -> None:
    registry.create_brand(uow=app.uow_factory(), principal=None, brand_id="chanel", name="Chanel",
                          marks=["CHANEL", "샤넬"], owner="Chanel S.A.")
    with app.uow_factory() as uow:
        uow.sellers.upsert(Seller(id="luxe-outlet", name="Luxe Outlet", strikes=2, account_age_days=12))
        uow.sellers.upsert(Seller(id="cotton-day", name="Cotton Day", strikes=0, account_age_days=1400))
        for i in range(6):
            lid = f"lst-chanel-flap-{i}"
            uow.listings.upsert(Listing(id=lid, title=f"샤넬 클래식 플랩백 미디움 정품급 {i}",
                                        price=Money(Decimal(890_000), "KRW"), seller_id="luxe-outlet",
                                        category="bags", images=(ImageRef(sha256="a" * 64, pdq=PDQ),)))
            uow.listings.record_screening(lid, ScreeningResult(lid, 0.92, Decision.REVIEW, (), "2026.11-1"), [],
                                          ["chanel"])
        for i in range(30):
            lid = f"lst-tee-{i:02d}"
            uow.listings.upsert(Listing(id=lid, title=f"무지 반팔 티셔츠 {i}", price=Money(Decimal(12_900), "KRW"),
                                        seller_id="cotton-day", category="apparel"))
            uow.listings.record_screening(lid, ScreeningResult(lid, 0.02, Decision.ALLOW, (), "2026.11-1"), [], [])
        uow.commit()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 20, 40)).save(buf, format="PNG")
    return buf.getvalue()


def test_same_seed_same_picks_and_a_period_is_sampled_once(klean_app: App) -> None:
    seed_catalogue(klean_app)
    policy = QaPolicy.from_section(klean_app.policy.section("qa"), klean_app.policy.version)
    budget = qa.budget_from(count=10, money=3_000_000, currency="KRW", policy=policy)
    a = qa.run_sample(uow=klean_app.uow_factory(), principal=ADMIN, period="2026-11", seed=7, policy=policy,
                      budget=budget)
    b = qa.run_sample(uow=klean_app.uow_factory(), principal=ADMIN, period="2026-12", seed=7, policy=policy,
                      budget=budget)
    assert [(p.listing_id, p.method) for p in a] == [(p.listing_id, p.method) for p in b]
    assert len(a) == 10 and sum(p.price for p in a) <= Decimal(3_000_000)
    assert sum(p.method == "random" for p in a) == 2
    chanel = [p for p in a if p.brand_id == "chanel" and p.method == "risk"]
    assert chanel and chanel[0].band == "high"
    assert any(r["text"] == "seller has 2 strikes" for r in chanel[0].reasons)
    with pytest.raises(Conflict):
        qa.run_sample(uow=klean_app.uow_factory(), principal=ADMIN, period="2026-11", seed=8, policy=policy)
    with pytest.raises(Forbidden):
        qa.run_sample(uow=klean_app.uow_factory(), principal=Principal("x", Role.INSPECTOR, org="Busan Check"),
                      period="2027-01", seed=1, policy=policy)
    with klean_app.uow_factory() as uow:
        (event,) = uow.events.for_subject("qa_period", "2026-11")
    assert event.payload["seed"] == 7 and len(event.payload["picks"]) == 10


def test_inspector_sees_only_its_own_firms_assignments(client: TestClient, make_user: Callable[..., Headers],
                                                        klean_app: App) -> None:
    seed_catalogue(klean_app)
    admin = make_user("ops", "admin")
    seoul = make_user("jiwoo", "inspector", org="Seoul Mystery Shop")
    busan = make_user("dohyun", "inspector", org="Busan Check")
    picks = client.post("/v1/qa/periods/2026-11/sample", headers=admin,
                        json={"seed": 11, "budget_count": 4, "budget_money": 5_000_000}).json()
    assert len(picks) == 4
    a, b = picks[0]["id"], picks[1]["id"]
    assert client.post(f"/v1/qa/picks/{a}/assign", headers=admin, json={"org": "Seoul Mystery Shop"}).status_code == 200
    assert client.post(f"/v1/qa/picks/{b}/assign", headers=admin, json={"org": "Busan Check"}).status_code == 200
    r = client.post(f"/v1/qa/picks/{b}/assign", headers=admin, json={"org": "Nobody Inspects Ltd"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "org"

    mine = client.get("/v1/qa/picks", headers=seoul).json()
    assert [p["id"] for p in mine] == [a]
    assert [p["id"] for p in client.get("/v1/qa/picks", headers=busan).json()] == [b]
    assert client.get(f"/v1/qa/picks/{b}", headers=seoul).status_code == 404  # not even its existence
    assert client.get(f"/v1/qa/picks/{picks[2]['id']}", headers=seoul).status_code == 404  # unassigned
    r = client.post(f"/v1/qa/picks/{b}/purchase", headers=seoul, json={
        "order_ref": "ORD-1", "amount": 890000, "currency": "KRW", "purchased_at": "2026-11-03T14:20:00+09:00"})
    assert r.status_code == 404
    r = client.post(f"/v1/qa/picks/{b}/photos", headers=seoul, files={"file": ("x.png", png(), "image/png")})
    assert r.status_code == 404
    r = client.post(f"/v1/qa/picks/{b}/verdict", headers=seoul, json={"verdict": "genuine"})
    assert r.status_code == 404
    assert client.get("/v1/qa/periods/2026-11/report", headers=seoul).status_code == 403
    assert client.post("/v1/qa/periods/2026-12/sample", headers=busan, json={"seed": 1}).status_code == 403


def test_invalid_input_gets_4xx(client: TestClient, make_user: Callable[..., Headers], klean_app: App) -> None:
    seed_catalogue(klean_app)
    admin = make_user("ops", "admin")
    seoul = make_user("jiwoo", "inspector", org="Seoul Mystery Shop")
    for body in ({"seed": -1}, {"seed": "seven"}, {"seed": 1, "budget_count": -3}, {"seed": 1, "currency": "won"},
                 {"seed": 1, "surprise": True}, {"seed": 1, "budget_money": "lots"}):
        assert client.post("/v1/qa/periods/2026-11/sample", headers=admin, json=body).status_code == 422, body
    assert client.post("/v1/qa/periods/2026-13/sample", headers=admin, json={"seed": 1}).status_code == 422
    assert client.get("/v1/qa/periods/2026-10/report", headers=admin).status_code == 404
    assert client.get("/v1/qa/picks/999999", headers=admin).status_code == 404
    assert client.get("/v1/qa/picks/not-a-number", headers=admin).status_code == 422
    assert client.get(f"/v1/qa/picks/{2**70}", headers=admin).status_code == 422
    assert client.get("/v1/qa/picks?offset=99999999999999999999", headers=admin).status_code == 422
    assert client.post("/v1/qa/periods/2026-11/sample", headers=admin,
                       json={"seed": 1, "budget_money": 10**30}).status_code == 422
    pick = client.post("/v1/qa/periods/2026-11/sample", headers=admin, json={"seed": 3}).json()[0]["id"]
    client.post(f"/v1/qa/picks/{pick}/assign", headers=admin, json={"org": "Seoul Mystery Shop"})
    url = f"/v1/qa/picks/{pick}"
    assert client.post(f"{url}/verdict", headers=seoul, json={"verdict": "fake", "notes": "x"}).status_code == 409
    for body in ({"order_ref": "", "amount": 1, "currency": "KRW", "purchased_at": "2026-11-03T14:20:00+09:00"},
                 {"order_ref": "A", "amount": -1, "currency": "KRW", "purchased_at": "2026-11-03T14:20:00+09:00"},
                 {"order_ref": "A", "amount": 1, "currency": "KRW", "purchased_at": "2026-11-03T14:20:00"},
                 {"order_ref": "A", "amount": 1, "currency": "KRW", "purchased_at": "2999-01-01T00:00:00Z"},
                 {"order_ref": "A", "amount": 1, "currency": "KRW", "purchased_at": "0001-01-01T00:00:00+14:00"},
                 {"order_ref": "A", "amount": 1e30, "currency": "KRW", "purchased_at": "2026-11-03T14:20:00Z"}):
        assert client.post(f"{url}/purchase", headers=seoul, json=body).status_code == 422, body
    r = client.post(f"{url}/purchase", headers=seoul, json={
        "order_ref": "ORD-9", "amount": 12900, "currency": "KRW", "purchased_at": "2026-11-03T14:20:00+09:00"})
    assert r.status_code == 200 and r.json()["state"] == "purchased"
    assert client.post(f"{url}/photos", headers=seoul,
                       files={"file": ("x.png", b"not an image", "image/png")}).status_code == 422
    assert client.post(f"{url}/verdict", headers=seoul, json={"verdict": "counterfeit-ish"}).status_code == 422
    assert client.post(f"{url}/verdict", headers=seoul, json={"verdict": "fake", "notes": " "}).status_code == 422
    assert client.post(f"{url}/confirm", headers=admin, json={}).status_code == 403  # the brand's call, not an admin's


def test_confirmed_fake_penalises_takes_down_banks_and_refunds(client: TestClient,
                                                                make_user: Callable[..., Headers],
                                                                klean_app: App) -> None:
    seed_catalogue(klean_app)
    admin = make_user("ops", "admin")
    reviewer = make_user("hana", "reviewer")
    seoul = make_user("jiwoo", "inspector", org="Seoul Mystery Shop")
    chanel = make_user("claire", "rights_holder", org="Chanel S.A.")
    nike = make_user("nick", "rights_holder", org="Nike, Inc.")
    picks = client.post("/v1/qa/periods/2026-11/sample", headers=reviewer, json={"seed": 5}).json()
    pick = next(p for p in picks if p["brand_id"] == "chanel")
    listing = pick["listing_id"]

    now = datetime.now(UTC)
    orders = [  # two recent buyers of the bag, one from last year, and a buyer of something else
        {"id": "ORD-A", "listing_id": listing, "seller_id": "luxe-outlet", "buyer_id": "minji", "amount": 890000,
         "currency": "KRW", "purchased_at": (now - timedelta(days=20)).isoformat(),
         "delivered_at": (now - timedelta(days=17)).isoformat()},
        {"id": "ORD-B", "listing_id": listing, "seller_id": "luxe-outlet", "buyer_id": "seojun", "amount": 890000,
         "currency": "KRW", "purchased_at": (now - timedelta(days=60)).isoformat()},
        {"id": "ORD-OLD", "listing_id": listing, "seller_id": "luxe-outlet", "buyer_id": "yuna", "amount": 870000,
         "currency": "KRW", "purchased_at": (now - timedelta(days=200)).isoformat()},
        {"id": "ORD-TEE", "listing_id": "lst-tee-01", "seller_id": "cotton-day", "buyer_id": "minji",
         "amount": 12900, "currency": "KRW", "purchased_at": (now - timedelta(days=5)).isoformat()},
    ]
    assert client.post("/v1/orders", headers=admin, json={"orders": orders}).json() == \
        {"created": 4, "updated": 0, "unchanged": 0}

    url = f"/v1/qa/picks/{pick['id']}"
    assert client.post(f"{url}/assign", headers=reviewer, json={"org": "Seoul Mystery Shop"}).status_code == 200
    r = client.post(f"{url}/purchase", headers=seoul, json={
        "order_ref": "ORD-QA-1", "amount": 890000, "currency": "KRW",
        "purchased_at": (now - timedelta(days=3)).isoformat()})
    assert r.status_code == 200, r.text
    r = client.post(f"{url}/photos", headers=seoul, files={"file": ("stitching.png", png(), "image/png")},
                    data={"caption": "Stitch count 6 per inch; the real bag has 10+"})
    assert r.status_code == 201, r.text
    assert len(r.json()["photos"]) == 1
    assert client.get(url, headers=chanel).status_code == 404  # not judged yet: the rights holder cannot see it
    r = client.post(f"{url}/verdict", headers=seoul, json={
        "verdict": "fake", "notes": "CC logo overlaps wrongly, serial sticker missing, plastic chain"})
    assert r.status_code == 200 and r.json()["state"] == "judged"

    assert [p["id"] for p in client.get("/v1/qa/picks", headers=chanel).json()] == [pick["id"]]
    assert client.get("/v1/qa/picks", headers=nike).json() == []
    assert client.post(f"{url}/confirm", headers=nike, json={}).status_code == 404  # another brand's holder
    assert client.post(f"{url}/confirm", headers=seoul, json={}).status_code == 403  # the inspector cannot
    assert client.post(f"{url}/confirm", headers=reviewer, json={}).status_code == 403
    assert client.post(f"{url}/confirm", headers=admin, json={}).status_code == 403  # nor an admin's
    r = client.post(f"{url}/confirm", headers=chanel, json={"note": "Confirmed counterfeit by Chanel Korea"})
    assert r.status_code == 200, r.text
    outcome = r.json()
    assert outcome["cause_ref"] == f"testbuy:{pick['id']}"
    assert outcome["listing_status"] == "removed"
    assert len(outcome["refunds"]["opened"]) == 2  # ORD-A and ORD-B; ORD-OLD is past its window
    assert outcome["refunds"]["charged_back"] == outcome["refunds"]["opened"]
    assert client.post(f"{url}/confirm", headers=chanel, json={}).status_code == 409

    with klean_app.uow_factory() as uow:
        assert uow.listings.get(listing).status == "removed"
        listing_events = uow.events.for_subject("listing", listing)
        seller_events = uow.events.for_subject("seller", "luxe-outlet")
        claims = uow.refunds.list(listing_id=listing)
        banks = "image_banks" in repository_classes()
        banked = banks and uow.image_banks.exists(bank="known_fake", pdq=PDQ, brand_id="chanel")
    removed = [e for e in listing_events if e.type == "listing.removed"] + \
        [e for e in seller_events if e.payload.get("snapshot_sha256")]
    assert removed and removed[0].payload["snapshot_sha256"]  # snapshot hash in the removing event
    if outcome["enforcement"] is not None:  # the enforcement feature is installed: the ladder ran
        assert "strike" in {a["kind"] for a in outcome["enforcement"]}
        assert any(e.type == "enforcement.violation_recorded" and e.payload["kind"] == "test_buy_fake"
                   and e.payload["cause_ref"] == f"testbuy:{pick['id']}" for e in seller_events)
    if banks:  # the image feature is installed: the listing's photo is now a known fake of Chanel
        assert outcome["banked_images"] == [PDQ] and banked
    else:
        assert outcome["banked_images"] is None
    assert sorted(c.order_id for c in claims) == ["ORD-A", "ORD-B"]
    assert all(c.origin == "test_buy" and c.status == "approved" and c.paid == Decimal(890000)
               and c.charged_back == Decimal(890000) for c in claims)
    assert any(e.type == "refund.charged_back" for e in seller_events)

    report = client.get("/v1/qa/periods/2026-11/report", headers=admin).json()
    assert report["picks"] == len(picks)
    assert report["risk"]["by_band"]["high"]["fakes"] == 1
    assert report["risk"]["by_band"]["high"]["confirmed"] == 1
    assert report["spent"] == "890000"

    # A later no-evidence claim on a confirmed fake listing is charged back to the seller at once.
    minji = make_user("minji", "consumer")
    r = client.post("/v1/refunds/claims", headers=minji, json={"order_id": "ORD-A"})
    assert r.status_code == 409  # ORD-A was already refunded in full by the test-buy confirmation
