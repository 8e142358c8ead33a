"""Mount the portal on the FastAPI app: sessions, static files, templates, page routers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from klean.adapters.api.app import discover_routers
from klean.adapters.app_secret import app_secret
from klean.adapters.web import routes
from klean.adapters.web.error_pages import portal_invalid, portal_status
from klean.adapters.web.server_messages import localise
from klean.adapters.web.templating import render, request_lang
from klean.adapters.web.views import PAGE_NOT_FOUND
from klean.config import Settings
from klean.domain.errors import DomainError, NotFound, Unauthenticated

STATIC = Path(__file__).with_name("static")


def session_secret(settings: Settings) -> str:
    """The configured secret, or one generated once into the home folder (readable by the owner only)."""
    return app_secret(settings)


def portal_error(request: Request, exc: DomainError, status: int) -> Response:
    """Errors on portal pages: sign-in for the anonymous, a readable page for the rest."""
    if isinstance(exc, Unauthenticated) and request.method == "GET":
        return RedirectResponse(f"/portal/signin?next={quote(request.url.path)}", status_code=303)
    principal = getattr(request.state, "portal_principal", None)
    return render(request, "pages/error.html", principal=principal,
                  message=localise(exc.message, request_lang(request)), status_code=status)


def portal_not_found(request: Request) -> Response:
    """A portal address that does not exist: the error page in the reader's language, not the API's JSON."""
    return portal_error(request, NotFound(PAGE_NOT_FOUND), 404)


def mount(app: FastAPI) -> None:
    settings: Settings = app.state.klean.settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="klean_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in discover_routers(routes):
        app.include_router(router, include_in_schema=False)

    app.state.portal_error = portal_error
    app.state.portal_not_found = portal_not_found
    app.state.portal_invalid = portal_invalid
    app.state.portal_status = portal_status

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal/", status_code=303)
