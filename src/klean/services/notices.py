"""Takedown notices: filing (normal and trusted lane), deciding, counter-notices, court action, complaints,
and the notifier's accuracy and standing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.cases import (
    Case,
    CaseState,
    Mail,
    MisuseVerdict,
    NoticeDraft,
    NoticePolicy,
    Outcome,
    accuracy,
    add_business_days,
    add_months,
    meets_trusted_bar,
    missing_elements,
    misuse_verdict,
    trusted_should_be_removed,
    validate_notice_shape,
)
from klean.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from klean.domain.policy_file import PolicyDocument
from klean.domain.reports import url_candidates
from klean.services.idempotency import run_once
from klean.services.unit_of_work import AbstractUnitOfWork
from klean.signals.analysis import analyse
from klean.signals.screener import Screener

log = logging.getLogger(__name__)
Notify = Callable[[Mail], None]


class IncompleteNotice(ValidationError):
    """A notice lacking elements the law requires; `missing` names each one and what it must say."""

    def __init__(self, missing: Sequence[tuple[str, str]]) -> None:
        names = ", ".join(f for f, _ in missing)
        super().__init__(f"the notice is incomplete; missing: {names}", field=missing[0][0] if missing else None)
        self.missing = list(missing)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _send(notify: Notify | None, mails: Sequence[Mail]) -> None:
    """Deliver after commit; a mail that cannot go out is logged, the committed decision stands."""
    if notify is None:
        return
    for m in mails:
        try:
            notify(m)
        except Exception as exc:  # the relay may be down; the decision is already durable
            log.warning("could not send mail to %s: %s", m.to, exc)


# --- enforcement hooks (the enforcement feature may not be installed) --------------------------------------

def _enforcement() -> Any:
    try:
        from klean.services import enforcement
    except ImportError:
        return None
    return enforcement


def enforcement_kwargs(policy: NoticePolicy) -> dict[str, Any]:
    """Hand enforcement the ladder of the same policy document this decision is made under."""
    if policy.document is None:
        return {}
    try:
        from klean.domain.policy import EnforcementPolicy
    except ImportError:
        return {}
    doc = policy.document
    return {"policy": EnforcementPolicy.from_section(doc.section("enforcement"), doc.version)}


def _record_violation(uow: AbstractUnitOfWork, case: Case, *, kind: str, actor: str, policy: NoticePolicy) -> None:
    enforcement = _enforcement()
    if enforcement is not None and hasattr(enforcement, "record_violation"):
        enforcement.record_violation(uow=uow, seller_id=case.seller_id, kind=kind, actor=actor,
                                     cause_ref=case.cause_ref, listing_id=case.listing_id, brand_id=case.brand_id,
                                     evidence=[f"case:{case.id}", f"notice:{case.notice_id}"],
                                     **enforcement_kwargs(policy))


def _reverse(uow: AbstractUnitOfWork, case: Case, *, actor: str, reason: str, policy: NoticePolicy) -> int:
    enforcement = _enforcement()
    if enforcement is not None and hasattr(enforcement, "reverse_for_cause"):
        return int(enforcement.reverse_for_cause(uow=uow, cause_ref=case.cause_ref, actor=actor, reason=reason,
                                                 **enforcement_kwargs(policy)))
    return 0


# --- small steps shared by every path ---------------------------------------------------------------------

def _move(uow: AbstractUnitOfWork, case: Case, to: CaseState, *, actor: str, reason: str | None, now: datetime,
          policy: NoticePolicy, payload: dict[str, Any] | None = None, **fields: Any) -> Case:
    moved = uow.cases.transition(case.id, to.value, actor=actor, reason=reason, now=now, **fields)
    uow.events.append(type=f"case.{to.value}", actor=actor, subject_type="case", subject_id=str(case.id),
                      payload={"from": case.state, "to": to.value, "listing_id": case.listing_id,
                               "notice_id": case.notice_id, **(payload or {})},
                      policy_version=policy.version, reason=reason)
    return moved  # type: ignore[no-any-return]


def _take_down(uow: AbstractUnitOfWork, case: Case, *, actor: str, reason: str, policy: NoticePolicy) -> None:
    stored = uow.listings.require(case.listing_id)
    if stored.status in ("removed", "blocked", "withdrawn"):
        return  # already down; the case still records its own decision
    snap = uow.listings.set_status(case.listing_id, "removed", cause=case.cause_ref)
    uow.events.append(type="listing.removed", actor=actor, subject_type="listing", subject_id=case.listing_id,
                      payload={"cause": case.cause_ref, "from": stored.status, "snapshot_id": snap.id,
                               "snapshot_sha256": snap.sha256, "trusted": case.trusted},
                      policy_version=policy.version, reason=reason)


def _put_back(uow: AbstractUnitOfWork, case: Case, *, actor: str, reason: str, policy: NoticePolicy) -> None:
    stored = uow.listings.require(case.listing_id)
    if stored.status == "removed":
        snap = uow.listings.set_status(case.listing_id, "live", cause=case.cause_ref)
        uow.events.append(type="listing.restored", actor=actor, subject_type="listing", subject_id=case.listing_id,
                          payload={"cause": case.cause_ref, "snapshot_id": snap.id, "snapshot_sha256": snap.sha256},
                          policy_version=policy.version, reason=reason)
    _reverse(uow, case, actor=actor, reason=reason, policy=policy)


def _seller_emails(uow: AbstractUnitOfWork, seller_id: str) -> list[str]:
    return [u.email for u in uow.users.list(role=Role.SELLER.value) if u.seller_id == seller_id and u.email]


def case_view(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.id, "notice_id": case.notice_id, "listing_id": case.listing_id,
        "listing_ref": case.listing_ref, "seller_id": case.seller_id, "brand_id": case.brand_id,
        "state": case.state, "trusted": case.trusted, "outcome": case.outcome,
        "decision_reason": case.decision_reason,
        "created_at": case.created_at.isoformat(), "updated_at": case.updated_at.isoformat(),
        "actioned_at": case.actioned_at.isoformat() if case.actioned_at else None,
        "decided_at": case.decided_at.isoformat() if case.decided_at else None,
        "time_to_action_seconds": case.time_to_action_seconds(),
        "transitions": [{"from": t.from_state, "to": t.to_state, "at": t.at.isoformat(), "actor": t.actor,
                         "reason": t.reason} for t in case.transitions],
    }


def in_trusted_lane(*, uow: AbstractUnitOfWork, principal: Principal) -> bool:
    """Whether this principal's notices take effect at once (a trusted partner not removed from the lane)."""
    if principal.role not in (Role.TRUSTED_PARTNER, Role.AGENCY):  # an agency's lane is gated like a partner's
        return False
    return uow.cases.standing(principal.user_id).trusted_removed_at is None  # type: ignore[no-any-return]


