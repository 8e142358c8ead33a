"""Jinja2 with Babel's i18n extension; autoescape on; the language from ?lang=, then the cookie, then default.

Consumer pages (CONSUMER_TEMPLATES and what they include) are complete in every language of LANGUAGES; other
pages are complete in Korean and English and may fall back to English, string by string, in PARTIAL_LANGUAGES,
with a note saying so.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import get_decimal_symbol, get_group_symbol
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.filters import do_round

from klean.adapters.i18n import LANGUAGE_NAMES, LANGUAGES, PARTIAL_LANGUAGES, gettext, normalise_lang, translations
from klean.adapters.web.server_messages import localise
from klean.domain.auth import Principal

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE = "klean_lang"

# The pages a consumer meets: report a suspected fake, follow a case, claim a refund, and the pages these lead to
# (start, sign-in for the refund, errors). They and the templates they include are translated into every
# language; tests/unit/test_i18n_catalog.py holds the id/th/vi catalogs to that.
CONSUMER_TEMPLATES = (
    "pages/home.html", "pages/signin.html", "pages/error.html", "pages/consumer/report.html",
    "pages/consumer/report_done.html", "pages/consumer/follow.html", "pages/consumer/refund.html",
)


def format_amount(value: Any, lang: str = "en") -> str:
    """An amount as people read it (1,690,000 or 12.50; 1.690.000 in Indonesian and Vietnamese), whatever is
    stored: a huge or odd value is shown in scientific notation or as it is, never an error (a page must render the
    listing it is about)."""
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        if not d.is_finite():
            return str(value)
        huge = abs(d) >= 10**15
        text = f"{d:.4E}" if huge else f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return str(value)
    if lang in ("en", "ko"):
        return text
    group, decimal = get_group_symbol(lang), get_decimal_symbol(lang)
    return text.translate(str.maketrans({",": group, ".": decimal}))


# Korean readers read Korean time, written as Korean forms and documents write it (2026. 12. 02. 14:30 KST);
# the other languages keep UTC, named on the page, until their markets say otherwise.
KST = ZoneInfo("Asia/Seoul")


def _moment(value: Any) -> datetime | date | None:
    """A datetime (stored times without a zone are UTC) or a date, from either or from ISO text; else None."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def format_when(value: Any, lang: str = "en") -> str:
    """A moment (a datetime or its ISO text) as the reader's language writes a date and time: Korean in KST as
    `2026. 12. 02. 14:30 KST`, the others in UTC; a plain date is shown as a day; what cannot be read is shown as
    it is."""
    when = _moment(value)
    if when is None:
        return str(value)
    if not isinstance(when, datetime):
        return format_day(when, lang)
    if lang == "ko":
        local = when.astimezone(KST)
        return f"{format_day(local, lang)} {local:%H:%M} KST"
    when = when.astimezone(UTC)
    return f"{format_date(when, 'medium', locale=lang)} {format_time(when, 'short', tzinfo=UTC, locale=lang)} UTC"


def format_day(value: Any, lang: str = "en") -> str:
    """A day as the reader's language writes it: `2026. 12. 02.` in Korean (a moment is taken in KST), Babel's
    medium date elsewhere (a moment in UTC); what cannot be read is shown as it is."""
    when = _moment(value)
    if when is None:
        return str(value)
    if isinstance(when, datetime):
        when = when.astimezone(KST if lang == "ko" else UTC).date()
    if lang == "ko":
        return f"{when.year}. {when.month:02d}. {when.day:02d}."
    return format_date(when, "medium", locale=lang)


def format_hours(value: Any, lang: str = "en") -> str:
    """A duration in hours with its unit in the reader's language (12.5 h, 12.5시간); None is a dash."""
    if value is None:
        return "—"
    return gettext("%(n)s h", lang) % {"n": value}


def safe_round(value: Any, precision: int = 0, method: str = "common") -> Any:
    """Jinja's round, except that a value beyond Decimal's precision comes back as it is instead of raising."""
    try:
        return do_round(value, precision, method)  # type: ignore[arg-type]
    except (InvalidOperation, OverflowError):
        return value


def _localise(english: Any, lang: str) -> str:
    return localise(str(english or ""), lang)


def _env(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["amount"] = partial(format_amount, lang=lang)
    env.filters["when"] = partial(format_when, lang=lang)
    env.filters["day"] = partial(format_day, lang=lang)
    env.filters["hours"] = partial(format_hours, lang=lang)
    # a service's English message (a reason recorded with an event, an error) as web/server_messages re-words it
    env.filters["server"] = partial(_localise, lang=lang)
    env.filters["round"] = safe_round
    return env


_ENVS: dict[str, Environment] = {}


def environment(lang: str) -> Environment:
    if lang not in _ENVS:
        _ENVS[lang] = _env(lang)
    return _ENVS[lang]


def request_lang(request: Request, default: str = "ko") -> str:
    """?lang=, else the remembered choice, else Korean (the portal's first users are Korean consumers); a language
    without a catalog (?lang=fr) is passed over, not taken for the default."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        lang = normalise_lang(asked, "")
        if lang:
            return lang
    return default


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def language_links(request: Request) -> list[tuple[str, str, str]]:
    """(code, name, href) for the language switch: the same page and query, another ?lang=."""
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [(code, LANGUAGE_NAMES[code], "?" + urlencode([*rest, ("lang", code)])) for code in LANGUAGES]


def render(request: Request, template: str, *, principal: Principal | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    lang = request_lang(request)
    html = environment(lang).get_template(template).render(
        request=request, lang=lang, languages=LANGUAGES, principal=principal, csrf_token=csrf_token(request),
        language_links=language_links(request),
        english_fallback=lang in PARTIAL_LANGUAGES and template not in CONSUMER_TEMPLATES,
        language_name=LANGUAGE_NAMES[lang], **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if normalise_lang(request.query_params.get("lang"), "") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
