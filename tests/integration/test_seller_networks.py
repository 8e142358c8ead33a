"""Seller networks on SQLite and PostgreSQL: ban evasion held before the first listing goes live, with the reason;
honest resellers posting the brand's official photos not linked; a changed account's live listings held; the
reviewer's removal confirms the evasion under `linked_to_suspended`, appealable as usual; the network over HTTP by
role (personal data masked for rights holders); the batch rebuild agreeing with the incremental networks.

The story: "Gangnam Luxe" sold fake Chanel bags and was suspended after three failed test buys. A week later
"Seoul Bags 2" opens with the same bank account written with spaces instead of dashes. Two honest resellers post
Chanel's official product photo; "Jeju Crafts" shares nothing with anyone.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.services import enforcement, evidence, registry, seller_networks

REGISTRY: dict[str, Any] = {
    "brands": [
        {"id": "chanel", "name": "Chanel", "owner": "Chanel S.A.", "marks": ["Chanel", "CHANEL", "샤넬"],
         "products": [{"id": "chanel.cf", "name": "Classic 11.12 Handbag (Medium)", "aliases": ["클래식 플랩"],
                       "category": "bags", "reference_price": {"amount": 15570000, "currency": "KRW"}}]},
        {"id": "gentle-monster", "name": "Gentle Monster", "owner": "IICOMBINED", "marks": ["Gentle Monster"]},
    ],
    "sellers": [{"id": s, "strikes": 0, "account_age_days": 400}
                for s in ("gangnam-luxe", "seoul-bags-2", "jeju-crafts", "reseller-a", "reseller-b")],
}
OFFICIAL = f"{random.Random(1).getrandbits(256):064x}"  # Chanel's official product photo
OWN_PHOTO = f"{random.Random(2).getrandbits(256):064x}"  # a photo Gangnam Luxe took itself


def _near(h: str, bits: int, seed: int) -> str:
    v = int(h, 16)
    for bit in random.Random(seed).sample(range(256), bits):
        v ^= 1 << bit
    return f"{v:064x}"


def _listing(lid: str, seller: str, **kw: Any) -> dict[str, Any]:
    base = {"id": lid, "title": "Handmade leather card wallet", "description": "", "price": 39000, "currency": "KRW",
            "seller_id": seller, "category": "accessories", "condition": "new"}
    return {**base, **kw}


def _suspend(k: App, seller: str) -> None:
    with k.uow_factory() as uow:
        for i in range(3):  # three failed test buys: 9 points, past the suspension step of the ladder
            enforcement.record_violation(uow=uow, seller_id=seller, kind="test_buy_fake", actor="inspector-park",
                                         cause_ref=f"testbuy:{seller}:{i}", evidence=[f"testbuy:{i}"])
        uow.commit()
        assert uow.enforcement.seller_status(seller) == "suspended"


def _setup(client: TestClient, k: App, make_user: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    registry.import_registry(uow=k.uow_factory(), data=REGISTRY, actor=None)
    with k.uow_factory() as uow:
        uow.image_banks.add(bank="official", pdq=OFFICIAL, brand_id="chanel", source_ref="chanel.com")
        uow.commit()
    users = {s: make_user(f"user-{s}", "seller", seller_id=s) for s in
             ("gangnam-luxe", "seoul-bags-2", "jeju-crafts", "reseller-a", "reseller-b")}
    users["reviewer"] = make_user("minji", "reviewer")
    users["other-reviewer"] = make_user("jisoo", "reviewer")
    users["chanel"] = make_user("chanel-legal", "rights_holder", org="Chanel S.A.")
    users["gm"] = make_user("gm-legal", "rights_holder", org="IICOMBINED")
    r = client.put("/v1/verification/identity", headers=users["gangnam-luxe"],
                   json={"name": "김민수", "bank_account": "110-123-456789", "phone": "010-1234-5678",
                         "address": "서울특별시 강남구 테헤란로 123, 4층"})
    assert r.status_code == 200, r.text
    r = client.post("/v1/listings", headers=users["gangnam-luxe"],
                    json=_listing("gl-1", "gangnam-luxe", title="Chanel classic flap, photos of the real item",
                                  images=[{"pdq": OFFICIAL}, {"pdq": OWN_PHOTO}], category="bags", price=14000000))
    assert r.status_code == 201, r.text
    _suspend(k, "gangnam-luxe")
    return users


def test_a_suspended_sellers_new_account_sharing_the_bank_account_is_held_before_its_first_listing_goes_live(
        client: TestClient, klean_app: App, make_user: Callable[..., dict[str, str]]) -> None:
    users = _setup(client, klean_app, make_user)
    with klean_app.uow_factory() as uow:
        since = uow.seller_networks.standings(["gangnam-luxe"])["gangnam-luxe"].since
    assert since is not None

    # The same account number, written differently, on a brand-new account.
    r = client.put("/v1/verification/identity", headers=users["seoul-bags-2"],
                   json={"name": "이민수", "bank_account": "110 123 456789"})
    assert r.status_code == 200, r.text
    r = client.post("/v1/listings", headers=users["seoul-bags-2"], json=_listing("sb-1", "seoul-bags-2"))
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["status"] == "held", held
    reason = f"Shares the bank account of seller gangnam-luxe, suspended since {since}."
    assert reason in held["reasons"]
    assert any(e["signal"] == "seller_network" and e["reason"] == reason for e in held["evidence"])
    ko = client.get("/v1/listings/sb-1?lang=ko", headers=users["seoul-bags-2"]).json()
    assert any("gangnam-luxe" in x and "은행 계좌" in x for x in ko["reasons"]), ko["reasons"]
    with klean_app.uow_factory() as uow:
        item = next(i for i in uow.queue.open_items(kind="screening") if i.subject_id == "sb-1")
        assert reason in item.payload["reasons"]
        assert uow.seller_networks.network_of("seoul-bags-2") == uow.seller_networks.network_of("gangnam-luxe")

    # An account that shares nothing goes live.
    r = client.put("/v1/verification/identity", headers=users["jeju-crafts"],
                   json={"bank_account": "3333-01-2345678", "phone": "010-9876-5432"})
    assert r.status_code == 200
    r = client.post("/v1/listings", headers=users["jeju-crafts"], json=_listing("jc-1", "jeju-crafts"))
    assert r.json()["status"] == "live", r.json()
    assert not any(e["signal"] == "seller_network" for e in r.json()["evidence"])

    # The reviewer removes the held listing: ban evasion confirmed, the account suspended, appealable as usual.
    item_id = held["review_item"]
    r = client.post(f"/v1/review/items/{item_id}/claim", headers=users["reviewer"])
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/review/items/{item_id}/decide", headers=users["reviewer"],
                    json={"decision": "remove", "reason": "same bank account as the suspended Gangnam Luxe"})
    assert r.status_code == 200, r.text
    with klean_app.uow_factory() as uow:
        assert uow.enforcement.seller_status("seoul-bags-2") == "suspended"
        actions = uow.enforcement.for_seller("seoul-bags-2")
    suspension = next(a for a in actions if a.kind == "suspension")
    assert suspension.violation_kind == "linked_to_suspended"
    r = client.post(f"/v1/enforcement/actions/{suspension.id}/appeal", headers=users["seoul-bags-2"],
                    json={"grounds": "The account belongs to my cousin's shop; we share a business account."})
    assert r.status_code == 201, r.text


def test_honest_resellers_posting_the_brands_official_photo_are_not_linked(
        client: TestClient, klean_app: App, make_user: Callable[..., dict[str, str]]) -> None:
    users = _setup(client, klean_app, make_user)
    for seller, bits in (("reseller-a", 0), ("reseller-b", 9)):  # one re-saved it (a few bits off)
        r = client.post("/v1/listings", headers=users[seller], json=_listing(
            f"{seller}-1", seller, title="Chanel classic flap bag, pre-owned, receipt from the boutique",
            images=[{"pdq": _near(OFFICIAL, bits, seed=3)}], category="bags", price=9800000, condition="used"))
        assert r.status_code == 201, r.text
        assert not any(e["signal"] == "seller_network" for e in r.json()["evidence"])
    with klean_app.uow_factory() as uow:
        assert seller_networks.links_for(uow=uow, seller_id="reseller-a") == []
        assert uow.seller_networks.network_of("reseller-a") is None
    # Its own photo, though, is a fact: reusing it links (weakly: a photo alone does not hold).
    r = client.post("/v1/listings", headers=users["reseller-b"], json=_listing(
        "reseller-b-2", "reseller-b", images=[{"pdq": _near(OWN_PHOTO, 4, seed=5)}]))
    assert r.json()["status"] == "live"
    with klean_app.uow_factory() as uow:
        links = seller_networks.links_for(uow=uow, seller_id="reseller-b")
    assert [(lk.other("reseller-b"), lk.kinds) for lk in links] == [("gangnam-luxe", ("image",))]


def test_a_changed_account_now_sharing_a_phone_with_a_suspended_seller_has_its_live_listings_held(
        client: TestClient, klean_app: App, make_user: Callable[..., dict[str, str]]) -> None:
    users = _setup(client, klean_app, make_user)
    r = client.post("/v1/listings", headers=users["jeju-crafts"], json=_listing("jc-1", "jeju-crafts"))
    assert r.json()["status"] == "live"
    r = client.put("/v1/verification/identity", headers=users["jeju-crafts"], json={"phone": "+82 10 1234 5678"})
    assert r.status_code == 200, r.text
    with klean_app.uow_factory() as uow:
        assert uow.listings.require("jc-1").status == "held"
        item = next(i for i in uow.queue.open_items(kind="screening") if i.subject_id == "jc-1")
        assert any("phone number of seller gangnam-luxe" in x for x in item.payload["reasons"])


def test_the_network_over_http_by_role_with_personal_data_masked_for_rights_holders(
        client: TestClient, klean_app: App, make_user: Callable[..., dict[str, str]]) -> None:
    users = _setup(client, klean_app, make_user)
    client.put("/v1/verification/identity", headers=users["seoul-bags-2"],
               json={"bank_account": "110123456789", "address": "123 Teheran-ro, Gangnam-gu, Seoul, 4th floor"})
    r = client.post("/v1/listings", headers=users["seoul-bags-2"], json=_listing(
        "sb-1", "seoul-bags-2", title="Chanel classic flap medium, full set", category="bags", price=9000000))
    assert r.status_code == 201 and r.json()["status"] == "held"

    staff = client.get("/v1/sellers/seoul-bags-2/network", headers=users["reviewer"])
    assert staff.status_code == 200, staff.text
    net = staff.json()
    assert {m["seller_id"]: m["status"] for m in net["members"]} == {"gangnam-luxe": "suspended",
                                                                    "seoul-bags-2": "active"}
    link = net["links"][0]
    assert (link["a"], link["b"], link["kinds"]) == ("gangnam-luxe", "seoul-bags-2", ["bank_account", "address"])
    assert {"kind": "bank_account", "value": "110123456789"} in link["facts"]
    assert net["personal_data"] == "shown"

    holder = client.get("/v1/sellers/seoul-bags-2/network", headers=users["chanel"])
    assert holder.status_code == 200, holder.text
    shown = holder.json()
    assert shown["personal_data"] == "masked"
    text = str(shown)
    assert "110123456789" not in text and "teheranro" not in text
    assert {"kind": "bank_account", "value": "•••••••••789"} in shown["links"][0]["facts"]

    # The seller's evidence package carries the network (exported by the operator: facts in clear).
    bundle = evidence.collect_evidence(uow=klean_app.uow_factory(), principal=None, subject_type="seller",
                                       subject_id="seoul-bags-2")
    packaged = bundle.records["seller_network"][0]
    assert packaged["links"] == net["links"] and packaged["members"] == net["members"]

    # Another brand's rights holder, sellers and unknown sellers learn nothing.
    assert client.get("/v1/sellers/seoul-bags-2/network", headers=users["gm"]).status_code == 404
    assert client.get("/v1/sellers/seoul-bags-2/network", headers=users["seoul-bags-2"]).status_code == 403
    assert client.get("/v1/sellers/nobody/network", headers=users["reviewer"]).status_code == 404


def test_the_batch_rebuild_finds_the_networks_the_incremental_updates_built(
        client: TestClient, klean_app: App, make_user: Callable[..., dict[str, str]]) -> None:
    users = _setup(client, klean_app, make_user)
    client.put("/v1/verification/identity", headers=users["seoul-bags-2"], json={"tax_id": "123-45-67890"})
    client.put("/v1/verification/identity", headers=users["reseller-a"], json={"tax_id": "1234567890"})
    client.put("/v1/verification/identity", headers=users["jeju-crafts"],
               json={"email": "Jeju.Crafts+shop@gmail.com"})
    client.put("/v1/verification/identity", headers=users["reseller-b"], json={"email": "jejucrafts@googlemail.com"})
    with klean_app.uow_factory() as uow:
        before = {s: uow.seller_networks.network_of(s) for s in REGISTRY_SELLERS}
    assert before["seoul-bags-2"] == before["reseller-a"] is not None
    assert before["jeju-crafts"] == before["reseller-b"] is not None
    assert before["jeju-crafts"] != before["seoul-bags-2"]

    result = seller_networks.rebuild(uow=klean_app.uow_factory())
    assert result["networks"] == 2 and result["sellers_in_networks"] == 4
    with klean_app.uow_factory() as uow:
        after = {s: uow.seller_networks.network_of(s) for s in REGISTRY_SELLERS}
    assert _partition(after) == _partition(before)
    # The command line's columnar engine rebuilds the same networks.
    from klean.adapters.scan.networks import columnar_engine

    again = seller_networks.rebuild(uow=klean_app.uow_factory(), engine=columnar_engine)
    assert (again["links"], again["networks"]) == (result["links"], result["networks"])
    with klean_app.uow_factory() as uow:
        assert _partition({s: uow.seller_networks.network_of(s) for s in REGISTRY_SELLERS}) == _partition(before)


REGISTRY_SELLERS = [s["id"] for s in REGISTRY["sellers"]]


def _partition(nets: dict[str, str | None]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for s, n in nets.items():
        if n is not None:
            groups.setdefault(n, set()).add(s)
    return {frozenset(g) for g in groups.values()}


def test_a_stock_photo_links_nobody_in_the_database_however_each_seller_re_saved_it(klean_app: App) -> None:
    stock = f"{random.Random(9).getrandbits(256):064x}"  # a supplier's catalogue photo, not in any bank
    same_edit = _near(stock, 2, seed=1)
    own = f"{random.Random(10).getrandbits(256):064x}"
    with klean_app.uow_factory() as uow:
        for i in range(8):  # two of them even posted the identical re-saved copy
            photo = same_edit if i < 2 else _near(stock, 2, seed=100 + i)
            seller_networks.record_facts(uow=uow, seller_id=f"shop-{i}", facts=[("image", photo)],
                                         source=f"listing:stock-{i}")
        seller_networks.record_facts(uow=uow, seller_id="ring-a", facts=[("image", own)], source="listing:ra")
        seller_networks.record_facts(uow=uow, seller_id="ring-b", facts=[("image", _near(own, 3, seed=2))],
                                     source="listing:rb")
        uow.commit()
    with klean_app.uow_factory() as uow:
        assert all(seller_networks.links_for(uow=uow, seller_id=f"shop-{i}") == [] for i in range(8))
        ring = seller_networks.links_for(uow=uow, seller_id="ring-a")
        assert [(lk.a, lk.b, lk.kinds) for lk in ring] == [("ring-a", "ring-b", ("image",))]
        # The database path and the batch reference agree on every seller.
        facts = list(uow.seller_networks.all_facts())
        everyone = sorted({f.seller_id for f in facts})
        incremental = sorted({(lk.a, lk.b, lk.kinds) for s in everyone
                              for lk in seller_networks.links_for(uow=uow, seller_id=s)})
    from klean.domain.seller_network import links_from_facts

    assert incremental == sorted((lk.a, lk.b, lk.kinds)
                                 for lk in links_from_facts(facts, seller_networks.current_policy()))