# --- does a named listing allude to the notice's brand? -----------------------------------------------------

MENTION_HOW = {"mark": "its mark", "disguise": "a disguised mark", "nickname": "a nickname",
               "cue": "a design cue", "initial": "its initials"}


def brand_allusion(*, screener: Screener, stored: Any, brand_id: str) -> str | None:
    """How a stored listing alludes to a brand, in words (a mark, a disguised mark, a nickname or design cue, one
    of its products, or screening evidence naming the brand: an image or logo match, the seller signal), or None
    when it does not. A notice may only take down listings that allude to the brand it is filed for."""
    listing = stored.listing
    result = screener.screen(listing)  # the text signals ask the analysis first: analyse() below is its cache
    analysis = analyse(listing, screener.context)
    mentions = [m for m in analysis.mentions if m.brand_id == brand_id and not m.corroborate]
    if mentions:
        best = max(mentions, key=lambda m: m.weight)
        return f"{MENTION_HOW.get(best.kind, best.kind)} \"{best.found}\""
    if brand_id in analysis.products:
        product = analysis.products[brand_id][0]
        return f"its product {product.name}"
    named = [e for e in result.evidence if e.brand_id == brand_id]
    if named:
        return f"screening evidence ({', '.join(sorted({e.signal for e in named}))})"
    if brand_id in (stored.brand_ids or ()) or any(r.get("brand_id") == brand_id for r in stored.evidence or ()):
        return "its stored screening evidence"
    return None


# --- filing ------------------------------------------------------------------------------------------------

def file_notice(*, uow: AbstractUnitOfWork, principal: Principal, draft: NoticeDraft, policy: NoticePolicy,
                idempotency_key: str | None = None, now: datetime | None = None,
                screener: Screener | None = None) -> tuple[dict[str, Any], bool]:
    """File a takedown notice; one case per listing, taken down at once in the trusted lane.

    Each listing is checked against the notice's brand first (`brand_allusion`, with `screener`, else one built
    from the registry): a listing that does not allude to the brand is never taken down on receipt; it waits for
    a reviewer, marked as not alluding to the brand, and counts in the notifier's record.
    """
    # A notice is the rights holder's own statement (good faith, accuracy, signature): admins do not file them.
    principal.require(Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.AGENCY)
    validate_notice_shape(draft)
    missing = missing_elements(draft)
    if missing:
        raise IncompleteNotice([(m.field, m.requirement) for m in missing])
    now = _now(now)
    if screener is None:
        from klean.services.screening import get_screener

        screener = get_screener(uow=uow, app_extras={})
    checked_by = screener
    with uow:
        exists, owner = uow.cases.brand_owner(draft.brand_id)
        if not exists:
            raise NotFound(f"no brand {draft.brand_id} in the registry", field="brand_id")
        if principal.role is Role.AGENCY:  # only for member brands it holds a live mandate for, today
            from klean.services import agencies

            agencies.require_live_mandate(uow=uow, principal=principal, brand_id=draft.brand_id, today=now.date())
        elif not principal.may_manage_brand(owner):
            raise Forbidden(f"you may file notices only for brands your organisation owns ({draft.brand_id} is not)",
                            field="brand_id")
        standing = uow.cases.standing(principal.user_id)
        if standing.suspended(now):
            raise Forbidden(f"notices from you are suspended until {standing.suspended_until:%Y-%m-%d} "
                            "for repeated manifestly unfounded notices (DSA Art. 23)")

        def work() -> dict[str, Any]:
            return _file(uow, principal, draft, policy, now, checked_by)

        return run_once(uow=uow, scope=f"notice:{principal.user_id}", key=idempotency_key,
                        request=draft.fingerprint(), work=work)


