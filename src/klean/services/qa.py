"""Mystery-shopper test buys: sample a period, assign picks to inspector firms, record, judge, confirm.

Inspectors (role `inspector`, principal.org = their firm) see and act on only the picks assigned to
their firm; anything else is answered as not found, so they cannot even learn it exists.
"""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from klean.domain.listing import Money
from klean.domain.qa import Budget, PickRecord, QaPolicy, Verdict, parse_period, period_report, sample
from klean.domain.refunds import RefundPolicy
from klean.services import refunds as refund_service
from klean.services.unit_of_work import AbstractUnitOfWork

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_TEXT = 4000


def run_sample(*, uow: AbstractUnitOfWork, principal: Principal, period: str, seed: int, policy: QaPolicy,
               budget: Budget | None = None) -> list[PickRecord]:
    """Sample the period's test buys from live listings (reproducible from the seed)."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    parse_period(period)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValidationError("seed must be an integer 0..2^63-1", field="seed")
    budget = budget or Budget(policy.budget_count, policy.budget_money, policy.currency)
    with uow:
        if uow.qa.period_exists(period):
            raise Conflict(f"period {period} was already sampled", field="period")
        result = sample(uow.qa.candidates(), policy=policy, budget=budget, seed=seed)
        ids = uow.qa.add_period(period=period, seed=seed, budget_count=budget.count, budget_money=budget.money,
                                currency=budget.currency, candidates=result.candidates,
                                policy_version=policy.version, created_by=principal.user_id, picks=result.picks)
        uow.events.append(
            type="qa.sampled", actor=principal.user_id, subject_type="qa_period", subject_id=period,
            payload={"seed": seed, "budget_count": budget.count, "budget_money": str(budget.money),
                     "currency": budget.currency, "candidates": result.candidates, "cost": str(result.cost),
                     "picks": [{"id": i, "listing_id": p.listing_id, "method": p.method.value, "risk": round(p.risk, 4)}
                               for i, p in zip(ids, result.picks, strict=True)]},
            policy_version=policy.version)
        uow.commit()
        return uow.qa.picks(period=period)


def assign_pick(*, uow: AbstractUnitOfWork, principal: Principal, pick_id: int, org: str) -> PickRecord:
    """Assign a pick to an inspector firm (before it is bought; reassigning is allowed until then)."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    if not isinstance(org, str) or not org.strip() or len(org) > 200:
        raise ValidationError("org: 1-200 characters", field="org")
    with uow:
        pick = uow.qa.get(pick_id, lock=True)
        if pick is None:
            raise NotFound(f"no test buy {pick_id}", field="pick_id")
        if pick.state not in ("picked", "assigned"):
            raise Conflict(f"test buy {pick_id} is already {pick.state}")
        if not uow.qa.org_has_inspectors(org):
            raise ValidationError(f"no active inspector works for {org!r}", field="org")
        uow.qa.assign(pick_id, org=org, by=principal.user_id)
        uow.events.append(type="qa.assigned", actor=principal.user_id, subject_type="test_buy",
                          subject_id=str(pick_id), payload={"org": org, "previous_org": pick.org})
        uow.commit()
        return uow.qa.get(pick_id)


def _visible(principal: Principal, pick: PickRecord | None, uow: AbstractUnitOfWork) -> bool:
    if pick is None:
        return False
    if principal.role in (Role.ADMIN, Role.REVIEWER):
        return True
    if principal.role is Role.INSPECTOR:
        return principal.org is not None and pick.org == principal.org
    if principal.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER):
        # The brand's owner sees a test buy of its brand once an inspector has judged it, to confirm it.
        return pick.verdict is not None and pick.brand_id is not None \
            and principal.may_manage_brand(uow.qa.brand_owner(pick.brand_id))
    return False


def get_pick(*, uow: AbstractUnitOfWork, principal: Principal, pick_id: int) -> PickRecord:
    """Return one test buy to those allowed to see it."""
    with uow:
        pick = uow.qa.get(pick_id)
        if not _visible(principal, pick, uow):
            raise NotFound(f"no test buy {pick_id}", field="pick_id")
        return pick  # type: ignore[return-value]


def list_picks(*, uow: AbstractUnitOfWork, principal: Principal, period: str | None = None,
               limit: int = 200, offset: int = 0) -> list[PickRecord]:
    """List test buys: an inspector its firm's assignments, a rights holder its brands' judged ones, staff all."""
    if period is not None:
        parse_period(period)
    with uow:
        if principal.role is Role.INSPECTOR:
            if not principal.org:
                return []
            return uow.qa.picks(period=period, org=principal.org, limit=limit, offset=offset)
        if principal.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER):
            # Its brands' judged test buys: what it may confirm (or has confirmed).
            judged = [p for state in ("judged", "confirmed") for p in uow.qa.picks(period=period, state=state,
                                                                                   limit=10_000)]
            mine = sorted((p for p in judged if _visible(principal, p, uow)), key=lambda p: p.id)
            return mine[offset: offset + limit]
        principal.require(Role.ADMIN, Role.REVIEWER)
        return uow.qa.picks(period=period, limit=limit, offset=offset)


