"""Seller verification over HTTP on SQLite and PostgreSQL: proof uploads, decisions, grants, identity checks.

The story: "Seoul Outlet" resells Gentle Monster eyewear under a distributor letter from IICOMBINED (the brand
owner); Nike Inc.'s agent has no say over Gentle Monster proofs.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from klean.bootstrap import App
from klean.config import Settings
from klean.domain.auth import Principal, Role
from klean.domain.listing import Listing, Money
from klean.domain.messages import msg
from klean.domain.policy import EnforcementPolicy
from klean.domain.policy_file import read_policy
from klean.services import enforcement, registry, verification

SELLER = "seoul-outlet"
TODAY = datetime.now(UTC).date()
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"% Distributor letter: IICOMBINED authorises Seoul Outlet to sell Gentle Monster eyewear\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A small upload cap so the "too large" case needs no big file. The screener is held as `klean serve` holds
    # it (longer, so that only a change made through this process can refresh it within a test).
    return Settings(home=tmp_path / "home", signing_key_path=tmp_path / "home" / "signing.pem",
                    max_upload_bytes=64 * 1024, screener_recheck_seconds=3600)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _setup(k: App) -> None:
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="gentle-monster", name="Gentle Monster",
                          marks=["Gentle Monster", "젠틀몬스터"], owner="IICOMBINED")
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="nike", name="Nike", marks=["Nike"],
                          owner="Nike Inc.")
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="no-name", name="No Name", marks=["No Name"])


def _upload(client: TestClient, headers: dict[str, str], data: bytes = PDF, *, name: str = "letter.pdf",
            content_type: str = "application/pdf", **form: str) -> object:
    fields = {"brand_id": "gentle-monster", "issuer": "IICOMBINED Co., Ltd. (Gentle Monster)",
              "valid_from": TODAY.isoformat(), "valid_until": (TODAY + timedelta(days=365)).isoformat(), **form}
    return client.post("/v1/verification/proofs", headers=headers, files={"file": (name, data, content_type)},
                       data=fields)


@pytest.fixture
def people(client: TestClient, make_user: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    _setup(client.app.state.klean)  # type: ignore[attr-defined]
    return {
        "seller": make_user("outlet-kim", "seller", seller_id=SELLER),
        "rival": make_user("bags-park", "seller", seller_id="busan-bags"),
        "gm": make_user("gm-legal", "rights_holder", org="IICOMBINED"),
        "nike": make_user("nike-agent", "rights_holder", org="Nike Inc."),
        "reviewer": make_user("minji", "reviewer"),
        "admin": make_user("ada", "admin"),
    }


def test_proof_upload_review_and_authorisation(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    k: App = client.app.state.klean  # type: ignore[attr-defined]
    before = registry.registry_snapshot(uow=k.uow_factory()).version
    check = client.get(f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle-monster&brand_id=no-name",
                       headers=people["seller"]).json()
    assert check["outcome"] == "hold"
    assert [m["brand_id"] for m in check["missing_authorisations"]] == ["gentle-monster"]  # no owner: unprotected
    assert "no proof of authorisation for Gentle Monster on file" in check["missing_authorisations"][0]["message"]

    r = _upload(client, people["seller"])
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    proof = r.json()  # type: ignore[attr-defined]
    assert proof["state"] == "submitted" and proof["media_type"] == "application/pdf" and proof["seller_id"] == SELLER
    text = client.get(f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle-monster",
                      headers=people["seller"]).json()["missing_authorisations"][0]["message"]
    assert f"proof #{proof['id']} for Gentle Monster is still awaiting review" in text

    pid = proof["id"]
    assert client.get(f"/v1/verification/proofs/{pid}", headers=people["rival"]).status_code == 404
    assert client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["nike"],
                       json={"approve": True, "reason": "ok"}).status_code == 404
    assert client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["seller"],
                       json={"approve": True, "reason": "I approve myself"}).status_code == 403
    doc = client.get(f"/v1/verification/proofs/{pid}/document", headers=people["gm"])
    assert doc.status_code == 200 and doc.content == PDF
    assert doc.headers["content-disposition"].startswith("attachment")
    assert doc.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in doc.headers["content-security-policy"]

    r = client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["gm"],
                    json={"approve": True, "reason": "Letter matches our distributor register (KR-DIST-0042)."})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["authorisation_id"]
    with k.uow_factory() as uow:
        auths = uow.proofs.authorisations(SELLER, "gentle-monster")
    assert [src for _, _, src in auths] == [f"proof:{pid}"]
    assert registry.registry_snapshot(uow=k.uow_factory()).version != before  # the screener sees it
    assert client.get(f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle-monster",
                      headers=people["seller"]).json()["outcome"] == "allow"
    again = client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["reviewer"],
                        json={"approve": False, "reason": "changed my mind"})
    assert again.status_code == 409

    r = client.post("/v1/verification/revocations", headers=people["nike"],
                    json={"brand_id": "gentle-monster", "seller_id": SELLER, "reason": "not ours to revoke"})
    assert r.status_code == 403
    r = client.post("/v1/verification/revocations", headers=people["gm"],
                    json={"brand_id": "gentle-monster", "seller_id": SELLER,
                          "reason": "Distribution contract ended on 2026-11-30."})
    assert r.status_code == 200 and r.json()["proofs_revoked"] == [pid]
    text = client.get(f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle-monster",
                      headers=people["seller"]).json()["missing_authorisations"][0]["message"]
    assert "was revoked by the brand" in text


def test_rejection_tells_the_seller_why(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    pid = _upload(client, people["seller"], _png(), name="letter.png", content_type="image/png").json()["id"]  # type: ignore[attr-defined]
    r = client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["reviewer"],
                    json={"approve": False, "reason": "the letter is unsigned"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    text = client.get(f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle-monster",
                      headers=people["seller"]).json()["missing_authorisations"][0]["message"]
    assert f"proof #{pid} for Gentle Monster was rejected (the letter is unsigned)" in text
    assert client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["reviewer"],
                       json={"approve": False, "reason": ""}).status_code == 422


def test_direct_grant_by_the_rights_holder(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    body = {"brand_id": "gentle-monster", "seller_id": SELLER, "valid_until": (TODAY + timedelta(days=90)).isoformat(),
            "reason": "Pop-up store partner for the winter collection"}
    assert client.post("/v1/verification/grants", headers=people["nike"], json=body).status_code == 403
    assert client.post("/v1/verification/grants", headers=people["seller"], json=body).status_code == 403
    r = client.post("/v1/verification/grants", headers=people["gm"], json=body)
    assert r.status_code == 201, r.text
    assert client.get(f"/v1/sellers/{SELLER}/listing-check?brand_id=gentle-monster",
                      headers=people["seller"]).json()["outcome"] == "allow"


@pytest.mark.parametrize(("data", "name", "content_type", "expected"), [
    (b"", "empty.pdf", "application/pdf", "empty"),
    (b"<html><script>alert(1)</script></html>", "letter.pdf", "application/pdf", "not a PDF or an image"),
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "letter.exe", "application/octet-stream", "not a PDF or an image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", "image/svg+xml",
     "not a PDF or an image"),
    (PDF[:-7], "truncated.pdf", "application/pdf", "truncated"),
    (b"%PDF-1.4\n" + b"0" * (70 * 1024) + b"\n%%EOF\n", "huge.pdf", "application/pdf", "limit"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "broken.png", "image/png", "truncated or corrupt"),
])
def test_malformed_documents_are_rejected_with_reasons(client: TestClient, people: dict[str, dict[str, str]],
                                                       data: bytes, name: str, content_type: str,
                                                       expected: str) -> None:
    r = _upload(client, people["seller"], data, name=name, content_type=content_type)
    assert r.status_code in (413, 422), r.text  # type: ignore[attr-defined]
    err = r.json()["error"]  # type: ignore[attr-defined]
    assert expected in err["message"] and err["field"] == "file"
    assert client.get("/v1/verification/proofs", headers=people["seller"]).json() == []


@pytest.mark.parametrize(("form", "status", "field"), [
    ({"valid_from": "2026-12-01", "valid_until": "2026-11-01"}, 422, "valid_until"),
    ({"valid_from": "2020-01-01", "valid_until": "2021-01-01"}, 422, "valid_until"),
    ({"valid_until": (TODAY + timedelta(days=4000)).isoformat()}, 422, "valid_until"),
    ({"valid_until": "next spring"}, 422, "valid_until"),
    ({"brand_id": "chanel"}, 404, "brand_id"),
    ({"issuer": " "}, 422, "issuer"),
])
def test_bad_proof_metadata_is_rejected(client: TestClient, people: dict[str, dict[str, str]],
                                        form: dict[str, str], status: int, field: str) -> None:
    r = _upload(client, people["seller"], **form)
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert field in (r.json()["error"]["field"] or "")  # type: ignore[attr-defined]


def test_only_sellers_upload_proofs(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    assert _upload(client, people["gm"]).status_code == 403  # type: ignore[attr-defined]
    assert client.post("/v1/verification/proofs", files={"file": ("a.pdf", PDF, "application/pdf")},
                       data={"brand_id": "gentle-monster", "issuer": "x", "valid_until": "2027-01-01"}
                       ).status_code == 401


def test_identity_fields_masked_verified_and_high_volume_flag(client: TestClient,
                                                              people: dict[str, dict[str, str]]) -> None:
    k: App = client.app.state.klean  # type: ignore[attr-defined]
    r = client.put("/v1/verification/identity", headers=people["seller"], json={
        "name": "김서울 (Seoul Outlet)", "address": "서울특별시 마포구 와우산로 94", "bank_account": "110-123-456789",
        "tax_id": "123-45-67890"})
    assert r.status_code == 200, r.text
    view = client.get(f"/v1/sellers/{SELLER}/identity", headers=people["seller"]).json()
    assert view["fields"]["bank_account"]["value"] == "**********6789"
    assert view["missing_or_unverified"] == ["name", "address", "bank_account", "tax_id"]
    assert client.get(f"/v1/sellers/{SELLER}/identity", headers=people["rival"]).status_code == 404
    assert client.put("/v1/verification/identity", headers=people["seller"],
                      json={"shoe_size": "270"}).status_code == 422

    policy_doc = k.policy
    section = dict(policy_doc.section("enforcement"))
    section["identity"] = {"high_volume_listings": 3, "required": ["name", "address", "bank_account", "tax_id"]}
    strict = EnforcementPolicy.from_section(section, policy_doc.version)
    with k.uow_factory() as uow:
        for i in range(3):
            uow.listings.upsert(Listing(id=f"gm-bulk-{i}", title=f"Gentle Monster Lang 0{i}", seller_id=SELLER,
                                        price=Money(Decimal("289000"), "KRW")))
        uow.listings.upsert(Listing(id="bb-1", title="Tote bag", seller_id="busan-bags",
                                    price=Money(Decimal("19000"), "KRW")))
        assert verification.flag_unverified_high_volume(uow=uow, policy=strict) == [SELLER]
        assert verification.flag_unverified_high_volume(uow=uow, policy=strict) == []  # flagged once
        uow.commit()
    jisoo = Principal("jisoo", Role.REVIEWER)
    verified = verification.verify_identity(uow=k.uow_factory(), principal=jisoo, seller_id=SELLER,
                                            fields=["name", "address", "bank_account", "tax_id"], verified=True,
                                            reason="Business registration certificate checked", policy=strict)
    assert verified["missing_or_unverified"] == [] and verified["flagged_at"] is None
    r = client.post(f"/v1/sellers/{SELLER}/identity/verification", headers=people["seller"],
                    json={"fields": ["name"], "verified": True, "reason": "trust me"})
    assert r.status_code == 403


def test_listing_gate_blocks_per_policy() -> None:
    doc = read_policy()
    section = dict(doc.section("enforcement"))
    section["authorisation"] = {"protected": "all", "missing": "hold", "block_brands": ["nike"]}
    pol = EnforcementPolicy.from_section(section, doc.version)
    not_valid = msg("Your proof #{id} for {brand} is not valid on {day}.", id=1, brand="Nike", day="2026-01-01")
    nike = enforcement.MissingProof("nike", "Nike", pol.missing_authorisation_outcome("nike"), not_valid)
    gm = enforcement.MissingProof("gentle-monster", "Gentle Monster",
                                  pol.missing_authorisation_outcome("gentle-monster"), not_valid)
    assert enforcement.authorisation_outcome([gm]) == "hold"
    assert enforcement.authorisation_outcome([gm, nike]) == "block"
    assert enforcement.authorisation_outcome([]) == "allow"


def _gm_listing(listing_id: str, title: str = "Gentle Monster Lilit 01 sunglasses, new with case") -> dict[str, Any]:
    return {"id": listing_id, "title": title, "price": 289000, "currency": "KRW", "seller_id": SELLER,
            "category": "eyewear", "condition": "new"}


def _status(client: TestClient, headers: dict[str, str], listing_id: str) -> tuple[str, str]:
    view = client.get(f"/v1/listings/{listing_id}", headers=headers).json()
    return view["status"], " | ".join(view["reasons"] + [e["reason"] for e in view["evidence"]])


def test_authorisation_changes_apply_at_once_to_screening_and_held_listings(
        client: TestClient, people: dict[str, dict[str, str]]) -> None:
    seller = people["seller"]
    # The worker has screened before (its screener is held): the approval must refresh it.
    first = client.post("/v1/listings", json=_gm_listing("gm-1"), headers=seller).json()
    assert first["status"] == "held"
    assert any("no proof of authorisation for Gentle Monster" in r for r in first["reasons"])

    pid = _upload(client, seller).json()["id"]  # type: ignore[attr-defined]
    r = client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["gm"],
                    json={"approve": True, "reason": "Letter matches our distributor register (KR-DIST-0042)."})
    assert r.status_code == 200, r.text
    status, why = _status(client, seller, "gm-1")
    assert status == "live" and "is authorised by Gentle Monster" in why  # the held listing was rescreened
    right_after = client.post("/v1/listings", json=_gm_listing("gm-2", "젠틀몬스터 릴리트 01 선글라스 새상품"),
                              headers=seller).json()
    assert right_after["status"] == "live", right_after
    assert not any("not authorised" in e["reason"] for e in right_after["evidence"])
    assert any(e["signal"] == "seller" and e["weight"] < 0 for e in right_after["evidence"])
    dry = client.post("/v1/screen", json=_gm_listing("gm-3"), headers=seller).json()
    assert dry["decision"] == "allow"

    r = client.post("/v1/verification/revocations", headers=people["gm"],
                    json={"brand_id": "gentle-monster", "seller_id": SELLER,
                          "reason": "Distribution contract ended on 2026-11-30."})
    assert r.status_code == 200, r.text
    for lid in ("gm-1", "gm-2"):
        status, why = _status(client, seller, lid)
        assert status == "held" and "was revoked by the brand" in why, (lid, why)
    assert client.post("/v1/screen", json=_gm_listing("gm-3"), headers=seller).json()["decision"] == "review"

    r = client.post("/v1/verification/grants", headers=people["gm"],
                    json={"brand_id": "gentle-monster", "seller_id": SELLER,
                          "valid_until": (TODAY + timedelta(days=90)).isoformat(), "reason": "Pop-up partner"})
    assert r.status_code == 201, r.text
    assert [_status(client, seller, lid)[0] for lid in ("gm-1", "gm-2")] == ["live", "live"]
    with client.app.state.klean.uow_factory() as uow:  # type: ignore[attr-defined]
        assert not uow.queue.open_items(kind="screening")


def test_an_expired_proof_holds_the_listings_it_covered(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    from klean.adapters.jobs import run_once

    k: App = client.app.state.klean  # type: ignore[attr-defined]
    seller = people["seller"]
    pid = _upload(client, seller, valid_until=(TODAY + timedelta(days=30)).isoformat()).json()["id"]  # type: ignore[attr-defined]
    assert client.post(f"/v1/verification/proofs/{pid}/decision", headers=people["reviewer"],
                       json={"approve": True, "reason": "Letter checked with IICOMBINED."}).status_code == 200
    assert client.post("/v1/listings", json=_gm_listing("gm-9"), headers=seller).json()["status"] == "live"

    later = datetime.now(UTC) + timedelta(days=31)
    report = run_once(k, notify=lambda **_: None, now=later)
    assert report.proofs_expired == 1 and report.listings_rescanned == 1
    status, why = _status(client, seller, "gm-9")
    assert status == "held" and f"proof #{pid} for Gentle Monster expired" in why, why


def test_a_reviewer_sets_and_corrects_a_proofs_end_date(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    k: App = client.app.state.klean  # type: ignore[attr-defined]
    seller, reviewer = people["seller"], people["reviewer"]
    pid = _upload(client, seller, valid_from=(TODAY - timedelta(days=200)).isoformat()).json()["id"]  # type: ignore[attr-defined]
    assert client.post(f"/v1/verification/proofs/{pid}/decision", headers=reviewer,
                       json={"approve": True, "reason": "Letter checked with IICOMBINED."}).status_code == 200
    assert client.post("/v1/listings", json=_gm_listing("gm-20"), headers=seller).json()["status"] == "live"
    with k.uow_factory() as uow:
        uow.proofs.record_warning(pid, 30)
        uow.commit()

    # The letter says 31 May, not the year the seller typed: the reviewer corrects it.
    end = TODAY + timedelta(days=60)
    url = f"/v1/verification/proofs/{pid}/expiry"
    body = {"valid_until": end.isoformat(), "reason": "The distributor letter ends 60 days from now (clause 4)."}
    for who in ("seller", "gm", "nike"):
        assert client.put(url, headers=people[who], json=body).status_code == 403, who
    r = client.put(url, headers=reviewer, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["valid_until"] == end.isoformat() and r.json()["state"] == "approved"
    assert r.json()["warnings_sent"] == []  # the 30-day warning is due again for the new date
    with k.uow_factory() as uow:
        (_, auth, _), = uow.proofs.authorisations(SELLER, "gentle-monster")
        events = [e for e in uow.events.for_subject("seller", SELLER) if e.type == "proof.expiry_set"]
    assert auth.valid_until == end
    assert len(events) == 1 and events[0].actor == "minji" and events[0].reason == body["reason"]
    assert events[0].payload["from"] == (TODAY + timedelta(days=365)).isoformat()
    assert events[0].payload["to"] == end.isoformat()

    for bad, status, field, words in (
            ({**body, "valid_until": (TODAY - timedelta(days=3)).isoformat()}, 422, "valid_until", "correction"),
            ({**body, "valid_until": (TODAY - timedelta(days=400)).isoformat(), "correction": True}, 422,
             "valid_until", "before valid_from"),
            ({**body, "valid_until": (TODAY + timedelta(days=4000)).isoformat()}, 422, "valid_until", "days"),
            ({**body, "reason": " "}, 422, "reason", "why"),
            ({**body, "valid_until": "next spring"}, 422, "valid_until", ""),
            (body, 422, "valid_until", "already ends")):
        r = client.put(url, headers=reviewer, json=bad)
        assert r.status_code == status, (bad, r.text)
        assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"], r.json()

    # The document really ended yesterday: a correction expires the proof at once and holds the listing.
    r = client.put(url, headers=people["admin"], json={"valid_until": (TODAY - timedelta(days=1)).isoformat(),
                                                       "reason": "IICOMBINED says the contract ended yesterday.",
                                                       "correction": True})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "expired"
    status, why = _status(client, seller, "gm-20")
    assert status == "held" and f"proof #{pid} for Gentle Monster expired" in why, why
    assert client.put(url, headers=reviewer, json=body).status_code == 409  # expired: a new proof is needed


def test_the_reviewer_portal_sets_a_proofs_end_date(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    from klean.services import accounts

    k: App = client.app.state.klean  # type: ignore[attr-defined]
    pid = _upload(client, people["seller"]).json()["id"]  # type: ignore[attr-defined]
    with k.uow_factory() as uow:
        item = next(i for i in uow.queue.open_items(kind="proof") if i.subject_id == str(pid))
    accounts.set_password(uow=k.uow_factory(), actor=None, user_id="minji", password="a long passphrase 7")
    token = client.get("/portal/signin").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/portal/signin", data={"login": "minji", "password": "a long passphrase 7",
                                               "csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get(f"/portal/review/{item.id}?lang=ko")
    assert page.status_code == 200 and 'id="proof-expiry"' in page.text and "종료일 설정" in page.text
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    end = TODAY + timedelta(days=120)
    r = client.post(f"/portal/review/proofs/{pid}/expiry", follow_redirects=False,
                    data={"csrf_token": csrf, "item_id": str(item.id), "valid_until": end.isoformat(),
                          "reason": "Letter dated for four months"})
    assert r.status_code == 303 and r.headers["location"] == f"/portal/review/{item.id}"
    assert client.get(f"/v1/verification/proofs/{pid}", headers=people["reviewer"]).json()["valid_until"] == \
        end.isoformat()
    page = client.get(f"/portal/review/{item.id}?lang=en").text  # the date as the page's reader reads dates
    assert f"Proof {pid} now ends on {end.strftime('%b')} {end.day}, {end.year}." in page
    r = client.post(f"/portal/review/proofs/{pid}/expiry", follow_redirects=False,
                    data={"csrf_token": csrf, "item_id": str(item.id),
                          "valid_until": (TODAY - timedelta(days=2)).isoformat(), "reason": "typo"})
    assert r.status_code == 303
    assert "correction" in client.get(f"/portal/review/{item.id}?lang=en").text  # the refusal, explained
    assert client.get(f"/v1/verification/proofs/{pid}", headers=people["reviewer"]).json()["valid_until"] == \
        end.isoformat()
