"""Screening over HTTP: a dry run, listing submission (screened before it goes live), a listing with its reasons."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_screening import (
    DryRunIn,
    EvidenceOut,
    ListingIn,
    ResultOut,
    StoredListingOut,
    SubmissionOut,
)
from klean.adapters.i18n import normalise_lang, render
from klean.adapters.listing_images import with_images
from klean.adapters.metrics import SCREENINGS
from klean.adapters.results import result_record
from klean.adapters.screening_runtime import held_screener, recheck_lock, screener_for
from klean.bootstrap import App
from klean.domain.files import listing_from_dict, listing_to_dict
from klean.services import enforcement, screening

log = logging.getLogger("klean.screening")
router = APIRouter(prefix="/v1", tags=["screening"])
Lang = Annotated[str, Query(pattern="^(ko|en|id|th|vi)$",
                            description="Language of the reasons: ko or en; id, th and vi where their catalog "
                                        "translates a reason, English otherwise")]


# A dry run of an ordinary listing costs well under a millisecond of CPU: it runs on the event loop, which saves
# two thread-pool hops (endpoint and response validation) per request. Long texts and listings with images, and
# any screener build, go to the thread pool instead.
INLINE_TEXT_CHARS = 4_000

# Dry runs never wait for a registry re-read: with a stale screener they answer with it and start the re-read
# in the background (screener_for lets one thread per process re-read at a time).
_background: set[asyncio.Task[Any]] = set()


def _recheck_in_background(app: App) -> None:
    async def recheck() -> None:
        try:
            await run_in_threadpool(screener_for, app)
        except Exception:  # the next request tries again; this one was answered with the held screener
            log.exception("registry re-read for the screener failed")

    task = asyncio.get_running_loop().create_task(recheck())
    _background.add(task)
    task.add_done_callback(_background.discard)


@router.post("/screen", response_model=ResultOut)
async def dry_run(body: DryRunIn, principal: PrincipalDep, app: AppDep, lang: Lang = "en") -> ResultOut:
    """Screen a listing without storing it (any signed-in user): score, decision and the reasons; the decision is
    the one a submission would get (a protected brand offered without an authorisation on file is held)."""
    listing = listing_from_dict(body.as_record())
    if body.images:  # hashed on the thread pool (decoding is CPU work); nothing is stored
        listing = await run_in_threadpool(with_images, listing, body.images, app, store=False)
    screener, fresh = held_screener(app)
    if screener is not None and not fresh and not recheck_lock(app).locked():
        _recheck_in_background(app)
    policy = enforcement.policy_of(app.policy)
    if screener is not None and not body.images and len(body.title) + len(body.description) <= INLINE_TEXT_CHARS:
        gated = screening.assess(screener=screener, listing=listing, policy=policy)
    else:
        gated = await run_in_threadpool(
            lambda: screening.assess(screener=screener_for(app), listing=listing, policy=policy))
    result = gated.result
    SCREENINGS.labels(result.decision.value, "dry_run").inc()
    lang = normalise_lang(lang)
    record = result_record(result, lang)
    # The listing gate's reasons, as a submission stores them: why it would be held or refused.
    record["evidence"] += [{"signal": "authorisation", "weight": 0.0, "brand_id": u.brand_id, "span": None,
                            "reason": render(u.message, lang)} for u in gated.unauthorised]
    return ResultOut(**record, policy_version=result.policy_version)


@router.post("/listings", response_model=SubmissionOut, status_code=201)
def submit(body: ListingIn, principal: PrincipalDep, uow: UowDep, app: AppDep, lang: Lang = "en") -> SubmissionOut:
    """Submit a listing: allowed listings go live, doubtful ones wait for a reviewer, blocked ones never go live.

    Images are screened from their bytes (`data`, base64: validated, hashed and stored by digest) or from the PDQ
    hash the marketplace computed (`pdq`); any other image is a 422 naming it."""
    listing = with_images(listing_from_dict(body.as_record()), body.images, app, store=True)
    sub = screening.submit_listing(uow=uow, principal=principal, listing=listing, screener=screener_for(app),
                                   enforcement_policy=enforcement.policy_of(app.policy))
    SCREENINGS.labels(sub.result.decision.value, "submit").inc()
    lang = normalise_lang(lang)
    record = result_record(sub.result, lang)
    reasons = [render(m, lang) for m in screening.reasons(sub.result)] if sub.status != "live" else []
    reasons += [render(m, lang) for m in sub.notes]
    return SubmissionOut(id=sub.listing_id, status=sub.status, score=sub.result.score,  # type: ignore[arg-type]
                         decision=sub.result.decision.value,  # type: ignore[arg-type]
                         reasons=reasons, evidence=[EvidenceOut(**e) for e in record["evidence"]],
                         review_item=sub.review_item, policy_version=sub.result.policy_version)


@router.get("/listings/{listing_id}", response_model=StoredListingOut)
def get_listing(listing_id: str, principal: PrincipalDep, uow: UowDep, lang: Lang = "en") -> StoredListingOut:
    """A listing with its status and screening reasons (its seller, reviewers, admins)."""
    view = screening.get_listing(uow=uow, principal=principal, listing_id=listing_id)
    lang = normalise_lang(lang)
    evidence: list[dict[str, Any]] = []
    for e in view.evidence:
        evidence.append({"signal": str(e.get("signal", "")), "weight": float(e.get("weight", 0.0)),
                         "brand_id": e.get("brand_id"), "span": e.get("span"),
                         "reason": render(screening.stored_reason(e), lang)})
    reasons = [e["reason"] for e in evidence if e["weight"] > 0 or e["signal"] == "authorisation"]
    return StoredListingOut(listing=listing_to_dict(view.listing), status=view.status, score=view.score,
                            decision=view.decision, reasons=reasons, evidence=[EvidenceOut(**e) for e in evidence],
                            policy_version=view.policy_version)