def _file(uow: AbstractUnitOfWork, principal: Principal, draft: NoticeDraft, policy: NoticePolicy,
          now: datetime, screener: Screener) -> dict[str, Any]:
    trusted = in_trusted_lane(uow=uow, principal=principal)
    resolved: list[tuple[str, str]] = []
    unresolved: list[str] = []
    for ref in dict.fromkeys(r.strip() for r in draft.listings if r.strip()):
        listing_id = uow.cases.resolve_listing(ref, url_candidates(ref))
        if listing_id is None:
            unresolved.append(ref)
        elif listing_id not in {lid for lid, _ in resolved}:
            resolved.append((listing_id, ref))
    if not resolved:
        raise ValidationError("none of the listings was found: give listing ids or their exact URLs "
                              f"(not found: {', '.join(unresolved[:5])})", field="listings")
    notice = uow.cases.add_notice(draft=draft, notifier_id=principal.user_id, notifier_role=principal.role.value,
                                  trusted=trusted, now=now)
    uow.events.append(type="notice.received", actor=principal.user_id, subject_type="notice",
                      subject_id=str(notice.id),
                      payload={"brand_id": draft.brand_id, "listings": [r for _, r in resolved],
                               "unresolved": unresolved, "trusted": trusted, "right": dict(vars(draft.right))},
                      policy_version=policy.version)
    out: list[dict[str, Any]] = []
    for listing_id, ref in resolved:
        duplicate = uow.cases.open_case_for_listing(listing_id)
        if duplicate is not None:
            uow.events.append(type="notice.duplicate", actor=principal.user_id, subject_type="case",
                              subject_id=str(duplicate.id), payload={"notice_id": notice.id, "listing_id": listing_id},
                              policy_version=policy.version)
            out.append({"listing_ref": ref, "listing_id": listing_id, "case_id": duplicate.id,
                        "state": duplicate.state, "duplicate_of": duplicate.id})
            continue
        stored = uow.listings.require(listing_id)
        allusion = brand_allusion(screener=screener, stored=stored, brand_id=draft.brand_id)
        on_brand = allusion is not None
        case_trusted = trusted and on_brand  # a listing of another brand never takes the trusted lane
        received = "notice received" if on_brand else \
            f"notice received; the listing does not allude to the brand {draft.brand_id}: it waits for review"
        case = uow.cases.add_case(notice=notice, listing_id=listing_id, listing_ref=ref,
                                  seller_id=stored.listing.seller_id, actor=principal.user_id, now=now,
                                  reason=received, trusted=case_trusted)
        uow.events.append(type="case.received", actor=principal.user_id, subject_type="case", subject_id=str(case.id),
                          payload={"notice_id": notice.id, "listing_id": listing_id, "trusted": case_trusted,
                                   "brand_id": draft.brand_id, "alludes_to_brand": on_brand, "allusion": allusion},
                          policy_version=policy.version, reason=received)
        if not on_brand:
            # The notifier's record counts it (GET /v1/notifiers/{id}/record: off_brand).
            uow.events.append(type="notifier.off_brand_listing", actor=principal.user_id, subject_type="user",
                              subject_id=principal.user_id,
                              payload={"case_id": case.id, "notice_id": notice.id, "listing_id": listing_id,
                                       "brand_id": draft.brand_id, "trusted_notice": trusted},
                              policy_version=policy.version, reason=received)
        risk = stored.score or 0.0
        if case_trusted:
            reason = "trusted partner notice: removed on receipt, reviewed after"
            _take_down(uow, case, actor=principal.user_id, reason=reason, policy=policy)
            case = _move(uow, case, CaseState.ACTIONED, actor=principal.user_id, reason=reason, now=now,
                         policy=policy, actioned_at=now)
            _record_violation(uow, case, kind="trusted_takedown", actor=principal.user_id, policy=policy)
            priority = policy.trusted_priority + 10 * risk
        else:
            priority = policy.notice_priority + 10 * risk
        uow.queue.enqueue(kind="notice", subject_type="case", subject_id=str(case.id), priority=priority,
                          payload={"case_id": case.id, "listing_id": listing_id, "trusted": case_trusted,
                                   "brand_id": draft.brand_id, "alludes_to_brand": on_brand, "allusion": allusion})
        out.append({"listing_ref": ref, "listing_id": listing_id, "case_id": case.id, "state": case.state,
                    "trusted": case_trusted, "alludes_to_brand": on_brand, "duplicate_of": None})
    return {"notice_id": notice.id, "trusted": trusted, "received_at": now.isoformat(), "cases": out,
            "unresolved": unresolved}