def _inspectors_pick(uow: AbstractUnitOfWork, principal: Principal, pick_id: int) -> PickRecord:
    principal.require(Role.INSPECTOR)
    pick = uow.qa.get(pick_id, lock=True)
    if pick is None or principal.org is None or pick.org != principal.org:
        raise NotFound(f"no test buy {pick_id} assigned to your firm", field="pick_id")
    return pick


def record_purchase(*, uow: AbstractUnitOfWork, principal: Principal, pick_id: int, order_ref: str, price: Money,
                    purchased_at: datetime) -> PickRecord:
    """Record the inspector's purchase of an assigned test buy."""
    if not order_ref.strip() or len(order_ref) > 200:
        raise ValidationError("order_ref: 1-200 characters", field="order_ref")
    if purchased_at.tzinfo is None:
        raise ValidationError("purchased_at must carry a time zone", field="purchased_at")
    if purchased_at.year < 1971:
        raise ValidationError("purchased_at is not a plausible date", field="purchased_at")
    if purchased_at > datetime.now(UTC):
        raise ValidationError("purchased_at is in the future", field="purchased_at")
    with uow:
        pick = _inspectors_pick(uow, principal, pick_id)
        if pick.state != "assigned":
            raise Conflict(f"test buy {pick_id} is {pick.state}: a purchase is recorded once, after assignment")
        uow.qa.record_purchase(pick_id, order_ref=order_ref, amount=price.amount, currency=price.currency,
                               purchased_at=purchased_at, by=principal.user_id)
        uow.events.append(type="qa.purchased", actor=principal.user_id, subject_type="test_buy",
                          subject_id=str(pick_id), payload={"org": principal.org, "order_ref": order_ref,
                                                            "amount": str(price.amount), "currency": price.currency,
                                                            "listing_id": pick.listing_id})
        uow.commit()
        return uow.qa.get(pick_id)


def add_photo(*, uow: AbstractUnitOfWork, principal: Principal, pick_id: int, sha256: str,
              caption: str | None = None) -> PickRecord:
    """Attach a photo (already validated and stored by content hash) to an assigned test buy."""
    if not SHA256.match(sha256):
        raise ValidationError("sha256 must be 64 lowercase hex digits", field="sha256")
    if caption is not None and len(caption) > MAX_TEXT:
        raise ValidationError(f"caption: at most {MAX_TEXT} characters", field="caption")
    with uow:
        pick = _inspectors_pick(uow, principal, pick_id)
        if pick.state == "confirmed":
            raise Conflict(f"test buy {pick_id} is confirmed; its record is closed")
        if uow.qa.add_photo(pick_id, sha256=sha256, caption=caption, by=principal.user_id):
            uow.events.append(type="qa.photo_added", actor=principal.user_id, subject_type="test_buy",
                              subject_id=str(pick_id), payload={"sha256": sha256, "org": principal.org})
        uow.commit()
        return uow.qa.get(pick_id)


def record_verdict(*, uow: AbstractUnitOfWork, principal: Principal, pick_id: int, verdict: str,
                   notes: str) -> PickRecord:
    """Record the inspector's verdict on a bought test buy."""
    try:
        v = Verdict(verdict)
    except ValueError as exc:
        raise ValidationError(f"verdict must be one of {', '.join(x.value for x in Verdict)}", field="verdict") \
            from exc
    if len(notes) > MAX_TEXT:
        raise ValidationError(f"notes: at most {MAX_TEXT} characters", field="notes")
    if v is not Verdict.GENUINE and not notes.strip():
        raise ValidationError("say what was found: notes are required unless the item is genuine", field="notes")
    with uow:
        pick = _inspectors_pick(uow, principal, pick_id)
        if pick.state != "purchased":
            raise Conflict(f"test buy {pick_id} is {pick.state}: record the purchase first, and a verdict once")
        uow.qa.record_verdict(pick_id, verdict=v.value, notes=notes, by=principal.user_id)
        uow.events.append(type="qa.verdict", actor=principal.user_id, subject_type="test_buy",
                          subject_id=str(pick_id), payload={"verdict": v.value, "org": principal.org,
                                                            "listing_id": pick.listing_id, "photos": list(pick.photos)},
                          reason=notes or None)
        uow.commit()
        return uow.qa.get(pick_id)


def _record_violation() -> Any:
    """The enforcement ladder's entry point, when that feature is installed."""
    try:
        module = importlib.import_module("klean.services.enforcement")
    except ImportError:
        return None
    return getattr(module, "record_violation", None)


