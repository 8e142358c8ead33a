"""Abuse limits inside the app: dry-run screenings are rate limited and screen a bounded text, anonymous reports
say when to come back, and reporters' addresses are kept as keyed digests even without KLEAN_SECRET_KEY."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from fastapi.testclient import TestClient

from klean.adapters.mail.inbound import RateLimiter
from klean.bootstrap import App

MakeUser = Callable[..., dict[str, str]]
REPORT = {"category": "counterfeit", "lang": "en",
          "text": "Sold as a genuine Chanel Classic Flap for 89,000 won; the CC logo is upside down."}


def test_dry_run_screenings_are_rate_limited_per_key(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    klean_app.settings.rate_limit_window_seconds = 3600
    klean_app.settings.rate_limit_screen_per_key = 2
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    with TestClient(create_app(klean_app)) as client:
        body = {"title": "Chanel classic flap", "price": 89_000, "currency": "KRW"}
        codes = [client.post("/v1/screen", json=body, headers=seller).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = client.post("/v1/screen", json=body, headers=seller)
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 3600


def test_only_the_first_characters_are_screened_and_the_result_says_so(client: TestClient,
                                                                      make_user: MakeUser) -> None:
    from klean.domain.screening import SCREENED_TEXT_LIMIT

    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    long = "Gently used leather bag, no box. " * 3000  # 96,000 characters
    r = client.post("/v1/screen?lang=en", headers=seller,
                    json={"title": "Tote bag", "description": long, "price": 89_000, "currency": "KRW"})
    assert r.status_code == 200, r.text
    notes = [e for e in r.json()["evidence"] if e["signal"] == "text_limit"]
    ignored = len("Tote bag") + 1 + len(long) - SCREENED_TEXT_LIMIT
    assert len(notes) == 1 and notes[0]["weight"] == 0
    assert notes[0]["reason"] == (f"Only the first {SCREENED_TEXT_LIMIT:,} characters of the text were screened; "
                                  f"the remaining {ignored:,} were ignored")
    short = client.post("/v1/screen", headers=seller, json={"title": "Tote bag", "description": long[:5000],
                                                           "price": 89_000, "currency": "KRW"})
    assert not [e for e in short.json()["evidence"] if e["signal"] == "text_limit"]


def test_anonymous_reports_over_the_limit_say_when_to_come_back(client: TestClient, klean_app: App) -> None:
    klean_app.extras["anonymous_report_limiter"] = RateLimiter(limit=1, window=3600)
    assert client.post("/v1/reports", json=REPORT).status_code == 201
    r = client.post("/v1/reports", json=REPORT)
    assert r.status_code == 429 and 3500 <= int(r.headers["Retry-After"]) <= 3600
    page = client.get("/portal/report").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/portal/report", data={"csrf_token": token, "category": "counterfeit", "text": REPORT["text"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_reporters_addresses_are_keyed_with_the_generated_secret(client: TestClient, klean_app: App) -> None:
    assert not klean_app.settings.secret_key  # no KLEAN_SECRET_KEY: the generated one must key the digest
    from sqlalchemy import text

    number = client.post("/v1/reports", json=REPORT).json()["case_number"]
    with klean_app.engine.connect() as c:
        stored = c.execute(text("SELECT reporter_key FROM consumer_reports WHERE case_number = :n"),
                           {"n": number}).scalar_one()
    host = "testclient"  # TestClient's client address
    unkeyed = "client:" + hashlib.sha256(f"\x00{host}".encode()).hexdigest()[:32]
    assert stored != unkeyed  # anyone could recompute that for every IPv4 address
    secret = (klean_app.settings.home / "secret_key").read_text().strip()
    expected = hmac.new(secret.encode(), f"reporter\x00{host}".encode(), hashlib.sha256).hexdigest()[:32]
    assert stored == "client:" + expected
