"""Klean-to-Klean exchange, first part (issue 23): an agency's Klean sends its member brands' registry entries,
Ed25519-signed, to a marketplace's Klean with its own database; the marketplace screens with them at once; a forged,
replayed or stale payload changes nothing; the sender revokes a brand and the marketplace drops it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from klean.adapters.db import migrate
from klean.bootstrap import App, bootstrap
from klean.config import Settings
from klean.domain.listing import Listing, Money
from klean.domain.registry import Brand, BrandTerm, Product

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
AGENCY_ORG = "Korea IP Protection Agency"
PDQ = "f" * 16 + "0" * 48
FAKE_PDQ = "0f" * 32  # a test buy's confirmed fake, in the agency's known-fake bank


def peer_fakes(app: App) -> list[tuple[str, str | None, str | None]]:
    with app.uow_factory() as uow:
        return [(e.pdq, e.brand_id, e.source_ref) for e in uow.image_banks.entries(bank="known_fake")]


@pytest.fixture
def agency_klean(tmp_path: Path) -> Iterator[tuple[App, TestClient]]:
    """The agency's own Klean: a second server with its own SQLite database and its own exchange key."""
    from klean.adapters.api.app import create_app

    home = tmp_path / "agency-home"
    settings = Settings(home=home, signing_key_path=home / "signing.pem", exchange_name="kipa-klean")
    app = bootstrap(settings, database_url=f"sqlite:///{tmp_path / 'agency.db'}")
    migrate.upgrade(app.engine)
    with TestClient(create_app(app)) as c:
        yield app, c
    app.engine.dispose()


def make(app: App, user_id: str, role: str, **kw: Any) -> dict[str, str]:
    from klean.domain.auth import Role
    from klean.services import accounts

    _, key = accounts.create_user(uow=app.uow_factory(), actor=None, user_id=user_id, name=user_id, role=Role(role),
                                  **kw)
    return {"Authorization": f"Bearer {key}"}


def seed_agency_registry(app: App) -> None:
    """Three member brands as the agency registers them once: marks, products with prices, a nickname, a design
    cue, an official image's PDQ hash; and an authorised seller, which stays at home."""
    from klean.domain.registry import Authorisation, BrandImage

    with app.uow_factory() as uow:
        uow.brands.add(Brand(
            id="sulwhasoo", name="Sulwhasoo", marks=("Sulwhasoo", "설화수"), owner="amorepacific",
            products=(Product(id="sulwhasoo.first-care", brand_id="sulwhasoo", name="First Care Activating Serum",
                              reference_price=Money.of(150_000, "KRW"), aliases=("윤조에센스",),
                              category="cosmetics"),),
            knowledge=(BrandTerm(term="설화", kind="nickname"), BrandTerm(term="윤조 병 디자인", kind="design_cue")),
            images=(BrandImage(kind="official", sha256="a" * 64, pdq=PDQ, path="/var/klean/blobs/a.jpg"),),
            authorisations=(Authorisation(seller_id="amore-mall", brand_id="sulwhasoo"),)))
        uow.brands.add(Brand(id="gentle-monster", name="Gentle Monster", marks=("Gentle Monster", "젠틀몬스터"),
                             owner="iicombined",
                             products=(Product(id="gm.lilit", brand_id="gentle-monster", name="Lilit 01",
                                               reference_price=Money.of(269_000, "KRW"), category="eyewear"),)))
        uow.brands.add(Brand(id="mlb-korea", name="MLB Korea", marks=("MLB Korea", "엠엘비코리아"), owner="fnf"))
        uow.image_banks.add(bank="known_fake", pdq=FAKE_PDQ, brand_id="sulwhasoo", source_ref="testbuy:7")
        uow.commit()


def mandate(client: TestClient, agency: dict[str, str], reviewer: dict[str, str], brand: str) -> None:
    until = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    r = client.post("/v1/mandates", headers=agency, files={"file": ("letter.pdf", PDF, "application/pdf")},
                    data={"brand_id": brand, "valid_until": until})
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/mandates/{r.json()['id']}/decision", headers=reviewer,
                    json={"approve": True, "reason": "Membership certificate checked"})
    assert r.status_code == 200, r.text