# --- reading ------------------------------------------------------------------------------------------------

def _may_see(uow: AbstractUnitOfWork, principal: Principal, case: Case) -> bool:
    if principal.role in (Role.ADMIN, Role.REVIEWER):
        return True
    if principal.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER):
        return case.notifier_id == principal.user_id or principal.may_manage_brand(uow.cases.brand_owner(
            case.brand_id)[1])
    if principal.role is Role.AGENCY:
        from klean.services import agencies

        return agencies.may_see_case(uow=uow, principal=principal, case=case)
    return principal.role is Role.SELLER and principal.seller_id == case.seller_id


def get_case(*, uow: AbstractUnitOfWork, principal: Principal, case_id: int) -> dict[str, Any]:
    """Show a case with its transitions, counter-notices and complaints."""
    with uow:
        case = uow.cases.get(case_id)
        if not _may_see(uow, principal, case):
            raise NotFound(f"no case {case_id}", field="case_id")  # do not confirm others' cases exist
        view = case_view(case)
        view["counter_notices"] = [
            {"id": c.id, "filed_at": c.filed_at.isoformat(), "deadline_at": c.deadline_at.isoformat(),
             "outcome": c.outcome, "court_action_ref": c.court_action_ref} for c in uow.cases.counter_notices(case_id)]
        view["complaints"] = [
            {"id": c.id, "side": c.complainant_side, "state": c.state, "filed_at": c.filed_at.isoformat(),
             "answer": c.answer} for c in uow.cases.complaints(case_id)]
        return view


# --- deciding (called by the reviewer console inside its transaction) ---------------------------------------

def decide_notice_case(*, uow: AbstractUnitOfWork, case_id: int, actor: str, decision: str, reason: str,
                       policy: NoticePolicy, now: datetime, manifestly_unfounded: bool = False) -> list[Mail]:
    """Uphold or reject a notice case (a trusted takedown: confirm or reverse it); does not commit."""
    case = uow.cases.get(case_id, lock=True)
    if decision not in ("uphold", "reject"):
        raise ValidationError("a notice is decided with uphold or reject", field="decision")
    if manifestly_unfounded and decision != "reject":
        raise ValidationError("only a rejection can be manifestly unfounded", field="manifestly_unfounded")
    if case.trusted and case.state == CaseState.ACTIONED and case.reviewed_at is None:
        if decision == "uphold":
            uow.cases.update(case_id, reviewed_at=now, decided_at=now, outcome=Outcome.UPHELD.value,
                             decision_reason=reason)
            uow.events.append(type="case.review_confirmed", actor=actor, subject_type="case", subject_id=str(case_id),
                              payload={"listing_id": case.listing_id}, policy_version=policy.version, reason=reason)
        else:
            _put_back(uow, case, actor=actor, reason=reason, policy=policy)
            _move(uow, case, CaseState.REJECTED, actor=actor, reason=reason, now=now, policy=policy,
                  payload={"reversal": True}, reviewed_at=now, decided_at=now, outcome=Outcome.REVERSED.value,
                  decision_reason=reason, manifestly_unfounded=manifestly_unfounded)
        _after_decision(uow, case.notifier_id, actor=actor, policy=policy, now=now)
        return _decision_mails(uow, uow.cases.get(case_id))
    if case.state not in (CaseState.RECEIVED, CaseState.UNDER_REVIEW):
        raise Conflict(f"case {case_id} is {case.state}: it has been decided", field="case_id")
    if decision == "uphold":
        _take_down(uow, case, actor=actor, reason=reason, policy=policy)
        case = _move(uow, case, CaseState.ACTIONED, actor=actor, reason=reason, now=now, policy=policy,
                     actioned_at=now, decided_at=now, reviewed_at=now, outcome=Outcome.UPHELD.value,
                     decision_reason=reason)
        _record_violation(uow, case, kind="notice_upheld", actor=actor, policy=policy)
    else:
        case = _move(uow, case, CaseState.REJECTED, actor=actor, reason=reason, now=now, policy=policy,
                     payload={"manifestly_unfounded": manifestly_unfounded}, decided_at=now, reviewed_at=now,
                     outcome=Outcome.REJECTED.value, decision_reason=reason,
                     manifestly_unfounded=manifestly_unfounded)
    _after_decision(uow, case.notifier_id, actor=actor, policy=policy, now=now)
    return _decision_mails(uow, uow.cases.get(case_id))


