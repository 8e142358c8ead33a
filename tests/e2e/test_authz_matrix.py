"""Every API route and portal action, called as every role and anonymously, answers as tests/e2e/authz_table.py says;
and an owner versus another owner of the same role (seller, rights holder, buyer, reporter) is told apart.

A call counts as let through when it does not answer 401/403 (or send the portal's sign-in redirect); a refusal is
401/403/404. Every API route that takes a body is sent a valid one (BODIES), so a role the table denies meets the
role check itself, not the body check: a 422 for a denied role fails the test.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from authz_table import PUBLIC, TABLE
from fastapi import FastAPI
from fastapi.testclient import TestClient

from klean.adapters.db import migrate
from klean.bootstrap import App, bootstrap
from klean.config import Settings
from klean.domain.auth import Role
from klean.domain.listing import Listing, Money
from klean.services import accounts, registry

ROLE_USERS = {
    "admin": dict(user_id="ada", role=Role.ADMIN),
    "rights_holder": dict(user_id="chanel-legal", role=Role.RIGHTS_HOLDER, org="Chanel"),
    "trusted_partner": dict(user_id="chanel-brand-protection", role=Role.TRUSTED_PARTNER, org="Chanel"),
    "seller": dict(user_id="busan-shades", role=Role.SELLER, seller_id="busan-shades"),
    "consumer": dict(user_id="minji", role=Role.CONSUMER),
    "reviewer": dict(user_id="hana", role=Role.REVIEWER),
    "inspector": dict(user_id="seoul-inspect", role=Role.INSPECTOR, org="Seoul Inspection Co."),
}
OTHERS = {  # another owner of the same role
    "rights_holder": dict(user_id="hermes-legal", role=Role.RIGHTS_HOLDER, org="Hermès"),
    "seller": dict(user_id="daegu-bags", role=Role.SELLER, seller_id="daegu-bags"),
    "consumer": dict(user_id="jisoo", role=Role.CONSUMER),
}
PASSWORD = "correct horse battery staple"
PATH_VALUES = {"brand_id": "chanel", "listing_id": "busan-flap-01", "seller_id": "busan-shades", "mark": "CC",
               "product_id": "chanel.flap", "sha256": "0" * 64, "bank": "known_fake", "entry_id": "999",
               "case_id": "999", "case_number": "R-000000", "user_id": "chanel-legal", "item_id": "999",
               "action_id": "999", "appeal_id": "999", "period": "2025-10", "pick_id": "999", "order_id": "ORD-0",
               "claim_id": "999", "proof_id": "999", "mandate_id": "999", "key_id": "0000000000000000",
               "name": "decisions"}
QUERIES = {"/v1/transparency/report": {"from": "2025-10-01"}, "/v1/transparency/statements": {"from": "2025-10-01"}}
REGISTRY = {"brands": [{"id": "chanel", "name": "Chanel", "owner": "Chanel", "marks": ["Chanel", "샤넬", "CC"],
                        "products": [{"id": "chanel.flap", "name": "Classic Flap Bag",
                                      "reference_price": {"amount": 13_160_000, "currency": "KRW"}}]},
                       {"id": "hermes", "name": "Hermès", "owner": "Hermès", "marks": ["Hermès", "에르메스"]}],
            "sellers": [{"id": "busan-shades", "name": "부산 선글라스"}, {"id": "daegu-bags", "name": "대구 가방"}]}


def _png() -> bytes:
    """A photo-like image (noise, so it has the texture an image bank asks for)."""
    import random

    from PIL import Image

    rng = random.Random(7)
    image = Image.frombytes("RGB", (256, 256), bytes(rng.randrange(256) for _ in range(256 * 256 * 3)))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


PNG = _png()
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
REASON = {"reason": "Checked against the listing, the invoice and the brand's letter."}
# A valid body for every API route that takes one (what a legitimate caller would send), so that a denied role is
# turned away by the role check, not by the body check. Side effects are kept away from the seeded listings.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/screen"): {"json": {"title": "샤넬 클래식 플랩백 미러급", "price": 89_000, "currency": "KRW"}},
    ("POST", "/v1/listings"): {"json": {"id": "busan-case-02", "title": "선글라스 케이스", "price": 9_000,
                                        "currency": "KRW", "seller_id": "busan-shades"}},
    ("POST", "/v1/listings:batch"): {"json": {"listings": [{"idempotency_key": "authz-1", "listing": {
        "id": "busan-case-03", "title": "안경 닦이 천", "price": 3_000, "currency": "KRW",
        "seller_id": "busan-shades"}}]}},
    ("POST", "/v1/enforcement/violations"): {"json": {"seller_id": "daegu-bags", "kind": "screening_block",
                                                      "cause_ref": "authz-matrix:1"}},
    ("POST", "/v1/enforcement/reversals"): {"json": {"cause_ref": "authz-matrix:none", **REASON}},
    ("POST", "/v1/enforcement/actions/{action_id}/appeal"): {"json": {"grounds": "The bag is genuine: invoice "
                                                                                 "from the boutique attached."}},
    ("POST", "/v1/enforcement/actions/{action_id}/lift"): {"json": REASON},
    ("POST", "/v1/enforcement/appeals/{appeal_id}/decision"): {"json": {"outcome": "uphold", **REASON}},
    ("POST", "/v1/image-banks/{bank}/entries"): {"json": {"pdq": "a5" * 32, "note": "authz matrix"}},
    ("POST", "/v1/image-banks/{bank}/images"): {"files": {"file": ("fake.png", PNG, "image/png")}},
    ("POST", "/v1/image-banks/{bank}/import"): {"content": ("b4" * 32 + "\n").encode(),
                                                "headers": {"Content-Type": "text/plain"}},
    ("POST", "/v1/notices"): {"json": {
        "brand_id": "chanel", "notifier_name": "Chanel Legal", "notifier_email": "legal@chanel.example",
        "right": {"kind": "trademark", "registration_number": "40-0123456", "office": "KIPO"},
        "listings": ["daegu-tote-07"], "explanation": "Bags sold as Chanel that Chanel never made.",
        "good_faith": True, "accurate": True, "signature": "Chanel Legal"}},
    ("POST", "/v1/cases/{case_id}/counter-notice"): {"json": {"reasons": "Genuine stock bought from the brand's "
                                                                         "own distributor."}},
    ("POST", "/v1/cases/{case_id}/court-action"): {"json": {"reference": "Seoul Central District Court 2025GH1"}},
    ("POST", "/v1/cases/{case_id}/complaints"): {"json": {"grounds": "The decision overlooked the invoice."}},
    ("POST", "/v1/exchange/outbox"): {"json": {"brand_ids": ["chanel"]}},
    ("POST", "/v1/exchange/revocations"): {"json": {"brand_ids": ["chanel"]}},
    ("POST", "/v1/exchange/peers"): {"json": {"name": "authz-peer", "public_key": "ab" * 32}},
    ("POST", "/v1/exchange/inbox"): {"json": {"payload": {}, "signature": ""}},
    ("POST", "/v1/exchange/items/{item_id}/decision"): {"json": {"accept": False, **REASON}},
    ("POST", "/v1/mandates"): {"files": {"file": ("mandate.pdf", PDF, "application/pdf")},
                               "data": {"brand_id": "chanel", "valid_until": "2027-12-31"}},
    ("POST", "/v1/mandates/{mandate_id}/decision"): {"json": {"approve": True, **REASON}},
    ("POST", "/v1/mandates/{mandate_id}/end"): {"json": REASON},
    ("POST", "/v1/notices/bulk"): {"files": {"file": ("notice.csv", b"listing\ndaegu-tote-07\n", "text/csv")},
                                   "data": {"notice": json.dumps({
                                       "brand_id": "chanel", "notifier_name": "Chanel Legal",
                                       "notifier_email": "legal@chanel.example",
                                       "right": {"kind": "trademark", "registration_number": "40-0123456",
                                                 "office": "KIPO"},
                                       "explanation": "Bags sold as Chanel that Chanel never made.",
                                       "good_faith": True, "accurate": True, "signature": "Chanel Legal"})}},
    ("POST", "/v1/qa/periods/{period}/sample"): {"json": {"seed": 7}},
    ("POST", "/v1/qa/picks/{pick_id}/assign"): {"json": {"org": "Seoul Inspection Co."}},
    ("POST", "/v1/qa/picks/{pick_id}/purchase"): {"json": {"order_ref": "ORD-QA-1", "amount": 89_000,
                                                           "currency": "KRW",
                                                           "purchased_at": "2025-10-03T10:00:00+09:00"}},
    ("POST", "/v1/qa/picks/{pick_id}/photos"): {"files": {"file": ("parcel.png", PNG, "image/png")}},
    ("POST", "/v1/qa/picks/{pick_id}/verdict"): {"json": {"verdict": "fake", "notes": "Stitching and font wrong."}},
    ("POST", "/v1/qa/picks/{pick_id}/confirm"): {"json": {"note": "Confirmed from the photos."}},
    ("POST", "/v1/orders"): {"json": {"orders": [{
        "id": "ORD-AUTHZ-1", "listing_id": "daegu-tote-07", "seller_id": "daegu-bags", "buyer_id": "jisoo",
        "amount": 59_000, "currency": "KRW", "purchased_at": "2025-10-01T10:00:00+09:00"}]}},
    ("POST", "/v1/refunds/claims"): {"json": {"order_id": "ORD-0", "note": "It smells of glue."}},
    ("POST", "/v1/refunds/claims/{claim_id}/decision"): {"json": {"approve": True, **REASON}},
    ("POST", "/v1/refunds/cases/{listing_id}/decision"): {"json": {"action": "dismiss", **REASON}},
    ("POST", "/v1/brands"): {"json": {"id": "authz-brand", "name": "Authz Brand", "marks": ["Authzmark"]}},
    ("PATCH", "/v1/brands/{brand_id}"): {"json": {"name": "Chanel"}},
    ("POST", "/v1/brands/{brand_id}/marks"): {"json": {"mark": "Coco Chanel"}},
    ("POST", "/v1/brands/{brand_id}/products"): {"json": {"name": "Boy Bag", "reference_price": {
        "amount": 7_000_000, "currency": "KRW"}}},
    ("PATCH", "/v1/brands/{brand_id}/products/{product_id}"): {"json": {"name": "Classic Flap Bag"}},
    ("POST", "/v1/brands/{brand_id}/images"): {"files": {"file": ("logo.png", PNG, "image/png")},
                                               "data": {"kind": "official"}},
    ("POST", "/v1/brands/{brand_id}/authorised-sellers"): {"json": {"seller_id": "daegu-bags"}},
    ("POST", "/v1/brands/{brand_id}/knowledge"): {"json": {"term": "코코백", "kind": "nickname"}},
    ("PUT", "/v1/brands/{brand_id}/knowledge/pack"): {"json": {"use_pack": True}},
    ("POST", "/v1/registry/import"): {"json": REGISTRY},
    ("POST", "/v1/reports"): {"json": {"category": "counterfeit", "lang": "ko",
                                       "text": "샤넬 플랩백이 8만9천원, 로고가 거꾸로예요"}},
    ("POST", "/v1/review/items/{item_id}/decide"): {"json": {"decision": "dismiss", **REASON}},
    ("POST", "/v1/users"): {"json": {"id": "authz-new-user", "role": "consumer"}},
    ("PATCH", "/v1/users/{user_id}"): {"json": {"org": "Chanel"}},
    ("POST", "/v1/users/me/keys"): {"json": {"label": "authz matrix"}},
    ("POST", "/v1/verification/proofs"): {"files": {"file": ("letter.pdf", PDF, "application/pdf")},
                                          "data": {"brand_id": "chanel", "issuer": "Chanel Korea",
                                                   "valid_until": "2027-12-31"}},
    ("POST", "/v1/verification/proofs/{proof_id}/decision"): {"json": {"approve": True, **REASON}},
    ("PUT", "/v1/verification/proofs/{proof_id}/expiry"): {"json": {"valid_until": "2027-12-31", **REASON}},
    ("POST", "/v1/verification/grants"): {"json": {"brand_id": "chanel", "seller_id": "daegu-bags"}},
    ("POST", "/v1/verification/revocations"): {"json": {"brand_id": "chanel", "seller_id": "daegu-bags", **REASON}},
    ("PUT", "/v1/verification/identity"): {"json": {"name": "부산 선글라스"}},
    ("POST", "/v1/sellers/{seller_id}/identity/verification"): {"json": {"fields": ["name"], "verified": True,
                                                                         **REASON}},
}


def routes_of(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, including the portal's and the included routers'."""
    found: list[tuple[str, str]] = []
    for route in app.routes:
        candidates = route.effective_candidates() if hasattr(route, "effective_candidates") else [route]
        for c in candidates:
            methods = getattr(c, "methods", None) or set()
            path = getattr(c, "path", "")
            if path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
                continue  # FastAPI's own documentation pages, public by design
            found += [(m, path) for m in sorted(set(methods) - {"HEAD"})]
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, FastAPI]]:
    home = tmp_path_factory.mktemp("authz")
    settings = Settings(home=home, signing_key_path=home / "signing.pem", rate_limit_signin_per_ip=10_000,
                        rate_limit_reports_per_ip=10_000,
                        rate_limit_refunds_per_key=10_000, rate_limit_refunds_per_ip=10_000,
                        rate_limit_notices_per_key=10_000, rate_limit_notices_per_ip=10_000)
    k = bootstrap(settings, database_url=f"sqlite:///{home / 'klean.db'}")
    migrate.upgrade(k.engine)
    from klean.adapters.evidence_package import keygen

    keygen(home / "signing.pem")
    registry.import_registry(uow=k.uow_factory(), data=REGISTRY, actor=None)
    with k.uow_factory() as uow:
        uow.listings.upsert(Listing(id="busan-flap-01", title="샤넬 클래식 플랩백 미러급", seller_id="busan-shades",
                                    price=Money.of(89_000, "KRW")))
        uow.listings.upsert(Listing(id="daegu-tote-07", title="에르메스 스타일 토트백", seller_id="daegu-bags",
                                    price=Money.of(59_000, "KRW")))
        uow.commit()
    from klean.adapters.api.app import create_app

    yield k, create_app(k)
    k.engine.dispose()