def test_two_kleans_exchange_signed_registry_entries_replays_and_forgeries_change_nothing(
        client: TestClient, klean_app: App, agency_klean: tuple[App, TestClient]) -> None:
    agency_app, agency_client = agency_klean
    market_app, market = klean_app, client
    seed_agency_registry(agency_app)
    agency = make(agency_app, "kipa-desk", "agency", org=AGENCY_ORG)
    agency_reviewer = make(agency_app, "kipa-reviewer", "reviewer")
    for brand in ("sulwhasoo", "gentle-monster", "mlb-korea"):
        mandate(agency_client, agency, agency_reviewer, brand)
    market_admin = make(market_app, "market-ops", "admin")
    market_seller = make(market_app, "busan-beauty", "seller", seller_id="busan-beauty")

    # before the exchange the marketplace knows nothing of these brands
    listing = {"title": "설화수 윤조에센스 정품급 미러 1:1", "price": 39_000, "currency": "KRW"}
    before = market.post("/v1/screen", headers=market_seller, json=listing).json()
    assert before["decision"] == "allow"

    # the marketplace registers the agency's Klean by name and public key
    ident = agency_client.get("/v1/exchange/identity", headers=agency).json()
    assert ident["name"] == "kipa-klean" and len(ident["public_key"]) == 64
    r = market.post("/v1/exchange/peers", headers=market_admin, json={**ident, "accept": ["brand", "known_fake"],
                                                                       "trust": "live"})
    assert r.status_code == 201, r.text

    # one exchange cycle: the agency's members' brands, signed, pushed to the marketplace's inbox
    sent = agency_client.post("/v1/exchange/outbox", headers=agency, json={}).json()
    assert [i["id"] for i in sent["payload"]["items"] if i["kind"] == "brand"] == \
        ["gentle-monster", "mlb-korea", "sulwhasoo"]
    assert {"kind": "known_fake", "id": FAKE_PDQ, "op": "upsert", "data": {"brand_id": "sulwhasoo"}} in \
        sent["payload"]["items"]
    sulwhasoo = next(i for i in sent["payload"]["items"] if i["id"] == "sulwhasoo")["data"]
    assert "owner" not in sulwhasoo and "authorized_sellers" not in sulwhasoo
    assert sulwhasoo["official_images"] == [{"pdq": PDQ, "sha256": "a" * 64}]  # no file path crosses
    r = market.post("/v1/exchange/inbox", headers=market_admin, json=sent)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()["applied"] if a["kind"] == "brand"] == \
        ["gentle-monster", "mlb-korea", "sulwhasoo"], r.json()
    assert peer_fakes(market_app) == [(FAKE_PDQ, "sulwhasoo", "peer:kipa-klean")]  # the known fake, attributed
    with market_app.uow_factory() as uow:
        brand = uow.brands.get("sulwhasoo")
    assert brand.owner == "peer:kipa-klean"  # attributed to its peer
    assert {t.term for t in brand.knowledge} >= {"설화", "윤조 병 디자인"}
    assert brand.products[0].reference_price == Money.of(150_000, "KRW")
    assert [i.pdq for i in brand.images] == [PDQ]
    # ... and the marketplace screens with them at once
    after = market.post("/v1/screen", headers=market_seller, json=listing).json()
    assert after["decision"] != "allow" and any(e.get("brand_id") == "sulwhasoo" for e in after["evidence"])

    # the same payload again: refused as a replay, nothing changes
    r = market.post("/v1/exchange/inbox", headers=market_admin, json=sent)
    assert r.status_code == 409 and "received already" in r.json()["error"]["message"]

    # a forged payload (a mark added after signing) does not verify: nothing applied
    later = agency_client.post("/v1/exchange/outbox", headers=agency, json={"brand_ids": ["mlb-korea"]}).json()
    forged = {"payload": {**later["payload"], "items": [{**later["payload"]["items"][0], "data": {
        **later["payload"]["items"][0]["data"], "marks": ["MLB Korea", "엠엘비코리아", "Nike"]}}]},
        "signature": later["signature"]}
    r = market.post("/v1/exchange/inbox", headers=market_admin, json=forged)
    assert r.status_code == 403 and "signature" in r.json()["error"]["message"]
    with market_app.uow_factory() as uow:
        assert "Nike" not in uow.brands.get("mlb-korea").marks
        assert [e.type for e in uow.events.for_subject("exchange_peer", "kipa-klean")].count("exchange.refused") == 2
    # a payload signed by another key under the agency's name: refused the same way
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from klean.domain.exchange import signed_bytes

    impostor = Ed25519PrivateKey.generate()
    import base64

    fake = {"payload": {**later["payload"], "payload_id": "0" * 32, "sequence": 99},
            "signature": ""}
    fake["signature"] = base64.b64encode(impostor.sign(signed_bytes(fake["payload"]))).decode()
    assert market.post("/v1/exchange/inbox", headers=market_admin, json=fake).status_code == 403
    # the genuine later payload is accepted; an older one arriving after it is stale
    newer = agency_client.post("/v1/exchange/outbox", headers=agency, json={"brand_ids": ["sulwhasoo"]}).json()
    assert market.post("/v1/exchange/inbox", headers=market_admin, json=newer).status_code == 200
    r = market.post("/v1/exchange/inbox", headers=market_admin, json=later)
    assert r.status_code == 409 and "not after" in r.json()["error"]["message"]
    # an unregistered sender is refused
    assert market.post("/v1/exchange/inbox", headers=market_admin, json={
        "payload": {**newer["payload"], "sender": "someone-else"}, "signature": newer["signature"]}).status_code == 403


