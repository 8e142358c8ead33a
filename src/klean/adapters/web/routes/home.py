"""Start page, sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klean.adapters.api.deps import UowDep
from klean.adapters.app_secret import client_digest
from klean.adapters.web.deps import CsrfChecked, PortalPrincipal
from klean.adapters.web.templating import render
from klean.adapters.web.views import app_of, tr
from klean.domain.auth import Role
from klean.domain.errors import RateLimited, Unauthenticated
from klean.services import accounts

router = APIRouter(prefix="/portal")


# Where each role works: sign-in without a page to return to lands there rather than on the public start page.
WORKSPACE = {Role.ADMIN: "/portal/admin", Role.RIGHTS_HOLDER: "/portal/brands", Role.TRUSTED_PARTNER: "/portal/brands",
             Role.SELLER: "/portal/seller", Role.REVIEWER: "/portal/review", Role.INSPECTOR: "/portal/inspector",
             Role.CONSUMER: "/portal/refund"}


def landing(next_url: str | None, role: Role) -> str:
    """The page asked for (only inside the portal), else the role's own workspace."""
    target = safe_next(next_url)
    return WORKSPACE.get(role, target) if target == "/portal/" else target


def safe_next(url: str | None) -> str:
    """Only a path inside the portal: never an absolute URL or a scheme-relative one (open redirect)."""
    if url and url.startswith("/portal/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/portal/"


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: PortalPrincipal) -> Response:
    return render(request, "pages/home.html", principal=principal)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, principal: PortalPrincipal, next: str = "/portal/") -> Response:
    return render(request, "pages/signin.html", principal=principal, next_url=safe_next(next))


@router.post("/signin", dependencies=[CsrfChecked])
def signin(
    request: Request,
    uow: UowDep,
    login: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/portal/",
) -> Response:
    client = client_digest(request, app_of(request).settings, purpose="signin")
    try:
        principal, generation = accounts.start_session(uow=uow, login=login, password=password, client=client)
    except (Unauthenticated, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 401
        return render(request, "pages/signin.html", error=tr(request, exc.message), login=login,
                      next_url=safe_next(next), status_code=status)
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["user_id"] = principal.user_id
    request.session["gen"] = generation
    return RedirectResponse(landing(next, principal.role), status_code=303)


@router.post("/signout", dependencies=[CsrfChecked])
def signout(request: Request, uow: UowDep, principal: PortalPrincipal) -> Response:
    if principal is not None:
        accounts.sign_out(uow=uow, user_id=principal.user_id)  # a copy of the cookie kept elsewhere dies too
    request.session.clear()
    return RedirectResponse("/portal/", status_code=303)
