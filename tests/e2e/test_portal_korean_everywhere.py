"""No raw code and no English on a Korean portal page, for every page the portal has and every role.

The pages are not listed here: they are read from the app's routes, so a page added later is checked without
anyone remembering to add it. Each GET page is rendered with ?lang=ko as each role (and signed out) with every
value its path takes in a demo-like story; each form is posted empty, so the page shows its validation error or
the service's refusal; the portal's own 404, 403, 429 and 500 are rendered too. The visible text (attributes a
reader sees included; code, user content and the story's own data taken out) must hold no snake_case identifier,
no English word, no unit written as `h`/`d`, no ISO date or week and no UTC time, and every portal answer must be
an HTML page, not JSON. A route whose path takes a value the story does not know fails the test by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from klean.adapters.api.routes.qa import qa_policy, refund_policy
from klean.adapters.screening_runtime import screener_for
from klean.bootstrap import App
from klean.config import Settings
from klean.domain.auth import Principal, Role
from klean.domain.cases import NoticeDraft, RightClaim
from klean.domain.listing import Listing, Money
from klean.domain.qa import Budget
from klean.domain.refunds import Order
from klean.domain.reports import ReportDraft
from klean.services import accounts, enforcement, notices, qa, refunds, registry, reports, screening, verification

PASSWORD = "correct horse 1"
ADMIN = Principal("root", Role.ADMIN)

# user id -> (role, keyword arguments of make_user); None below is the signed-out visitor.
USERS: dict[str, tuple[str, dict[str, str]]] = {
    "hana": ("consumer", {}),
    "shop-seoul-77": ("seller", {"seller_id": "seoul-77"}),
    "chanel-legal": ("rights_holder", {"org": "chanel-ip"}),
    "brandshield": ("trusted_partner", {"org": "brandshield"}),
    "minji": ("reviewer", {}),
    "kim-inspect": ("inspector", {"org": "mystery-shop-kr"}),
    "root": ("admin", {}),
}
# Forms not posted empty: signing out ends the session the rest of the walk needs and shows no message.
NOT_POSTED = {"/portal/signout"}

# Words a Korean page may show in Latin letters: names of things that have no Korean name (file formats,
# currencies, offices, the product), the language switch, and examples of what to type.
LATIN_OK = {"Klean", "KRW", "USD", "EUR", "KST", "API", "CSV", "PDF", "JPEG", "PNG", "WebP", "GIF", "KIPO", "USPTO",
            "EUIPO", "DSA", "PIPA", "English", "Bahasa", "Indonesia", "https", "URL", "ID", "SVG"}
EXAMPLES = re.compile(r"R-\d{8}-[A-Z0-9]+|https://…")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
UNIT = re.compile(r"\d\s?(?:h|d|m|s)\b")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}-W\d{2}\b|\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\+00:00|Z)")


class VisibleText(HTMLParser):
    """What a reader sees, one entry per text node or shown attribute; code, user content (`translate="no"`,
    class `data` or `listing-text`), text marked as another language (the language switch) and form values are not
    the interface and are left out."""

    SKIP = {"script", "style", "code", "textarea", "title"}
    VOID = {"input", "img", "br", "hr", "meta", "link", "source", "wbr"}
    SHOWN_ATTRS = ("placeholder", "alt", "aria-label", "title")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: does it (or an ancestor) hide its text?

    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        hides = self._hidden() or tag in self.SKIP or a.get("translate") == "no" or "data" in classes \
            or "listing-text" in classes or a.get("lang") not in (None, "ko")  # marked as another language
        if not hides:
            self.parts += [v.strip() for k in self.SHOWN_ATTRS if (v := a.get(k)) and v.strip()]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.parts.append(str(a["value"]))
        if tag not in self.VOID:
            self._stack.append(hides)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.parts.append(data.strip())


def visible_text(markup: str) -> list[str]:
    parser = VisibleText()
    parser.feed(markup)
    return parser.parts


def problems(markup: str, data: list[str]) -> set[str]:
    """What on a Korean page is not Korean: each offending piece of text, with what is wrong with it."""
    found = set()
    for part in visible_text(markup):
        text = EXAMPLES.sub(" ", part)
        for d in data:  # the story's own names, ids and typed text read the same in every language
            text = text.replace(d, " ")
        if SNAKE.search(text):
            found.add(f"raw code: {part!r}")
        elif any(w not in LATIN_OK for w in LATIN_WORD.findall(text)):
            found.add(f"English: {part!r}")
        elif UNIT.search(text):
            found.add(f"unit: {part!r}")
        elif ISO_DAY.search(text):
            found.add(f"ISO date or UTC time: {part!r}")
    return found


# What a person types into a field the page leaves empty: Korean text long enough for every minimum, and values of
# the kind the field asks for.
TYPED = "정품 인증서와 구매 영수증을 함께 첨부합니다. 확인 부탁드립니다."


class Forms(HTMLParser):
    """The forms of a page as a browser would submit them: (action, fields), with hidden and pre-filled values
    kept, the first option of a list or group chosen, ticked boxes ticked, the first named submit button pressed
    and empty fields filled as a person would (TYPED, a date, a number, an e-mail address); file fields are left
    empty."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._form: dict[str, str] | None = None
        self._action = ""
        self._select: str | None = None
        self._textarea: str | None = None

    def _fill(self, a: dict[str, str | None]) -> str:
        kind, name = (a.get("type") or "text").lower(), a.get("name") or ""
        if a.get("value"):
            return str(a["value"])
        if kind == "date":
            return date.today().isoformat()
        if kind == "email":
            return "buyer@example.com"
        if kind == "number" or a.get("inputmode") == "decimal" or name in ("price", "amount", "weight"):
            return "1"
        return TYPED

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form, self._action = {}, str(a.get("action") or "")
        if self._form is None or not a.get("name"):
            return
        name, kind = str(a["name"]), (a.get("type") or "text").lower()
        if tag == "input" and kind == "file":
            return
        if tag == "input" and kind in ("checkbox", "radio"):
            if kind == "checkbox" or name not in self._form:
                self._form[name] = str(a.get("value") or "on")
        elif tag in ("button", "input") and kind in ("submit", "button"):
            self._form.setdefault(name, str(a.get("value") or ""))
        elif tag == "input":
            self._form[name] = self._fill(a)
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and self._select not in self._form:
            self._form[self._select] = str(a.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            self._form[name] = TYPED

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append((self._action, self._form))
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea and data.strip():
            self._form[self._textarea] = data  # what the page pre-filled


def page_forms(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = Forms()
    parser.feed(markup)
    return parser.forms


def _csrf(markup: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', markup)
    assert m, "no CSRF token on the page"
    return m.group(1)


def _sign_in(client: TestClient, klean_app: App, user_id: str | None) -> None:
    client.cookies.clear()
    if user_id is None:
        return
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user_id, password=PASSWORD)
    page = client.get("/portal/signin?lang=ko")
    r = client.post("/portal/signin", data={"login": user_id, "password": PASSWORD, "csrf_token": _csrf(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303, (user_id, r.status_code)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's settings, with room for the walk's many sign-ins and reports from one address (the limits
    themselves are tested elsewhere; their page is checked here with a stand-in limiter)."""
    return Settings(home=tmp_path / "home", signing_key_path=tmp_path / "home" / "signing.pem",
                    rate_limit_signin_per_ip=100_000, rate_limit_reports_per_ip=100_000,
                    rate_limit_reports_per_key=100_000, rate_limit_refunds_per_ip=100_000,
                    rate_limit_refunds_per_key=100_000)


@pytest.fixture
def story(klean_app: App, make_user) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A small marketplace in the state the demo leaves it in, and a little further: Chanel registered with a
    product, a nickname, an authorised seller; one seller with a held, a blocked and a live listing, an action
    against it, a notice case it answered with a counter-notice, a proof waiting for review; a consumer's report
    and refund claim; a test buy assigned to an inspector firm; a trusted partner."""
    uow = klean_app.uow_factory
    for user_id, (role, kw) in USERS.items():
        make_user(user_id, role, **kw)
    registry.create_brand(uow=uow(), principal=None, brand_id="chanel", name="Chanel", marks=["Chanel", "샤넬"],
                          owner="chanel-ip")
    registry.add_product(uow=uow(), principal=None, brand_id="chanel", name="Classic Flap Bag",
                         reference_price=Money(Decimal("14000000"), "KRW"), aliases=["클래식 플랩백"])
    registry.add_brand_term(uow=uow(), principal=ADMIN, brand_id="chanel", term="샤테크", kind="nickname",
                            weight=None, with_product=False)
    registry.add_authorised_seller(uow=uow(), principal=ADMIN, brand_id="chanel", seller_id="chanel-official",
                                   valid_until=date.today() + timedelta(days=300))
    seller = Principal(user_id="shop-seoul-77", role=Role.SELLER, seller_id="seoul-77")
    for lid, title, price, desc in [("cp-1", "샤넬 클래식 플랩백", 1900000, "정품 새상품 급처"),
                                    ("cp-2", "샤넬 클래식 플랩백 레플리카", 89000, "미러급 1:1 replica"),
                                    ("cp-3", "무선 충전 패드 15W", 19900, "고속 충전, 케이블 포함")]:
        screening.submit_listing(uow=uow(), principal=seller, screener=screener_for(klean_app),
                                 listing=Listing(id=lid, title=title, price=Money(Decimal(price), "KRW"),
                                                 seller_id="seoul-77", description=desc))
    policy = notices.notice_policy(klean_app.policy)
    answer, _ = reports.submit_report(uow=uow(), principal=None, policy=policy,
                                      draft=ReportDraft(category="counterfeit", text="로고가 삐뚤어요 가짜 같아요",
                                                        lang="ko", listings=("cp-1",)), channel="portal")
    holder = Principal(user_id="chanel-legal", role=Role.RIGHTS_HOLDER, org="chanel-ip")
    filed, _ = notices.file_notice(uow=uow(), principal=holder, policy=policy, screener=screener_for(klean_app),
                                   draft=NoticeDraft(brand_id="chanel", notifier_name="Lee Seo-yeon",
                                                     notifier_email="ip@chanel.example",
                                                     right=RightClaim(registration_number="40-0123456",
                                                                      office="KIPO"),
                                                     listings=("cp-1",), explanation="Not a genuine Chanel bag.",
                                                     good_faith=True, accurate=True, signature="Lee Seo-yeon"))
    case_id = int(filed["cases"][0]["case_id"])
    if notices.get_case(uow=uow(), principal=holder, case_id=case_id)["state"] == "removed":  # only then countered
        notices.file_counter_notice(uow=uow(), principal=seller, case_id=case_id, policy=policy,
                                    reasons="정식 수입 영수증이 있는 정품입니다. 판매 기록도 첨부합니다.")
    verification.submit_proof(uow=uow(), principal=seller, brand_id="chanel", document_sha256="a" * 64,
                              media_type="application/pdf", size=1000, issuer="Chanel Korea",
                              valid_until=date.today() + timedelta(days=200),
                              policy=enforcement.policy_of(klean_app.policy))
    now = datetime.now(UTC)
    refunds.post_orders(uow=uow(), principal=ADMIN, orders=[Order(
        id="ord-20261101-8812", listing_id="cp-1", seller_id="seoul-77", buyer_id="hana", amount=Decimal(1900000),
        currency="KRW", purchased_at=now - timedelta(days=9), delivered_at=now - timedelta(days=6),
        buyer_since=datetime(2019, 3, 1, tzinfo=UTC))])
    refunds.claim_refund(uow=uow(), principal=Principal("hana", Role.CONSUMER), order_id="ord-20261101-8812",
                         policy=refund_policy(klean_app))
    picks = qa.run_sample(uow=uow(), principal=ADMIN, period="2026-11", seed=7, policy=qa_policy(klean_app),
                          budget=Budget(3, Decimal(3_000_000), "KRW"))
    for p in picks:
        qa.assign_pick(uow=uow(), principal=ADMIN, pick_id=p.id, org="mystery-shop-kr")
    with uow() as u:
        items = u.queue.open_items(limit=100)
        actions = enforcement.list_actions(uow=uow(), principal=ADMIN, seller_id="seoul-77")
    return {
        "values": {"brand_id": ["chanel"], "case_id": [str(case_id)], "listing_id": ["cp-1", "cp-2", "cp-3"],
                   "item_id": [str(i.id) for i in items], "name": ["time_to_action", "weekly_trend", "sources"],
                   "action_id": [str(a["id"]) for a in actions], "pick_id": [str(p.id) for p in picks],
                   "proof_id": ["1"], "n": ["1"]},
        "follow": f"/portal/follow?case={answer['case_number']}&t={answer['follow_token']}",
        # the story's own data: names, ids and typed text, the same in every language
        "data": sorted({*USERS, "chanel", "chanel-ip", "brandshield", "mystery-shop-kr", "seoul-77", "chanel-official",
                        "Chanel Korea", "Classic Flap Bag", "Chanel", "Lee Seo-yeon", "ip@chanel.example",
                        "Not a genuine Chanel bag.", "40-0123456", "ord-20261101-8812", answer["case_number"],
                        answer["follow_token"], "cp-1", "cp-2", "cp-3", "15W", "replica", "2026-11",
                        *(p.listing_id for p in picks)}, key=len, reverse=True),
    }


def _with_lang(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang=ko"


def _addresses(path: str, values: dict[str, list[str]]) -> Iterator[str]:
    """The route's path with every combination of the story's values for its parameters."""
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    missing = [n for n in names if n not in values]
    assert not missing, f"{path}: the story has no value for {missing}; add one so the page is checked"
    combos: list[str] = [path]
    for n in names:
        combos = [re.sub(r"{" + n + r"(?::\w+)?}", v, c) for c in combos for v in values[n]]
    yield from combos


def _check(response: Any, what: str, data: list[str], found: dict[str, set[str]]) -> None:
    kind = response.headers.get("content-type", "").split(";")[0]
    # Not pages: images a page shows and files the reader downloads (an evidence package). A chart's labels are
    # text the reader sees all the same.
    download = "attachment" in response.headers.get("content-disposition", "")
    if response.status_code == 200 and (kind.startswith("image/") or download):
        if kind == "image/svg+xml":
            leaked = problems(re.sub(r"<(/?)text\b", r"<\1span", response.text), data)
            if leaked:
                found[what] = leaked
        return
    if kind != "text/html":
        found[what] = {f"not a page: {response.status_code} {kind} {response.text[:120]!r}"}
        return
    if '<html lang="ko">' not in response.text:
        found[what] = {"not in Korean"}
        return
    leaked = problems(response.text, data)
    if leaked:
        found[what] = leaked


def test_no_raw_code_or_english_on_any_korean_page(client: TestClient, klean_app: App, story: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    app = client.app
    every = [c for r in app.routes  # type: ignore[attr-defined]
             for c in (r.effective_candidates() if hasattr(r, "effective_candidates") else [r])]
    # (path template, methods) of every portal route; FastAPI 0.165 wraps included routes, so read the attributes
    routes = [(str(r.path), set(r.methods)) for r in every
              if str(getattr(r, "path", "")).startswith("/portal") and getattr(r, "methods", None)]
    pages = [path for path, methods in routes if "GET" in methods]
    forms = [path for path, methods in routes if "POST" in methods and path not in NOT_POSTED]
    assert len(pages) >= 15 and len(forms) >= 20, "the portal's routes were not found"
    data: list[str] = story["data"]
    found: dict[str, set[str]] = {}
    walked = 0
    for user in [None, *USERS]:
        _sign_in(client, klean_app, user)
        who = user or "signed out"

        def visit_pages(who: str) -> dict[tuple[str, tuple[str, ...]], dict[str, str]]:
            """GET every page; the forms they show, once each."""
            nonlocal walked
            shown: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
            for route in pages:
                for url in _addresses(route, story["values"]):
                    r = client.get(_with_lang(url))
                    walked += 1
                    _check(r, f"{who} GET {url} -> {r.status_code}", data, found)
                    if "text/html" in r.headers.get("content-type", ""):
                        for action, fields in page_forms(r.text):
                            shown.setdefault((action, tuple(sorted(fields))), fields)
            return shown

        shown = visit_pages(who)
        if user is None:
            r = client.get(_with_lang(story["follow"]))
            _check(r, f"{who} GET follow a case -> {r.status_code}", data, found)
        token = _csrf(client.get("/portal/report?lang=ko").text)
        for route in forms:  # empty forms: the validation error or refusal each one shows
            for url in _addresses(route, story["values"]):
                r = client.post(_with_lang(url), data={"csrf_token": token})
                walked += 1
                _check(r, f"{who} POST {url} (empty) -> {r.status_code}", data, found)
            token = _csrf(client.get("/portal/report?lang=ko").text)  # a form may have signed in again
        # the forms as a person fills them in: the success or the refusal each one shows. Sending them moves the
        # story on (an item claimed shows its decision form), so the pages are visited again and the forms that
        # appeared are sent too.
        sent: set[tuple[str, tuple[str, ...]]] = set()
        for _round in range(2):
            for form, fields in shown.items():
                action = form[0]
                if form in sent or action in NOT_POSTED or not action.startswith("/portal"):
                    continue
                sent.add(form)
                r = client.post(_with_lang(action), data={**fields, "csrf_token": token})
                walked += 1
                _check(r, f"{who} POST {action} (filled in) -> {r.status_code}", data, found)
                start = client.get("/portal/report?lang=ko").text
                if user is not None and 'action="/portal/signout"' not in start:  # a form signed the user out
                    _sign_in(client, klean_app, user)
                    start = client.get("/portal/report?lang=ko").text
                token = _csrf(start)
            shown = visit_pages(who)
    # The portal's own errors: an address that does not exist, a form without its token, a wrong password, too
    # many attempts, and a failure inside the server.
    _sign_in(client, klean_app, None)
    for what, r in [("404", client.get("/portal/no-such-page?lang=ko")),
                    ("403 no form token", client.post("/portal/report?lang=ko", data={"text": "가짜 같아요"})),
                    ("wrong password", client.post("/portal/signin?lang=ko", data={
                        "csrf_token": _csrf(client.get("/portal/signin?lang=ko").text), "login": "hana",
                        "password": "not the password"}))]:
        _check(r, what, data, found)

    class _Limited:
        def check(self, action: str, *, ip: str, key: str | None) -> int:
            return 42

    monkeypatch.setattr(app.state, "rate_limiter", _Limited())  # type: ignore[attr-defined]
    r = client.post("/portal/signin?lang=ko", data={"login": "hana", "password": "x"})
    assert r.status_code == 429
    _check(r, "429 too many sign-ins", data, found)
    monkeypatch.undo()

    def _broken(**_: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("klean.services.transparency.transparency_report", _broken)
    r = client.get("/portal/transparency?lang=ko")
    assert r.status_code == 500
    _check(r, "500 server failure", data, found)

    assert walked > 200, walked
    count = sum(len(v) for v in found.values())
    assert not found, f"{count} pieces of raw code or English on {len(found)} Korean pages:\n" + "\n".join(
        f"{page}: {sorted(v)}" for page, v in sorted(found.items()))


def _alert(markup: str) -> str:
    m = re.search(r'<div class="flash error" role="alert">([^<]*)</div>', markup)
    assert m, markup[:500]
    return m.group(1)


@pytest.mark.parametrize("lang", ("id", "th", "vi"))
def test_consumers_error_pages_in_their_language(client: TestClient, lang: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The error pages a consumer meets on the report, sign-in and refund forms (a field missing, too many
    attempts, a failure inside the server) are pages in the consumer's language, as the forms themselves are."""
    token = _csrf(client.get(f"/portal/report?lang={lang}").text)

    def answers(query: str) -> dict[str, Any]:
        out = {"missing field": client.post(f"/portal/report?lang={query}", data={"csrf_token": token, "text": "x"})}

        class _Limited:
            def check(self, action: str, *, ip: str, key: str | None) -> int:
                return 42

        with monkeypatch.context() as m:
            m.setattr(client.app.state, "rate_limiter", _Limited())  # type: ignore[attr-defined]
            out["too many"] = client.post(f"/portal/signin?lang={query}", data={"login": "hana", "password": "x"})
        with monkeypatch.context() as m:
            m.setattr("klean.services.transparency.transparency_report",
                      lambda **_: (_ for _ in ()).throw(RuntimeError("the database went away")))
            out["server failure"] = client.get(f"/portal/transparency?lang={query}")
        return out

    english, translated = answers("en"), answers(lang)
    for what, page in translated.items():
        assert page.status_code == english[what].status_code and page.status_code in (422, 429, 500), what
        assert f'<html lang="{lang}">' in page.text, what
        assert _alert(page.text) != _alert(english[what].text), (what, _alert(page.text))
