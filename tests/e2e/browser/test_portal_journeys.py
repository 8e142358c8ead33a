"""Four journeys through the portal in a real Chromium on a phone-sized screen, against `klean serve`:
a consumer reports a fake in Korean and follows it; a rights holder registers a brand and files a notice; a seller
sees why a listing was blocked and appeals; a reviewer decides the queue item with the keyboard.

Set-up that is not part of the journey (users, the Chanel registry, sellers' listings) goes through the CLI and the
HTTP API of the same server, as a marketplace's integration would."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser
PASSWORD = "correct horse 1"


def _user(klean_cli: Callable[..., str], user_id: str, role: str, *extra: str) -> str:
    """Create a user with a portal password; return its API key."""
    key = klean_cli("users", "create", user_id, "--role", role, *extra).strip().splitlines()[-1]
    klean_cli("users", "set-password", user_id, "--password", PASSWORD)
    return key


def _api(base: str, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{base}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def _chanel(base: str, klean_cli: Callable[..., str]) -> None:
    admin = _user(klean_cli, "root", "admin")
    _api(base, admin, "/v1/brands", {"id": "chanel", "name": "Chanel", "marks": ["Chanel", "샤넬"],
                                     "owner": "chanel-ip"})
    _api(base, admin, "/v1/brands/chanel/products",
         {"name": "Classic Flap Bag", "reference_price": {"amount": 14000000, "currency": "KRW"},
          "aliases": ["클래식 플랩백"]})


def _listing(base: str, seller_key: str, listing_id: str, title: str, price: int, description: str) -> str:
    answer = _api(base, seller_key, "/v1/listings", {"id": listing_id, "title": title, "price": price,
                                                     "currency": "KRW", "seller_id": "seoul-77",
                                                     "description": description})
    return str(answer["status"])


def _sign_in(page, base: str, user_id: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/portal/signin")
    page.fill("#login", user_id)
    page.fill("#password", PASSWORD)
    page.click("form[action='/portal/signin'] button[type=submit]")
    page.wait_for_url(lambda url: "/portal/signin" not in url)  # the role's own workspace


def test_consumer_reports_a_fake_in_korean_and_follows_it(live_server, page) -> None:  # type: ignore[no-untyped-def]
    base, _env = live_server
    page.goto(f"{base}/portal/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.click("text=가품 신고")
    page.wait_for_url(f"{base}/portal/report")
    page.fill("#listing", "https://www.example-market.kr/vp/products/7264581")
    page.select_option("#category", "counterfeit")
    page.fill("#text", "정품이라고 하는데 가격이 너무 싸고 로고 박음질이 삐뚤어요. 정품 박스도 없어요.")
    page.fill("#contact_email", "hana@example.kr")
    page.shot("report-form-ko")
    page.click("form[action='/portal/report'] button[type=submit]")
    page.wait_for_selector("#case-number")
    number = page.inner_text("#case-number")
    assert re.fullmatch(r"R-\d{8}-[0-9A-Z]{6}", number)
    assert "신고가 접수되었습니다" in page.inner_text("body")
    page.shot("report-received-ko")
    page.click("#follow-link")
    page.wait_for_selector("#case-status")
    status = page.inner_text("#case-status")
    assert number in status and "접수됨" in status
    page.shot("follow-ko")
    page.goto(f"{base}/portal/transparency")
    assert "투명성 보고서" in page.inner_text("h1")
    page.wait_for_load_state("networkidle")
    page.shot("transparency-ko")


def test_rights_holder_registers_a_brand_and_files_a_notice(live_server, page,  # type: ignore[no-untyped-def]
                                                            klean_cli: Callable[..., str]) -> None:
    base, _env = live_server
    _user(klean_cli, "gm-legal", "rights_holder", "--org", "iicombined")
    seller = _user(klean_cli, "shop-seoul-77", "seller", "--seller-id", "seoul-77")
    _sign_in(page, base, "gm-legal")
    page.goto(f"{base}/portal/brands?lang=en")
    page.shot("brands-en")
    page.fill("#brand_id", "gentle-monster")
    page.fill("#name", "Gentle Monster")
    page.fill("#marks", "Gentle Monster\n젠틀몬스터")
    page.click("#new-brand button[type=submit]")
    page.wait_for_url(f"{base}/portal/brands/gentle-monster")
    assert "Brand gentle-monster registered." in page.inner_text("body")
    page.fill("#pname", "Lilit 01")
    page.fill("#price", "329000")
    page.fill("#aliases", "릴릿")
    page.click("#products button[type=submit]")
    page.wait_for_selector("text=329,000 KRW")
    # The community's short name for the brand, so that screening knows it without the mark.
    page.fill("#kterm", "젠몬")
    page.select_option("#kkind", "nickname")
    page.click("#add-term button[type=submit]")
    page.wait_for_selector("text=Term “젠몬” added.")
    page.shot("brand-en")
    # A seller lists two pairs at 12% of the price once the brand is in the registry.
    _listing(base, seller, "gm-7731", "젠틀몬스터 릴릿 선글라스 새상품", 39000, "")
    _listing(base, seller, "gm-7732", "Gentle Monster Lilit sunglasses", 39000, "")
    page.goto(f"{base}/portal/notices/new")
    page.select_option("#brand_id", "gentle-monster")
    page.fill("#registration_number", "40-1234567")
    page.fill("#office", "KIPO")
    page.fill("#listings", "gm-7731\ngm-7732")
    page.fill("#explanation", "Sunglasses sold under our registered mark at 12% of the retail price.")
    page.fill("#notifier_name", "Kim Ji-won")
    page.fill("#notifier_email", "ip@gentlemonster.example")
    page.check("input[name=good_faith]")
    page.check("input[name=accurate]")
    page.fill("#signature", "Kim Ji-won")
    page.shot("notice-en")
    page.click("#notice button[type=submit]")
    page.wait_for_url(f"{base}/portal/cases")
    body = page.inner_text("body")
    assert "Notice filed: 2 cases opened." in body and "gm-7731" in body and "gm-7732" in body
    page.shot("cases-en")


def test_seller_sees_why_a_listing_was_blocked_and_appeals(live_server, page,  # type: ignore[no-untyped-def]
                                                           klean_cli: Callable[..., str]) -> None:
    base, _env = live_server
    _chanel(base, klean_cli)
    seller = _user(klean_cli, "shop-seoul-77", "seller", "--seller-id", "seoul-77")
    assert _listing(base, seller, "cp-7264590", "샤넬 클래식 플랩백 레플리카", 89000, "미러급 1:1 replica") == "blocked"
    _sign_in(page, base, "shop-seoul-77")
    page.click("text=판매자 센터")
    page.wait_for_url(f"{base}/portal/seller")
    assert "차단됨" in page.inner_text("#listings")
    page.shot("seller-centre-ko")
    page.click("#listings >> text=이유 보기")
    page.wait_for_selector("#why")
    assert page.locator("#reasons li").count() >= 1
    assert page.locator("#why mark.evidence").count() >= 1
    page.shot("blocked-listing-ko")
    page.fill("textarea[name=grounds]", "공식 매장 영수증이 있는 정품입니다. '레플리카'는 비교를 위한 문구였습니다.")
    page.click("form[action$='/appeal'] button[type=submit]")
    page.wait_for_selector(".flash")
    assert "이의 신청" in page.inner_text(".flash") and "접수" in page.inner_text(".flash")
    page.shot("appealed-ko")


def test_reviewer_decides_the_queue_item_with_the_keyboard(live_server, page,  # type: ignore[no-untyped-def]
                                                           klean_cli: Callable[..., str]) -> None:
    base, _env = live_server
    _chanel(base, klean_cli)
    seller = _user(klean_cli, "shop-seoul-77", "seller", "--seller-id", "seoul-77")
    title = "샤넬 클래식 플랩백 <img src=x onerror=alert(1)>"
    assert _listing(base, seller, "cp-7264581", title, 1900000, "정품 새상품 급처") == "held"
    _user(klean_cli, "minji", "reviewer")
    _sign_in(page, base, "minji")
    page.goto(f"{base}/portal/review")
    assert "cp-7264581" in page.inner_text("#queue")
    page.shot("queue-ko")
    page.keyboard.press("c")  # claim the first item
    page.wait_for_selector("#listing")
    assert page.locator("#listing-text mark.evidence").count() >= 1
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#listing-text")  # shown as text, never run
    assert "1,900,000 KRW" in page.inner_text("#prices") and "14,000,000 KRW" in page.inner_text("#prices")
    page.shot("item-ko")
    page.locator("input[name=reason]").first.check()  # first click: the reason
    page.keyboard.press("u")  # second: the decision (remove)
    page.wait_for_url(f"{base}/portal/review")
    assert "결정 완료" in page.inner_text(".flash")
    page.shot("decided-ko")
