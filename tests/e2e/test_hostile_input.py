"""Hostile input over HTTP, in uploads, in exports, in the portal and by e-mail. Each case gets a clear 4xx or is
neutralised; every test name says which (REFUSED: a 4xx; NEUTRALISED: accepted and made harmless)."""

from __future__ import annotations

import io
import smtplib
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from klean.adapters.transparency_render import statements_csv
from klean.bootstrap import App
from klean.domain.listing import Listing, Money
from klean.services import registry

MakeUser = Callable[..., dict[str, str]]
CHANEL = {"brands": [{"id": "chanel", "name": "Chanel", "owner": "Chanel", "marks": ["Chanel", "샤넬"],
                      "products": [{"id": "chanel.flap", "name": "Classic Flap Bag",
                                    "reference_price": {"amount": 13_160_000, "currency": "KRW"}}]}]}


def listing(title: str, **extra: object) -> dict[str, object]:
    return {"id": "busan-flap-01", "title": title, "price": 89_000, "currency": "KRW", "seller_id": "busan-shades",
            **extra}


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height pixels, with a tiny zlib stream: decompresses to gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = zlib.compress(b"\x00" * 1024 * 1024, 9)  # 1 MiB of zero rows compresses to ~1 KiB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


# --- bodies and uploads -------------------------------------------------------------------------------------------

def test_REFUSED_oversized_body_by_declared_length(client: TestClient, make_user: MakeUser) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    too_big = client.app.state.klean.settings.max_upload_bytes + 2 * 1024 * 1024  # type: ignore[attr-defined]
    r = client.post("/v1/listings", content=b"{}", headers={**seller, "Content-Length": str(too_big),
                                                              "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(("path", "content_type"), [
    ("/v1/listings", "application/json"), ("/portal/report", "application/x-www-form-urlencoded")],
    ids=["api", "portal"])
def test_REFUSED_oversized_chunked_body_without_a_declared_length(client: TestClient, make_user: MakeUser,
                                                                  path: str, content_type: str) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    cap = client.app.state.klean.settings.max_upload_bytes + 1024 * 1024  # type: ignore[attr-defined]

    def body() -> Iterator[bytes]:  # a generator: sent chunked, with no Content-Length to refuse up front
        for _ in range(cap // 65536 + 8):
            yield b"a" * 65536

    r = client.post(path, content=body(), headers={**seller, "Content-Type": content_type})
    assert r.status_code == 413, r.text[:300]
    if path.startswith("/portal"):  # a person at the portal gets a page in the portal's language, not JSON
        assert r.headers["content-type"].startswith("text/html") and "보낸 내용이 너무 큽니다" in r.text
    else:
        assert r.json()["error"]["code"] == "too_large", r.text[:300]


def test_REFUSED_oversized_text_field(client: TestClient, make_user: MakeUser) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    r = client.post("/v1/listings", json=listing("샤넬 " * 5000), headers=seller)
    assert r.status_code == 422 and r.json()["error"]["field"] == "title"


def test_REFUSED_oversized_upload_and_decompression_bomb(client: TestClient, klean_app: App,
                                                         make_user: MakeUser) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    holder = make_user("chanel-legal", "rights_holder", org="Chanel")
    limit = klean_app.settings.max_upload_bytes
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (limit + 10)
    r = client.post("/v1/brands/chanel/images", files={"file": ("logo.jpg", huge, "image/jpeg")}, headers=holder)
    assert r.status_code in (413, 422), r.text
    bomb = png_bomb(60_000, 60_000)  # 3.6 gigapixels declared in ~1 KiB
    assert len(bomb) < 10_000
    r = client.post("/v1/brands/chanel/images", files={"file": ("logo.png", bomb, "image/png")}, headers=holder)
    assert r.status_code == 422, r.text
    assert "pixel" in r.json()["error"]["message"].lower() or "image" in r.json()["error"]["message"].lower()
    # An image that claims to be a PNG but is an HTML page is refused by its bytes, not trusted by its name.
    r = client.post("/v1/brands/chanel/images", headers=holder,
                    files={"file": ("logo.png", b"<html><script>alert(1)</script></html>", "image/png")})
    assert r.status_code == 422


def test_NEUTRALISED_path_traversal_in_upload_file_name(client: TestClient, klean_app: App,
                                                        make_user: MakeUser) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    holder = make_user("chanel-legal", "rights_holder", org="Chanel")
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 20, 20)).save(buf, format="PNG")
    home = klean_app.settings.home
    before = {p for p in home.parent.rglob("*")}
    r = client.post("/v1/brands/chanel/images", headers=holder,
                    files={"file": ("../../../../etc/cron.d/evil.png", buf.getvalue(), "image/png")})
    assert r.status_code == 201, r.text
    created = {p for p in home.parent.rglob("*")} - before
    blob_dir = klean_app.settings.resolved_blob_dir().resolve()
    # Stored under its content hash inside the blob folder; the client's name is never a path.
    assert created and all(p.resolve().is_relative_to(blob_dir) or p.resolve().is_relative_to(home.resolve())
                           for p in created)
    assert not any("evil" in p.name or "cron" in str(p) for p in created)
    assert r.json()["sha256"] in {p.name.split(".")[0] for p in created}


