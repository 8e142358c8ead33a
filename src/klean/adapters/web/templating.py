"""Jinja2 with Babel's i18n extension; autoescape on; the language from ?lang=, then the cookie, then default."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from klean.adapters.i18n import LANGUAGES, normalise_lang, translations
from klean.domain.auth import Principal

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE = "klean_lang"


def _env(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
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
