"""Every portal page exists in Korean and English: each GET page answers 200 in both, and the Korean page shows
no English sentence the English page shows (data such as listing titles and ids aside)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from klean.adapters.screening_runtime import screener_for
from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.cases import NoticeDraft, RightClaim
from klean.domain.listing import Listing, Money
from klean.domain.reports import ReportDraft
from klean.services import accounts, notices, registry, reports, screening

PASSWORD = "correct horse 1"
ENGLISH = re.compile(r"[A-Za-z]{3,}(?:[ ,'-]+[A-Za-z]{2,}){2,}")  # three English words or more in a row


class _Text(HTMLParser):
    """Visible text, without what is data rather than interface (code, listing text, user-entered cells)."""

    SKIP = {"script", "style", "code", "textarea", "option"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag in self.SKIP or "data" in classes.split() or "listing-text" in classes.split():
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag in self.SKIP | {"div", "span", "td"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def english_runs(html: str, data: Iterable[str]) -> set[str]:
    parser = _Text()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for d in data:
        text = text.replace(d, " ")
    return set(ENGLISH.findall(text))


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _as(client: TestClient, klean_app: App, user_id: str) -> None:
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user_id, password=PASSWORD)
    page = client.get("/portal/signin")
    if 'action="/portal/signout"' in page.text:
        client.post("/portal/signout", data={"csrf_token": _csrf(page.text)})
        page = client.get("/portal/signin")
    r = client.post("/portal/signin", data={"login": user_id, "password": PASSWORD, "csrf_token": _csrf(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303


@pytest.fixture
def story(klean_app: App, make_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Chanel's registry, a held and a blocked listing of one seller, a consumer report, a notice case."""
    uow = klean_app.uow_factory
    for user_id, role, kw in [("minji", "reviewer", {}), ("shop-seoul-77", "seller", {"seller_id": "seoul-77"}),
                              ("chanel-legal", "rights_holder", {"org": "chanel-ip"}), ("hana", "consumer", {}),
                              ("kim-inspect", "inspector", {"org": "mystery-shop-kr"}), ("root", "admin", {}),
                              ("brandshield", "trusted_partner", {"org": "brandshield"})]:
        make_user(user_id, role, **kw)
    registry.create_brand(uow=uow(), principal=None, brand_id="chanel", name="Chanel", marks=["Chanel", "샤넬"],
                          owner="chanel-ip")
    registry.add_product(uow=uow(), principal=None, brand_id="chanel", name="Classic Flap Bag",
                         reference_price=Money(Decimal("14000000"), "KRW"), aliases=["클래식 플랩백"])
    seller = Principal(user_id="shop-seoul-77", role=Role.SELLER, seller_id="seoul-77")
    for lid, title, price, desc in [("cp-1", "샤넬 클래식 플랩백", 1900000, "정품 새상품 급처"),
                                    ("cp-2", "샤넬 클래식 플랩백 레플리카", 89000, "미러급 1:1 replica")]:
        screening.submit_listing(uow=uow(), principal=seller, screener=screener_for(klean_app),
                                 listing=Listing(id=lid, title=title, price=Money(Decimal(price), "KRW"),
                                                 seller_id="seoul-77", description=desc))
    answer, _ = reports.submit_report(uow=uow(), principal=None, policy=notices.notice_policy(klean_app.policy),
                                      draft=ReportDraft(category="counterfeit", text="로고가 삐뚤어요 가짜 같아요",
                                                        lang="ko", listings=("cp-1",)), channel="portal")
    holder = Principal(user_id="chanel-legal", role=Role.RIGHTS_HOLDER, org="chanel-ip")
    filed, _ = notices.file_notice(uow=uow(), principal=holder, policy=notices.notice_policy(klean_app.policy),
                                   draft=NoticeDraft(brand_id="chanel", notifier_name="Lee Seo-yeon",
                                                     notifier_email="ip@chanel.example",
                                                     right=RightClaim(registration_number="40-0123456",
                                                                      office="KIPO"),
                                                     listings=("cp-1",), explanation="Not a genuine Chanel bag.",
                                                     good_faith=True, accurate=True, signature="Lee Seo-yeon"))
    with uow() as u:
        items = u.queue.open_items(limit=50)
    return {"case_number": answer["case_number"], "token": answer["follow_token"],
            "case_id": str(filed["cases"][0]["case_id"]), "item_id": str(items[0].id)}


# The statement of reasons (class "data") comes from enforcement with its clauses already in English.
DATA = ["Classic Flap Bag", "Not a genuine Chanel bag.", "Lee Seo-yeon", "Chanel", "mystery-shop-kr"]