def _user(k: App, spec: dict[str, Any]) -> str:
    _, key = accounts.create_user(uow=k.uow_factory(), actor=None, name=spec["user_id"], **spec)
    accounts.set_password(uow=k.uow_factory(), actor=None, user_id=spec["user_id"], password=PASSWORD)
    return key


def csrf(client: TestClient) -> str:
    page = client.get("/portal/signin").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the sign-in page carries a CSRF token"
    return found.group(1)


def portal_client(app: FastAPI, login: str | None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if login is not None:
        r = client.post("/portal/signin", data={"login": login, "password": PASSWORD, "csrf_token": csrf(client)})
        assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def callers(world: tuple[App, FastAPI]) -> dict[str, dict[str, Any]]:
    k, app = world
    out: dict[str, dict[str, Any]] = {"anonymous": {"api": {}, "portal": portal_client(app, None)}}
    for role, spec in ROLE_USERS.items():
        out[role] = {"api": {"Authorization": f"Bearer {_user(k, spec)}"},
                     "portal": portal_client(app, spec["user_id"])}
    for role, spec in OTHERS.items():
        out["other " + role] = {"api": {"Authorization": f"Bearer {_user(k, spec)}"}}
    return out


def call(app: FastAPI, caller: dict[str, Any], method: str, template: str) -> tuple[int, str, bool]:
    """Call one route; return (status, location header, whether a body was sent)."""
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), template)
    if template.startswith("/portal"):
        client: TestClient = caller["portal"]
        if method == "GET":
            r = client.get(path)
        else:
            token = client.cookies.get("klean_session") and csrf_of(client)
            r = client.post(path, data={"csrf_token": token or ""})
        return r.status_code, r.headers.get("location", ""), method != "GET"
    client = TestClient(app, follow_redirects=False)
    body = dict(BODIES.get((method, template)) or ({"json": {}} if method in ("POST", "PUT", "PATCH") else {}))
    headers = {**caller["api"], **body.pop("headers", {})}
    r = client.request(method, path, headers=headers, params=QUERIES.get(template), **body)
    return r.status_code, r.headers.get("location", ""), bool(body)


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as any portal page renders it."""
    page = client.get("/portal/report").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else ""


def refused(status: int, location: str) -> bool:
    return status in (401, 403, 404) or (status in (302, 303, 307) and "/portal/signin" in location)


def test_every_route_has_a_row(world: tuple[App, FastAPI]) -> None:
    _, app = world
    routes = set(routes_of(app))
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)
    assert not missing, f"routes without a row in authz_table.py: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_owner_versus_another_owner(world: tuple[App, FastAPI], callers: dict[str, dict[str, Any]]) -> None:
    _, app = world
    client = TestClient(app)

    def status(who: str, method: str, path: str, **kw: Any) -> int:
        return client.request(method, path, headers=callers[who]["api"], **kw).status_code

    # Sellers: one's own listing and standing, not another seller's.
    assert status("seller", "GET", "/v1/listings/busan-flap-01") == 200
    assert status("other seller", "GET", "/v1/listings/busan-flap-01") in (403, 404)
    assert status("seller", "GET", "/v1/sellers/busan-shades/standing") == 200
    assert status("other seller", "GET", "/v1/sellers/busan-shades/standing") in (403, 404)
    assert status("other seller", "GET", "/v1/sellers/busan-shades/identity") in (403, 404)
    # Rights holders: one's own brand, not another owner's.
    assert status("rights_holder", "GET", "/v1/brands/chanel") == 200
    assert status("other rights_holder", "GET", "/v1/brands/chanel") in (403, 404)
    assert status("other rights_holder", "POST", "/v1/brands/chanel/marks", json={"mark": "Coco"}) in (403, 404)
    assert status("other rights_holder", "PATCH", "/v1/brands/chanel", json={"name": "Chanel SA"}) in (403, 404)
    assert status("rights_holder", "PATCH", "/v1/brands/hermes", json={"name": "Hermes"}) in (403, 404)
    exported = client.get("/v1/registry/export", headers=callers["other rights_holder"]["api"]).json()
    assert [b["id"] for b in exported["brands"]] == ["hermes"]
    # Buyers: a report's status only with its follow token or as its reporter.
    r = client.post("/v1/reports", headers=callers["consumer"]["api"], json={
        "category": "counterfeit", "lang": "ko", "text": "샤넬 플랩백이 8만9천원, 로고가 거꾸로예요"})
    assert r.status_code == 201, r.text
    number = r.json()["case_number"]
    assert status("consumer", "GET", f"/v1/reports/{number}") == 200
    assert status("other consumer", "GET", f"/v1/reports/{number}") in (403, 404)
    assert client.get(f"/v1/reports/{number}").status_code in (401, 403, 404)
    # API keys: revoking another user's key is refused, one's own works.
    key_id = callers["other consumer"]["api"]["Authorization"].split("_")[1]
    assert status("consumer", "DELETE", f"/v1/users/me/keys/{key_id}") in (403, 404)
    assert status("other consumer", "GET", "/v1/me") == 200


def test_every_role_gets_what_the_table_says(world: tuple[App, FastAPI],
                                              callers: dict[str, dict[str, Any]]) -> None:
    _, app = world
    wrong: list[str] = []
    # Admins last: what they may delete should not vanish before the others have been refused it.
    order = ["anonymous", "consumer", "inspector", "seller", "trusted_partner", "rights_holder", "reviewer", "admin"]
    for method, template in sorted(TABLE, key=lambda r: (r[0] == "DELETE", r)):
        if (method, template) in (("POST", "/portal/signout"), ("POST", "/portal/signin")):
            continue  # would sign the portal session out or in again; covered in test_portal_session
        allowed = TABLE[(method, template)]
        for who in order:
            status, location, sent_body = call(app, callers[who], method, template)
            if status >= 500:
                wrong.append(f"{who} {method} {template}: {status} (server error)")
            elif who in allowed and refused(status, location) and status != 404:
                wrong.append(f"{who} {method} {template}: refused with {status}, the table allows it")
            elif who not in allowed and not refused(status, location):
                why = "the body check answered before the role check" if status == 422 and sent_body else \
                    "let through"
                wrong.append(f"{who} {method} {template}: {why} ({status}), the table denies it")
    assert not wrong, "\n".join(wrong)


def test_every_body_taking_api_route_has_a_valid_body(world: tuple[App, FastAPI]) -> None:
    _, app = world
    routes = [c for r in app.routes for c in (r.effective_candidates() if hasattr(r, "effective_candidates") else [r])]
    needs = {(m, c.path) for c in routes if getattr(c, "body_field", None) is not None and c.path.startswith("/v1/")
             for m in getattr(c, "methods", ()) if m in ("POST", "PUT", "PATCH")}
    assert not sorted(needs - set(BODIES)), sorted(needs - set(BODIES))


def test_public_rows_are_few_and_deliberate() -> None:
    public = sorted(r for r, roles in TABLE.items() if roles == PUBLIC)
    assert all(p.startswith(("/portal", "/healthz", "/readyz", "/metrics", "/v1/reports", "/v1/transparency"))
               or p == "/" for _, p in public), public
