"""Each role on a 390-px phone in Korean: sign-in lands on the role's own workspace, and no page the role reaches
from it is wider than the screen (a wide table scrolls inside its own box), with Korean set to break between
words. A real Chromium against `klean serve`; set-up through the CLI and the HTTP API, as in the journeys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser
PASSWORD = "correct horse 1"
PHONE = {"width": 390, "height": 844}
# (user, role, extra `klean users create` options, the workspace sign-in lands on)
ROLES = [
    ("root", "admin", (), "/portal/admin"),
    ("chanel-legal", "rights_holder", ("--org", "chanel-ip"), "/portal/brands"),
    ("brandshield", "trusted_partner", ("--org", "brandshield"), "/portal/brands"),
    ("shop-seoul-77", "seller", ("--seller-id", "seoul-77"), "/portal/seller"),
    ("minji", "reviewer", (), "/portal/review"),
    ("kim-inspect", "inspector", ("--org", "mystery-shop-kr"), "/portal/inspector"),
    ("hana", "consumer", (), "/portal/refund"),
]
# How far a page may be wider than the screen, in CSS pixels (rounding of fractional layout).
SLACK = 1

WIDEST = """() => {
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  const wide = [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('table'))
    .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40));
  const tables = [...document.querySelectorAll('table')]
    .filter(t => t.getBoundingClientRect().right > width + 1).length;
  return {width, page, wide, tables, wordBreak: getComputedStyle(document.body).wordBreak};
}"""


def _user(klean_cli: Callable[..., str], user_id: str, role: str, *extra: str) -> str:
    key = klean_cli("users", "create", user_id, "--role", role, *extra).strip().splitlines()[-1]
    klean_cli("users", "set-password", user_id, "--password", PASSWORD)
    return key


def _api(base: str, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{base}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def test_each_role_lands_on_its_workspace_and_no_page_is_wider_than_a_phone(  # type: ignore[no-untyped-def]
        live_server, page, klean_cli: Callable[..., str]) -> None:
    base, _env = live_server
    keys = {user: _user(klean_cli, user, role, *extra) for user, role, extra, _home in ROLES}
    _api(base, keys["root"], "/v1/brands", {"id": "chanel", "name": "Chanel", "marks": ["Chanel", "샤넬"],
                                           "owner": "chanel-ip"})
    _api(base, keys["root"], "/v1/brands/chanel/products",
         {"name": "Classic Flap Bag", "reference_price": {"amount": 14000000, "currency": "KRW"},
          "aliases": ["클래식 플랩백"]})
    for listing_id, title, price, description in [
            ("cp-7264581", "샤넬 클래식 플랩백 미디움 캐비어 골드 체인 풀구성 정품 새상품 급처합니다", 1900000,
             "백화점 구매 영수증 있음, 더스트백 박스 포함"),
            ("cp-7264590-very-long-listing-reference-from-the-marketplace-feed", "샤넬 클래식 플랩백 레플리카",
             89000, "미러급 1:1 replica")]:
        _api(base, keys["shop-seoul-77"], "/v1/listings",
             {"id": listing_id, "title": title, "price": price, "currency": "KRW", "seller_id": "seoul-77",
              "description": description})
    page.set_viewport_size(PHONE)
    too_wide: dict[str, Any] = {}
    no_keep_all: list[str] = []
    visited = 0
    for user, _role, _extra, home in ROLES:
        page.context.clear_cookies()
        page.goto(f"{base}/portal/signin?lang=ko")
        page.fill("#login", user)
        page.fill("#password", PASSWORD)
        page.click("form[action='/portal/signin'] button[type=submit]")
        page.wait_for_url(lambda url: "/portal/signin" not in url)
        assert page.url == f"{base}{home}", (user, page.url)
        links = page.eval_on_selector_all(
            "a[href^='/portal/']", "els => els.map(e => e.getAttribute('href'))")
        urls = [home] + [u for u in dict.fromkeys(links) if "lang=" not in u and not u.endswith((".svg", "/evidence"))]
        for url in urls[:12]:
            page.goto(f"{base}{url}")
            visited += 1
            measured = page.evaluate(WIDEST)
            if measured["wordBreak"] != "keep-all":
                no_keep_all.append(f"{user} {url}")
            if measured["page"] > measured["width"] + SLACK or measured["wide"]:
                too_wide[f"{user} {url}"] = measured
            page.shot(f"{user}-{url.strip('/').replace('/', '-') or 'home'}")
    assert visited >= 20, visited
    assert not too_wide, f"{len(too_wide)} pages wider than a 390-px phone: {too_wide}"
    assert not no_keep_all, f"{len(no_keep_all)} Korean pages that break inside words: {no_keep_all}"