def test_every_page_in_korean_and_english(client: TestClient, klean_app: App, story: dict[str, str]) -> None:
    s = story
    pages: dict[str | None, list[str]] = {
        None: ["/portal/", "/portal/signin", "/portal/report", "/portal/follow",
               f"/portal/follow?case={s['case_number']}&t={s['token']}", "/portal/transparency"],
        "hana": ["/portal/refund"],
        "minji": ["/portal/review", f"/portal/review/{s['item_id']}"],
        "shop-seoul-77": ["/portal/seller", "/portal/seller/listings/cp-1", "/portal/seller/listings/cp-2"],
        "chanel-legal": ["/portal/brands", "/portal/brands/chanel", "/portal/notices/new", "/portal/cases",
                         f"/portal/cases/{s['case_id']}"],
        "kim-inspect": ["/portal/inspector"],
        "root": ["/portal/admin"],
    }
    leftovers: dict[str, set[str]] = {}
    for user, urls in pages.items():
        if user is not None:
            _as(client, klean_app, user)
        for url in urls:
            sep = "&" if "?" in url else "?"
            ko = client.get(f"{url}{sep}lang=ko")
            en = client.get(f"{url}{sep}lang=en")
            assert ko.status_code == 200 and en.status_code == 200, (url, ko.status_code, en.status_code)
            assert '<html lang="ko">' in ko.text and '<html lang="en">' in en.text
            leaked = english_runs(ko.text, DATA) & english_runs(en.text, DATA)
            if leaked:
                leftovers[url] = leaked
    assert not leftovers, f"English left on Korean pages: {leftovers}"


# ---- Indonesian, Thai, Vietnamese: the consumer pages, every string translated ----------------------------------

SEA = ("id", "th", "vi")
# Data and names that read the same in every language: ids, currencies, the time zone, the language switch.
SAME_EVERYWHERE = re.compile(
    r"R-\d{8}-\w+|ord-[\w-]+|\b(?:KRW|UTC|Klean|English|Bahasa Indonesia|Tiếng Việt|hana|shop-seoul-77)\b|Asia/Seoul")
SAME_WORD = {"id": {"Status"}}  # Indonesian says "Status" too


class _Nodes(_Text):
    """Visible text, one entry per text node, so a single untranslated label is seen as well as a sentence."""


def text_nodes(html: str) -> set[str]:
    parser = _Nodes()
    parser.feed(html)
    return set(parser.parts)


def untranslated_nodes(page: str, english: str, lang: str) -> set[str]:
    """Text nodes the page shows exactly as the English page does and that still hold a word once data is
    taken out: an untranslated string."""
    same = text_nodes(page) & text_nodes(english)
    return {n for n in same if n.strip(" :") not in SAME_WORD.get(lang, set())
            and re.search(r"[A-Za-z]{2,}", SAME_EVERYWHERE.sub(" ", n))}


def _order(klean_app: App, order_id: str, *, delivered_days_ago: int = 6) -> None:
    from datetime import UTC, datetime, timedelta

    from klean.domain.refunds import Order
    from klean.services import refunds

    now = datetime.now(UTC)
    refunds.post_orders(uow=klean_app.uow_factory(), principal=Principal("marketplace-sync", Role.ADMIN),
                        orders=[Order(id=order_id, listing_id="lst-airpods-pro2", seller_id="gadget-hub",
                                      buyer_id="hana", amount=Decimal(359000), currency="KRW",
                                      purchased_at=now - timedelta(days=delivered_days_ago + 3),
                                      delivered_at=now - timedelta(days=delivered_days_ago),
                                      buyer_since=datetime(2019, 3, 1, tzinfo=UTC))])


