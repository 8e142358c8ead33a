"""Every API route and portal action, called as every role and anonymously, answers as tests/e2e/authz_table.py says;
and an owner versus another owner of the same role (seller, rights holder, buyer, reporter) is told apart.

A call counts as let through when it does not answer 401/403 (or send the portal's sign-in redirect); a refusal is
401/403/404. A request body the route needs is sent empty, so a role the table denies may meet the body check (422)
before the service's role check: that is still no access, but it proves less, and the test counts such cases.
"""

from __future__ import annotations

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
               "claim_id": "999", "proof_id": "999", "key_id": "0000000000000000", "name": "decisions"}
QUERIES = {"/v1/transparency/report": {"from": "2025-10-01"}, "/v1/transparency/statements": {"from": "2025-10-01"}}
REGISTRY = {"brands": [{"id": "chanel", "name": "Chanel", "owner": "Chanel", "marks": ["Chanel", "샤넬", "CC"],
                        "products": [{"id": "chanel.flap", "name": "Classic Flap Bag",
                                      "reference_price": {"amount": 13_160_000, "currency": "KRW"}}]},
                       {"id": "hermes", "name": "Hermès", "owner": "Hermès", "marks": ["Hermès", "에르메스"]}],
            "sellers": [{"id": "busan-shades", "name": "부산 선글라스"}, {"id": "daegu-bags", "name": "대구 가방"}]}


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
    """Call one route; return (status, location header, whether an empty body was sent to a body-taking route)."""
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
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    r = client.request(method, path, headers=caller["api"], params=QUERIES.get(template),
                       **body)  # type: ignore[arg-type]
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
    body_first = 0
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
                if status == 422 and sent_body:
                    body_first += 1
                    continue
                wrong.append(f"{who} {method} {template}: let through with {status}, the table denies it")
    assert not wrong, "\n".join(wrong)
    print(f"denials answered by the body check before the role check: {body_first}")


def test_public_rows_are_few_and_deliberate() -> None:
    public = sorted(r for r, roles in TABLE.items() if roles == PUBLIC)
    assert all(p.startswith(("/portal", "/healthz", "/readyz", "/metrics", "/v1/reports", "/v1/transparency"))
               or p == "/" for _, p in public), public
