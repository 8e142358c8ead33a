"""The rights holder's brand page through TestClient: nicknames, design cues and same-name uses are listed (the
default pack's marked as such), a design cue added through the form is used by the next screening, removed again,
the pack turned off; forms need the CSRF token and another owner's brand is not found."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from klean.adapters.screening_runtime import screener_for
from klean.bootstrap import App
from klean.domain.listing import Listing, Money
from klean.services import accounts, registry, screening

PASSWORD = "correct horse 1"
CUE_LISTING = Listing(id="gj-3", title="블루 하트 태그 목걸이 새상품 정품급", price=Money(Decimal("59000"), "KRW"),
                      seller_id="gangnam-jewel")


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in form"
    return m.group(1)


def _sign_in(client: TestClient, klean_app: App, make_user, user_id: str, org: str) -> None:  # type: ignore[no-untyped-def]
    make_user(user_id, "rights_holder", org=org)
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user_id, password=PASSWORD)
    r = client.post("/portal/signin", follow_redirects=False, data={
        "login": user_id, "password": PASSWORD, "csrf_token": _csrf(client.get("/portal/signin").text)})
    assert r.status_code == 303


def _tiffany(klean_app: App) -> None:
    uow = klean_app.uow_factory
    registry.create_brand(uow=uow(), principal=None, brand_id="tiffany", name="Tiffany & Co.",
                          marks=["Tiffany", "티파니"], owner="Tiffany & Co.")
    registry.add_product(uow=uow(), principal=None, brand_id="tiffany", name="Tiffany T1 Ring",
                         reference_price=Money(Decimal("1380000"), "KRW"), aliases=["T1 링"])


def _flagged(klean_app: App) -> bool:
    return screening.dry_run(screener=screener_for(klean_app), listing=CUE_LISTING).flagged


def test_rights_holder_adds_a_design_cue_through_the_form(client: TestClient, klean_app: App,
                                                          make_user) -> None:  # type: ignore[no-untyped-def]
    _tiffany(klean_app)
    _sign_in(client, klean_app, make_user, "tiffany-ip", "Tiffany & Co.")
    page = client.get("/portal/brands/tiffany")
    assert page.status_code == 200
    assert "별명, 디자인 특징, 같은 이름의 다른 용도" in page.text
    section = page.text[page.text.index('id="knowledge"'):page.text.index('id="images"')]
    assert "민트박스" in section and "Klean 기본 팩" in section  # the pack's cue, marked as the pack's
    assert 'id="add-term"' in section and 'name="csrf_token"' in section
    assert not _flagged(klean_app)

    r = client.post("/portal/brands/tiffany/knowledge", follow_redirects=False, data={
        "csrf_token": _csrf(page.text), "term": " 블루 하트 태그 ", "kind": "design_cue", "weight": "0,45"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/brands/tiffany"
    page = client.get("/portal/brands/tiffany?lang=en")
    assert "Term “블루 하트 태그” added." in page.text
    row = '<tr><td class="data">블루 하트 태그</td><td>Design cue</td><td>0.45</td><td>Yours</td>'
    assert row in page.text, page.text[page.text.index('id="knowledge"'):][:1500]
    assert registry.get_brand(uow=klean_app.uow_factory(), principal=None, brand_id="tiffany").knowledge[0].weight \
        == 0.45
    assert _flagged(klean_app)  # the next screening uses it

    # A bad weight is not saved, and the page says why.
    client.post("/portal/brands/tiffany/knowledge", follow_redirects=False, data={
        "csrf_token": _csrf(page.text), "term": "티앤코", "kind": "nickname", "weight": "heavy"})
    page = client.get("/portal/brands/tiffany?lang=en")
    assert "Not saved: weight: a number from 0 to 1" in page.text and "티앤코" not in page.text

    term_id = re.search(r'name="term_id" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/portal/brands/tiffany/knowledge/remove", follow_redirects=False,
                    data={"csrf_token": _csrf(page.text), "term_id": term_id})
    assert r.status_code == 303
    page = client.get("/portal/brands/tiffany?lang=en")
    assert "Term “블루 하트 태그” removed." in page.text and not _flagged(klean_app)

    r = client.post("/portal/brands/tiffany/knowledge/pack", follow_redirects=False,
                    data={"csrf_token": _csrf(page.text), "use_pack": "false"})
    assert r.status_code == 303
    page = client.get("/portal/brands/tiffany?lang=en")
    assert "Klean&#39;s default pack is off for this brand." in page.text and "not in use" in page.text
    assert registry.get_brand(uow=klean_app.uow_factory(), principal=None, brand_id="tiffany").use_pack is False
    with klean_app.uow_factory() as uow:
        types = [e.type for e in uow.events.for_subject("brand", "tiffany")]
    assert types[-3:] == ["brand.term_added", "brand.term_removed", "brand.pack_changed"]


def test_knowledge_forms_need_the_token_and_the_brand_owner(client: TestClient, klean_app: App,
                                                            make_user) -> None:  # type: ignore[no-untyped-def]
    _tiffany(klean_app)
    _sign_in(client, klean_app, make_user, "hermes-ip", "Hermès")
    own = client.get("/portal/brands")
    r = client.post("/portal/brands/tiffany/knowledge", data={"term": "티파", "kind": "nickname"})
    assert r.status_code == 403  # no CSRF token
    r = client.post("/portal/brands/tiffany/knowledge", data={
        "csrf_token": _csrf(own.text), "term": "티파", "kind": "nickname"}, follow_redirects=False)
    assert r.status_code == 303  # the brand is not Hermès's: nothing saved, the reason shown on the next page
    assert registry.get_brand(uow=klean_app.uow_factory(), principal=None, brand_id="tiffany").knowledge == ()
    assert client.get("/portal/brands/tiffany").status_code == 404
