"""Reviewer console: the queue with claim and release, one item with its evidence highlighted, decide in two clicks."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klean.adapters.api.deps import UowDep
from klean.adapters.blobs import BlobStore
from klean.adapters.mail.notify import mailer
from klean.adapters.screening_runtime import rescan_after_change
from klean.adapters.uploads import ImageInfo, validate_image
from klean.adapters.web.deps import CsrfChecked, role_required
from klean.adapters.web.templating import render, request_lang
from klean.adapters.web.views import (
    N_,
    app_of,
    evidence_rows,
    highlight,
    photo_regions,
    pop_flash,
    set_flash,
    spans_of,
    tr,
)
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError, NotFound
from klean.services import enforcement, portal, review, verification
from klean.services.notices import notice_policy

router = APIRouter(prefix="/portal/review")
Reviewer = Annotated[Principal, Depends(role_required(Role.REVIEWER, Role.ADMIN))]
ItemId = Annotated[int, Path(ge=1, le=2_147_483_647)]
# Reasons a reviewer picks with one click (the second click is the decision); English is the msgid.
PHOTO_NOT_STORED = N_("Klean holds no copy of this photo")
PRESET_REASONS = {
    "remove": [N_("The listing uses a protected mark on goods that are not genuine."),
               N_("The price is far below the genuine article and the text admits a replica.")],
    "allow": [N_("The listing is genuine or a lawful resale."), N_("The brand is mentioned only for compatibility.")],
    "dismiss": [N_("No sign of a counterfeit in the listing.")],
    "uphold": [N_("The notice is complete and the listing infringes the right.")],
    "reject": [N_("The notice does not show an infringement.")],
    "restore": [N_("The counter-notice shows the seller is authorised.")],
    "grant": [N_("The complaint is well founded.")],
    "deny": [N_("The decision stands: the complaint gives no new facts.")],
}

# The decisions' names as the decision buttons show them (components/labels.html, macro decision).
DECISION_NAMES = {"remove": N_("Remove listing"), "allow": N_("Allow"), "dismiss": N_("Dismiss"),
                  "uphold": N_("Uphold notice"), "reject": N_("Reject"), "restore": N_("Restore listing"),
                  "grant": N_("Grant"), "deny": N_("Deny")}


@router.get("", response_class=HTMLResponse)
def queue(request: Request, uow: UowDep, principal: Reviewer) -> Response:
    items = review.list_queue(uow=uow, principal=principal, limit=200)
    return render(request, "pages/review/queue.html", principal=principal, items=items, flash=pop_flash(request))


@router.get("/{item_id}", response_class=HTMLResponse)
def item(request: Request, item_id: ItemId, uow: UowDep, principal: Reviewer) -> Response:
    detail = portal.review_item(uow=uow, principal=principal, item_id=item_id)
    lang = request_lang(request)
    rows, pieces, photos = [], [], []
    if detail.listing is not None:
        rows = evidence_rows(detail.listing.evidence, lang)
        pieces = highlight(detail.listing.listing.text, spans_of(rows))
        sizes = [(info.width, info.height) if (info := _stored_photo(request, ref.sha256)) else (0, 0)
                 for ref in detail.listing.listing.images]
        photos = [p for p in photo_regions(sizes, rows) if p["width"]]
    reasons = {d: PRESET_REASONS.get(d, []) for d in detail.item["decisions"]}
    proof = None
    if detail.item["kind"] == "proof" and detail.item["subject_type"] == "proof":
        proof = verification.get_proof(uow=uow, principal=principal, proof_id=int(detail.item["subject_id"]))
    return render(request, "pages/review/item.html", principal=principal, item=detail.item, stored=detail.listing,
                  rows=rows, pieces=pieces, photos=photos, products=detail.reference_products, reasons=reasons,
                  proof=proof,
                  today=date.today().isoformat(), flash=pop_flash(request),
                  mine=detail.item["claimed_by"] == principal.user_id)


def _stored_photo(request: Request, sha256: str | None) -> ImageInfo | None:
    """What the blob store holds for a listing photo, checked again as an image (never trusted as stored)."""
    store = BlobStore(app_of(request).settings)
    if not sha256 or not store.exists(sha256):
        return None
    try:
        return validate_image(store.get(sha256), app_of(request).settings)
    except DomainError:
        return None


@router.get("/{item_id}/photos/{n}")
def listing_photo(request: Request, item_id: ItemId, n: Annotated[int, Path(ge=1, le=100)], uow: UowDep,
                  principal: Reviewer) -> Response:
    """Photo n of the item's listing as the seller sent it (only photos Klean stored at intake), for the
    matched-region view; the item's own access rules decide who may see it."""
    detail = portal.review_item(uow=uow, principal=principal, item_id=item_id)
    images = detail.listing.listing.images if detail.listing is not None else ()
    sha = images[n - 1].sha256 if n <= len(images) else None
    info = _stored_photo(request, sha)
    if sha is None or info is None:
        raise NotFound(PHOTO_NOT_STORED, field="n")  # the error page puts it in the reader's language
    return Response(BlobStore(app_of(request).settings).get(sha), media_type=info.media_type,
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
                             "Content-Security-Policy": "default-src 'none'"})


