"""Under `klean serve` (screener_recheck_seconds > 0) the database is asked once, not once per waiting request, when
a remembered API key or the held screener expires; and failures are never remembered."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from klean.adapters.api import deps
from klean.adapters.screening_runtime import recheck_lock, screener_for
from klean.bootstrap import App
from klean.domain.errors import Unauthenticated
from klean.services import accounts

MakeUser = Callable[..., dict[str, str]]


def run_async(coro_factory: Callable[[], Any]) -> Any:
    """asyncio.run in a thread of its own: the browser tests' session-long Playwright keeps an event loop running in
    this worker's main thread, and asyncio.run refuses to start inside a running loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _counting_authenticate(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = accounts.authenticate

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["api_key"])
        time.sleep(0.05)  # a slow database: the other requests arrive while this look-up is running
        return real(**kwargs)

    monkeypatch.setattr(accounts, "authenticate", counted)
    return calls


def test_concurrent_requests_with_an_expired_key_share_one_lookup(
        klean_app: App, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch) -> None:
    klean_app.settings.screener_recheck_seconds = 60.0
    key = make_user("busan-shades", "seller", seller_id="busan-shades")["Authorization"][7:]
    calls = _counting_authenticate(monkeypatch)

    async def eight() -> list[Any]:
        return await asyncio.gather(*(deps._authenticate_once(klean_app, klean_app.uow_factory(), key, 60.0)
                                      for _ in range(8)))

    principals = run_async(eight)
    assert len(calls) == 1
    assert {p.user_id for p in principals} == {"busan-shades"}
    assert deps._remembered(klean_app, key) is not None


def test_a_wrong_key_fails_every_waiter_and_is_not_remembered(
        klean_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    klean_app.settings.screener_recheck_seconds = 60.0
    calls = _counting_authenticate(monkeypatch)
    wrong = "klean_0000_nope"

    async def eight() -> list[Any]:
        return await asyncio.gather(*(deps._authenticate_once(klean_app, klean_app.uow_factory(), wrong, 60.0)
                                      for _ in range(8)), return_exceptions=True)

    outcomes = run_async(eight)
    assert all(isinstance(o, Unauthenticated) for o in outcomes)
    assert len(calls) == 1
    assert deps._remembered(klean_app, wrong) is None
    run_async(eight)
    assert len(calls) == 2  # asked again: failures are not remembered


def test_one_registry_reread_at_a_time_the_others_keep_the_held_screener(klean_app: App) -> None:
    klean_app.settings.screener_recheck_seconds = 60.0
    held = screener_for(klean_app)
    stale = time.monotonic() - 120
    klean_app.extras["screener_checked"] = (stale, held)
    with recheck_lock(klean_app):  # another thread is re-reading the registry
        assert screener_for(klean_app) is held
        assert klean_app.extras["screener_checked"][0] == stale  # not re-read here
    screener_for(klean_app)
    assert klean_app.extras["screener_checked"][0] > stale  # re-read once nobody else is


def test_a_stale_screener_still_answers_dry_runs_and_is_refreshed(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    klean_app.settings.screener_recheck_seconds = 0.2
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    listing = {"title": "샤넬 클래식 플랩백 미러급 정품급", "price": 89_000, "currency": "KRW"}
    with TestClient(create_app(klean_app)) as client:
        first = client.post("/v1/screen", json=listing, headers=seller)
        assert first.status_code == 200, first.text
        checked = klean_app.extras["screener_checked"][0]
        time.sleep(0.3)
        again = client.post("/v1/screen", json=listing, headers=seller)
        assert again.status_code == 200 and again.json() == first.json()
        deadline = time.monotonic() + 10
        while klean_app.extras["screener_checked"][0] == checked and time.monotonic() < deadline:
            time.sleep(0.05)
        assert klean_app.extras["screener_checked"][0] > checked  # re-read in the background