def _decision_mails(uow: AbstractUnitOfWork, case: Case) -> list[Mail]:
    notice = uow.cases.notice(case.notice_id)
    text = (f"Your notice {notice.id} about listing {case.listing_id} was decided: {case.state}.\n"
            f"Reason: {case.decision_reason}\n"
            f"You may ask for a review of this decision within the complaint window (DSA Art. 20).")
    mails = [Mail(to=notice.notifier_email, subject=f"Klean case {case.id}: {case.state}", text=text)]
    if case.state == CaseState.ACTIONED:
        for email in _seller_emails(uow, case.seller_id):
            mails.append(Mail(to=email, subject=f"Klean case {case.id}: listing {case.listing_id} removed",
                              text=f"Your listing {case.listing_id} was removed after a rights holder's notice.\n"
                                   f"Reason: {case.decision_reason}\nYou may file a counter-notice or a complaint."))
    return mails


def _after_decision(uow: AbstractUnitOfWork, notifier_id: str, *, actor: str, policy: NoticePolicy,
                    now: datetime) -> None:
    """Re-judge a notifier after each decided notice: misuse warnings and suspension, trusted-lane removal."""
    standing = uow.cases.standing(notifier_id)
    decided = uow.cases.decided_of(notifier_id)
    misuse = accuracy(decided, now=now, window_days=policy.misuse_window_days)
    verdict = misuse_verdict(misuse, policy, warnings_given=standing.warnings)
    changed = standing
    if verdict is MisuseVerdict.WARN:
        changed = replace(changed, warnings=changed.warnings + 1)
        uow.events.append(type="notifier.warned", actor=actor, subject_type="user", subject_id=notifier_id,
                          payload=misuse.as_dict(), policy_version=policy.version,
                          reason="repeated manifestly unfounded notices (DSA Art. 23)")
    elif verdict is MisuseVerdict.SUSPEND and not standing.suspended(now):
        until = now + timedelta(days=policy.misuse_suspend_days)
        changed = replace(changed, suspended_until=until)
        uow.events.append(type="notifier.suspended", actor=actor, subject_type="user", subject_id=notifier_id,
                          payload={**misuse.as_dict(), "until": until.isoformat()}, policy_version=policy.version,
                          reason="manifestly unfounded notices after a warning (DSA Art. 23)")
    user = uow.users.get(notifier_id)
    if user is not None and user.role in (Role.TRUSTED_PARTNER.value, Role.AGENCY.value) \
            and standing.trusted_removed_at is None:
        acc = accuracy(decided, now=now, window_days=policy.trusted_window_days)
        if trusted_should_be_removed(acc, policy):
            barred = now + timedelta(days=policy.trusted_removal_bar_days)
            changed = replace(changed, trusted_removed_at=now, trusted_barred_until=barred)
            uow.events.append(type="notifier.trusted_removed", actor=actor, subject_type="user",
                              subject_id=notifier_id, payload={**acc.as_dict(), "barred_until": barred.isoformat()},
                              policy_version=policy.version,
                              reason="accuracy below the trusted-lane bar over the rolling window")
    if changed != standing:
        uow.cases.set_standing(changed, now=now)


# --- counter-notices ---------------------------------------------------------------------------------------

def file_counter_notice(*, uow: AbstractUnitOfWork, principal: Principal, case_id: int, reasons: str,
                        policy: NoticePolicy, authorisation_proof: str | None = None, now: datetime | None = None,
                        notify: Notify | None = None) -> dict[str, Any]:
    """Answer a takedown as the listing's seller; the rights holder is told and its window starts."""
    principal.require(Role.SELLER)
    reasons = reasons.strip()
    if len(reasons) < 20:
        raise ValidationError("reasons: explain in at least 20 characters why the removal was a mistake",
                              field="reasons")
    if len(reasons) > 20_000:
        raise ValidationError("reasons: at most 20000 characters", field="reasons")
    now = _now(now)
    with uow:
        case = uow.cases.get(case_id, lock=True)
        if principal.seller_id != case.seller_id:
            raise NotFound(f"no case {case_id}", field="case_id")
        if case.state != CaseState.ACTIONED:
            raise Conflict(f"case {case_id} is {case.state}: a counter-notice answers a removal", field="case_id")
        deadline = add_business_days(now, policy.counter_notice_business_days, policy.holidays)
        counter = uow.cases.add_counter_notice(case_id=case_id, seller_id=case.seller_id, filed_by=principal.user_id,
                                               reasons=reasons, authorisation_proof=authorisation_proof, now=now,
                                               deadline=deadline)
        case = _move(uow, case, CaseState.COUNTERED, actor=principal.user_id, reason="counter-notice filed", now=now,
                     policy=policy, payload={"counter_notice_id": counter.id, "deadline_at": deadline.isoformat(),
                                             "authorisation_proof": authorisation_proof})
        uow.queue.enqueue(kind="counter_notice", subject_type="case", subject_id=str(case_id),
                          priority=policy.counter_notice_priority,
                          payload={"case_id": case_id, "counter_notice_id": counter.id, "listing_id": case.listing_id})
        notice = uow.cases.notice(case.notice_id)
        uow.events.append(type="counter_notice.forwarded", actor="rule:counter_notice", subject_type="case",
                          subject_id=str(case_id),
                          payload={"to": notice.notifier_email, "counter_notice_id": counter.id},
                          policy_version=policy.version)
        uow.commit()
    _send(notify, [Mail(
        to=notice.notifier_email, subject=f"Klean case {case_id}: counter-notice from the seller",
        text=(f"The seller of listing {case.listing_id} has answered your notice {notice.id}.\n\n"
              f"Seller's reasons:\n{reasons}\n\n"
              + (f"Authorisation proof: {authorisation_proof}\n\n" if authorisation_proof else "")
              + f"The listing will be restored after {deadline:%Y-%m-%d %H:%M} UTC unless you show that you have "
              f"filed an action in court (POST /v1/cases/{case_id}/court-action)."))])
    return {"case_id": case_id, "state": case.state, "counter_notice_id": counter.id,
            "deadline_at": deadline.isoformat()}