@router.post("/proofs/{proof_id}/expiry", dependencies=[CsrfChecked])
def proof_expiry(request: Request, proof_id: ItemId, uow: UowDep, principal: Reviewer,
                 valid_until: Annotated[date, Form()], reason: Annotated[str, Form(max_length=5000)] = "",
                 correction: Annotated[bool, Form()] = False,
                 item_id: Annotated[int, Form(ge=1, le=2_147_483_647)] = 0) -> Response:
    """Set or correct a proof's end date from the proof's review item; the seller's listings are rescreened."""
    app = app_of(request)
    back = f"/portal/review/{item_id}" if item_id else "/portal/review"
    try:
        updated = verification.set_proof_expiry(uow=uow, principal=principal, proof_id=proof_id,
                                                valid_until=valid_until, reason=reason, correction=correction,
                                                policy=enforcement.policy_of(app.policy))
    except DomainError as exc:
        set_flash(request, N_("Not done for proof %(id)s: %(why)s"), id=proof_id, why=tr(request, exc.message))
        return RedirectResponse(back, status_code=303)
    if updated["authorisation_moved"] or updated["state"] == "expired":
        rescan_after_change(app, brand_ids=[updated["brand_id"]], seller_ids=[updated["seller_id"]])
    set_flash(request, N_("Proof %(id)s now ends on %(date)s."), id=proof_id,
              date=date.fromisoformat(str(updated["valid_until"])[:10]))
    return RedirectResponse(back, status_code=303)


def _act(request: Request, item_id: int, action: str, run: object) -> Response:
    try:
        run()  # type: ignore[operator]
    except DomainError as exc:
        set_flash(request, N_("Not done for item %(id)s: %(why)s"), id=item_id,
                  why=tr(request, exc.message))
        return RedirectResponse(f"/portal/review/{item_id}", status_code=303)
    return RedirectResponse("/portal/review" if action != "claim" else f"/portal/review/{item_id}", status_code=303)


@router.post("/{item_id}/claim", dependencies=[CsrfChecked])
def claim(request: Request, item_id: ItemId, uow: UowDep, principal: Reviewer) -> Response:
    policy = notice_policy(app_of(request).policy)
    return _act(request, item_id, "claim",
                lambda: review.claim(uow=uow, principal=principal, item_id=item_id, policy=policy))


@router.post("/{item_id}/release", dependencies=[CsrfChecked])
def release(request: Request, item_id: ItemId, uow: UowDep, principal: Reviewer) -> Response:
    policy = notice_policy(app_of(request).policy)
    return _act(request, item_id, "release",
                lambda: review.release(uow=uow, principal=principal, item_id=item_id, policy=policy))


@router.post("/{item_id}/decide", dependencies=[CsrfChecked])
def decide(request: Request, item_id: ItemId, uow: UowDep, principal: Reviewer,
           decision: Annotated[str, Form(max_length=20)],
           reason: Annotated[str, Form(max_length=5000)] = "",
           note: Annotated[str, Form(max_length=5000)] = "") -> Response:
    app = app_of(request)
    # The preset reason is recorded in English (the audit trail's language); a typed note is added as written.
    full = " ".join(p for p in (reason.strip(), note.strip()) if p)

    def run() -> None:
        review.decide(uow=uow, principal=principal, item_id=item_id, decision=decision, reason=full,
                      policy=notice_policy(app.policy), notify=mailer(app.settings))
        # the decision as its button said it, in the language of the page the reviewer decided on
        set_flash(request, N_("Item %(id)s decided: %(decision)s."), id=item_id,
                  decision=tr(request, DECISION_NAMES.get(decision, decision)))

    return _act(request, item_id, "decide", run)