@pytest.mark.parametrize(("price", "currency", "ok"), [
    (1e30, "KRW", False), (10**12, "KRW", True), (10**12 + 1, "KRW", False), (5 * 10**11, "VND", True),
    (10**9, "USD", True), (2_000_000_000, "USD", False), (1e300, "EUR", False)])
def test_REFUSED_absurd_prices_are_bounded_per_currency_at_the_edge(client: TestClient, make_user: MakeUser,
                                                                    price: float, currency: str, ok: bool) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    body = listing("Chanel classic flap", price=price, currency=currency)
    for path in ("/v1/screen", "/v1/listings"):
        r = client.post(path, json=body, headers=seller)
        if ok:
            assert r.status_code in (200, 201), r.text
        else:
            assert r.status_code == 422 and r.json()["error"]["field"] == "price", r.text


def test_REFUSED_absurd_reference_prices_and_scan_rows(client: TestClient, klean_app: App, make_user: MakeUser,
                                                       tmp_path: Path) -> None:
    from klean.adapters.scan.rows import parse_row
    from klean.domain.errors import ValidationError

    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    holder = make_user("chanel-legal", "rights_holder", org="Chanel")
    r = client.post("/v1/brands/chanel/products", headers=holder, json={
        "id": "chanel.gold", "name": "Gold flap", "reference_price": {"amount": 5_000_000_000, "currency": "USD"}})
    assert r.status_code == 422 and "amount" in (r.json()["error"]["field"] or ""), r.text
    with pytest.raises(ValidationError) as refused:
        parse_row(listing("Chanel flap", price=10**30), where="catalog.jsonl:7")
    assert refused.value.field == "price" and "catalog.jsonl:7" in refused.value.message
    assert parse_row(listing("Chanel flap", price=10**12), where="x").price.amount == 10**12  # KRW allows it


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL's numeric(18,4) cannot hold 1e30
def test_NEUTRALISED_a_stored_absurd_price_still_renders_for_reviewer_and_seller(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    from sqlalchemy import text

    from klean.services import accounts

    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    r = client.post("/v1/listings", json=listing("Chanel flap AAA"), headers=seller)
    assert r.status_code == 201 and r.json()["status"] == "held", r.text
    item = r.json()["review_item"]
    with klean_app.engine.begin() as c:  # stored before the edge refused such prices
        c.execute(text("UPDATE listings SET price_amount = 1e30 WHERE id = 'busan-flap-01'"))
    for user, role, page in (("hana", "reviewer", f"/portal/review/{item}"),
                             ("busan-shades", "seller", "/portal/seller/listings/busan-flap-01")):
        if role == "reviewer":
            make_user(user, role)
        accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user, password="long enough 1")
        token = client.get("/portal/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post("/portal/signin", data={"login": user, "password": "long enough 1", "csrf_token": token},
                           follow_redirects=False).status_code == 303
        html = client.get(page)
        assert html.status_code == 200, html.text[:500]
        assert "1.0000E+30" in html.text