def _with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def test_every_consumer_page_in_indonesian_thai_and_vietnamese(client: TestClient, klean_app: App,
                                                               story: dict[str, str]) -> None:
    """Each page a consumer meets, with ?lang=id, th and vi: the language asked for, no string left in English
    (compared node by node with the English page), no 'shown in English' note; errors included."""
    s = story
    _order(klean_app, "ord-20261101-8812")
    _order(klean_app, "ord-20250102-0001", delivered_days_ago=400)  # the claim window has closed

    def anonymous(lang: str) -> dict[str, object]:
        pages: dict[str, object] = {}
        for url, status in [("/portal/", 200), ("/portal/signin", 200), ("/portal/report", 200),
                            ("/portal/follow", 200), (f"/portal/follow?case={s['case_number']}&t={s['token']}", 200),
                            (f"/portal/follow?case={s['case_number']}&t=wrong", 404), ("/portal/no-such-page", 404),
                            ("/portal/refund", 200)]:  # the refund page sends the anonymous to sign in
            r = client.get(_with_lang(url, lang))
            assert r.status_code == status, (url, lang, r.status_code)
            pages[url] = r
        token = _csrf(pages["/portal/report"].text)  # type: ignore[attr-defined]
        pages["report: too short"] = client.post(_with_lang("/portal/report", lang), data={
            "csrf_token": token, "category": "counterfeit", "text": "fake"})
        pages["report: no form token"] = client.post(_with_lang("/portal/report", lang), data={
            "category": "counterfeit", "text": "fake bag, crooked logo"})
        pages["report: sent"] = client.post(_with_lang("/portal/report", lang), data={
            "csrf_token": token, "category": "unsafe", "text": "charger gets hot, no safety mark", "listing": "cp-1"})
        pages["sign-in: wrong password"] = client.post(_with_lang("/portal/signin", lang), data={
            "csrf_token": token, "login": "hana", "password": "not the password"})
        return pages

    def signed_in(lang: str) -> dict[str, object]:
        pages: dict[str, object] = {"start": client.get(_with_lang("/portal/", lang))}
        token = _csrf(pages["start"].text)  # type: ignore[attr-defined]
        for name, order in [("refund: not yours", "ord-not-mine"), ("refund: window closed", "ord-20250102-0001")]:
            pages[name] = client.post(_with_lang("/portal/refund", lang),
                                      data={"csrf_token": token, "order_id": order})
        pages["refund: list"] = client.get(_with_lang("/portal/refund", lang))
        return pages

    def check(pages: dict[str, object], english: dict[str, object], lang: str, leftovers: dict[str, set[str]]) -> None:
        for name, page in pages.items():
            html = page.text  # type: ignore[attr-defined]
            assert f'<html lang="{lang}">' in html, (name, lang)
            assert 'class="lang-note"' not in html, (name, lang)
            leaked = untranslated_nodes(html, english[name].text, lang)  # type: ignore[attr-defined]
            if leaked:
                leftovers[f"{lang} {name}"] = leaked

    leftovers: dict[str, set[str]] = {}
    english = anonymous("en")
    for lang in SEA:
        check(anonymous(lang), english, lang, leftovers)
    _as(client, klean_app, "hana")
    first = client.get("/portal/refund?lang=en")
    r = client.post("/portal/refund", data={"csrf_token": _csrf(first.text), "order_id": "ord-20261101-8812"},
                    follow_redirects=False)
    assert r.status_code == 303
    english = signed_in("en")
    for lang in SEA:
        check(signed_in(lang), english, lang, leftovers)
    _as(client, klean_app, "shop-seoul-77")  # the refund page is not for a seller: the error page says so
    english = {"refund: not for sellers": client.get("/portal/refund?lang=en")}
    for lang in SEA:
        page = client.get(f"/portal/refund?lang={lang}")
        assert page.status_code == 403
        check({"refund: not for sellers": page}, english, lang, leftovers)
    assert not leftovers, f"English left on consumer pages: {leftovers}"


