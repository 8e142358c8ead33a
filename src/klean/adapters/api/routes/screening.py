"""Screening over HTTP: a dry run, listing submission (screened before it goes live) one by one or in batches, a
listing with its reasons."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Response
from starlette.concurrency import run_in_threadpool

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.errors import status_of
from klean.adapters.api.schemas_screening import (
    BatchIn,
    BatchOut,
    BatchResultOut,
    DryRunIn,
    ErrorOut,
    EvidenceOut,
    ListingIn,
    ResultOut,
    StoredListingOut,
    SubmissionOut,
)
from klean.adapters.i18n import normalise_lang, render
from klean.adapters.ingest import batch_item
from klean.adapters.listing_images import with_images
from klean.adapters.metrics import SCREENINGS
from klean.adapters.results import result_record
from klean.adapters.screening_runtime import held_screener, recheck_lock, screener_for
from klean.bootstrap import App
from klean.domain.auth import Role
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


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _submission_out(answer: dict[str, Any], lang: str) -> SubmissionOut:
    """A stored or fresh submission answer (services.screening.submission_answer) in the reader's language."""
    evidence = [EvidenceOut(signal=str(e.get("signal", "")), weight=float(e.get("weight", 0.0)),
                            brand_id=e.get("brand_id"), span=e.get("span"),
                            reason=render(screening.stored_reason(e), lang)) for e in answer["evidence"]]
    return SubmissionOut(id=answer["id"], status=answer["status"], score=answer["score"],
                         decision=answer["decision"],
                         reasons=[render(m, lang) for m in screening.answer_reasons(answer)], evidence=evidence,
                         review_item=answer.get("review_item"), policy_version=answer["policy_version"])


@router.post("/listings", response_model=SubmissionOut, status_code=201)
def submit(body: ListingIn, principal: PrincipalDep, uow: UowDep, app: AppDep, response: Response,
           lang: Lang = "en", idempotency_key: IdempotencyKey = None) -> SubmissionOut:
    """Submit a listing: allowed listings go live, doubtful ones wait for a reviewer, blocked ones never go live.

    Images are screened from their bytes (`data`, base64: validated, hashed and stored by digest) or from the PDQ
    hash the marketplace computed (`pdq`); any other image is a 422 naming it. With an `Idempotency-Key` a retry
    answers as the first request did (header `Idempotent-Replayed: true`) and changes nothing."""
    listing = with_images(listing_from_dict(body.as_record()), body.images, app, store=True)
    answer, replayed = screening.submit_listing_once(
        uow=uow, principal=principal, listing=listing, screener=screener_for(app),
        enforcement_policy=enforcement.policy_of(app.policy), idempotency_key=idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        SCREENINGS.labels(answer["decision"], "submit").inc()
    return _submission_out(answer, normalise_lang(lang))


@router.post("/listings:batch", response_model=BatchOut)
def submit_batch(body: BatchIn, principal: PrincipalDep, uow: UowDep, app: AppDep, lang: Lang = "en") -> BatchOut:
    """Submit up to 500 listings (a catalogue feed) in one request: each entry has its own result, HTTP status and
    Idempotency-Key, exactly as if sent alone to `POST /v1/listings`. A refused entry does not fail the batch.

    The batch itself is refused when it is empty (422) or holds more than 500 entries (413). It is stored 50
    listings per transaction; after a failure of the database (5xx) sending it again with the same keys is safe:
    what was stored replays, the rest is stored."""
    principal.require(Role.SELLER, Role.ADMIN)
    if len(body.listings) > screening.MAX_BATCH:
        raise HTTPException(413, f"listings: at most {screening.MAX_BATCH} per batch, got {len(body.listings)}; "
                                 "split the feed")
    items = [batch_item(raw, app) for raw in body.listings]
    outcomes = screening.submit_listings(uow=uow, principal=principal, items=items, screener=screener_for(app),
                                         enforcement_policy=enforcement.policy_of(app.policy))
    lang = normalise_lang(lang)
    results = []
    for i, (item, out) in enumerate(zip(items, outcomes, strict=True)):
        if out.error is not None:
            results.append(BatchResultOut(index=i, idempotency_key=item.idempotency_key, status=status_of(out.error),
                                          error=ErrorOut(code=out.error.code, message=out.error.message,
                                                         field=out.error.field)))
            continue
        assert out.answer is not None
        if not out.replayed:
            SCREENINGS.labels(out.answer["decision"], "submit").inc()
        results.append(BatchResultOut(index=i, idempotency_key=item.idempotency_key,
                                      status=200 if out.replayed else 201, replayed=out.replayed,
                                      result=_submission_out(out.answer, lang)))
    return BatchOut(submitted=sum(r.status == 201 for r in results), replayed=sum(r.replayed for r in results),
                    refused=sum(r.error is not None for r in results), results=results)


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

