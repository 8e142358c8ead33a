"""Screening over HTTP on SQLite and PostgreSQL: a dry run, submissions that go live, wait for a reviewer or are
blocked (and the seller sees why), who may read a listing, and rescans when the registry changes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.services import registry, screening

REGISTRY: dict[str, Any] = {
    "brands": [
        {"id": "samsung", "name": "Samsung Electronics", "owner": "Samsung Electronics",
         "marks": ["Samsung", "SAMSUNG", "삼성", "三星", "Galaxy", "갤럭시"],
         "products": [{"id": "samsung.watch6", "name": "Galaxy Watch6 40mm", "aliases": ["갤럭시 워치6", "Watch6"],
                       "category": "wearables", "reference_price": {"amount": 299000, "currency": "KRW"}}],
         "authorized_sellers": ["samsung_official"]},
        {"id": "chanel", "name": "Chanel", "owner": "Chanel S.A.", "marks": ["Chanel", "CHANEL", "샤넬", "香奈儿"],
         "products": [{"id": "chanel.cf", "name": "Classic 11.12 Handbag (Medium)", "aliases": ["클래식 플랩"],
                       "category": "bags", "reference_price": {"amount": 15570000, "currency": "KRW"}}]},
    ],
    "sellers": [{"id": "samsung_official", "strikes": 0, "account_age_days": 3650},
                {"id": "dream_outlet_77", "strikes": 0, "account_age_days": 260},
                {"id": "seoul_deals", "strikes": 0, "account_age_days": 900}],
}


def _listing(**kw: Any) -> dict[str, Any]:
    base = {"id": "L1", "title": "Galaxy Watch6 40mm", "description": "", "price": 299000, "currency": "KRW",
            "seller_id": "dream_outlet_77", "category": "wearables", "condition": "new"}
    return {**base, **kw}


def _setup(app: App) -> None:
    registry.import_registry(uow=app.uow_factory(), data=REGISTRY, actor=None)


def test_dry_run_explains_a_disguised_cheap_watch_in_both_languages(client: TestClient, klean_app: App,
                                                                    make_user) -> None:  # type: ignore[no-untyped-def]
    _setup(klean_app)
    anyone = make_user("mina", "consumer")
    body = _listing(title="S-a-m-s-u-n-g Galaxy Watch6 40mm - new, unopened", price=30000)
    assert client.post("/v1/screen", json=body).status_code == 401

    r = client.post("/v1/screen", json=body, headers=anyone)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["flagged"] is True and out["decision"] in ("review", "block") and 0.5 <= out["score"] <= 1
    reasons = " | ".join(e["reason"] for e in out["evidence"])
    assert "spaced apart" in reasons and "S-a-m-s-u-n-g" in reasons
    assert "Price 30,000 KRW is 10% of the reference 299,000 KRW for Galaxy Watch6 40mm" in reasons
    disguise = next(e for e in out["evidence"] if "spaced" in e["reason"])
    assert body["title"][disguise["span"][0]:disguise["span"][1]] == "S-a-m-s-u-n-g"

    ko = client.post("/v1/screen?lang=ko", json=body, headers=anyone).json()
    assert any("기준가" in e["reason"] for e in ko["evidence"])
    assert client.post("/v1/screen?lang=fr", json=body, headers=anyone).status_code == 422
    assert client.post("/v1/screen", json={**body, "price": -1}, headers=anyone).status_code == 422
    assert client.post("/v1/screen", json={"title": 5}, headers=anyone).status_code == 422


def test_submissions_go_live_wait_for_review_or_are_blocked(client: TestClient, klean_app: App,
                                                            make_user) -> None:  # type: ignore[no-untyped-def]
    _setup(klean_app)
    shop = make_user("dream", "seller", seller_id="dream_outlet_77")
    official = make_user("samsung-store", "seller", seller_id="samsung_official")
    other = make_user("seoul", "seller", seller_id="seoul_deals")
    reviewer = make_user("rui", "reviewer")

    r = client.post("/v1/listings", json=_listing(id="OK1", seller_id="samsung_official"), headers=official)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "live" and r.json()["reasons"] == []

    r = client.post("/v1/listings", json=_listing(id="HOLD1", title="샤넬 클래식 플랩 미디움 새상품", price=3900000,
                                                  category="bags"), headers=shop)
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["status"] == "held" and held["decision"] == "review" and held["review_item"]
    assert any("25%" in x for x in held["reasons"])
    with klean_app.uow_factory() as uow:
        items = uow.queue.open_items(kind="screening")
        assert [i.subject_id for i in items] == ["HOLD1"]

    r = client.post("/v1/listings?lang=ko", json=_listing(
        id="BLOCK1", title="Chanel Classic Flap replica, mirror quality", price=390000, category="bags"), headers=shop)
    assert r.status_code == 201, r.text
    blocked = r.json()
    assert blocked["status"] == "blocked" and blocked["decision"] == "block"
    assert any("위조품" in x for x in blocked["reasons"])

    mine = client.get("/v1/listings/BLOCK1", headers=shop)
    assert mine.status_code == 200 and mine.json()["status"] == "blocked"
    assert any("replica" in x for x in mine.json()["reasons"])
    assert client.get("/v1/listings/BLOCK1", headers=other).status_code == 404
    assert client.get("/v1/listings/BLOCK1", headers=reviewer).status_code == 200
    assert client.get("/v1/listings/NOPE", headers=reviewer).status_code == 404

    # A seller submits only for itself, and never over another seller's listing id.
    assert client.post("/v1/listings", json=_listing(id="X9", seller_id="seoul_deals"), headers=shop).status_code == 403
    assert client.post("/v1/listings", json=_listing(id="OK1", seller_id="seoul_deals"),
                       headers=other).status_code == 409
    assert client.post("/v1/listings", json=_listing(id="R1"), headers=reviewer).status_code == 403

    with klean_app.uow_factory() as uow:
        types = [e.type for e in uow.events.list(subject_type="listing")] if hasattr(uow.events, "list") else []
    if types:
        assert "listing.submitted" in types


def test_registry_changes_rescan_the_listings_they_affect(klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _setup(klean_app)
    from klean.domain.auth import Principal, Role

    seller = Principal(user_id="seoul", role=Role.SELLER, seller_id="seoul_deals")
    listing_dict = _listing(id="W1", seller_id="seoul_deals", title="갤럭시 워치6 40mm 미개봉", price=99000)
    from klean.domain.files import listing_from_dict

    extras: dict[str, Any] = {}
    screener = screening.get_screener(uow=klean_app.uow_factory(), app_extras=extras)
    sub = screening.submit_listing(uow=klean_app.uow_factory(), principal=seller,
                                   listing=listing_from_dict(listing_dict), screener=screener)
    assert sub.status == "held"

    # Samsung authorises the seller: the held listing is rescreened and goes live.
    registry.add_authorised_seller(uow=klean_app.uow_factory(), principal=None, brand_id="samsung",
                                   seller_id="seoul_deals")
    fresh = screening.get_screener(uow=klean_app.uow_factory(), app_extras=extras)
    assert fresh is not screener
    n = screening.rescan_affected(uow=klean_app.uow_factory(), screener=fresh, seller_ids=["seoul_deals"],
                                  brand_ids=["samsung"])
    assert n == 1
    with klean_app.uow_factory() as uow:
        assert uow.listings.require("W1").status == "live"
        assert not uow.queue.open_items(kind="screening")
    # Nothing of Chanel's is affected by a Chanel change.
    assert screening.rescan_affected(uow=klean_app.uow_factory(), screener=fresh, brand_ids=["chanel"]) == 0


def test_authorising_a_seller_over_http_releases_its_held_listing(client: TestClient, klean_app: App,
                                                                  make_user) -> None:  # type: ignore[no-untyped-def]
    _setup(klean_app)
    seller = make_user("seoul", "seller", seller_id="seoul_deals")
    admin = make_user("ada", "admin")
    r = client.post("/v1/listings", json=_listing(id="W2", seller_id="seoul_deals", title="갤럭시 워치6 40mm 미개봉",
                                                  price=99000), headers=seller)
    assert r.json()["status"] == "held"
    r = client.post("/v1/brands/samsung/authorised-sellers", json={"seller_id": "seoul_deals"}, headers=admin)
    assert r.status_code == 201, r.text
    assert client.get("/v1/listings/W2", headers=seller).json()["status"] == "live"
    # A Chanel disguised with a Cyrillic е and sold as mirror grade never goes live.
    r = client.post("/v1/listings", json=_listing(id="G1", title="Chanеl 클래식 플랩 미러급", price=390000,
                                                  category="bags"), headers=make_user("d", "seller",
                                                                                      seller_id="dream_outlet_77"))
    assert r.json()["status"] == "blocked"


def _same_outcome(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> tuple[str, str]:
    dry = client.post("/v1/screen", json=body, headers=headers)
    sub = client.post("/v1/listings", json=body, headers=headers)
    assert dry.status_code == 200 and sub.status_code == 201, (dry.text, sub.text)
    assert dry.json()["decision"] == sub.json()["decision"], (body["id"], dry.json(), sub.json())
    assert dry.json()["score"] == sub.json()["score"]
    return dry.json()["decision"], sub.json()["status"]


def test_a_dry_run_gives_the_outcome_the_submission_gets(client: TestClient, klean_app: App,
                                                         make_user) -> None:  # type: ignore[no-untyped-def]
    _setup(klean_app)
    shop = make_user("seoul", "seller", seller_id="seoul_deals")
    official = make_user("samsung-store", "seller", seller_id="samsung_official")
    # A genuine-looking Galaxy Watch at its reference price: Samsung (an enrolled brand) has not authorised this
    # seller, so a submission waits for review; the dry run must say so, and why.
    body = _listing(id="W10", seller_id="seoul_deals")
    dry = client.post("/v1/screen?lang=ko", json=body, headers=shop).json()
    assert dry["decision"] == "review" and dry["flagged"] is True
    gate = [e for e in dry["evidence"] if e["signal"] == "authorisation"]
    assert len(gate) == 1 and gate[0]["brand_id"] == "samsung" and "검토" in gate[0]["reason"]
    assert _same_outcome(client, shop, body) == ("review", "held")
    assert _same_outcome(client, official, _listing(id="W11", seller_id="samsung_official")) == ("allow", "live")
    assert _same_outcome(client, shop, _listing(id="T1", seller_id="seoul_deals", title="Plain canvas tote bag",
                                                price=12000, category="bags")) == ("allow", "live")
    assert _same_outcome(client, shop, _listing(id="C1", seller_id="seoul_deals", category="bags",
                                                title="Chanel Classic Flap replica, mirror quality",
                                                price=390000)) == ("block", "blocked")


def test_a_dry_run_refuses_what_the_policy_refuses(database_url: str, tmp_path: Any) -> None:
    from klean.adapters.api.app import create_app
    from klean.bootstrap import bootstrap
    from klean.config import Settings
    from klean.domain.auth import Role
    from klean.domain.policy_file import bundled_policy_text
    from klean.services import accounts

    policy = tmp_path / "policy.toml"
    policy.write_text(bundled_policy_text().replace(
        "block_brands = []", 'block_brands = ["samsung"]'), encoding="utf-8")
    app = bootstrap(Settings(home=tmp_path / "home", policy_path=policy), database_url=database_url)
    try:
        _setup(app)
        _, key = accounts.create_user(uow=app.uow_factory(), actor=None, user_id="seoul", name="seoul",
                                      role=Role.SELLER, seller_id="seoul_deals")
        with TestClient(create_app(app)) as client:
            shop = {"Authorization": f"Bearer {key}"}
            assert _same_outcome(client, shop, _listing(id="W12", seller_id="seoul_deals")) == ("block", "blocked")
    finally:
        app.engine.dispose()


def test_a_listing_of_official_insignia_is_blocked_under_its_own_stronger_rule(
        client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _setup(klean_app)
    shop = make_user("dream", "seller", seller_id="dream_outlet_77")
    r = client.post("/v1/listings?lang=ko", json=_listing(id="BADGE1", title="금색 무궁화 국회 배지 재현품 (소장용)",
                                                          price=35000, category="collectibles"), headers=shop)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "blocked" and any("휘장 규칙" in x for x in r.json()["reasons"])
    book = client.post("/v1/listings", json=_listing(id="BOOK1", title="대한민국 경찰 100년사 (도서, 경찰 배지 화보)",
                                                      price=28000, category="books-media"), headers=shop)
    assert book.status_code == 201 and book.json()["status"] == "live"
    with klean_app.uow_factory() as uow:
        recorded = [e.payload for e in uow.events.of_types(["enforcement.violation_recorded"])]
    assert [v["kind"] for v in recorded] == ["insignia_block"]
    assert any(a["kind"] == "strike" for a in recorded[0]["actions"])  # stronger than a counterfeit block
