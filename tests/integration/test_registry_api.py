"""The brand registry over HTTP: a story of Samsung's and Nike's rights holders, an admin and a reviewer."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.services import registry

Headers = dict[str, str]


def _samsung(client: TestClient, headers: Headers) -> dict:
    r = client.post("/v1/brands", headers=headers,
                    json={"id": "samsung", "name": "Samsung", "marks": ["Samsung", "삼성", "三星"]})
    assert r.status_code == 201, r.text
    return r.json()


def test_rights_holder_builds_its_brand(client: TestClient, make_user: Callable[..., Headers],
                                        klean_app: App) -> None:
    kim = make_user("kim", "rights_holder", org="Samsung Electronics")
    brand = _samsung(client, kim)
    assert brand["owner"] == "Samsung Electronics"  # taken from the principal, not the request
    assert brand["marks"] == ["Samsung", "삼성", "三星"]

    r = client.post("/v1/brands/samsung/marks", headers=kim, json={"mark": "갤럭시"})
    assert r.status_code == 201 and r.json()[-1] == "갤럭시"
    r = client.post("/v1/brands/samsung/products", headers=kim, json={
        "name": "Galaxy S24 Ultra", "reference_price": {"amount": 1698400, "currency": "KRW"},
        "aliases": ["갤럭시 S24 울트라", "S24U"], "category": "smartphone"})
    assert r.status_code == 201, r.text
    product = r.json()
    assert product["id"] == "samsung.galaxy-s24-ultra"
    assert product["reference_price"] == {"amount": "1698400", "currency": "KRW"}
    r = client.patch(f"/v1/brands/samsung/products/{product['id']}", headers=kim,
                     json={"reference_price": {"amount": 1599000, "currency": "KRW"}})
    assert r.status_code == 200 and r.json()["reference_price"]["amount"] == "1599000"

    r = client.post("/v1/brands/samsung/authorised-sellers", headers=kim,
                    json={"seller_id": "samsung-official", "valid_from": "2026-01-01", "valid_until": "2026-12-31"})
    assert r.status_code == 201, r.text
    r = client.get("/v1/brands/samsung/authorised-sellers", headers=kim)
    assert r.json() == [{"seller_id": "samsung-official", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}]

    r = client.patch("/v1/brands/samsung", headers=kim, json={"name": "Samsung Electronics"})
    assert r.status_code == 200 and r.json()["name"] == "Samsung Electronics"
    r = client.get("/v1/brands", headers=kim)
    assert r.json()["total"] == 1 and r.json()["items"][0]["id"] == "samsung"

    with klean_app.uow_factory() as uow:
        types = [e.type for e in uow.events.for_subject("brand", "samsung")]
    assert types == ["brand.created", "brand.mark_added", "brand.product_added", "brand.product_updated",
                     "brand.seller_authorised", "brand.updated"]

    r = client.delete("/v1/brands/samsung/authorised-sellers/samsung-official", headers=kim)
    assert r.status_code == 204
    assert client.get("/v1/brands/samsung/authorised-sellers", headers=kim).json() == []
    r = client.delete(f"/v1/brands/samsung/products/{product['id']}", headers=kim)
    assert r.status_code == 204
    r = client.delete("/v1/brands/samsung/marks/갤럭시", headers=kim)
    assert r.status_code == 200 and "갤럭시" not in r.json()


def test_rights_holder_cannot_see_or_touch_another_owners_brand(client: TestClient,
                                                                 make_user: Callable[..., Headers]) -> None:
    kim = make_user("kim", "rights_holder", org="Samsung Electronics")
    nike = make_user("jordan", "rights_holder", org="Nike Inc")
    _samsung(client, kim)
    # Nike's rights holder gets exactly what a missing brand gets: no hint that Samsung is registered.
    missing = client.get("/v1/brands/no-such-brand", headers=nike)
    for method, path, body in [
        ("GET", "/v1/brands/samsung", None),
        ("PATCH", "/v1/brands/samsung", {"name": "Scamsung"}),
        ("DELETE", "/v1/brands/samsung", None),
        ("POST", "/v1/brands/samsung/marks", {"mark": "Samsnug"}),
        ("GET", "/v1/brands/samsung/products", None),
        ("POST", "/v1/brands/samsung/authorised-sellers", {"seller_id": "fake-outlet"}),
    ]:
        r = client.request(method, path, headers=nike, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert client.get("/v1/brands", headers=nike).json()["total"] == 0
    # A rights holder cannot register a brand in another owner's name.
    r = client.post("/v1/brands", headers=nike, json={"id": "adidas", "name": "Adidas", "marks": ["Adidas"],
                                                      "owner": "Adidas AG"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "owner"
    # Nor claim a mark another owner holds (without learning which brand holds it).
    r = client.post("/v1/brands", headers=nike, json={"id": "nike", "name": "Nike", "marks": ["Nike", "SAMSUNG"]})
    assert r.status_code == 409 and "samsung" not in r.json()["error"]["message"].replace("SAMSUNG", "")
    assert client.get("/v1/brands/samsung", headers=kim).json()["name"] == "Samsung"


def test_admin_sees_all_reviewer_reads_only_seller_has_no_access(client: TestClient,
                                                                  make_user: Callable[..., Headers]) -> None:
    kim = make_user("kim", "rights_holder", org="Samsung Electronics")
    admin = make_user("ada", "admin")
    reviewer = make_user("rui", "reviewer")
    seller = make_user("shop", "seller", seller_id="gangnam-deals")
    _samsung(client, kim)
    r = client.post("/v1/brands", headers=admin,
                    json={"id": "nike", "name": "Nike", "marks": ["Nike", "나이키", "耐克"], "owner": "Nike Inc"})
    assert r.status_code == 201
    assert client.get("/v1/brands", headers=admin).json()["total"] == 2
    assert client.get("/v1/brands/samsung", headers=reviewer).status_code == 200
    r = client.patch("/v1/brands/samsung", headers=reviewer, json={"name": "x"})
    assert r.status_code == 403
    assert client.get("/v1/brands", headers=seller).status_code == 403
    assert client.get("/v1/brands", headers={}).status_code == 401
    r = client.patch("/v1/brands/samsung", headers=kim, json={"owner": "Nike Inc"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "owner"
    r = client.patch("/v1/brands/samsung", headers=admin, json={"owner": "Samsung C&T"})
    assert r.status_code == 200
    assert client.get("/v1/brands/samsung", headers=kim).status_code == 404  # no longer Kim's org
    assert client.delete("/v1/brands/nike", headers=admin).status_code == 204
    assert client.get("/v1/brands/nike", headers=admin).status_code == 404


def test_bad_input_is_a_4xx_naming_the_field(client: TestClient, make_user: Callable[..., Headers]) -> None:
    admin = make_user("ada", "admin")
    _samsung(client, admin)
    cases = [
        ({"id": "x", "name": "X", "marks": []}, "marks"),
        ({"id": "x y", "name": "X", "marks": ["X"]}, "id"),
        ({"id": "x", "name": "   ", "marks": ["X"]}, "name"),
        ({"id": "x", "name": "X", "marks": ["X"], "colour": "red"}, "colour"),
        ({"id": "x", "name": "X", "marks": ["X", "  x "]}, "marks/1"),
        ({"id": "x", "name": "X", "marks": ["\u200b \t"]}, "marks/0"),
        ({"id": "x" * 101, "name": "X", "marks": ["X"]}, "id"),
        ({"id": "samsung", "name": "Samsung again", "marks": ["Samsung2"]}, "id"),
        ({"id": "x", "name": "X", "marks": ["ＳＡＭＳＵＮＧ"]}, "marks/0"),  # fullwidth Samsung is Samsung
    ]
    for body, field in cases:
        r = client.post("/v1/brands", headers=admin, json=body)
        assert 400 <= r.status_code < 500, (body, r.text)
        assert r.json()["error"]["field"] == field, (body, r.json())
    for price, field in [({"amount": -5, "currency": "KRW"}, "reference_price.amount"),
                         ({"amount": 1000, "currency": "won"}, "reference_price.currency"),
                         ({"amount": 1e20, "currency": "KRW"}, "reference_price.amount"),
                         ({"amount": "NaN", "currency": "KRW"}, "reference_price.amount")]:
        r = client.post("/v1/brands/samsung/products", headers=admin, json={"name": "Galaxy", "reference_price": price})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field, r.json()
    r = client.post("/v1/brands/samsung/authorised-sellers", headers=admin,
                    json={"seller_id": "s1", "valid_from": "2026-05-01", "valid_until": "2026-01-01"})
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("valid_until")
    r = client.post("/v1/brands/samsung/marks", headers=admin, json={"mark": "SAMSUNG"})
    assert r.status_code == 409 and r.json()["error"]["field"] == "mark"
    r = client.delete("/v1/brands/samsung/marks/Sony", headers=admin)
    assert r.status_code == 404
    for mark in ("삼성", "三星"):
        client.delete(f"/v1/brands/samsung/marks/{mark}", headers=admin)
    r = client.delete("/v1/brands/samsung/marks/Samsung", headers=admin)
    assert r.status_code == 422  # the last mark stays
    r = client.post("/v1/brands/samsung/marks", headers=admin, content=b"{not json", )
    assert r.status_code == 422
    r = client.get("/v1/brands?limit=0", headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.limit"


def test_users_admin_creates_them_and_each_manages_its_keys(client: TestClient,
                                                             make_user: Callable[..., Headers]) -> None:
    admin = make_user("ada", "admin")
    r = client.post("/v1/users", headers=admin, json={"id": "kim", "role": "rights_holder",
                                                      "org": "Samsung Electronics"})
    assert r.status_code == 201, r.text
    kim = {"Authorization": f"Bearer {r.json()['api_key']}"}
    assert client.get("/v1/me", headers=kim).json()["org"] == "Samsung Electronics"
    assert client.post("/v1/users", headers=kim, json={"id": "eve", "role": "admin"}).status_code == 403
    assert client.post("/v1/users", headers=admin, json={"id": "kim", "role": "reviewer"}).status_code == 409
    r = client.post("/v1/users", headers=admin, json={"id": "x", "role": "emperor"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "role"
    r = client.post("/v1/users", headers=admin, json={"id": "lee", "role": "rights_holder"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "org"
    assert [u["id"] for u in client.get("/v1/users", headers=admin).json()] == ["ada", "kim"]
    assert client.get("/v1/users", headers=kim).status_code == 403

    r = client.post("/v1/users/me/keys", headers=kim, json={"label": "ci"})
    assert r.status_code == 201
    second = {"Authorization": f"Bearer {r.json()['api_key']}"}
    assert client.get("/v1/me", headers=second).status_code == 200
    keys = client.get("/v1/users/me/keys", headers=kim).json()
    assert len(keys) == 2 and all("api_key" not in k for k in keys)
    assert client.delete(f"/v1/users/me/keys/{r.json()['id']}", headers=kim).status_code == 204
    assert client.get("/v1/me", headers=second).status_code == 401
    admin_key = client.get("/v1/users/me/keys", headers=admin).json()[0]["id"]
    assert client.delete(f"/v1/users/me/keys/{admin_key}", headers=kim).status_code == 403


def test_snapshot_version_changes_with_every_registry_change(client: TestClient, klean_app: App,
                                                              make_user: Callable[..., Headers]) -> None:
    admin = make_user("ada", "admin")
    versions = [registry.registry_snapshot(uow=klean_app.uow_factory()).version]
    _samsung(client, admin)
    versions.append(registry.registry_snapshot(uow=klean_app.uow_factory()).version)
    client.post("/v1/brands/samsung/authorised-sellers", headers=admin, json={"seller_id": "samsung-official"})
    versions.append(registry.registry_snapshot(uow=klean_app.uow_factory()).version)
    snap = registry.registry_snapshot(uow=klean_app.uow_factory())
    assert snap.version == versions[-1]  # unchanged registry, same version
    assert len(set(versions)) == 3
    assert snap.brand("samsung") is not None and snap.brand("samsung").marks == ("Samsung", "삼성", "三星")


def test_logo_upload_is_validated_stored_by_hash_and_served_to_those_who_may_see_it(
        client: TestClient, klean_app: App, make_user: Callable[..., Headers]) -> None:
    import hashlib
    import io

    from PIL import Image

    kim = make_user("kim", "rights_holder", org="Samsung Electronics")
    nike = make_user("jordan", "rights_holder", org="Nike Inc")
    reviewer = make_user("rui", "reviewer")
    _samsung(client, kim)
    buf = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 40, 160)).save(buf, "PNG")
    logo = buf.getvalue()
    # The client calls it a JPEG named ../../evil.jpg; the bytes say PNG and the name is never used.
    r = client.post("/v1/brands/samsung/images", headers=kim, data={"kind": "logo"},
                    files={"file": ("../../evil.jpg", logo, "image/jpeg")})
    assert r.status_code == 201, r.text
    image = r.json()
    assert image["sha256"] == hashlib.sha256(logo).hexdigest() and image["kind"] == "logo"
    assert len(image["pdq"]) == 64  # hashed for screening
    assert "evil" not in image["path"]
    again = client.post("/v1/brands/samsung/images", headers=kim, data={"kind": "logo"},
                        files={"file": ("logo.png", logo, "image/png")})
    assert again.status_code == 201
    assert len(client.get("/v1/brands/samsung/images", headers=kim).json()) == 1
    r = client.get(image["url"], headers=kim)
    assert r.content == logo and r.headers["content-type"] == "image/png"
    assert client.get(image["url"], headers=nike).status_code == 404
    assert client.get(image["url"], headers=reviewer).status_code == 200

    refusals = [
        (kim, {"kind": "logo"}, ("logo.png", b"<script>alert('pwned')</script>", "image/png"), 422, "invalid_upload"),
        (kim, {"kind": "logo"}, ("logo.png", logo[: len(logo) // 2], "image/png"), 422, "invalid_upload"),
        (kim, {"kind": "banner"}, ("logo.png", logo, "image/png"), 422, "invalid"),
        (nike, {"kind": "logo"}, ("logo.png", logo, "image/png"), 404, "not_found"),
        (reviewer, {"kind": "logo"}, ("logo.png", logo, "image/png"), 403, "forbidden"),
    ]
    for who, data, file, status, code in refusals:
        r = client.post("/v1/brands/samsung/images", headers=who, data=data, files={"file": file})
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    klean_app.settings.max_upload_bytes = len(logo) - 1
    r = client.post("/v1/brands/samsung/images", headers=kim, data={"kind": "official"},
                    files={"file": ("logo.png", logo, "image/png")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_large"
    r = client.delete(f"/v1/brands/samsung/images/{image['sha256']}", headers=kim)
    assert r.status_code == 204
    assert client.get("/v1/brands/samsung/images", headers=kim).json() == []
