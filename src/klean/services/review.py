"""The reviewer console: one queue (screening hits, notices, reports, counter-notices, complaints), claim and
release so two reviewers never work one item, and reasoned decisions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.cases import CaseState, Mail, NoticePolicy
from klean.domain.errors import Conflict, ValidationError
from klean.services import notices as notice_cases
from klean.services import reports as consumer_reports
from klean.services.notices import Notify
from klean.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)
STAFF = (Role.REVIEWER, Role.ADMIN)
DECISIONS = {
    "notice": ("uphold", "reject"),
    "counter_notice": ("restore", "reject"),
    "complaint": ("grant", "deny"),
    "report": ("remove", "dismiss"),
    "screening": ("remove", "allow"),
}


def item_view(item: Any) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "subject_type": item.subject_type, "subject_id": item.subject_id,
            "priority": item.priority, "state": item.state, "claimed_by": item.claimed_by,
            "payload": item.payload, "created_at": item.created_at.isoformat(), "resolution": item.resolution,
            "decisions": list(DECISIONS.get(item.kind, ()))}


def list_queue(*, uow: AbstractUnitOfWork, principal: Principal, kind: str | None = None,
               limit: int = 50) -> list[dict[str, Any]]:
    """List open review items, highest priority (trusted lane, risk) first, oldest first among equals."""
    principal.require(*STAFF)
    if not 1 <= limit <= 500:
        raise ValidationError("limit: 1-500", field="limit")
    with uow:
        return [item_view(i) for i in uow.queue.open_items(kind=kind, limit=limit)]


def claim(*, uow: AbstractUnitOfWork, principal: Principal, item_id: int, now: datetime | None = None,
          policy: NoticePolicy | None = None) -> dict[str, Any]:
    """Claim an item; the loser of a race gets a conflict."""
    principal.require(*STAFF)
    now = now or datetime.now(UTC)
    policy = policy or NoticePolicy()
    with uow:
        item = uow.queue.claim(item_id, principal.user_id)
        uow.events.append(type="review.claimed", actor=principal.user_id, subject_type="review_item",
                          subject_id=str(item_id), payload={"kind": item.kind, "subject_id": item.subject_id})
        if item.kind == "notice":
            case = uow.cases.get(int(item.subject_id), lock=True)
            if case.state == CaseState.RECEIVED:
                notice_cases._move(uow, case, CaseState.UNDER_REVIEW, actor=principal.user_id,
                                   reason="claimed for review", now=now, policy=policy)
        elif item.kind == "report" and item.subject_type == "listing":
            consumer_reports.mark_under_review(uow=uow, listing_id=item.subject_id, now=now)
        uow.commit()
        return item_view(item)


def release(*, uow: AbstractUnitOfWork, principal: Principal, item_id: int, now: datetime | None = None,
            policy: NoticePolicy | None = None) -> dict[str, Any]:
    """Give a claimed item back to the queue undecided."""
    principal.require(*STAFF)
    now = now or datetime.now(UTC)
    policy = policy or NoticePolicy()
    with uow:
        item = uow.queue.release(item_id, principal.user_id)
        uow.events.append(type="review.released", actor=principal.user_id, subject_type="review_item",
                          subject_id=str(item_id), payload={"kind": item.kind})
        if item.kind == "notice":
            case = uow.cases.get(int(item.subject_id), lock=True)
            if case.state == CaseState.UNDER_REVIEW:
                notice_cases._move(uow, case, CaseState.RECEIVED, actor=principal.user_id,
                                   reason="released undecided", now=now, policy=policy)
        uow.commit()
        return item_view(item)


def decide(*, uow: AbstractUnitOfWork, principal: Principal, item_id: int, decision: str, reason: str,
           policy: NoticePolicy, manifestly_unfounded: bool = False, now: datetime | None = None,
           notify: Notify | None = None) -> dict[str, Any]:
    """Decide a claimed item with a reason; the decision takes effect and the item is resolved."""
    principal.require(*STAFF)
    reason = reason.strip()
    if not 5 <= len(reason) <= 5000:
        raise ValidationError("reason: 5-5000 characters; every decision is explained", field="reason")
    now = now or datetime.now(UTC)
    mails: list[Mail] = []
    with uow:
        item = uow.queue.get(item_id)
        if item.state != "claimed" or item.claimed_by != principal.user_id:
            raise Conflict(f"claim review item {item_id} before deciding it", field="item_id")
        allowed = DECISIONS.get(item.kind)
        if allowed is None:
            raise ValidationError(f"items of kind {item.kind} are decided in their own feature", field="item_id")
        if decision not in allowed:
            raise ValidationError(f"a {item.kind} item is decided with {' or '.join(allowed)}", field="decision")
        actor = principal.user_id
        if item.kind == "notice":
            mails = notice_cases.decide_notice_case(uow=uow, case_id=int(item.subject_id), actor=actor,
                                                    decision=decision, reason=reason, policy=policy, now=now,
                                                    manifestly_unfounded=manifestly_unfounded)
        elif item.kind == "counter_notice":
            mails = notice_cases.decide_counter_notice(uow=uow, case_id=int(item.subject_id), actor=actor,
                                                       decision=decision, reason=reason, policy=policy, now=now)
        elif item.kind == "complaint":
            mails = notice_cases.answer_complaint(uow=uow, complaint_id=int(item.subject_id), actor=actor,
                                                  decision=decision, reason=reason, policy=policy, now=now)
        elif item.kind == "report":
            enforcement = notice_cases._enforcement()
            mails = consumer_reports.decide_reports(
                uow=uow, item_subject_type=item.subject_type, item_subject_id=item.subject_id, actor=actor,
                decision=decision, reason=reason, policy=policy, now=now,
                record_violation=getattr(enforcement, "record_violation", None))
        else:
            _decide_screening(uow, item, actor=actor, decision=decision, reason=reason, policy=policy)
        uow.queue.resolve(item_id, actor, f"{decision}: {reason}")
        uow.events.append(type="review.decided", actor=actor, subject_type="review_item", subject_id=str(item_id),
                          payload={"kind": item.kind, "subject_type": item.subject_type,
                                   "subject_id": item.subject_id, "decision": decision,
                                   "manifestly_unfounded": manifestly_unfounded},
                          policy_version=policy.version, reason=reason)
        uow.commit()
        resolved = uow.queue.get(item_id)
    notice_cases._send(notify, mails)
    return item_view(resolved)


def _decide_screening(uow: AbstractUnitOfWork, item: Any, *, actor: str, decision: str, reason: str,
                      policy: NoticePolicy) -> None:
    listing_id = item.subject_id
    stored = uow.listings.require(listing_id)
    target = "live" if decision == "allow" else "removed"
    if stored.status == target:
        return
    snap = uow.listings.set_status(listing_id, target, cause=f"review:{item.id}")
    uow.events.append(type="listing.allowed" if decision == "allow" else "listing.removed", actor=actor,
                      subject_type="listing", subject_id=listing_id,
                      payload={"cause": f"review:{item.id}", "from": stored.status, "snapshot_id": snap.id,
                               "snapshot_sha256": snap.sha256}, policy_version=policy.version, reason=reason)
    enforcement = notice_cases._enforcement()
    if decision == "remove" and enforcement is not None and hasattr(enforcement, "record_violation"):
        # Held because its seller is linked to a suspended one: removing it confirms the ban evasion.
        linked = any(e.get("signal") == "seller_network" for e in stored.evidence or ())
        enforcement.record_violation(uow=uow, seller_id=stored.listing.seller_id,
                                     kind="linked_to_suspended" if linked else "counterfeit_confirmed",
                                     actor=actor, cause_ref=f"review:{item.id}", listing_id=listing_id,
                                     evidence=[f"review:{item.id}"], **notice_cases.enforcement_kwargs(policy))
