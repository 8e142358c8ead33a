"""A consumer in Thailand on a phone-sized Chromium: picks ไทย in the language switch, reports a fake in Thai, is
told in Thai what is missing, follows the case; the choice holds on every later page. Screenshots of each step."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_consumer_reports_a_fake_in_thai_and_follows_it(live_server, page) -> None:  # type: ignore[no-untyped-def]
    base, _env = live_server
    page.goto(f"{base}/portal/")
    page.click("header .lang a[hreflang=th]")
    page.wait_for_url(f"{base}/portal/?lang=th")
    assert page.locator("html").get_attribute("lang") == "th"
    page.click("text=แจ้งสินค้าปลอม")
    page.wait_for_url(f"{base}/portal/report")  # no ?lang= any more: the choice is remembered
    assert page.locator("html").get_attribute("lang") == "th"
    page.fill("#listing", "https://shop.example.co.th/product/laneige-lip-sleeping-mask-77")
    page.select_option("#category", "counterfeit")
    page.fill("#text", "ร้านบอกว่าของแท้ 100% แต่ราคาถูกผิดปกติ กล่องไม่มีสติกเกอร์ อย. และเนื้อครีมกลิ่นแปลก")
    page.shot("report-form-th")
    page.click("form[action='/portal/report'] button[type=submit]")
    page.wait_for_selector("#case-number")
    number = page.inner_text("#case-number")
    assert re.fullmatch(r"R-\d{8}-[0-9A-Z]{6}", number)
    assert "เราได้รับเรื่องของคุณแล้ว" in page.inner_text("body")
    page.shot("report-received-th")
    page.click("#follow-link")
    page.wait_for_selector("#case-status")
    status = page.inner_text("#case-status")
    assert number in status and "ได้รับเรื่องแล้ว" in status and "สินค้าปลอม" in status
    page.shot("follow-th")
    page.click("header .lang a[hreflang=vi]")  # the same case, in Vietnamese
    page.wait_for_selector("#case-status")
    assert page.locator("html").get_attribute("lang") == "vi" and "Đã tiếp nhận" in page.inner_text("#case-status")
    page.shot("follow-vi")
