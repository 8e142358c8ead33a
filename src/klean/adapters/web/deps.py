"""Portal dependencies: the signed-in principal from the session, and CSRF checks on every form."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Form, Request

from klean.adapters.api.deps import get_uow
from klean.domain.auth import Principal, Role
from klean.domain.errors import Forbidden, Unauthenticated
from klean.services import accounts
from klean.services.unit_of_work import AbstractUnitOfWork


def portal_principal(request: Request, uow: Annotated[AbstractUnitOfWork, Depends(get_uow)]) -> Principal | None:
    """The signed-in user, re-read from the database on every request: a deactivated user is out at once, and so
    is a session from before a sign-out, a password change or a role change (the cookie is signed, not stored, so
    the user's session generation is what revokes it)."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, str):
        return None
    principal = accounts.session_principal(uow=uow, user_id=user_id, generation=request.session.get("gen"))
    if principal is None:
        request.session.clear()
    request.state.portal_principal = principal
    return principal


def require_signed_in(principal: Annotated[Principal | None, Depends(portal_principal)]) -> Principal:
    if principal is None:
        raise Unauthenticated("please sign in")
    return principal


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every state-changing form posts the session's token; a header serves htmx/fetch requests."""
    expected = request.session.get("csrf")
    presented = csrf_token or request.headers.get("x-csrf-token", "")
    if not expected or not presented or not hmac.compare_digest(str(expected), presented):
        raise Forbidden("the form expired or did not come from this site; reload the page and try again")


def role_required(*roles: Role):  # type: ignore[no-untyped-def]
    def _check(principal: Annotated[Principal, Depends(require_signed_in)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden("this page is not for your role")
        return principal

    return _check


PortalPrincipal = Annotated[Principal | None, Depends(portal_principal)]
SignedIn = Annotated[Principal, Depends(require_signed_in)]
CsrfChecked = Depends(check_csrf)
