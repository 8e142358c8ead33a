"""Portal pages through TestClient: a consumer reports and follows in Korean, a reviewer decides a screening hit
with its evidence highlighted (and listing text that tries XSS renders inert), every page exists in ko and en."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from klean.adapters import evidence_package
from klean.adapters.screening_runtime import screener_for
from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.listing import Listing, Money
from klean.services import accounts, registry, screening

PASSWORD = "correct horse 1"


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in form"
    return m.group(1)


def _sign_in(client: TestClient, klean_app: App, make_user, user_id: str, role: str, **kw: str) -> None:  # type: ignore[no-untyped-def]
    make_user(user_id, role, **kw)
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user_id, password=PASSWORD)
    token = _csrf(client.get("/portal/signin").text)
    r = client.post("/portal/signin", data={"login": user_id, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303


def _chanel_and_a_fake(klean_app: App) -> str:
    """Chanel in the registry; a seller lists a 'genuine, new' Classic Flap Bag at 14% of its price."""
    uow = klean_app.uow_factory
    registry.create_brand(uow=uow(), principal=None, brand_id="chanel", name="Chanel", marks=["Chanel", "샤넬"],
                          owner="chanel-ip")
    registry.add_product(uow=uow(), principal=None, brand_id="chanel", name="Classic Flap Bag",
                         reference_price=Money(Decimal("14000000"), "KRW"), aliases=["클래식 플랩백"])
    seller = Principal(user_id="shop-seoul-77", role=Role.SELLER, seller_id="seoul-77")
    listing = Listing(id="cp-7264581", title="샤넬 클래식 플랩백 <script>alert(1)</script>",
                      price=Money(Decimal("1900000"), "KRW"), seller_id="seoul-77", description="정품 새상품 급처")
    sub = screening.submit_listing(uow=uow(), principal=seller, listing=listing, screener=screener_for(klean_app))
    assert sub.status == "held"
    return listing.id


def test_consumer_reports_in_korean_and_follows_the_case(client: TestClient) -> None:
    form = client.get("/portal/report")
    assert form.status_code == 200 and "가품" in form.text
    r = client.post("/portal/report", data={
        "csrf_token": _csrf(form.text), "category": "counterfeit", "listing": "https://market.example/vp/99",
        "text": "정품이라고 하는데 가격이 너무 싸고 로고가 삐뚤어요", "contact_email": ""})
    assert r.status_code == 201, r.text
    number = re.search(r'id="case-number">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    token = re.search(r'id="follow-token">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    followed = client.get("/portal/follow", params={"case": number, "t": token})
    assert followed.status_code == 200 and "접수됨" in followed.text
    wrong = client.get("/portal/follow", params={"case": number, "t": "not-the-token"})
    assert wrong.status_code == 404 and "접수됨" not in wrong.text


def test_report_without_csrf_is_refused(client: TestClient) -> None:
    r = client.post("/portal/report", data={"category": "counterfeit", "text": "가짜 같아요 정말로"})
    assert r.status_code == 403


def test_reviewer_decides_a_screening_hit_with_evidence_highlighted(client: TestClient, klean_app: App,
                                                                   make_user) -> None:  # type: ignore[no-untyped-def]
    listing_id = _chanel_and_a_fake(klean_app)
    _sign_in(client, klean_app, make_user, "minji", "reviewer")
    queue = client.get("/portal/review?lang=en")
    assert queue.status_code == 200 and listing_id in queue.text
    item_id = int(re.search(r'/portal/review/(\d+)/claim', queue.text).group(1))  # type: ignore[union-attr]
    r = client.post(f"/portal/review/{item_id}/claim", data={"csrf_token": _csrf(queue.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/portal/review/{item_id}")
    assert '<mark class="evidence">' in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "14,000,000 KRW" in page.text and "1,900,000 KRW" in page.text
    reason = re.search(r'name="reason" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post(f"/portal/review/{item_id}/decide",
                    data={"csrf_token": _csrf(page.text), "reason": reason, "decision": "remove"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/review"
    with klean_app.uow_factory() as uow:
        assert uow.listings.require(listing_id).status == "removed"
        assert uow.queue.get(item_id).state != "claimed"


def test_seller_sees_why_a_listing_was_blocked_and_appeals(client: TestClient, klean_app: App,
                                                           make_user) -> None:  # type: ignore[no-untyped-def]
    _chanel_and_a_fake(klean_app)
    seller = Principal(user_id="shop-seoul-77", role=Role.SELLER, seller_id="seoul-77")
    replica = Listing(id="cp-7264590", title="샤넬 클래식 플랩백 레플리카", price=Money(Decimal("89000"), "KRW"),
                      seller_id="seoul-77", description="미러급 1:1 replica")
    sub = screening.submit_listing(uow=klean_app.uow_factory(), principal=seller, listing=replica,
                                   screener=screener_for(klean_app))
    assert sub.status == "blocked"
    _sign_in(client, klean_app, make_user, "shop-seoul-77", "seller", seller_id="seoul-77")
    centre = client.get("/portal/seller?lang=ko")
    assert centre.status_code == 200 and "cp-7264590" in centre.text
    page = client.get("/portal/seller/listings/cp-7264590")
    assert page.status_code == 200 and '<mark class="evidence">' in page.text
    assert 'id="reasons"' in page.text
    action_id = int(re.search(r'/portal/seller/actions/(\d+)/appeal', page.text).group(1))  # type: ignore[union-attr]
    r = client.post(f"/portal/seller/actions/{action_id}/appeal", follow_redirects=False, data={
        "csrf_token": _csrf(page.text),
        "grounds": "이 가방은 공식 매장 영수증이 있는 정품입니다. 레플리카라는 단어는 비교 문구였습니다.",
        "back": "/portal/seller/listings/cp-7264590"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/seller/listings/cp-7264590"
    with klean_app.uow_factory() as uow:
        assert [a.state for a in uow.appeals.for_seller("seoul-77")] == ["open"]
    # another seller cannot see the listing
    client.post("/portal/signout", data={"csrf_token": _csrf(page.text)})
    _sign_in(client, klean_app, make_user, "shop-busan-3", "seller", seller_id="busan-3")
    assert client.get("/portal/seller/listings/cp-7264590").status_code == 404


def test_rights_holder_registers_a_brand_and_files_a_notice_from_csv(client: TestClient, klean_app: App,
                                                                     make_user) -> None:  # type: ignore[no-untyped-def]
    _sign_in(client, klean_app, make_user, "gm-legal", "rights_holder", org="iicombined")
    page = client.get("/portal/brands?lang=en")
    assert page.status_code == 200
    r = client.post("/portal/brands", follow_redirects=False, data={
        "csrf_token": _csrf(page.text), "brand_id": "gentle-monster", "name": "Gentle Monster",
        "marks": "Gentle Monster\n젠틀몬스터"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/brands/gentle-monster"
    brand = client.get("/portal/brands/gentle-monster")
    r = client.post("/portal/brands/gentle-monster/products", follow_redirects=False, data={
        "csrf_token": _csrf(brand.text), "name": "Lilit 01", "price": "329,000", "currency": "KRW",
        "aliases": "릴릿"})
    assert r.status_code == 303
    assert "329,000 KRW" in client.get("/portal/brands/gentle-monster").text
    seller = Principal(user_id="shop-daegu", role=Role.SELLER, seller_id="daegu-9")
    for n, title in enumerate(["젠틀몬스터 릴릿 선글라스", "Gentle Monster Lilit sunglasses"]):
        screening.submit_listing(uow=klean_app.uow_factory(), principal=seller, screener=screener_for(klean_app),
                                 listing=Listing(id=f"gm-{n}", title=title, price=Money(Decimal("39000"), "KRW"),
                                                 seller_id="daegu-9"))
    form = client.get("/portal/notices/new")
    csv_bytes = b'listing,note\ngm-0,"=HYPERLINK(""http://evil"")"\ngm-1,copy\n'
    r = client.post("/portal/notices", follow_redirects=False,
                    files={"csv_file": ("listings.csv", csv_bytes, "text/csv")},
                    data={"csrf_token": _csrf(form.text), "brand_id": "gentle-monster",
                          "notifier_name": "Kim Ji-won", "notifier_email": "ip@gentlemonster.example",
                          "registration_number": "40-1234567", "office": "KIPO",
                          "explanation": "Sunglasses sold at 12% of the retail price under our registered mark.",
                          "good_faith": "true", "accurate": "true", "signature": "Kim Ji-won"})
    assert r.status_code == 303, r.text
    cases = client.get("/portal/cases")
    assert cases.status_code == 200 and "gm-0" in cases.text and "gm-1" in cases.text
    case_id = int(re.search(r'/portal/cases/(\d+)"', cases.text).group(1))  # type: ignore[union-attr]
    assert client.get(f"/portal/cases/{case_id}").status_code == 200
    assert klean_app.settings.signing_key_path is not None
    evidence_package.keygen(klean_app.settings.signing_key_path)
    package = client.get(f"/portal/cases/{case_id}/evidence")
    assert package.status_code == 200 and package.content[:2] == b"PK", package.text[-800:]


def test_pages_keep_to_their_roles_and_forms_need_the_token(client: TestClient, klean_app: App,
                                                            make_user) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/portal/seller", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/signin?next=/portal/seller"
    _sign_in(client, klean_app, make_user, "shop-seoul-77", "seller", seller_id="seoul-77")
    for url in ("/portal/review", "/portal/brands", "/portal/admin", "/portal/inspector", "/portal/refund"):
        page = client.get(url)
        assert page.status_code == 403 and "역할" in page.text, url
    assert client.post("/portal/review/1/claim").status_code == 403
    assert client.post("/portal/seller/actions/1/appeal", data={"grounds": "x" * 20}).status_code == 403


def test_report_photos_are_validated_and_stored(client: TestClient, klean_app: App) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="PNG")
    form = client.get("/portal/report")
    data = {"csrf_token": _csrf(form.text), "category": "misleading", "listing": "cp-404",
            "text": "공식 사진을 도용했고 정품이라고 주장합니다"}
    svg = b"<svg onload=alert(1)>"
    bad = client.post("/portal/report", data=data, files=[("photos", ("evil.png", svg, "image/png"))])
    assert bad.status_code == 422
    good = client.post("/portal/report", data=data, files=[("photos", ("bag.png", buf.getvalue(), "image/png"))])
    assert good.status_code == 201
    number = re.search(r'id="case-number">([^<]+)<', good.text).group(1)  # type: ignore[union-attr]
    with klean_app.uow_factory() as uow:
        report, _ = uow.reports.by_number(number)
    assert re.search(r"photo sha256:[0-9a-f]{64}", report.text)


def test_anonymous_reports_are_rate_limited(client: TestClient) -> None:
    from klean.adapters.api.routes.reports import ANONYMOUS_REPORTS_PER_HOUR

    token = _csrf(client.get("/portal/report").text)
    data = {"csrf_token": token, "category": "counterfeit", "text": "가짜 같아요, 로고가 달라요"}
    codes = [client.post("/portal/report", data=data).status_code for _ in range(ANONYMOUS_REPORTS_PER_HOUR + 1)]
    assert codes[:-1] == [201] * ANONYMOUS_REPORTS_PER_HOUR and codes[-1] == 429


def test_consumer_claims_a_refund_for_an_order(client: TestClient, klean_app: App,
                                               make_user) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from klean.domain.refunds import Order
    from klean.services import refunds

    now = datetime.now(UTC)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=Principal("marketplace-sync", Role.ADMIN),
                        orders=[Order(id="ord-20261101-8812", listing_id="lst-airpods-pro2", seller_id="gadget-hub",
                                      buyer_id="hana", amount=Decimal(359000), currency="KRW",
                                      purchased_at=now - timedelta(days=9), delivered_at=now - timedelta(days=6),
                                      buyer_since=datetime(2019, 3, 1, tzinfo=UTC))])
    _sign_in(client, klean_app, make_user, "hana", "consumer")
    form = client.get("/portal/refund")
    assert form.status_code == 200 and "환불" in form.text
    r = client.post("/portal/refund", data={"csrf_token": _csrf(form.text), "order_id": "ord-20261101-8812",
                                            "note": "소리가 정품과 다르고 시리얼 번호 조회가 안 됩니다"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/portal/refund")
    assert "ord-20261101-8812" in page.text and "359,000 KRW" in page.text
    stranger = client.post("/portal/refund", data={"csrf_token": _csrf(page.text), "order_id": "ord-not-mine"})
    assert stranger.status_code == 422
