"""Enforcement end to end on SQLite and PostgreSQL: the ladder applied, appeals, reversal, standing, privacy.

The story: "Seoul Outlet" sells sunglasses; Gentle Monster's agency files notices; reviewers Minji and Jisoo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.errors import Forbidden
from klean.domain.events import verify_chain
from klean.domain.listing import Listing, Money
from klean.services import enforcement, registry

SELLER = "seoul-outlet"
OTHER = "busan-bags"
REVIEWER = Principal("minji", Role.REVIEWER)
OTHER_REVIEWER = Principal("jisoo", Role.REVIEWER)
SELLER_P = Principal("outlet-kim", Role.SELLER, seller_id=SELLER)

LISTINGS = [
    ("gm-lang-01", "Gentle Monster Lang 01 sunglasses, full set", "89000"),
    ("gm-her-02", "젠틀몬스터 HER 02 선글라스 미러 (정품급)", "45000"),
    ("gm-dreamer-17", "Gentle Monster Dreamer 17 black, box and cloth", "39000"),
    ("gm-kubo-01", "GM Kubo 01 1:1 copy, ships from Guangzhou", "25000"),
]


def _setup(k: App) -> None:
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="gentle-monster", name="Gentle Monster",
                          marks=["Gentle Monster", "젠틀몬스터"], owner="IICOMBINED")
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="nike", name="Nike", marks=["Nike", "나이키"],
                          owner="Nike Inc.")
    with k.uow_factory() as uow:
        for lid, title, price in LISTINGS:
            uow.listings.upsert(Listing(id=lid, title=title, price=Money(Decimal(price), "KRW"), seller_id=SELLER,
                                        category="eyewear"))
        uow.listings.upsert(Listing(id="lv-speedy-30", title="Louis Vuitton Speedy 30 monogram",
                                    price=Money(Decimal("350000"), "KRW"), seller_id=OTHER, category="bags"))
        uow.commit()


def _violate(k: App, n: int, kind: str = "notice_upheld", actor: str = "minji") -> list[dict]:  # type: ignore[type-arg]
    lid = LISTINGS[n][0]
    with k.uow_factory() as uow:
        actions = enforcement.record_violation(uow=uow, seller_id=SELLER, kind=kind, actor=actor,
                                               cause_ref=f"case:{100 + n}", listing_id=lid, brand_id="gentle-monster",
                                               evidence=[f"notice:{n + 1}"])
        uow.commit()
    return actions


def _status(k: App, listing_id: str) -> str:
    with k.uow_factory() as uow:
        return uow.listings.require(listing_id).status  # type: ignore[no-any-return]


def test_each_ladder_step_applies_and_blocks_new_listings(klean_app: App) -> None:
    k = klean_app
    _setup(k)
    first = _violate(k, 0)
    assert [a["kind"] for a in first] == ["remove_listing", "strike", "warning"]
    assert _status(k, "gm-lang-01") == "removed"
    assert any(e.startswith("snapshot:") for e in first[0]["evidence"])
    assert "How to appeal" in first[1]["statement"]["text"]

    _violate(k, 1)
    third = _violate(k, 2)  # 3 points: no new Gentle Monster listings for 90 days
    brand_restriction = next(a for a in third if a["kind"] == "restriction")
    assert (brand_restriction["scope"], brand_restriction["target"], brand_restriction["rule"]) == \
        ("brand", "gentle-monster", "ladder[1]")
    with k.uow_factory() as uow:
        assert uow.enforcement.seller_status(SELLER) == "restricted"
        with pytest.raises(Forbidden, match="may not list brand gentle-monster"):
            enforcement.check_can_list(uow=uow, seller_id=SELLER, brand_ids=["gentle-monster"], category="eyewear")
        enforcement.check_can_list(uow=uow, seller_id=SELLER, brand_ids=["nike"], category="sneakers")  # allowed

    with k.uow_factory() as uow:  # a test buy of the last pair finds a fake: 6 points, all new listings barred
        actions = enforcement.record_violation(uow=uow, seller_id=SELLER, kind="test_buy_fake", actor="inspector-lee",
                                               cause_ref="testbuy:7", listing_id="gm-kubo-01",
                                               evidence={"test_buy": 7, "verdict": "fake", "photos": ["a.jpg"]})
        uow.commit()
    assert ("restriction", "all") in [(a["kind"], a["scope"]) for a in actions]
    with k.uow_factory() as uow, pytest.raises(Forbidden, match="may not create new listings"):
        enforcement.check_can_list(uow=uow, seller_id=SELLER, brand_ids=["nike"])

    with k.uow_factory() as uow:  # a confirmed counterfeit elsewhere: 8 points, suspended
        uow.listings.upsert(Listing(id="gm-extra-1", title="Gentle Monster Lilit", price=Money(Decimal("30000"), "KRW"),
                                    seller_id=SELLER))
        enforcement.record_violation(uow=uow, seller_id=SELLER, kind="counterfeit_confirmed", actor="minji",
                                     cause_ref="case:200", listing_id="gm-extra-1", brand_id="gentle-monster")
        uow.commit()
        assert uow.enforcement.seller_status(SELLER) == "suspended"
        with pytest.raises(Forbidden, match="suspended"):
            enforcement.check_can_list(uow=uow, seller_id=SELLER, brand_ids=[])
        events = uow.events.range()
    assert verify_chain(events) == []
    strike_events = [e for e in events if e.type == "enforcement.strike_added"]
    assert strike_events and all(e.policy_version == k.policy.version and e.payload["rule"] and e.reason
                                 for e in strike_events)


def test_recording_the_same_cause_twice_counts_once(klean_app: App) -> None:
    _setup(klean_app)
    assert _violate(klean_app, 0)
    assert _violate(klean_app, 0) == []
    with klean_app.uow_factory() as uow:
        assert uow.enforcement.history(SELLER).points(datetime.now(UTC)) == 1


def test_strikes_and_restrictions_expire(klean_app: App) -> None:
    k = klean_app
    _setup(k)
    for n in range(3):
        _violate(k, n)
    later = datetime.now(UTC) + timedelta(days=120)  # the 90-day brand restriction is over, strikes are not
    with k.uow_factory() as uow:
        assert enforcement.expire_due(uow=uow, now=later) == 1
        uow.commit()
    with k.uow_factory() as uow:
        assert uow.enforcement.seller_status(SELLER) == "active"
        enforcement.check_can_list(uow=uow, seller_id=SELLER, brand_ids=["gentle-monster"], now=later)
    much_later = datetime.now(UTC) + timedelta(days=400)
    with k.uow_factory() as uow:
        assert enforcement.expire_due(uow=uow, now=much_later) == 3
        uow.commit()
        assert uow.enforcement.history(SELLER).points(much_later) == 0
        assert [e.type for e in uow.events.of_types(["enforcement.strike_expired"])].count(
            "enforcement.strike_expired") == 3


def test_appeal_reversal_restores_listings_strikes_and_restrictions(klean_app: App) -> None:
    k = klean_app
    _setup(k)
    for n in range(3):
        _violate(k, n)
    third_strike = next(a for a in enforcement.list_actions(uow=k.uow_factory(), principal=SELLER_P)
                        if a["kind"] == "strike" and a["cause_ref"] == "case:102")
    appeal = enforcement.file_appeal(uow=k.uow_factory(), principal=SELLER_P, action_id=third_strike["id"],
                                     grounds="The Dreamer 17 pair is genuine: invoice from the Hongdae store attached.")
    # Minji confirmed the notice; she may not rule on the appeal against her own decision.
    with pytest.raises(Forbidden, match="another reviewer"):
        enforcement.decide_appeal(uow=k.uow_factory(), principal=REVIEWER, appeal_id=appeal["id"], outcome="reverse",
                                  reason="looks fine")
    decided = enforcement.decide_appeal(uow=k.uow_factory(), principal=OTHER_REVIEWER, appeal_id=appeal["id"],
                                        outcome="reverse", reason="Invoice checked with IICOMBINED: genuine.")
    assert decided["state"] == "reversed" and decided["actions_reversed"] == 3  # removal, strike, brand restriction
    assert _status(k, "gm-dreamer-17") == "live"
    assert _status(k, "gm-lang-01") == "removed"  # the other findings stand
    standing = enforcement.standing(uow=k.uow_factory(), principal=SELLER_P, seller_id=SELLER)
    assert standing["points"] == 2 and standing["status"] == "active"
    assert not any(a["kind"] == "restriction" for a in standing["open_actions"])
    with k.uow_factory() as uow:
        enforcement.check_can_list(uow=uow, seller_id=SELLER, brand_ids=["gentle-monster"])
        trail = [e.type for e in uow.events.range()]
        actions = uow.enforcement.for_seller(SELLER)
    # The whole trail remains: the original actions are still there, marked reversed, next to the new events.
    assert {"enforcement.strike_added", "enforcement.strike_removed", "enforcement.listing_restored",
            "enforcement.restriction_lifted", "appeal.filed", "appeal.reversed"} <= set(trail)
    assert sum(1 for a in actions if a.state == "reversed") == 3


def test_upheld_appeal_keeps_the_action_and_reversal_of_one_strike_lifts_the_ladder_step(klean_app: App) -> None:
    k = klean_app
    _setup(k)
    for n in range(3):
        _violate(k, n)
    first_strike = next(a for a in enforcement.list_actions(uow=k.uow_factory(), principal=SELLER_P)
                        if a["kind"] == "strike" and a["cause_ref"] == "case:100")
    appeal = enforcement.file_appeal(uow=k.uow_factory(), principal=SELLER_P, action_id=first_strike["id"],
                                     grounds="This was a misunderstanding about the box, please review again.")
    upheld = enforcement.decide_appeal(uow=k.uow_factory(), principal=OTHER_REVIEWER, appeal_id=appeal["id"],
                                       outcome="uphold", reason="The hinge stamp does not match genuine stock.")
    assert upheld["state"] == "upheld" and upheld["actions_reversed"] == 0
    # A reviewer finds the first notice was misfiled: the cause is reversed; 2 points remain, below the
    # brand restriction threshold (3), so the ladder restriction (caused by case:102) is lifted too.
    count = enforcement.reverse_cause(uow=k.uow_factory(), principal=OTHER_REVIEWER, cause_ref="case:100",
                                      reason="notice 1 named the wrong seller")
    assert count == 3  # the removal, the strike and the first-strike warning
    with k.uow_factory() as uow:
        lifted = [a for a in uow.enforcement.for_seller(SELLER) if a.state == "lifted"]
        assert [(a.kind, a.rule) for a in lifted] == [("restriction", "ladder[1]")]
        assert uow.enforcement.seller_status(SELLER) == "active"
    assert _status(k, "gm-lang-01") == "live"


def test_appeal_rules(klean_app: App) -> None:
    k = klean_app
    _setup(k)
    action = _violate(k, 0)[1]
    intruder = Principal("bags-park", Role.SELLER, seller_id=OTHER)
    with pytest.raises(Exception, match="no enforcement action") as err:
        enforcement.file_appeal(uow=k.uow_factory(), principal=intruder, action_id=action["id"],
                                grounds="This is not even mine but let me try.")
    assert type(err.value).__name__ == "NotFound"
    enforcement.file_appeal(uow=k.uow_factory(), principal=SELLER_P, action_id=action["id"],
                            grounds="The listing is genuine stock from the official store.")
    with pytest.raises(Exception, match="already has an open appeal"):
        enforcement.file_appeal(uow=k.uow_factory(), principal=SELLER_P, action_id=action["id"],
                                grounds="Filing again in case the first one got lost.")
    late = datetime.now(UTC) + timedelta(days=181)
    other_action = _violate(k, 1)[1]
    with pytest.raises(Exception, match="appeal window"):
        enforcement.file_appeal(uow=k.uow_factory(), principal=SELLER_P, action_id=other_action["id"],
                                grounds="Too late, but here are my reasons anyway.", now=late)


def test_http_seller_sees_only_its_own_actions_and_standing(client: TestClient,
                                                            make_user: Callable[..., dict[str, str]]) -> None:
    k: App = client.app.state.klean  # type: ignore[attr-defined]
    _setup(k)
    seller = make_user("outlet-kim", "seller", seller_id=SELLER)
    rival = make_user("bags-park", "seller", seller_id=OTHER)
    minji = make_user("minji", "reviewer")
    jisoo = make_user("jisoo", "reviewer")

    r = client.post("/v1/enforcement/violations", headers=minji, json={
        "seller_id": SELLER, "kind": "notice_upheld", "cause_ref": "case:100", "listing_id": "gm-lang-01",
        "evidence": ["notice:1"]})
    assert r.status_code == 201, r.text
    strike = next(a for a in r.json() if a["kind"] == "strike")
    assert strike["brand_id"] is None or isinstance(strike["brand_id"], str)

    assert client.post("/v1/enforcement/violations", headers=seller, json={
        "seller_id": OTHER, "kind": "notice_upheld", "cause_ref": "case:9"}).status_code == 403

    mine = client.get("/v1/enforcement/actions", headers=seller)
    assert mine.status_code == 200 and {a["seller_id"] for a in mine.json()} == {SELLER}
    assert client.get("/v1/enforcement/actions", headers=rival).json() == []
    assert client.get(f"/v1/enforcement/actions?seller_id={SELLER}", headers=rival).status_code == 404
    assert client.get(f"/v1/enforcement/actions/{strike['id']}", headers=rival).status_code == 404
    assert client.get(f"/v1/sellers/{SELLER}/standing", headers=rival).status_code == 404
    assert client.get(f"/v1/sellers/{SELLER}/standing", headers=jisoo).status_code == 200

    standing = client.get(f"/v1/sellers/{SELLER}/standing", headers=seller).json()
    assert standing["points"] == 1 and standing["strikes"][0]["expires_at"]
    assert standing["next_step"] == {"points": 3, "action": "restriction", "scope": "brand"}

    r = client.post(f"/v1/enforcement/actions/{strike['id']}/appeal", headers=rival,
                    json={"grounds": "I want to appeal somebody else's strike."})
    assert r.status_code == 404
    r = client.post(f"/v1/enforcement/actions/{strike['id']}/appeal", headers=seller,
                    json={"grounds": "Genuine: bought from the Gentle Monster Sinsa flagship."})
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    assert client.get("/v1/enforcement/appeals", headers=seller).status_code == 403
    assert client.post(f"/v1/enforcement/appeals/{appeal_id}/decision", headers=minji,
                       json={"outcome": "reverse", "reason": "x"}).status_code == 403
    r = client.post(f"/v1/enforcement/appeals/{appeal_id}/decision", headers=jisoo,
                    json={"outcome": "reverse", "reason": "Receipt verified with the flagship store."})
    assert r.status_code == 200, r.text
    assert client.get(f"/v1/sellers/{SELLER}/standing", headers=seller).json()["points"] == 0
    assert _status(k, "gm-lang-01") == "live"
    assert client.post(f"/v1/enforcement/appeals/{appeal_id}/decision", headers=jisoo,
                       json={"outcome": "uphold", "reason": "again"}).status_code == 409
    bad = client.post(f"/v1/enforcement/appeals/{appeal_id}/decision", headers=jisoo,
                      json={"outcome": "maybe", "reason": "?"})
    assert bad.status_code == 422 and bad.json()["error"]["field"]
    assert client.get("/v1/enforcement/policy", headers=seller).json()["version"] == k.policy.version


def test_hostile_inputs_get_4xx_never_500(client: TestClient, make_user: Callable[..., dict[str, str]]) -> None:
    seller = make_user("outlet-kim", "seller", seller_id=SELLER)
    minji = make_user("minji", "reviewer")
    probes = [
        ("get", "/v1/enforcement/actions/99999999999999", seller, None),
        ("get", "/v1/enforcement/actions/0", seller, None),
        ("post", "/v1/enforcement/appeals/99999999999/decision", minji, {"outcome": "uphold", "reason": "x"}),
        ("get", "/v1/sellers/seoul%00outlet/standing", minji, None),
        ("get", f"/v1/sellers/{'x' * 5000}/standing", minji, None),
        ("get", f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle%00monster", seller, None),
        ("post", "/v1/enforcement/violations", minji, {"seller_id": SELLER, "kind": "notice_upheld",
                                                       "cause_ref": "case:\x001"}),
        ("post", "/v1/enforcement/violations", minji, {"seller_id": SELLER, "kind": "shoplifting", "cause_ref": "c:1"}),
        ("post", "/v1/enforcement/reversals", minji, {"cause_ref": "case:nothing", "reason": "no such cause"}),
        ("get", "/v1/enforcement/actions?state=burning", minji, None),
        ("put", "/v1/verification/identity", seller, {"name": "Kim\x00"}),
        ("get", "/v1/verification/proofs?state=lost", seller, None),
        ("get", "/v1/verification/proofs/2147483648", seller, None),
    ]
    for method, url, headers, body in probes:
        r = client.request(method, url, headers=headers, json=body)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text)
        assert r.json()["error"]["code"], url


def test_admin_lifts_a_suspension_and_the_trail_keeps_both(client: TestClient,
                                                          make_user: Callable[..., dict[str, str]]) -> None:
    k: App = client.app.state.klean  # type: ignore[attr-defined]
    _setup(k)
    admin = make_user("ada", "admin")
    minji = make_user("minji", "reviewer")
    for n, kind in enumerate(["test_buy_fake", "test_buy_fake", "counterfeit_confirmed"]):
        _violate(k, n, kind=kind)
    suspension = next(a for a in client.get(f"/v1/enforcement/actions?seller_id={SELLER}", headers=minji).json()
                      if a["kind"] == "suspension")
    assert client.post(f"/v1/enforcement/actions/{suspension['id']}/lift", headers=minji,
                       json={"reason": "x"}).status_code == 403
    r = client.post(f"/v1/enforcement/actions/{suspension['id']}/lift", headers=admin,
                    json={"reason": "Seller completed the brand-protection training and replaced its supplier."})
    assert r.status_code == 200 and r.json()["state"] == "lifted"
    assert client.post(f"/v1/enforcement/actions/{suspension['id']}/lift", headers=admin,
                       json={"reason": "again"}).status_code == 409
    with k.uow_factory() as uow:
        assert uow.enforcement.seller_status(SELLER) == "restricted"  # the restrictions still run
        types = [e.type for e in uow.events.range()]
    assert "enforcement.suspended" in types and "enforcement.suspension_lifted" in types


def test_statements_of_reasons_link_to_the_real_appeal(client: TestClient, make_user: Callable[..., dict[str, str]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement a seller reads (API, portal) and the DSA record (`klean report statements`) carry the
    appeal's real address, with the action's id, under the address people reach Klean at."""
    import json

    from typer.testing import CliRunner

    from klean.adapters.cli import app as cli
    from klean.config import get_settings
    from klean.services import accounts

    k: App = client.app.state.klean  # type: ignore[attr-defined]
    base = "https://klean.example.kr"
    monkeypatch.setenv("KLEAN_PUBLIC_URL", base)
    monkeypatch.setenv("KLEAN_DATABASE_URL", k.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    k.settings.public_url = base
    try:
        _setup(k)
        seller = make_user("outlet-kim", "seller", seller_id=SELLER)
        minji = make_user("minji", "reviewer")
        admin = make_user("ada", "admin")
        r = client.post("/v1/enforcement/violations", headers=minji, json={
            "seller_id": SELLER, "kind": "unauthorised_listing", "cause_ref": "review:31", "listing_id": "gm-her-02",
            "brand_id": "gentle-monster", "evidence": ["review:31"]})
        assert r.status_code == 201, r.text
        for action in r.json():
            text = client.get(f"/v1/enforcement/actions/{action['id']}", headers=seller).json()["statement"]["text"]
            assert "<id>" not in text
            assert f"{base}/portal/seller#action-{action['id']}" in text
            assert f"POST {base}/v1/enforcement/actions/{action['id']}/appeal" in text
        removal = next(a for a in r.json() if a["kind"] == "remove_listing")

        accounts.set_password(uow=k.uow_factory(), actor=None, user_id="outlet-kim", password="a long passphrase 7")
        token = client.get("/portal/signin").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/portal/signin", data={"login": "outlet-kim", "password": "a long passphrase 7",
                                                   "csrf_token": token}, follow_redirects=False).status_code == 303
        centre = client.get("/portal/seller?lang=en").text
        assert f"/v1/enforcement/actions/{removal['id']}/appeal" in centre and "&lt;id&gt;" not in centre

        day = datetime.now(UTC).date().isoformat()
        out = CliRunner().invoke(cli, ["report", "statements", "--from", day, "--to", day])
        assert out.exit_code == 0, out.output
        records = [json.loads(line) for line in out.stdout.splitlines()]
        removed = [x for x in records if x.get("decision_visibility")]
        assert len(removed) == 1 and "<id>" not in out.stdout
        facts = removed[0]["decision_facts"]
        assert f"{base}/portal/seller#action-{removal['id']}" in facts
        assert f"POST {base}/v1/enforcement/actions/{removal['id']}/appeal" in facts
        api = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin).json()["statements"]
        assert api and all(base in x["decision_facts"] for x in api)
    finally:
        get_settings.cache_clear()
