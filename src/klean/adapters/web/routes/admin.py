"""Admin pages: users and one's API keys, the policy version in force, trusted partners and their accuracy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from klean.adapters.api.deps import UowDep
from klean.adapters.web.deps import CsrfChecked, role_required
from klean.adapters.web.templating import render
from klean.adapters.web.views import app_of
from klean.domain.auth import Principal, Role
from klean.services import notices, users

router = APIRouter(prefix="/portal/admin")
Admin = Annotated[Principal, Depends(role_required(Role.ADMIN))]


def _page(request: Request, uow: UowDep, principal: Principal, new_key: tuple[str, str] | None = None) -> Response:
    app = app_of(request)
    policy = notices.notice_policy(app.policy)
    partners = [(u, notices.notifier_record(uow=uow, principal=principal, user_id=u.id, policy=policy))
                for u in users.list_users(uow=uow, principal=principal, role=Role.TRUSTED_PARTNER.value)]
    return render(request, "pages/admin/admin.html", principal=principal,
                  users=users.list_users(uow=uow, principal=principal),
                  keys=users.list_api_keys(uow=uow, principal=principal), new_key=new_key,
                  policy_version=app.policy.version, partners=partners)


@router.get("", response_class=HTMLResponse)
def admin(request: Request, uow: UowDep, principal: Admin) -> Response:
    return _page(request, uow, principal)


@router.post("/keys", dependencies=[CsrfChecked])
def new_key(request: Request, uow: UowDep, principal: Admin,
            label: Annotated[str, Form(max_length=100)] = "") -> Response:
    created = users.create_api_key(uow=uow, principal=principal, label=label.strip() or None)
    # The key is shown once, on this response, and never stored in the clear.
    return _page(request, uow, principal, new_key=created)