def test_the_sender_revokes_an_item_and_a_local_brand_is_never_overwritten(
        client: TestClient, klean_app: App, agency_klean: tuple[App, TestClient]) -> None:
    agency_app, agency_client = agency_klean
    market_app, market = klean_app, client
    seed_agency_registry(agency_app)
    agency = make(agency_app, "kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make(agency_app, "kipa-reviewer", "reviewer")
    for brand in ("sulwhasoo", "gentle-monster", "mlb-korea"):
        mandate(agency_client, agency, reviewer, brand)
    market_admin = make(market_app, "market-ops", "admin")
    market_reviewer = make(market_app, "market-reviewer", "reviewer")
    with market_app.uow_factory() as uow:  # the marketplace's own MLB entry, registered by MLB's rights holder
        uow.brands.add(Brand(id="mlb-korea", name="MLB", marks=("MLB",), owner="mlb-rights"))
        uow.listings.upsert(Listing(id="m-1", title="젠틀몬스터 릴리트 01 미러급", seller_id="gm-copy",
                                    price=Money.of(39_000, "KRW")))
        uow.commit()
    ident = agency_client.get("/v1/exchange/identity", headers=agency).json()
    market.post("/v1/exchange/peers", headers=market_admin, json={**ident, "trust": "live"})
    r = market.post("/v1/exchange/inbox", headers=market_admin,
                    json=agency_client.post("/v1/exchange/outbox", headers=agency, json={}).json())
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["skipped"]] == ["mlb-korea"]
    assert "held here by mlb-rights" in r.json()["skipped"][0]["note"]
    with market_app.uow_factory() as uow:
        assert uow.brands.get("mlb-korea").owner == "mlb-rights"
    items = {i["item_id"]: i for i in market.get("/v1/exchange/items", headers=market_reviewer).json()}
    assert items["gentle-monster"]["state"] == "active" and items["mlb-korea"]["state"] == "skipped"
    assert all(i["peer"] == "kipa-klean" for i in items.values())

    # the member leaves; the agency revokes what it sent for it; the marketplace drops the brand
    revocation = agency_client.post("/v1/exchange/revocations", headers=agency,
                                    json={"brand_ids": ["gentle-monster"]}).json()
    r = market.post("/v1/exchange/inbox", headers=market_admin, json=revocation)
    assert r.status_code == 200 and [x["id"] for x in r.json()["revoked"]] == ["gentle-monster"]
    with market_app.uow_factory() as uow:
        assert uow.brands.get("gentle-monster") is None
        assert "exchange.item_revoked" in [e.type for e in uow.events.for_subject("brand", "gentle-monster")]
    items = {i["item_id"]: i for i in market.get("/v1/exchange/items", headers=market_reviewer).json()}
    assert items["gentle-monster"]["state"] == "revoked"
    # a revocation of a brand the peer never sent, or the marketplace's own, removes nothing
    other = agency_client.post("/v1/exchange/revocations", headers=agency, json={"brand_ids": ["mlb-korea"]}).json()
    r = market.post("/v1/exchange/inbox", headers=market_admin, json=other)
    assert r.status_code == 200 and r.json()["revoked"] == []
    with market_app.uow_factory() as uow:
        assert uow.brands.get("mlb-korea") is not None

    # only an agency's live-mandate brands leave its Klean; other roles send nothing
    with agency_app.uow_factory() as uow:
        uow.brands.add(Brand(id="hermes", name="Hermès", marks=("Hermès",), owner="hermes-paris"))
        uow.commit()
    r = agency_client.post("/v1/exchange/outbox", headers=agency, json={"brand_ids": ["hermes"]})
    assert r.status_code == 403 and "no live mandate" in r.json()["error"]["message"]
    assert agency_client.post("/v1/exchange/outbox", headers=reviewer, json={}).status_code == 403
    assert market.post("/v1/exchange/peers", headers=market_reviewer, json=ident).status_code == 403


