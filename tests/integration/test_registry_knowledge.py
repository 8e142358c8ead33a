"""Brand knowledge owned by the rights holder, over HTTP on SQLite and PostgreSQL: Tiffany's rights holder adds a
community nickname, a design cue and a same-name use, and the very next screening uses each (and stops using it once
removed); the default pack can be turned off; bad terms are a 422 naming the field; another owner gets 404; every
change is an event, and listings already live are rescreened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.domain.registry_rules import brand_term_id
from klean.services import registry

Headers = dict[str, str]
TIFFANY = {"brands": [{"id": "tiffany", "name": "Tiffany & Co.", "owner": "Tiffany & Co.",
                       "marks": ["Tiffany", "티파니"],
                       "products": [{"id": "tiffany.t1-ring", "name": "Tiffany T1 Ring", "aliases": ["T1 링"],
                                     "category": "jewellery",
                                     "reference_price": {"amount": 1380000, "currency": "KRW"}}]},
                      {"id": "hermes", "name": "Hermès", "owner": "Hermès", "marks": ["Hermès", "에르메스"]}],
           "sellers": [{"id": "gangnam-jewel", "name": "강남주얼리", "account_age_days": 40}]}


@pytest.fixture
def people(klean_app: App, make_user: Callable[..., Headers]) -> dict[str, Headers]:
    registry.import_registry(uow=klean_app.uow_factory(), data=TIFFANY, actor=None)
    return {"tiffany": make_user("tiffany-ip", "rights_holder", org="Tiffany & Co."),
            "hermes": make_user("hermes-ip", "rights_holder", org="Hermès"),
            "admin": make_user("ada", "admin"),
            "reviewer": make_user("rui", "reviewer"),
            "buyer": make_user("minji", "consumer")}


def _screen(client: TestClient, who: Headers, title: str, price: int = 59000) -> dict[str, Any]:
    r = client.post("/v1/screen", headers=who, json={
        "id": "gj-1", "title": title, "description": "", "price": price, "currency": "KRW",
        "seller_id": "gangnam-jewel", "condition": "new"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _reasons(result: dict[str, Any]) -> str:
    return " | ".join(e["reason"] for e in result["evidence"])


def _add(client: TestClient, who: Headers, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/brands/tiffany/knowledge", headers=who, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_nickname_added_is_used_by_the_next_screening_and_gone_once_removed(
        client: TestClient, klean_app: App, people: dict[str, Headers]) -> None:
    listing = "티퐈니 반지 새상품 정품급"  # the jamo-altered nickname only, no mark, at 4% of the price
    before = _screen(client, people["buyer"], listing)
    assert before["flagged"] is False and "nickname" not in _reasons(before)

    term = _add(client, people["tiffany"], term="티퐈니", kind="nickname")
    assert term == {"id": brand_term_id("nickname", "티퐈니"), "term": "티퐈니", "kind": "nickname",
                    "weight": 0.45, "with_product": False, "source": "registry", "in_use": True}
    after = _screen(client, people["buyer"], listing)
    assert after["flagged"] is True and after["decision"] in ("review", "block")
    assert "“티퐈니” is a nickname for Tiffany & Co." in _reasons(after)
    nick = next(e for e in after["evidence"] if "nickname" in e["reason"])
    assert nick["brand_id"] == "tiffany" and listing[nick["span"][0]:nick["span"][1]] == "티퐈니"

    r = client.delete(f"/v1/brands/tiffany/knowledge/{term['id']}", headers=people["tiffany"])
    assert r.status_code == 204, r.text
    gone = _screen(client, people["buyer"], listing)
    assert gone["flagged"] is False and "티퐈니" not in _reasons(gone)
    assert client.delete(f"/v1/brands/tiffany/knowledge/{term['id']}", headers=people["tiffany"]).status_code == 404

    with klean_app.uow_factory() as uow:
        events = [(e.type, e.actor, e.payload.get("term")) for e in uow.events.for_subject("brand", "tiffany")]
    assert events[-2:] == [("brand.term_added", "tiffany-ip", "티퐈니"), ("brand.term_removed", "tiffany-ip", "티퐈니")]


def test_a_design_cue_counts_like_the_mark_and_stops_when_removed(client: TestClient,
                                                                  people: dict[str, Headers]) -> None:
    listing = "리턴 투 하트 태그 목걸이 새상품 정품급"
    assert _screen(client, people["buyer"], listing)["flagged"] is False
    cue = _add(client, people["tiffany"], term="리턴 투 하트 태그", kind="design_cue", weight=0.4)
    flagged = _screen(client, people["buyer"], listing)
    assert flagged["flagged"] is True
    assert "“리턴 투 하트 태그” describes a signature design of Tiffany & Co." in _reasons(flagged)
    assert client.delete(f"/v1/brands/tiffany/knowledge/{cue['id']}", headers=people["tiffany"]).status_code == 204
    assert _screen(client, people["buyer"], listing)["flagged"] is False


def test_a_same_name_use_stops_a_false_mention(client: TestClient, people: dict[str, Headers]) -> None:
    # A Tiffany lamp is a stained-glass style, not the jeweller: with 정품급 in the text it looked like a fake.
    listing = "티파니 램프 스테인드글라스 정품급 새상품"
    before = _screen(client, people["buyer"], listing)
    assert before["flagged"] is True and "Mentions the mark 티파니" in _reasons(before)
    collision = _add(client, people["tiffany"], term="티파니 램프", kind="collision", weight=0.9)
    assert collision["weight"] == 0.0  # a collision has no strength: it marks text that is not the brand
    after = _screen(client, people["buyer"], listing)
    assert after["flagged"] is False and not any(e["brand_id"] == "tiffany" for e in after["evidence"])
    # The collision stops only that use: the jeweller's name elsewhere is still the brand.
    assert _screen(client, people["buyer"], "티파니 반지 정품급 새상품")["flagged"] is True


def test_knowledge_lists_own_and_pack_terms_and_the_pack_can_be_turned_off(
        client: TestClient, klean_app: App, people: dict[str, Headers]) -> None:
    _add(client, people["tiffany"], term="티앤코", kind="nickname", weight=0.5)
    r = client.get("/v1/brands/tiffany/knowledge", headers=people["tiffany"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["brand_id"] == "tiffany" and body["use_pack"] is True and body["pack_version"]
    own = [t for t in body["terms"] if t["source"] == "registry"]
    pack = [t for t in body["terms"] if t["source"] != "registry"]
    assert [(t["term"], t["weight"]) for t in own] == [("티앤코", 0.5)]
    assert body["terms"][0]["term"] == "티앤코"  # own terms first
    assert pack and all(t["source"] == f"pack:{body['pack_version']}" and t["in_use"] for t in pack)
    assert ("민트박스", "design_cue") in {(t["term"], t["kind"]) for t in pack}
    assert ("breakfast at tiffany", "collision") in {(t["term"], t["kind"]) for t in pack}
    # A pack term is not the rights holder's to delete: the pack is turned off instead.
    pack_cue = next(t for t in pack if t["term"] == "민트박스")
    r = client.delete(f"/v1/brands/tiffany/knowledge/{pack_cue['id']}", headers=people["tiffany"])
    assert r.status_code == 409 and r.json()["error"]["field"] == "term_id"

    listing = "민트박스 포함 하트 목걸이 정품급 새상품"  # the pack's "mint box" cue, no mark
    assert _screen(client, people["buyer"], listing)["flagged"] is True
    r = client.put("/v1/brands/tiffany/knowledge/pack", headers=people["tiffany"], json={"use_pack": False})
    assert r.status_code == 200 and r.json()["use_pack"] is False
    assert not any(t["in_use"] for t in r.json()["terms"] if t["source"] != "registry")
    assert _screen(client, people["buyer"], listing)["flagged"] is False
    assert registry.export_registry(uow=klean_app.uow_factory(), principal=None)["brands"][1]["pack"] is False
    r = client.put("/v1/brands/tiffany/knowledge/pack", headers=people["tiffany"], json={"use_pack": True})
    assert r.status_code == 200 and _screen(client, people["buyer"], listing)["flagged"] is True
    with klean_app.uow_factory() as uow:
        changes = [e.payload["use_pack"] for e in uow.events.for_subject("brand", "tiffany")
                   if e.type == "brand.pack_changed"]
    assert changes == [False, True]
    # The reviewer reads the knowledge (to judge a hit), the admin may change it.
    assert client.get("/v1/brands/tiffany/knowledge", headers=people["reviewer"]).status_code == 200
    assert client.post("/v1/brands/tiffany/knowledge", headers=people["reviewer"],
                       json={"term": "티파", "kind": "nickname"}).status_code == 403
    assert client.post("/v1/brands/tiffany/knowledge", headers=people["admin"],
                       json={"term": "티파", "kind": "nickname"}).status_code == 201


def test_a_live_listing_that_only_uses_a_new_nickname_is_rescreened(client: TestClient, klean_app: App,
                                                                    people: dict[str, Headers],
                                                                    make_user: Callable[..., Headers]) -> None:
    shop = make_user("gangnam", "seller", seller_id="gangnam-jewel")
    r = client.post("/v1/listings", headers=shop, json={
        "id": "gj-77", "title": "뜌땨니 하트 태그 목걸이 새상품 정품급", "price": 59000, "currency": "KRW",
        "seller_id": "gangnam-jewel"})
    assert r.status_code == 201 and r.json()["status"] == "live", r.text
    _add(client, people["tiffany"], term="뜌땨니", kind="nickname")
    with klean_app.uow_factory() as uow:
        stored = uow.listings.require("gj-77")
    assert stored.status in ("held", "blocked") and "tiffany" in stored.brand_ids


@pytest.mark.parametrize("body,status,field", [
    ({"term": "   ", "kind": "nickname"}, 422, "term"),
    ({"term": "T" * 201, "kind": "nickname"}, 422, "term"),
    ({"term": "티파", "kind": "slogan"}, 422, "kind"),
    ({"term": "티파", "kind": "nickname", "weight": 1.5}, 422, "weight"),
    ({"term": "티파", "kind": "nickname", "weight": -0.1}, 422, "weight"),
    ({"term": "\u200b", "kind": "nickname"}, 422, "term"),
    ({"term": "티파", "kind": "nickname", "colour": "blue"}, 422, "colour"),
    ({"term": "ＴＩＦＦ", "kind": "nickname"}, 409, "term"),  # "tiff" registered below, fullwidth here
])
def test_bad_terms_are_refused_naming_the_field(client: TestClient, people: dict[str, Headers],
                                                body: dict[str, Any], status: int, field: str) -> None:
    _add(client, people["tiffany"], term="tiff", kind="nickname")
    r = client.post("/v1/brands/tiffany/knowledge", headers=people["tiffany"], json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field, r.json()


def test_at_most_500_terms_per_brand(client: TestClient, klean_app: App, people: dict[str, Headers]) -> None:
    data = {"brands": [{**TIFFANY["brands"][0], "nicknames": [f"티파{i}" for i in range(500)]}]}
    registry.import_registry(uow=klean_app.uow_factory(), data=data, actor=None)
    r = client.post("/v1/brands/tiffany/knowledge", headers=people["tiffany"],
                    json={"term": "티퐈", "kind": "nickname"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "term" and "500" in r.json()["error"]["message"]


def test_another_owners_rights_holder_gets_404(client: TestClient, people: dict[str, Headers]) -> None:
    term = _add(client, people["tiffany"], term="티퐈니", kind="nickname")
    hermes = people["hermes"]
    for method, path, body in [
        ("GET", "/v1/brands/tiffany/knowledge", None),
        ("POST", "/v1/brands/tiffany/knowledge", {"term": "티파니앤코 st", "kind": "nickname"}),
        ("DELETE", f"/v1/brands/tiffany/knowledge/{term['id']}", None),
        ("PUT", "/v1/brands/tiffany/knowledge/pack", {"use_pack": False}),
    ]:
        r = client.request(method, path, headers=hermes, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "not_found"
    mine = client.get("/v1/brands/tiffany/knowledge", headers=people["tiffany"]).json()
    assert mine["use_pack"] is True and [t["term"] for t in mine["terms"] if t["source"] == "registry"] == ["티퐈니"]
    assert client.get("/v1/brands/tiffany/knowledge", headers=people["buyer"]).status_code == 403
