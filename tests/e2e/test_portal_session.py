"""Portal sessions: CSRF on every form, sign-in with lockout, no open redirect, language remembered."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.services import accounts


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in form"
    return m.group(1)


def _user_with_password(klean_app: App, make_user, user_id: str = "minji") -> None:  # type: ignore[no-untyped-def]
    make_user(user_id, "reviewer")
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user_id, password="correct horse 1")


def test_sign_in_and_out_with_csrf(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _user_with_password(klean_app, make_user)
    page = client.get("/portal/signin")
    assert page.status_code == 200
    token = _csrf(page.text)
    # without the token: refused
    r = client.post("/portal/signin", data={"login": "minji", "password": "correct horse 1"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/portal/signin", data={"login": "minji", "password": "correct horse 1", "csrf_token": token,
                                             "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/portal/"  # no open redirect
    home = client.get("/portal/?lang=en")
    assert "Signed in as minji (reviewer)." in home.text
    # the API does not accept the portal's session cookie
    assert client.get("/v1/me").status_code == 401
    r = client.post("/portal/signout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert "Signed in" not in client.get("/portal/?lang=en").text


def test_lockout_after_repeated_failures(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _user_with_password(klean_app, make_user)
    token = _csrf(client.get("/portal/signin").text)
    for _ in range(accounts.MAX_FAILED_SIGNINS):
        r = client.post("/portal/signin", data={"login": "minji", "password": "wrong", "csrf_token": token})
        assert r.status_code == 401
    r = client.post("/portal/signin", data={"login": "minji", "password": "correct horse 1", "csrf_token": token})
    assert r.status_code == 429  # locked even with the right password
    with klean_app.uow_factory() as uow:
        assert [e.type for e in uow.events.for_subject("user", "minji")][-1] == "user.locked_out"


def test_korean_by_default_and_language_remembered(client: TestClient) -> None:
    assert "가품 신고" in client.get("/portal/").text
    client.get("/portal/?lang=en")
    assert "Report a fake" in client.get("/portal/").text


def test_protected_page_redirects_anonymous_to_sign_in(client: TestClient) -> None:
    r = client.get("/portal/signin?next=//evil.example")
    assert 'value="/portal/"' in r.text
