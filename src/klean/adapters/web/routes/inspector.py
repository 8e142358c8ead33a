"""Inspector pages: the firm's assigned test buys; record the purchase, photos of the item and the verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klean.adapters.api.deps import UowDep
from klean.adapters.blobs import BlobStore
from klean.adapters.uploads import validate_image
from klean.adapters.web.deps import CsrfChecked, role_required
from klean.adapters.web.templating import render
from klean.adapters.web.views import N_, app_of, pop_flash, read_upload, set_flash, tr
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError, ValidationError
from klean.domain.listing import Money
from klean.domain.qa import Verdict
from klean.services import qa

router = APIRouter(prefix="/portal/inspector")
Inspector = Annotated[Principal, Depends(role_required(Role.INSPECTOR))]
PickId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_class=HTMLResponse)
def picks(request: Request, uow: UowDep, principal: Inspector) -> Response:
    return render(request, "pages/inspector/picks.html", principal=principal,
                  picks=qa.list_picks(uow=uow, principal=principal), verdicts=[v.value for v in Verdict],
                  today=date.today().isoformat(), flash=pop_flash(request))


def _done(request: Request, ok: str, run: object) -> Response:
    try:
        run()  # type: ignore[operator]
        set_flash(request, ok)
    except DomainError as exc:
        set_flash(request, N_("Not saved: %(why)s"), why=tr(request, exc.message))
    return RedirectResponse("/portal/inspector", status_code=303)


@router.post("/{pick_id}/purchase", dependencies=[CsrfChecked])
def purchase(request: Request, pick_id: PickId, uow: UowDep, principal: Inspector,
             order_ref: Annotated[str, Form(max_length=200)], amount: Annotated[str, Form(max_length=30)],
             purchased_on: Annotated[str, Form(max_length=10)],
             currency: Annotated[str, Form(max_length=3)] = "KRW") -> Response:
    def run() -> None:
        try:
            price = Money.of(Decimal(amount.replace(",", "").strip()), currency.strip().upper())
            day = date.fromisoformat(purchased_on)
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError("give the price paid and the date of purchase", field="amount") from exc
        at = min(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), datetime.now(UTC))
        qa.record_purchase(uow=uow, principal=principal, pick_id=pick_id, order_ref=order_ref.strip(), price=price,
                           purchased_at=at)

    return _done(request, N_("Purchase recorded."), run)


@router.post("/{pick_id}/photos", dependencies=[CsrfChecked])
async def photo(request: Request, pick_id: PickId, uow: UowDep, principal: Inspector,
                file: Annotated[UploadFile | None, File()] = None,
                caption: Annotated[str, Form(max_length=4000)] = "") -> Response:
    settings = app_of(request).settings
    try:
        qa.get_pick(uow=uow, principal=principal, pick_id=pick_id)  # refuse strangers before storing any byte
        data = await read_upload(file, settings.max_upload_bytes)
        if data is None:
            raise ValidationError("choose a photo to upload", field="file")
        info = validate_image(data, settings)
        sha = BlobStore(settings).put(data, info.media_type)
        qa.add_photo(uow=uow, principal=principal, pick_id=pick_id, sha256=sha, caption=caption.strip() or None)
        set_flash(request, N_("Photo added."))
    except DomainError as exc:
        set_flash(request, N_("Not saved: %(why)s"), why=tr(request, exc.message))
    return RedirectResponse("/portal/inspector", status_code=303)


@router.post("/{pick_id}/verdict", dependencies=[CsrfChecked])
def verdict(request: Request, pick_id: PickId, uow: UowDep, principal: Inspector,
            verdict: Annotated[str, Form(max_length=30)],
            notes: Annotated[str, Form(max_length=4000)] = "") -> Response:
    return _done(request, N_("Verdict recorded."),
                 lambda: qa.record_verdict(uow=uow, principal=principal, pick_id=pick_id, verdict=verdict, notes=notes))
