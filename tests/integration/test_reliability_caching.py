"""What `klean serve` remembers per worker for screener_recheck_seconds (the screener, API key look-ups), and what
it never remembers (failures; anything at all when the setting is 0, as in every other test)."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.services import accounts

MakeUser = Callable[..., dict[str, str]]


def test_a_revoked_key_is_refused_at_once_without_caching(client: TestClient, make_user: MakeUser) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    assert client.get("/v1/me", headers=seller).status_code == 200
    key_id = seller["Authorization"].split("_")[1]
    assert client.delete(f"/v1/users/me/keys/{key_id}", headers=seller).status_code in (200, 204)
    assert client.get("/v1/me", headers=seller).status_code == 401


def test_with_recheck_a_revoked_key_expires_from_the_cache(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    klean_app.settings.screener_recheck_seconds = 0.5
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    with TestClient(create_app(klean_app)) as client:
        assert client.get("/v1/me", headers=seller).status_code == 200
        principal = accounts.authenticate(uow=klean_app.uow_factory(), api_key=seller["Authorization"][7:])
        accounts.revoke_key(uow=klean_app.uow_factory(), actor=principal,
                            key_id=seller["Authorization"].split("_")[1])
        # Within the window this worker still knows the key (the documented price of not asking the database) ...
        assert client.get("/v1/me", headers=seller).status_code == 200
        time.sleep(0.6)
        # ... after it, the database is asked again and the key is refused.
        assert client.get("/v1/me", headers=seller).status_code == 401
        # A wrong key is never remembered as good.
        assert client.get("/v1/me", headers={"Authorization": "Bearer klean_0000_nope"}).status_code == 401


def test_with_recheck_registry_changes_made_here_are_seen_at_once(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    klean_app.settings.screener_recheck_seconds = 3600.0  # only this process's own changes can refresh it
    admin = make_user("ada", "admin")
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    listing = {"title": "Gentle Monster Lilit sunglasses 정품급 S급", "price": 39_000, "currency": "KRW"}
    with TestClient(create_app(klean_app)) as client:
        before = client.post("/v1/screen", json=listing, headers=seller).json()
        r = client.post("/v1/brands", headers=admin, json={
            "id": "gentlemonster", "name": "Gentle Monster", "owner": "IICOMBINED", "marks": ["Gentle Monster"]})
        assert r.status_code == 201, r.text
        after = client.post("/v1/screen", json=listing, headers=seller).json()
        assert after["score"] > before["score"]
        assert any(e.get("brand_id") == "gentlemonster" for e in after["evidence"])
