"""A fuller marketplace history than the demo's, built through the real services and the API, for the statements
of reasons to be checked against the Transparency Database's rules.

Seoul, one day: a catalog of 14 listings is loaded and screened (a fake Galaxy at 17% of the price is taken down,
one listing is held); a seller submits a Chanel "replica" that screening blocks; Samsung's notice against a Galaxy
that screening had let through is upheld with a long reason that names the seller and her e-mail; a trusted partner
takes a Chanel bag down on receipt; three shoppers report Jordans that a reviewer removes; a test buy finds a bag
fake and Chanel confirms it (a 180-day brand restriction); a reviewer confirms four more fakes against one seller
until the ladder restricts (90 and 30 days) and suspends her indefinitely; a seller under a stricter policy is
suspended for 60 days; one appeal is granted and one upheld.

Sellers' ids and names, reviewers' names and e-mail addresses are real-looking personal data on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.listing import Listing, Money
from klean.domain.policy import EnforcementPolicy
from klean.domain.policy_file import PolicyDocument
from klean.services import catalog, enforcement, registry, screening

MakeUser = Callable[..., dict[str, str]]

REGISTRY: dict[str, Any] = {
    "brands": [
        {"id": "chanel", "name": "Chanel", "owner": "Chanel S.A.", "marks": ["Chanel", "CHANEL", "샤넬"],
         "products": [{"id": "chanel.cf", "name": "Classic 11.12 Handbag (Medium)", "aliases": ["클래식 플랩"],
                       "category": "bags", "reference_price": {"amount": 15570000, "currency": "KRW"}}]},
        {"id": "samsung", "name": "Samsung Electronics", "owner": "Samsung Electronics",
         "marks": ["Samsung", "삼성", "Galaxy", "갤럭시"],
         "products": [{"id": "samsung.s24u", "name": "Galaxy S24 Ultra", "aliases": ["갤럭시 S24 울트라"],
                       "category": "phones", "reference_price": {"amount": 1698400, "currency": "KRW"}}],
         "authorized_sellers": ["samsung_official"]},
        {"id": "nike", "name": "Nike", "owner": "Nike, Inc.", "marks": ["Nike", "나이키", "Jordan", "조던"],
         "products": [{"id": "nike.aj1", "name": "Air Jordan 1 Retro High OG Chicago", "aliases": ["에어조던1 시카고"],
                       "category": "shoes", "reference_price": {"amount": 219000, "currency": "KRW"}}]},
    ],
    "sellers": [
        {"id": "user-0002", "name": "Park Seo-yeon", "strikes": 0, "account_age_days": 40},
        {"id": "kim.minji", "name": "Kim Min-ji", "strikes": 0, "account_age_days": 400},
        {"id": "luxe_outlet_77", "name": "Luxe Outlet 77", "strikes": 0, "account_age_days": 12},
        {"id": "sneaker-vault", "name": "Sneaker Vault", "strikes": 0, "account_age_days": 90},
        {"id": "samsung_official", "name": "Samsung Official Store", "strikes": 0, "account_age_days": 3650},
    ],
}

# id: (title, price KRW, seller, category)
CATALOG: dict[str, tuple[str, int, str, str]] = {
    "gx-fake": ("S-a-m-s-u-n-g Galaxy S24 Ultra 512GB 새상품", 289000, "user-0002", "phones"),
    "gx-notice": ("삼성 갤럭시 S24 울트라 512GB 미개봉 010-2345-6789 문의", 1290000, "kim.minji", "phones"),
    "gx-2": ("갤럭시 S24 울트라 256GB 자급제", 1150000, "kim.minji", "phones"),
    "gx-3": ("갤럭시 S24 울트라 티타늄 블랙", 1180000, "kim.minji", "phones"),
    "gx-4": ("Galaxy S24 Ultra titanium gray", 1210000, "kim.minji", "phones"),
    "gx-5": ("삼성 갤럭시 S24 울트라 케이스 포함", 1250000, "kim.minji", "phones"),
    "flap-trusted": ("샤넬 클래식 플랩백 미디움 블랙 캐비어", 9800000, "luxe_outlet_77", "bags"),
    "flap-qa": ("Chanel Classic Flap medium caviar", 8900000, "luxe_outlet_77", "bags"),
    "aj1-reports": ("나이키 에어조던1 시카고 새상품", 189000, "user-0002", "shoes"),
    "aj1-sv-1": ("Nike Air Jordan 1 Chicago 2022", 209000, "sneaker-vault", "shoes"),
    "aj1-sv-2": ("나이키 조던1 레트로 하이 시카고", 199000, "sneaker-vault", "shoes"),
    "tee-1": ("무지 반팔 티셔츠 화이트", 12900, "sneaker-vault", "apparel"),
    "tee-2": ("Plain cotton tee, navy", 11900, "user-0002", "apparel"),
    "gx-official": ("Galaxy S24 Ultra 512GB", 1698400, "samsung_official", "phones"),
}

LONG_NOTICE_REASON = (
    "Upheld. The seller kim.minji (Kim Min-ji, kim.minji@naver.com, 010-2345-6789 as written in the listing) offers a "
    "Galaxy S24 Ultra that Samsung's investigators bought and examined. " + " ".join(
        f"Finding {i}: the IMEI label, the box's security seal and the charger's certification mark do not match "
        f"Samsung's production records for this model and batch." for i in range(1, 26)))
LONG_HOLD_REASON = "Removed after review. " + " ".join(
    f"Point {i}: the listing copies the official photographs but the price is a fraction of the reference, and "
    f"the seller user-0002 could not show a purchase invoice when asked on the phone at 02-555-0134."
    for i in range(1, 20))
REPORT_REASON = ("Replica: the three reports agree, and seller user-0002 (Park Seo-yeon) told a buyer at "
                 "+82 10-9876-5432 they are 'UA 1:1 batch'.")


@dataclass
class History:
    """What the history did, for the assertions."""

    people: list[str] = field(default_factory=list)  # names that must never reach a statement
    listing_source: dict[str, str] = field(default_factory=dict)  # listing id -> expected TDB source_type
    suspended_until: dict[str, str | None] = field(default_factory=dict)  # seller -> end date (None: indefinite)
    restricted_until: dict[str, list[str]] = field(default_factory=dict)  # seller -> restriction end dates
    notice_listing: str = "gx-notice"
    notes: dict[str, Any] = field(default_factory=dict)


def _decide(client: TestClient, reviewer: dict[str, str], kind: str, subject_id: str, decision: str,
            reason: str) -> None:
    items = client.get("/v1/review/queue", params={"kind": kind, "limit": 500}, headers=reviewer).json()
    item = next(i for i in items if i["subject_id"] == subject_id)
    r = client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer)
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": decision, "reason": reason})
    assert r.status_code == 200, r.text


def _notice(brand: str, listing: str, name: str, email: str, why: str) -> dict[str, Any]:
    return {"brand_id": brand, "notifier_name": name, "notifier_email": email,
            "right": {"kind": "trademark", "registration_number": "40-0789123", "office": "KIPO"},
            "listings": [listing], "explanation": why, "good_faith": True, "accurate": True, "signature": name}


def build(client: TestClient, k: App, make_user: MakeUser) -> History:
    """Build the day's history; return what the statements must say about it."""
    h = History()
    registry.import_registry(uow=k.uow_factory(), data=REGISTRY, actor=None)
    sections = dict(k.policy.sections)
    sections["notices"] = {**sections.get("notices", {}), "trusted_min_decided": 1}
    k.policy = PolicyDocument(version=f"{k.policy.version}-dsa", sections=sections)
    now = datetime.now(UTC)
    catalog.load_catalog(uow=k.uow_factory(), actor=None, listings=[
        Listing(id=lid, title=title, price=Money(Decimal(price), "KRW"), seller_id=seller, category=category,
                created_at=now - timedelta(days=30))
        for lid, (title, price, seller, category) in CATALOG.items()])
    scanned = screening.screen_catalog(uow=k.uow_factory(), app_extras=k.extras, policy=k.policy)
    h.notes["scan"] = scanned["counts"]

    reviewer = make_user("rev-kim", "reviewer")
    other_reviewer = make_user("rev-lee", "reviewer")
    samsung = make_user("samsung-ip", "rights_holder", org="Samsung Electronics")
    chanel = make_user("chanel-legal", "rights_holder", org="Chanel S.A.")
    make_user("nike-legal", "rights_holder", org="Nike, Inc.")
    partner = make_user("brandshield-kr", "trusted_partner", org="Chanel S.A.")
    inspector = make_user("mystery-7", "inspector", org="Seoul Mystery Shop")
    park = make_user("park.seoyeon", "seller", seller_id="user-0002")
    make_user("minji-k", "seller", seller_id="kim.minji")
    with k.uow_factory() as uow:
        for user_id, name, email in (("rev-kim", "Kim Ji-hoon", "jihoon.kim@klean.example"),
                                     ("park.seoyeon", "Park Seo-yeon", "seoyeon.park@gmail.example"),
                                     ("minji-k", "Kim Min-ji", "kim.minji@naver.com")):
            row = uow.users.get(user_id)
            row.name, row.email = name, email
        uow.commit()
    h.people += ["user-0002", "Park Seo-yeon", "kim.minji", "Kim Min-ji", "luxe_outlet_77", "Luxe Outlet 77",
                 "sneaker-vault", "Sneaker Vault", "rev-kim", "Kim Ji-hoon", "rev-lee", "park.seoyeon", "minji-k",
                 "mystery-7", "jihoon.kim@klean.example", "seoyeon.park@gmail.example", "kim.minji@naver.com",
                 "Lee Soo-jin", "soojin.lee@samsung.example", "010-2345-6789"]

    # The scan took the fake Galaxy down (own initiative); a reviewer removes what it held, with a long reason.
    with k.uow_factory() as uow:
        status = {lid: uow.listings.get(lid).status for lid in CATALOG}
    h.notes["status_after_scan"] = status
    assert status["gx-fake"] == "blocked", status
    h.listing_source["gx-fake"] = "SOURCE_VOLUNTARY"
    assert not [lid for lid, s in status.items() if s == "held"], status

    # A seller submits a Chanel "replica": blocked before it goes live.
    r = client.post("/v1/listings", headers=park, json={
        "id": "flap-replica", "title": "Chanel Classic Flap replica, mirror quality 1:1", "price": 390000,
        "currency": "KRW", "seller_id": "user-0002", "category": "bags", "description": "", "condition": "new"})
    assert r.status_code == 201 and r.json()["status"] == "blocked", r.text
    h.listing_source["flap-replica"] = "SOURCE_VOLUNTARY"
    # ... and a Classic Flap without proof of authorisation: held; a reviewer
    # removes it with a long reason.
    r = client.post("/v1/listings", headers=park, json={
        "id": "flap-held", "title": "샤넬 클래식 플랩 미디움 새상품", "price": 12500000, "currency": "KRW",
        "seller_id": "user-0002", "category": "bags", "description": "", "condition": "new"})
    assert r.status_code == 201 and r.json()["status"] == "held", r.text
    _decide(client, reviewer, "screening", "flap-held", "remove", LONG_HOLD_REASON)
    h.listing_source["flap-held"] = "SOURCE_VOLUNTARY"

    # Samsung's notice on a Galaxy that screening let through (with its evidence): upheld with a long reason.
    assert status["gx-notice"] == "live", status
    r = client.post("/v1/notices", headers=samsung, json=_notice(
        "samsung", "gx-notice", "Lee Soo-jin", "soojin.lee@samsung.example",
        "Sold as a genuine Galaxy S24 Ultra; the IMEI label is fake."))
    assert r.status_code == 201, r.text
    case = r.json()["cases"][0]["case_id"]
    _decide(client, reviewer, "notice", str(case), "uphold", LONG_NOTICE_REASON)
    h.listing_source["gx-notice"] = "SOURCE_ARTICLE_16"

    # A trusted partner of Chanel: taken down on receipt.
    r = client.post("/v1/notices", headers=partner, json=_notice(
        "chanel", "flap-trusted", "BrandShield Korea", "takedowns@brandshield.example",
        "Mirror-grade Classic Flap: quilting and CC lock do not match."))
    assert r.status_code == 201 and r.json()["trusted"] is True, r.text
    h.listing_source["flap-trusted"] = "SOURCE_TRUSTED_FLAGGER"

    # Three shoppers report the Jordans; a reviewer removes them.
    for name in ("hana", "jun", "sophie"):
        r = client.post("/v1/reports", headers=make_user(name, "consumer"), json={
            "category": "counterfeit", "lang": "en",
            "text": "Replica sold as new, the seller says UA 1:1 batch: listing aj1-reports"})
        assert r.status_code == 201, r.text
    _decide(client, reviewer, "report", "aj1-reports", "remove", REPORT_REASON)
    h.listing_source["aj1-reports"] = "SOURCE_TYPE_OTHER_NOTIFICATION"

    # A test buy: the sampler's pick of a Chanel bag, bought, found fake, confirmed by Chanel.
    picks = client.post("/v1/qa/periods/2026-12/sample", headers=reviewer, json={
        "seed": 7, "budget_count": 20, "budget_money": 40000000, "currency": "KRW"}).json()
    assert isinstance(picks, list), picks
    pick = next((p for p in picks if p["listing_id"] == "flap-qa"), None) or \
        next(p for p in picks if p.get("brand_id") == "chanel")
    url = f"/v1/qa/picks/{pick['id']}"
    assert client.post(f"{url}/assign", headers=reviewer, json={"org": "Seoul Mystery Shop"}).status_code == 200
    r = client.post(f"{url}/purchase", headers=inspector, json={
        "order_ref": "ORD-QA-1", "amount": 8900000, "currency": "KRW",
        "purchased_at": (now - timedelta(days=3)).isoformat()})
    assert r.status_code == 200, r.text
    r = client.post(f"{url}/verdict", headers=inspector, json={
        "verdict": "fake", "notes": "Serial sticker missing; inspector Choi (choi@mysteryshop.example) has the bag"})
    assert r.status_code == 200, r.text
    r = client.post(f"{url}/confirm", headers=chanel, json={"note": "Confirmed counterfeit by Chanel Korea"})
    assert r.status_code == 200 and r.json()["listing_status"] == "removed", r.text
    h.listing_source[pick["listing_id"]] = "SOURCE_VOLUNTARY"
    h.notes["test_buy"] = pick
    h.people.append("choi@mysteryshop.example")

    # kim.minji: four more fakes confirmed by a reviewer; the ladder restricts (90 days, then 30) and suspends.
    minji = Principal("rev-kim", Role.REVIEWER)
    for lid, kind in (("gx-2", "counterfeit_confirmed"), ("gx-3", "counterfeit_confirmed"),
                      ("gx-4", "counterfeit_confirmed"), ("gx-5", "unauthorised_listing")):
        enforcement.confirm_violation(uow=k.uow_factory(), principal=minji, seller_id="kim.minji", kind=kind,
                                      cause_ref=f"review:manual-{lid}", listing_id=lid, brand_id="samsung",
                                      evidence=[f"review:manual-{lid}"])
        h.listing_source[lid] = "SOURCE_VOLUNTARY"

    # Under a stricter policy (suspension for 60 days at 2 points), sneaker-vault is suspended for a time.
    section = dict(k.policy.section("enforcement"))
    section["ladder"] = [{"points": 2, "action": "suspension", "duration_days": 60}]
    strict = EnforcementPolicy.from_section(section, f"{k.policy.version}-strict")
    enforcement.confirm_violation(uow=k.uow_factory(), principal=minji, seller_id="sneaker-vault",
                                  kind="counterfeit_confirmed", cause_ref="review:manual-aj1-sv-1",
                                  listing_id="aj1-sv-1", brand_id="nike", policy=strict)
    h.listing_source["aj1-sv-1"] = "SOURCE_VOLUNTARY"

    with k.uow_factory() as uow:
        for seller in ("kim.minji", "sneaker-vault", "luxe_outlet_77", "user-0002"):
            for a in uow.enforcement.for_seller(seller):
                if a.kind == "suspension":
                    h.suspended_until[seller] = a.expires_at.date().isoformat() if a.expires_at else None
                elif a.kind == "restriction":
                    h.restricted_until.setdefault(seller, []).append(
                        a.expires_at.date().isoformat() if a.expires_at else "")

    # Appeals: user-0002's strike for the reported Jordans is reversed by another reviewer; kim.minji's suspension
    # stands.
    seller_park = Principal("park.seoyeon", Role.SELLER, seller_id="user-0002")
    with k.uow_factory() as uow:
        strike = next(a for a in uow.enforcement.for_seller("user-0002") if a.kind == "strike"
                      and a.cause_ref.startswith("reports:"))
        suspension = next(a for a in uow.enforcement.for_seller("kim.minji") if a.kind == "suspension")
    appeal = enforcement.file_appeal(uow=k.uow_factory(), principal=seller_park, action_id=strike.id,
                                     grounds="Bought from Nike's Korean distributor; invoice NK-2026-1188.")
    enforcement.decide_appeal(uow=k.uow_factory(), principal=Principal("rev-lee", Role.REVIEWER),
                              appeal_id=appeal["id"], outcome="reverse", reason="The invoice is genuine.")
    appeal = enforcement.file_appeal(uow=k.uow_factory(), principal=Principal("minji-k", Role.SELLER,
                                                                               seller_id="kim.minji"),
                                     action_id=suspension.id, grounds="These were all genuine phones, I promise.")
    enforcement.decide_appeal(uow=k.uow_factory(), principal=Principal("rev-lee", Role.REVIEWER),
                              appeal_id=appeal["id"], outcome="uphold", reason="No proof of purchase was shown.")
    del other_reviewer
    return h
