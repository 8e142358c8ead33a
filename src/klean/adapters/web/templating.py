"""Jinja2 with Babel's i18n extension; autoescape on; the language from ?lang=, then the cookie, then default."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.filters import do_round

from klean.adapters.i18n import LANGUAGES, normalise_lang, translations
from klean.domain.auth import Principal

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE = "klean_lang"


def format_amount(value: Any) -> str:
    """An amount as people read it (1,690,000 or 12.50), whatever is stored: a huge or odd value is shown in
    scientific notation or as it is, never an error (a page must render the listing it is about)."""
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        if not d.is_finite():
            return str(value)
        if abs(d) >= 10**15:
            return f"{d:.4E}"
        return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return str(value)


def safe_round(value: Any, precision: int = 0, method: str = "common") -> Any:
    """Jinja's round, except that a value beyond Decimal's precision comes back as it is instead of raising."""
    try:
        return do_round(value, precision, method)  # type: ignore[arg-type]
    except (InvalidOperation, OverflowError):
        return value


def _env(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["amount"] = format_amount
    env.filters["round"] = safe_round
    return env


_ENVS: dict[str, Environment] = {}


def environment(lang: str) -> Environment:
    if lang not in _ENVS:
        _ENVS[lang] = _env(lang)
    return _ENVS[lang]


def request_lang(request: Request, default: str = "ko") -> str:
    """Korean is the default for the portal (its first users are Korean consumers)."""
    return normalise_lang(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE), default)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def render(request: Request, template: str, *, principal: Principal | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    lang = request_lang(request)
    html = environment(lang).get_template(template).render(
        request=request, lang=lang, languages=LANGUAGES, principal=principal, csrf_token=csrf_token(request),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