def test_server_messages_and_values_follow_the_page_language(client: TestClient, klean_app: App,
                                                             make_user) -> None:  # type: ignore[no-untyped-def]
    """Validation errors, statuses, amounts and dates in the page's language: Indonesian writes 359.000, Thai
    says the claim window closed on a Thai date, Vietnamese says the claim is already waiting for review."""
    from klean.services import refunds

    make_user("hana", "consumer")
    _order(klean_app, "ord-1")
    _order(klean_app, "ord-old", delivered_days_ago=400)
    _order(klean_app, "ord-2")
    _as(client, klean_app, "hana")
    form = client.get("/portal/refund?lang=id")
    r = client.post("/portal/refund", data={"csrf_token": _csrf(form.text), "order_id": "ord-1"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/portal/refund")
    assert "Pengajuan pengembalian dana #1 untuk pesanan ord-1 disetujui." in page.text
    assert "359.000 KRW" in page.text and "Disetujui" in page.text
    again = client.post("/portal/refund", data={"csrf_token": _csrf(page.text), "order_id": "ord-1"})
    assert again.status_code == 422 and "Dana untuk pesanan ord-1 sudah dikembalikan sepenuhnya." in again.text

    closed = client.post("/portal/refund?lang=th", data={"csrf_token": _csrf(page.text), "order_id": "ord-old"})
    assert closed.status_code == 422 and "หมดเวลาขอคืนเงินสำหรับคำสั่งซื้อนี้แล้วเมื่อวันที่" in closed.text

    with klean_app.uow_factory() as uow:
        order = uow.orders.get("ord-2")
        assert order is not None
        uow.refunds.add_claim(order=order, amount=order.amount, origin="consumer", status="review", note="",
                              checks=[], at=order.delivered_at, decided_by=None)
        uow.commit()
    waiting = client.post("/portal/refund?lang=vi", data={"csrf_token": _csrf(page.text), "order_id": "ord-2"})
    assert waiting.status_code == 422, waiting.text
    assert "Yêu cầu hoàn tiền cho đơn hàng ord-2 đã được gửi và đang chờ xem xét." in waiting.text
    assert "Đang chờ xem xét" in waiting.text  # the claim in review, in the list below
    assert refunds.list_claims(uow=klean_app.uow_factory(), principal=Principal("hana", Role.CONSUMER))


def test_a_consumer_files_a_report_in_thai_and_follows_it(client: TestClient, klean_app: App) -> None:
    """Thai from the start page to the case status: the choice is made once, every later page is Thai, a mistake
    is explained in Thai, the report is stored as a Thai one, and switching language keeps the case open."""
    start = client.get("/portal/?lang=th")
    assert start.status_code == 200 and "แจ้งสินค้าที่สงสัยว่าปลอม" in start.text
    form = client.get("/portal/report")  # no ?lang= any more: remembered
    assert '<html lang="th">' in form.text and "ส่งเรื่อง" in form.text and "สินค้าปลอม" in form.text
    data = {"csrf_token": _csrf(form.text), "category": "counterfeit", "listing": "https://shop.example.co.th/i/77",
            "text": "ปลอม"}
    short = client.post("/portal/report", data=data)
    assert short.status_code == 422 and "กรุณาอธิบายปัญหาอย่างน้อย 5 ตัวอักษร" in short.text
    assert "ปลอม" in short.text  # what was typed is kept
    data["text"] = "โลโก้เบี้ยว ราคาถูกผิดปกติ ร้านบอกว่าของแท้ 100% แต่กล่องไม่มีสติกเกอร์"
    done = client.post("/portal/report", data=data)
    assert done.status_code == 201, done.text
    assert "ขอบคุณ เราได้รับเรื่องของคุณแล้ว" in done.text and "รหัสติดตาม" in done.text
    number = re.search(r'id="case-number">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
    link = re.search(r'id="follow-link" href="([^"]+)"', done.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    followed = client.get(link)
    assert followed.status_code == 200 and '<html lang="th">' in followed.text
    assert "ได้รับเรื่องแล้ว" in followed.text and "สินค้าปลอม" in followed.text and "UTC" in followed.text
    with klean_app.uow_factory() as uow:
        report, _ = uow.reports.by_number(number)
        assert report.lang == "th" and report.category == "counterfeit"
    switch = re.search(r'href="([^"]*lang=vi)"', followed.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert f"case={number}" in switch
    vi = client.get(f"/portal/follow{switch}")
    assert vi.status_code == 200 and "Đã tiếp nhận" in vi.text and number in vi.text


def test_the_language_choice_is_remembered(client: TestClient) -> None:
    """?lang= sets a year-long cookie; later pages use it; an unknown ?lang= changes nothing; Korean stays the
    default; pages that are not for consumers say that parts are in English."""
    assert '<html lang="ko">' in client.get("/portal/").text
    first = client.get("/portal/follow?lang=vi")
    assert first.cookies.get("klean_lang") == "vi"
    for url in ("/portal/", "/portal/report", "/portal/signin", "/portal/follow?lang=fr"):
        page = client.get(url)
        assert '<html lang="vi">' in page.text, url
        assert 'class="lang-note"' not in page.text, url
    assert "klean_lang" not in client.get("/portal/follow?lang=fr").cookies
    transparency = client.get("/portal/transparency")
    assert '<html lang="vi">' in transparency.text and 'class="lang-note"' in transparency.text
    assert "chưa có tiếng Việt" in transparency.text
    client.get("/portal/?lang=id")
    assert '<html lang="id">' in client.get("/portal/report").text
    client.get("/portal/?lang=ko")
    page = client.get("/portal/report")
    assert '<html lang="ko">' in page.text and 'class="lang-note"' not in page.text
    for code, name in (("id", "Bahasa Indonesia"), ("th", "ไทย"), ("vi", "Tiếng Việt")):
        assert f'hreflang="{code}" lang="{code}">{name}</a>' in page.text
