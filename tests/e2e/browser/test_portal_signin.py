"""A person signs in on a phone-sized Chromium, in Korean, and switches to English."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytestmark = pytest.mark.browser


def test_reviewer_signs_in_in_korean_then_english(live_server, page, klean_cli: Callable[..., str]) -> None:  # type: ignore[no-untyped-def]
    base, _env = live_server
    klean_cli("users", "create", "minji", "--role", "reviewer")
    klean_cli("users", "set-password", "minji", "--password", "correct horse 1")
    page.goto(f"{base}/portal/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.shot("home-ko")
    page.click("text=로그인")
    page.fill("#login", "minji")
    page.fill("#password", "correct horse 1")
    page.shot("signin-ko")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/review")  # a reviewer lands on the review queue
    assert "minji" in page.inner_text("body") and "검토 대기열" in page.inner_text("h1")
    page.click("text=English")
    assert "Review queue" in page.inner_text("h1")
    page.goto(f"{base}/portal/")
    assert "Signed in as minji (reviewer)." in page.inner_text("body")
    page.shot("home-en")