def report_court_action(*, uow: AbstractUnitOfWork, principal: Principal, case_id: int, reference: str,
                        policy: NoticePolicy, now: datetime | None = None) -> dict[str, Any]:
    """Show that the rights holder has gone to court, so the listing stays down."""
    principal.require(Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.AGENCY, Role.ADMIN)
    reference = reference.strip()
    if not 3 <= len(reference) <= 500:
        raise ValidationError("reference: the court and case number, 3-500 characters", field="reference")
    now = _now(now)
    with uow:
        case = uow.cases.get(case_id, lock=True)
        if principal.role is not Role.ADMIN and case.notifier_id != principal.user_id:
            raise NotFound(f"no case {case_id}", field="case_id")
        counter = uow.cases.pending_counter_notice(case_id)
        if case.state != CaseState.COUNTERED or counter is None:
            raise Conflict(f"case {case_id} has no counter-notice waiting for an answer", field="case_id")
        if now >= counter.deadline_at:
            raise Conflict(f"the window closed at {counter.deadline_at.isoformat()}", field="case_id")
        uow.cases.close_counter_notice(counter.id, outcome="court_action", now=now, court_action_ref=reference)
        case = _move(uow, case, CaseState.ACTIONED, actor=principal.user_id, reason=f"court action: {reference}",
                     now=now, policy=policy, payload={"counter_notice_id": counter.id, "court_action": reference})
        uow.queue.close_for_subject("case", str(case_id), "court action shown", kind="counter_notice")
        uow.commit()
        return {"case_id": case_id, "state": case.state, "court_action_ref": reference}


def _restore_after_counter(uow: AbstractUnitOfWork, case: Case, counter_id: int, *, actor: str, reason: str,
                           policy: NoticePolicy, now: datetime) -> list[Mail]:
    uow.cases.close_counter_notice(counter_id, outcome="restored", now=now)
    _put_back(uow, case, actor=actor, reason=reason, policy=policy)
    restored = _move(uow, case, CaseState.RESTORED, actor=actor, reason=reason, now=now, policy=policy,
                     payload={"counter_notice_id": counter_id}, outcome=Outcome.COUNTER_RESTORED.value,
                     decided_at=now, decision_reason=reason)
    uow.queue.close_for_subject("case", str(case.id), reason, kind="counter_notice")
    _after_decision(uow, case.notifier_id, actor=actor, policy=policy, now=now)
    notice = uow.cases.notice(case.notice_id)
    text = f"Listing {case.listing_id} (case {case.id}) is live again: {reason}."
    return [Mail(to=notice.notifier_email, subject=f"Klean case {case.id}: listing restored", text=text)] + \
        [Mail(to=e, subject=f"Klean case {case.id}: listing restored", text=text)
         for e in _seller_emails(uow, restored.seller_id)]


def process_counter_notice_deadlines(*, uow: AbstractUnitOfWork, now: datetime | None = None,
                                     policy: NoticePolicy | None = None, notify: Notify | None = None) -> int:
    """Restore every countered listing whose rights holder let the window pass without court action."""
    now = _now(now)
    policy = policy or NoticePolicy()
    restored = 0
    mails: list[Mail] = []
    with uow:
        for counter in uow.cases.due_counter_notices(now):
            case = uow.cases.get(counter.case_id, lock=True)
            if case.state != CaseState.COUNTERED:
                continue
            mails += _restore_after_counter(uow, case, counter.id, actor="rule:counter_notice_window",
                                            reason="no court action within the counter-notice window", policy=policy,
                                            now=now)
            restored += 1
        uow.commit()
    _send(notify, mails)
    return restored