def confirm_fake(*, uow: AbstractUnitOfWork, principal: Principal, pick_id: int, note: str,
                 refund_policy: RefundPolicy, now: datetime | None = None) -> dict[str, Any]:
    """Confirm a test buy fake as the brand's rights holder: penalise, take down, bank images, refund buyers."""
    principal.require(Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER)  # the brand's call, not the platform's
    if len(note) > MAX_TEXT:
        raise ValidationError(f"note: at most {MAX_TEXT} characters", field="note")
    with uow:
        pick = uow.qa.get(pick_id, lock=True)
        if not _visible(principal, pick, uow):
            raise NotFound(f"no test buy {pick_id} of your brands", field="pick_id")
        assert pick is not None
        owner = uow.qa.brand_owner(pick.brand_id) if pick.brand_id else None
        if not principal.may_manage_brand(owner):
            raise Forbidden("only the brand's rights holder confirms a fake")
        if pick.state == "confirmed":
            raise Conflict(f"test buy {pick_id} is already confirmed")
        if pick.verdict != Verdict.FAKE.value:
            raise Conflict(f"test buy {pick_id} has verdict {pick.verdict or 'none'}; only a fake is confirmed")
        cause = f"testbuy:{pick_id}"
        uow.qa.confirm(pick_id, brand_id=pick.brand_id, by=principal.user_id, note=note)
        outcome: dict[str, Any] = {"pick_id": pick_id, "cause_ref": cause, "listing_id": pick.listing_id}

        record_violation = _record_violation()
        if record_violation is not None:
            actions = record_violation(uow=uow, seller_id=pick.seller_id, kind="test_buy_fake",
                                       actor=principal.user_id, cause_ref=cause, listing_id=pick.listing_id,
                                       brand_id=pick.brand_id,
                                       evidence={"test_buy": pick_id, "verdict": pick.verdict, "notes": pick.notes,
                                                 "photos": list(pick.photos), "purchase": dict(pick.purchase or {})})
            outcome["enforcement"] = [{k: a.get(k) for k in ("id", "kind", "state", "rule", "scope", "target")}
                                      for a in actions or []]
        else:
            outcome["enforcement"] = None  # the enforcement feature is not installed

        # The enforcement ladder may already have taken the listing down; read it after the ladder ran.
        stored = uow.listings.get(pick.listing_id)
        if stored is not None and stored.status not in ("removed", "withdrawn", "blocked"):
            snap = uow.listings.set_status(pick.listing_id, "removed", cause=cause)
            uow.events.append(type="listing.removed", actor=principal.user_id, subject_type="listing",
                              subject_id=pick.listing_id,
                              payload={"cause_ref": cause, "snapshot_id": snap.id, "snapshot_sha256": snap.sha256,
                                       "previous_status": stored.status},
                              reason="test buy confirmed fake by the rights holder")
        after = uow.listings.get(pick.listing_id)
        outcome["listing_status"] = after.status if after is not None else None

        banked: list[str] | None = None
        try:
            banks = uow.image_banks
        except AttributeError:
            banks = None  # the image feature is not installed
        if banks is not None and stored is not None:
            banked = []
            for image in stored.listing.images:
                try:
                    if image.pdq:
                        banks.add(bank="known_fake", pdq=image.pdq, brand_id=pick.brand_id, source_ref=cause)
                        banked.append(image.pdq)
                    elif image.sha256:  # hashed later by the image feature's fill_pending
                        banks.add(bank="known_fake", sha256=image.sha256, brand_id=pick.brand_id, source_ref=cause)
                        banked.append(f"sha256:{image.sha256}")
                except DomainError:  # a malformed hash on the listing must not block the confirmation
                    outcome.setdefault("unbankable_images", []).append(image.pdq or image.sha256)
        outcome["banked_images"] = banked

        outcome["refunds"] = refund_service.open_refunds_for_fake(
            uow=uow, listing_id=pick.listing_id, cause_ref=cause, actor=principal.user_id, policy=refund_policy,
            now=now)
        uow.events.append(type="qa.confirmed_fake", actor=principal.user_id, subject_type="test_buy",
                          subject_id=str(pick_id), payload=outcome, reason=note or None,
                          policy_version=refund_policy.version)
        uow.commit()
        return outcome


def report(*, uow: AbstractUnitOfWork, principal: Principal, period: str) -> dict[str, Any]:
    """Report a period: picks, cost, hit rate by risk band for risk picks versus random controls."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    parse_period(period)
    with uow:
        if not uow.qa.period_exists(period):
            raise NotFound(f"period {period} has not been sampled", field="period")
        body = period_report(uow.qa.outcomes(period))
    return {"period": period, **body}


def budget_from(*, count: int | None, money: Decimal | float | str | None, currency: str | None,
                policy: QaPolicy) -> Budget:
    """A budget from request values, the policy filling what is not given."""
    return Budget.of(policy.budget_count if count is None else count,
                     policy.budget_money if money is None else money, currency or policy.currency)
