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
    assert r.headers["location"] == "/portal/review"  # no open redirect: the reviewer's own workspace instead
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


def _signed_in(client: TestClient, login: str = "minji", password: str = "correct horse 1") -> str:
    """Sign in and return the session cookie's value, as someone who saved it would keep it."""
    token = _csrf(client.get("/portal/signin").text)
    r = client.post("/portal/signin", data={"login": login, "password": password, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(client.cookies.get("klean_session"))


def _with_cookie(client: TestClient, cookie: str) -> TestClient:
    replay = TestClient(client.app)
    replay.cookies.set("klean_session", cookie)
    return replay


def _is_signed_in(client: TestClient) -> bool:
    return "Signed in as" in client.get("/portal/?lang=en").text


def test_a_saved_cookie_stops_working_after_sign_out(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _user_with_password(klean_app, make_user)
    saved = _signed_in(client)
    assert _is_signed_in(_with_cookie(client, saved))
    r = client.post("/portal/signout", data={"csrf_token": _csrf(client.get("/portal/").text)}, follow_redirects=False)
    assert r.status_code == 303
    assert not _is_signed_in(_with_cookie(client, saved))  # the copy kept elsewhere is signed out too
    assert client.get("/portal/review", follow_redirects=False).status_code == 303  # to the sign-in page


def test_a_saved_cookie_stops_working_after_a_password_change_role_change_or_disable(
        client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _user_with_password(klean_app, make_user)
    admin = make_user("ada", "admin")
    # a new password (the user's own, an admin's or the operator's)
    saved = _signed_in(client)
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id="minji", password="battery staple 2")
    assert not _is_signed_in(_with_cookie(client, saved))
    # a new role, through the admin API
    saved = _signed_in(client, password="battery staple 2")
    assert _is_signed_in(_with_cookie(client, saved))
    r = client.patch("/v1/users/minji", json={"role": "consumer"}, headers=admin)
    assert r.status_code == 200 and r.json()["role"] == "consumer", r.text
    assert not _is_signed_in(_with_cookie(client, saved))
    # disabled, then enabled again: the session from before stays ended
    saved = _signed_in(client, password="battery staple 2")
    assert client.patch("/v1/users/minji", json={"active": False}, headers=admin).json()["active"] is False
    assert not _is_signed_in(_with_cookie(client, saved))
    assert client.patch("/v1/users/minji", json={"active": True}, headers=admin).status_code == 200
    assert not _is_signed_in(_with_cookie(client, saved))
    assert _signed_in(client, password="battery staple 2")  # a fresh sign-in works
    # only an admin may change a user
    reviewer = make_user("hana", "reviewer")
    assert client.patch("/v1/users/minji", json={"active": False}, headers=reviewer).status_code == 403


def test_the_lockout_holds_per_login_and_address_and_never_tells_unknown_logins_apart(
        client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    from klean.adapters.api.app import create_app

    _user_with_password(klean_app, make_user)
    token = _csrf(client.get("/portal/signin").text)

    def attempts(who: TestClient, login: str, csrf: str) -> list[tuple[int, str]]:
        out = []
        for _ in range(accounts.MAX_FAILED_SIGNINS + 1):
            r = who.post("/portal/signin", data={"login": login, "password": "wrong", "csrf_token": csrf})
            found = re.search(r'role="alert">([^<]*)<', r.text)
            out.append((r.status_code, found.group(1) if found else ""))
        return out

    known, unknown = attempts(client, "minji", token), attempts(client, "nobody-here", token)
    assert [s for s, _ in known] == [401] * accounts.MAX_FAILED_SIGNINS + [429]
    assert known == unknown  # same statuses, same words: an attacker learns nothing about which logins exist
    # The owner, from another address, is not locked out by someone failing from this one.
    elsewhere = TestClient(create_app(klean_app), client=("198.51.100.23", 50000))
    csrf = _csrf(elsewhere.get("/portal/signin").text)
    r = elsewhere.post("/portal/signin", data={"login": "minji", "password": "correct horse 1", "csrf_token": csrf},
                       follow_redirects=False)
    assert r.status_code == 303