def decide_counter_notice(*, uow: AbstractUnitOfWork, case_id: int, actor: str, decision: str, reason: str,
                          policy: NoticePolicy, now: datetime) -> list[Mail]:
    """Restore now on a plainly valid counter-notice, or reject an invalid one; does not commit."""
    case = uow.cases.get(case_id, lock=True)
    counter = uow.cases.pending_counter_notice(case_id)
    if case.state != CaseState.COUNTERED or counter is None:
        raise Conflict(f"case {case_id} has no pending counter-notice", field="case_id")
    if decision == "restore":
        return _restore_after_counter(uow, case, counter.id, actor=actor, reason=reason, policy=policy, now=now)
    if decision == "reject":
        uow.cases.close_counter_notice(counter.id, outcome="rejected", now=now)
        _move(uow, case, CaseState.ACTIONED, actor=actor, reason=reason, now=now, policy=policy,
              payload={"counter_notice_id": counter.id, "counter_notice_rejected": True})
        return [Mail(to=e, subject=f"Klean case {case_id}: counter-notice not accepted", text=reason)
                for e in _seller_emails(uow, case.seller_id)]
    raise ValidationError("a counter-notice is decided with restore or reject", field="decision")


# --- complaints against decisions (DSA Art. 20) ----------------------------------------------------------

def file_complaint(*, uow: AbstractUnitOfWork, principal: Principal, case_id: int, grounds: str,
                   policy: NoticePolicy, now: datetime | None = None) -> dict[str, Any]:
    """Ask for a review of a decision: the seller against a removal, the notifier against a rejection."""
    grounds = grounds.strip()
    if not 20 <= len(grounds) <= 20_000:
        raise ValidationError("grounds: 20-20000 characters explaining why the decision is wrong", field="grounds")
    now = _now(now)
    with uow:
        case = uow.cases.get(case_id, lock=True)
        if principal.role is Role.SELLER and principal.seller_id == case.seller_id:
            side, allowed = "seller", (CaseState.ACTIONED,)
        elif principal.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER, Role.AGENCY) \
                and principal.user_id == case.notifier_id:
            side, allowed = "notifier", (CaseState.REJECTED, CaseState.RESTORED)
        else:
            raise NotFound(f"no case {case_id}", field="case_id")
        if case.state not in allowed:
            raise Conflict(f"case {case_id} is {case.state}: the {side} may complain only against "
                           f"{' or '.join(s.value for s in allowed)}", field="case_id")
        decided = case.decided_at or case.actioned_at or case.updated_at
        closes = add_months(decided, policy.complaint_window_months)
        if now > closes:
            raise Conflict(f"the complaint window closed on {closes:%Y-%m-%d} ({policy.complaint_window_months} "
                           "months after the decision)", field="case_id")
        complaint = uow.cases.add_complaint(case_id=case_id, complainant_id=principal.user_id, side=side,
                                            grounds=grounds, state_before=case.state, now=now)
        case = _move(uow, case, CaseState.APPEALED, actor=principal.user_id, reason="complaint filed", now=now,
                     policy=policy, payload={"complaint_id": complaint.id, "side": side})
        uow.queue.enqueue(kind="complaint", subject_type="complaint", subject_id=str(complaint.id),
                          priority=policy.complaint_priority,
                          payload={"case_id": case_id, "side": side, "listing_id": case.listing_id})
        uow.commit()
        return {"complaint_id": complaint.id, "case_id": case_id, "state": case.state, "side": side}