@pytest.mark.parametrize("look_alike", ["\u0421hanel", "CHANE1", "Chan\u0435l", "Ch\u0430nel"])
def test_REFUSED_a_look_alike_of_another_brands_mark(client: TestClient, klean_app: App, make_user: MakeUser,
                                                     look_alike: str) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    other = make_user("knockoff-legal", "rights_holder", org="Knockoff Ltd")
    r = client.post("/v1/brands", headers=other, json={"id": "knockoff", "name": "Knockoff", "marks": ["Knockoff"]})
    assert r.status_code == 201, r.text
    r = client.post("/v1/brands/knockoff/marks", headers=other, json={"mark": look_alike})
    assert r.status_code == 409 and "chanel" in r.json()["error"]["message"], r.text
    r = client.post("/v1/brands", headers=other, json={"id": "knockoff2", "name": "K2", "marks": ["K2", look_alike]})
    assert r.status_code == 409 and r.json()["error"]["field"] == "marks/1", r.text
    assert client.post("/v1/brands/knockoff/marks", headers=other, json={"mark": "Chanello"}).status_code == 201


# --- malformed Unicode and injection strings -----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b'{"id": "x", "title": "\\ud800 lone surrogate", "price": 1, "currency": "KRW", "seller_id": "busan-shades"}',
    b'{"id": "x", "title": "\xc0\xaf overlong slash", "price": 1, "currency": "KRW", "seller_id": "busan-shades"}',
    b'{"id": "x", "title": "NUL \\u0000 inside", "price": 1, "currency": "KRW", "seller_id": "busan-shades"}',
], ids=["lone-surrogate", "overlong-utf8", "nul-byte"])
def test_REFUSED_malformed_unicode(client: TestClient, make_user: MakeUser, raw: bytes) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    r = client.post("/v1/listings", content=raw, headers={**seller, "Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]["code"] in ("invalid", "validation_error", "bad_request", "invalid_json") or r.json()


def test_NEUTRALISED_rtl_override_and_injection_strings_are_stored_as_text(client: TestClient,
                                                                          make_user: MakeUser) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    admin = make_user("ada", "admin")
    for i, title in enumerate([
            "샤넬 \u202egnp.exe\u202c 클래식 플랩백",  # RTL override hiding a file extension
            "Chanel bag'; DROP TABLE listings; --",
            "Chanel \" OR 1=1 -- flap",
            "{{7*7}} ${7*7} <%= 7*7 %> Chanel flap"]):
        r = client.post("/v1/listings", json=listing(title, id=f"busan-flap-{i}"), headers=seller)
        assert r.status_code == 201, r.text
        got = client.get(f"/v1/listings/busan-flap-{i}", headers=admin).json()
        assert got["listing"]["title"] == title  # stored byte for byte, never evaluated
    assert client.get("/v1/listings/busan-flap-1", headers=admin).status_code == 200  # the table is still there
    r = client.get("/v1/listings/' OR '1'='1", headers=admin)
    assert r.status_code == 404


def test_NEUTRALISED_xss_and_template_injection_in_listing_text_shown_to_reviewers(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    from klean.services import accounts

    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    make_user("hana", "reviewer")
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id="hana", password="hana-reviews-2025")
    evil = 'Chanel flap AAA <script>alert("x")</script><img src=x onerror=alert(1)> {{7*7}} {% raw %}'
    r = client.post("/v1/listings", json=listing(evil), headers=seller)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "held", "the listing must reach the reviewer queue for this test to mean anything"
    item = r.json()["review_item"]
    page = client.get("/portal/signin").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/portal/signin", data={"login": "hana", "password": "hana-reviews-2025",
                                               "csrf_token": token}, follow_redirects=False).status_code == 303
    html = client.get(f"/portal/review/{item}").text
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{7*7}}" in html and "{% raw %}" in html  # shown as written, never rendered by the template engine


def test_REFUSED_a_csv_cell_over_the_csv_modules_limit_in_a_notice_upload(client: TestClient, klean_app: App,
                                                                        make_user: MakeUser) -> None:
    from klean.services import accounts

    registry.import_registry(uow=klean_app.uow_factory(), data=CHANEL, actor=None)
    make_user("chanel-legal", "rights_holder", org="Chanel")
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id="chanel-legal", password="long enough 1")
    token = client.get("/portal/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/portal/signin", data={"login": "chanel-legal", "password": "long enough 1",
                                               "csrf_token": token}, follow_redirects=False).status_code == 303
    token = client.get("/portal/notices/new").text.split('name="csrf_token" value="')[1].split('"')[0]
    for csv_bytes in (b"listing\n" + b"a" * 131_073 + b"\n", b'listing\n"never closed' + b"a" * 200_000):
        r = client.post("/portal/notices?lang=en", data={"csrf_token": token, "brand_id": "chanel"},
                        files={"csv_file": ("listings.csv", csv_bytes, "text/csv")})
        assert r.status_code == 422, r.text[:300]
        assert "could not be read" in r.text


