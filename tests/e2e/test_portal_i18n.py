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