def test_a_peer_under_review_trust_waits_for_a_reviewer(client: TestClient, klean_app: App,
                                                        agency_klean: tuple[App, TestClient]) -> None:
    agency_app, agency_client = agency_klean
    market_app, market = klean_app, client
    seed_agency_registry(agency_app)
    agency = make(agency_app, "kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make(agency_app, "kipa-reviewer", "reviewer")
    for brand in ("sulwhasoo", "gentle-monster"):
        mandate(agency_client, agency, reviewer, brand)
    market_admin = make(market_app, "market-ops", "admin")
    market_reviewer = make(market_app, "market-reviewer", "reviewer")
    ident = agency_client.get("/v1/exchange/identity", headers=agency).json()
    peer = market.post("/v1/exchange/peers", headers=market_admin, json=ident).json()
    assert peer["trust"] == "review"  # the default: nothing a peer sends applies unseen
    r = market.post("/v1/exchange/inbox", headers=market_admin,
                    json=agency_client.post("/v1/exchange/outbox", headers=agency, json={}).json())
    assert r.status_code == 200 and [p["id"] for p in r.json()["pending"]] == \
        ["gentle-monster", "sulwhasoo", FAKE_PDQ]
    with market_app.uow_factory() as uow:
        assert uow.brands.get("sulwhasoo") is None
    assert peer_fakes(market_app) == []
    items = {i["item_id"]: i for i in market.get("/v1/exchange/items", params={"state": "pending"},
                                                  headers=market_reviewer).json()}
    r = market.post(f"/v1/exchange/items/{items['sulwhasoo']['id']}/decision", headers=market_reviewer,
                    json={"accept": True, "reason": "Marks and prices match the member's own site"})
    assert r.status_code == 200 and r.json()["state"] == "active" and r.json()["brand_ids"] == ["sulwhasoo"]
    r = market.post(f"/v1/exchange/items/{items['gentle-monster']['id']}/decision", headers=market_reviewer,
                    json={"accept": False, "reason": "We hold no agreement for this brand yet"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    with market_app.uow_factory() as uow:
        assert uow.brands.get("sulwhasoo").owner == "peer:kipa-klean"
        assert uow.brands.get("gentle-monster") is None
    r = market.post(f"/v1/exchange/items/{items[FAKE_PDQ]['id']}/decision", headers=market_reviewer,
                    json={"accept": True, "reason": "The test buy's photos match the listing"})
    assert r.status_code == 200 and peer_fakes(market_app) == [(FAKE_PDQ, "sulwhasoo", "peer:kipa-klean")]
    assert market.post(f"/v1/exchange/items/{items['gentle-monster']['id']}/decision", headers=market_reviewer,
                       json={"accept": True, "reason": "again"}).status_code == 409


def test_the_exchange_from_the_command_line_between_two_databases(
        klean_app: App, agency_klean: tuple[App, TestClient], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from typer.testing import CliRunner, Result

    from klean.adapters.cli import app as cli
    from klean.config import get_settings

    agency_app, _ = agency_klean
    seed_agency_registry(agency_app)

    def on(app: App, name: str, home: Path, *args: str) -> Result:
        monkeypatch.setenv("KLEAN_DATABASE_URL", app.engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("KLEAN_HOME", str(home))
        monkeypatch.setenv("KLEAN_EXCHANGE_NAME", name)
        get_settings.cache_clear()
        return CliRunner().invoke(cli, ["exchange", *args])

    agency_home, market_home = agency_app.settings.home, tmp_path / "market-cli-home"
    ident = json.loads(on(agency_app, "kipa-klean", agency_home, "identity").output)
    assert ident["name"] == "kipa-klean"
    added = on(klean_app, "market-klean", market_home, "peer-add", "kipa-klean", ident["public_key"], "--trust", "live")
    assert added.exit_code == 0, added.output
    envelope = tmp_path / "to-market.json"
    out = on(agency_app, "kipa-klean", agency_home, "export", "--brand", "sulwhasoo", "--brand", "gentle-monster",
             "-o", str(envelope))
    assert out.exit_code == 0, out.output
    got = on(klean_app, "market-klean", market_home, "receive", str(envelope))
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["brand_ids"] == ["gentle-monster", "sulwhasoo"]
    assert peer_fakes(klean_app) == [(FAKE_PDQ, "sulwhasoo", "peer:kipa-klean")]
    again = on(klean_app, "market-klean", market_home, "receive", str(envelope))
    assert again.exit_code == 2 and "received already" in again.output
    revocation = tmp_path / "revoke.json"
    assert on(agency_app, "kipa-klean", agency_home, "revoke", "--brand", "sulwhasoo", "-o",
              str(revocation)).exit_code == 0
    assert on(klean_app, "market-klean", market_home, "receive", str(revocation)).exit_code == 0
    with klean_app.uow_factory() as uow:
        assert uow.brands.get("sulwhasoo") is None and uow.brands.get("gentle-monster") is not None
    assert peer_fakes(klean_app) == []  # its known fake went with it
    get_settings.cache_clear()