# --- exports -----------------------------------------------------------------------------------------------------

def test_NEUTRALISED_csv_formula_injection_in_exports() -> None:
    record = {"decision_ground_reference_url": '=HYPERLINK("http://evil.example","click")',
              "illegal_content_explanation": "+SUM(1,2)", "incompatible_content_explanation": "-2+3",
              "category": "@cmd|' /C calc'!A0", "decision_facts": "\t=1+1", "platform_uid": "-42"}
    text = statements_csv([record])
    cells = [c for line in text.splitlines()[1:] for c in line.split(",")]
    joined = ",".join(cells)
    for dangerous in ('=HYPERLINK', "+SUM", "-2+3", "@cmd"):
        assert f"'{dangerous}" in joined, (dangerous, text)
    assert "'-42" not in joined  # a plain negative number stays a number


# --- e-mail --------------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mail_port(klean_app: App) -> Iterator[int]:
    from aiosmtpd.controller import Controller

    from klean.adapters.mail.inbound import MailServer

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-88231", title="젠틀몬스터 릴리트 정품급", seller_id="busan-shades",
                                    price=Money.of(39_000, "KRW")))
        uow.commit()
    relay_port = _free_port()
    relay = Controller(Sink(), hostname="127.0.0.1", port=relay_port)  # type: ignore[arg-type]
    relay.start()
    klean_app.settings.smtp_relay_port = relay_port
    klean_app.settings.report_address = "report@klean.local"
    port = _free_port()
    server = MailServer(klean_app, host="127.0.0.1", port=port, max_bytes=256 * 1024, rate=100, rate_window=3600)
    server.start()
    try:
        yield port
    finally:
        server.stop()
        relay.stop()


def _send(port: int, raw: bytes) -> int:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
            smtp.ehlo()
            smtp.mail("eve@attacker.example")
            smtp.rcpt("report@klean.local")
            code, _ = smtp.data(raw)
            return code
    except smtplib.SMTPDataError as exc:
        return exc.smtp_code
    except smtplib.SMTPResponseException as exc:
        return exc.smtp_code


def _nested(depth: int) -> bytes:
    body = b"Content-Type: text/plain; charset=utf-8\r\n\r\nfake Gentle Monster gm-88231\r\n"
    for i in range(depth):
        b = f"b{i}".encode()
        body = (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + body
                + b"\r\n--" + b + b"--\r\n")
    return body


@pytest.mark.parametrize("name,raw", [
    ("nested-multipart", b"From: eve@attacker.example\r\nTo: report@klean.local\r\nSubject: fake\r\n"
                         b"MIME-Version: 1.0\r\n" + _nested(200)),
    ("huge-header", b"From: eve@attacker.example\r\nTo: report@klean.local\r\nSubject: " + b"A" * 200_000
                    + b"\r\n\r\nfake gm-88231\r\n"),
    ("bad-charset", b"From: eve@attacker.example\r\nTo: report@klean.local\r\nSubject: =?x-klingon?B?////?=\r\n"
                    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-klingon\r\n"
                    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"),
    ("lying-length", b"From: eve@attacker.example\r\nTo: report@klean.local\r\nSubject: fake\r\nMIME-Version: 1.0\r\n"
                     b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n\xff\xfe\x00\x00 gm-88231\r\n"),
])
def test_REFUSED_OR_NEUTRALISED_malicious_mime_mail(mail_port: int, klean_app: App, name: str, raw: bytes) -> None:
    code = _send(mail_port, raw)
    # Either a clear SMTP refusal (5xx/4xx) or accepted as an ordinary report; never a crash of the channel.
    assert code == 250 or 400 <= code < 600, (name, code)
    assert _send(mail_port, b"From: eve@attacker.example\r\nTo: report@klean.local\r\nSubject: fake\r\n\r\n"
                            b"Gentle Monster fake at 39,000 won: gm-88231\r\n") == 250  # the channel still works
    with klean_app.uow_factory() as uow:
        texts = [r.text for r in uow.reports.list()] if hasattr(uow.reports, "list") else []
    assert all("\x00" not in t for t in texts)


