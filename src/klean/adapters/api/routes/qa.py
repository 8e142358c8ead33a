"""Mystery-shopper test buys: sampling, assignment to inspector firms, purchase, photos, verdict, confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_qa import AssignIn, ConfirmIn, PickOut, PurchaseIn, SampleIn, VerdictIn
from klean.adapters.blobs import BlobStore
from klean.adapters.uploads import validate_image
from klean.bootstrap import App
from klean.domain.listing import Money
from klean.domain.qa import QaPolicy
from klean.domain.refunds import RefundPolicy
from klean.services import qa

router = APIRouter(prefix="/v1", tags=["test buys"])
Period = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
PickId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def qa_policy(app: App) -> QaPolicy:
    return QaPolicy.from_section(app.policy.section("qa"), app.policy.version)


def refund_policy(app: App) -> RefundPolicy:
    return RefundPolicy.from_section(app.policy.section("refunds"), app.policy.version)


@router.post("/qa/periods/{period}/sample", status_code=201, response_model=list[PickOut])
def sample_period(period: str, body: SampleIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> list[PickOut]:
    """Sample a period's test buys from live listings (admin, reviewer); the same seed gives the same picks."""
    policy = qa_policy(app)
    budget = qa.budget_from(count=body.budget_count, money=body.budget_money, currency=body.currency, policy=policy)
    picks = qa.run_sample(uow=uow, principal=principal, period=period, seed=body.seed, policy=policy, budget=budget)
    return [PickOut.of(p) for p in picks]


@router.get("/qa/periods/{period}/report")
def period_report(period: str, principal: PrincipalDep, uow: UowDep) -> dict[str, Any]:
    """Picks, cost and hit rate by risk band, risk-weighted picks versus random controls (admin, reviewer)."""
    return qa.report(uow=uow, principal=principal, period=period)


@router.get("/qa/picks", response_model=list[PickOut])
def list_picks(principal: PrincipalDep, uow: UowDep, period: Period | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 200,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[PickOut]:
    """Test buys: an inspector sees its firm's assignments only, a rights holder its brands' judged ones, staff all."""
    return [PickOut.of(p) for p in qa.list_picks(uow=uow, principal=principal, period=period, limit=limit,
                                                  offset=offset)]


@router.get("/qa/picks/{pick_id}", response_model=PickOut)
def get_pick(pick_id: PickId, principal: PrincipalDep, uow: UowDep) -> PickOut:
    """One test buy (its inspector firm, admins, reviewers; the brand's rights holder once judged)."""
    return PickOut.of(qa.get_pick(uow=uow, principal=principal, pick_id=pick_id))


@router.post("/qa/picks/{pick_id}/assign", response_model=PickOut)
def assign(pick_id: PickId, body: AssignIn, principal: PrincipalDep, uow: UowDep) -> PickOut:
    """Assign a test buy to an inspector firm (admin, reviewer)."""
    return PickOut.of(qa.assign_pick(uow=uow, principal=principal, pick_id=pick_id, org=body.org))


@router.post("/qa/picks/{pick_id}/purchase", response_model=PickOut)
def purchase(pick_id: PickId, body: PurchaseIn, principal: PrincipalDep, uow: UowDep) -> PickOut:
    """Record the purchase (inspector of the assigned firm)."""
    return PickOut.of(qa.record_purchase(uow=uow, principal=principal, pick_id=pick_id, order_ref=body.order_ref,
                                         price=Money.of(body.amount, body.currency), purchased_at=body.purchased_at))


@router.post("/qa/picks/{pick_id}/photos", status_code=201, response_model=PickOut)
def add_photo(pick_id: PickId, principal: PrincipalDep, uow: UowDep, app: AppDep,
              file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF")],
              caption: Annotated[str | None, Form(max_length=4000)] = None) -> PickOut:
    """Attach a photo of the item received (inspector of the assigned firm)."""
    qa.get_pick(uow=uow, principal=principal, pick_id=pick_id)  # refuse strangers before storing any byte
    settings = app.settings
    data = file.file.read(settings.max_upload_bytes + 1)
    info = validate_image(data, settings)
    sha = BlobStore(settings).put(data, info.media_type)
    return PickOut.of(qa.add_photo(uow=uow, principal=principal, pick_id=pick_id, sha256=sha, caption=caption))


@router.post("/qa/picks/{pick_id}/verdict", response_model=PickOut)
def verdict(pick_id: PickId, body: VerdictIn, principal: PrincipalDep, uow: UowDep) -> PickOut:
    """Record the verdict: genuine, fake, not_as_described or undelivered (inspector of the assigned firm)."""
    return PickOut.of(qa.record_verdict(uow=uow, principal=principal, pick_id=pick_id, verdict=body.verdict,
                                        notes=body.notes))


@router.post("/qa/picks/{pick_id}/confirm")
def confirm(pick_id: PickId, body: ConfirmIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> dict[str, Any]:
    """Confirm a fake (the brand's rights holder): penalty, takedown, known-fake images, refunds for recent buyers."""
    return qa.confirm_fake(uow=uow, principal=principal, pick_id=pick_id, note=body.note,
                           refund_policy=refund_policy(app))