def answer_complaint(*, uow: AbstractUnitOfWork, complaint_id: int, actor: str, decision: str, reason: str,
                     policy: NoticePolicy, now: datetime) -> list[Mail]:
    """Grant or deny a complaint with a reasoned answer; granting reverses the decision. Does not commit."""
    if decision not in ("grant", "deny"):
        raise ValidationError("a complaint is decided with grant or deny", field="decision")
    complaint = uow.cases.complaint(complaint_id)
    case = uow.cases.get(complaint.case_id, lock=True)
    if case.state != CaseState.APPEALED:
        raise Conflict(f"case {case.id} is not under complaint", field="case_id")
    uow.cases.answer_complaint(complaint_id, state="granted" if decision == "grant" else "denied", answer=reason,
                               by=actor, now=now)
    back = CaseState(complaint.state_before)
    if decision == "deny":
        _move(uow, case, back, actor=actor, reason=f"complaint denied: {reason}", now=now, policy=policy,
              payload={"complaint_id": complaint_id})
    elif complaint.complainant_side == "seller":  # the removal was wrong: put the listing back
        _put_back(uow, case, actor=actor, reason=reason, policy=policy)
        _move(uow, case, CaseState.RESTORED, actor=actor, reason=f"complaint granted: {reason}", now=now,
              policy=policy, payload={"complaint_id": complaint_id}, outcome=Outcome.REVERSED.value, decided_at=now,
              decision_reason=reason)
        _after_decision(uow, case.notifier_id, actor=actor, policy=policy, now=now)
    else:  # the notifier was right after all: take the listing down
        _take_down(uow, case, actor=actor, reason=reason, policy=policy)
        moved = _move(uow, case, CaseState.ACTIONED, actor=actor, reason=f"complaint granted: {reason}", now=now,
                      policy=policy, payload={"complaint_id": complaint_id}, outcome=Outcome.UPHELD.value,
                      decided_at=now, actioned_at=now, decision_reason=reason, manifestly_unfounded=False)
        _record_violation(uow, moved, kind="notice_upheld", actor=actor, policy=policy)
    uow.events.append(type=f"complaint.{'granted' if decision == 'grant' else 'denied'}", actor=actor,
                      subject_type="complaint", subject_id=str(complaint_id),
                      payload={"case_id": case.id, "side": complaint.complainant_side}, policy_version=policy.version,
                      reason=reason)
    user = uow.users.get(complaint.complainant_id)
    if user is not None and user.email:
        return [Mail(to=user.email, subject=f"Klean case {case.id}: your complaint was {decision}ed"
                     if decision == "grant" else f"Klean case {case.id}: your complaint was denied", text=reason)]
    return []


# --- accuracy and standing ---------------------------------------------------------------------------------

def notifier_record(*, uow: AbstractUnitOfWork, principal: Principal, user_id: str, policy: NoticePolicy,
                    now: datetime | None = None) -> dict[str, Any]:
    """Show a notifier's accuracy over the rolling window and its standing."""
    if principal.role not in (Role.ADMIN, Role.REVIEWER) and principal.user_id != user_id:
        raise Forbidden("you may see only your own record")
    now = _now(now)
    with uow:
        if uow.users.get(user_id) is None:
            raise NotFound(f"no user {user_id}", field="user_id")
        decided = uow.cases.decided_of(user_id)
        standing = uow.cases.standing(user_id)
        acc = accuracy(decided, now=now, window_days=policy.trusted_window_days, off_brand=_off_brand(uow, user_id))
        user = uow.users.get(user_id)
        return {
            "user_id": user_id, "accuracy": acc.as_dict(),
            "meets_trusted_bar": meets_trusted_bar(acc, policy),
            "trusted_lane": user.role in (Role.TRUSTED_PARTNER.value, Role.AGENCY.value)
            and standing.trusted_removed_at is None,
            "warnings": standing.warnings,
            "suspended_until": standing.suspended_until.isoformat() if standing.suspended(now) and
            standing.suspended_until else None,
            "trusted_removed_at": standing.trusted_removed_at.isoformat() if standing.trusted_removed_at else None,
            "trusted_barred_until": standing.trusted_barred_until.isoformat() if standing.trusted_barred_until
            else None,
        }


def _off_brand(uow: AbstractUnitOfWork, user_id: str) -> list[datetime]:
    """When this notifier named listings that did not allude to its notice's brand."""
    return [e.at for e in uow.events.for_subject("user", user_id) if e.type == "notifier.off_brand_listing"]


def readmit_trusted(*, uow: AbstractUnitOfWork, principal: Principal, user_id: str, policy: NoticePolicy,
                    now: datetime | None = None) -> dict[str, Any]:
    """Re-admit a removed trusted partner once its bar has passed and its record meets the bar again."""
    principal.require(Role.ADMIN)
    now = _now(now)
    with uow:
        standing = uow.cases.standing(user_id)
        if standing.trusted_removed_at is None:
            raise Conflict(f"{user_id} is not removed from the trusted lane")
        if not standing.may_be_readmitted(now):
            raise Conflict(f"re-admission is barred until {standing.trusted_barred_until:%Y-%m-%d}")
        acc = accuracy(uow.cases.decided_of(user_id), now=now, window_days=policy.trusted_window_days)
        if not meets_trusted_bar(acc, policy):
            raise Conflict(f"the record does not meet the bar: upheld {acc.upheld_share}, countered "
                           f"{acc.countered_share} over {acc.window_days} days")
        uow.cases.set_standing(replace(standing, trusted_removed_at=None), now=now)
        uow.events.append(type="notifier.trusted_readmitted", actor=principal.user_id, subject_type="user",
                          subject_id=user_id, payload=acc.as_dict(), policy_version=policy.version)
        uow.commit()
    return {"user_id": user_id, "trusted_lane": True}


def notice_policy(doc: PolicyDocument) -> NoticePolicy:
    """The [notices] section of a policy document, validated."""
    return replace(NoticePolicy.from_section(doc.section("notices"), doc.version), document=doc)
