"""Consumer reports of suspected fakes: submit (portal, API, e-mail), follow by case number, decide."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.cases import Mail, NoticePolicy
from klean.domain.errors import NotFound, ValidationError
from klean.domain.reports import ConsumerReport, ReportDraft, ReportState, extract_refs, url_candidates, validate_report
from klean.services.idempotency import run_once
from klean.services.notices import enforcement_kwargs
from klean.services.unit_of_work import AbstractUnitOfWork

CHANNELS = ("api", "portal", "email")
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
_NUMBER = re.compile(r"R-\d{8}-[0-9A-Z]{6}")


def _case_number(now: datetime) -> str:
    return f"R-{now:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def report_view(r: ConsumerReport) -> dict[str, Any]:
    return {"case_number": r.case_number, "state": r.state, "category": r.category, "lang": r.lang,
            "listing_id": r.listing_id, "channel": r.channel, "resolution": r.resolution,
            "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat()}


def submit_report(*, uow: AbstractUnitOfWork, principal: Principal | None, draft: ReportDraft,
                  policy: NoticePolicy, channel: str = "api", reporter_key: str | None = None,
                  idempotency_key: str | None = None, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Report a suspected fake; answer with a case number and a token to follow it."""
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    draft = validate_report(draft)
    now = now or datetime.now(UTC)
    signed_in = principal is not None and principal.user_id != "anonymous"
    # independence of reporters: a signed-in user, else the e-mail sender or client the adapter vouches for
    key = f"user:{principal.user_id}" if signed_in and principal is not None else reporter_key
    scope = f"report:{principal.user_id if signed_in and principal else reporter_key or 'anonymous'}"
    with uow:
        def work() -> dict[str, Any]:
            return _submit(uow, principal if signed_in else None, draft, policy, channel, key, now)

        request = {"category": draft.category, "text": draft.text, "lang": draft.lang,
                   "listings": list(draft.listings), "contact_email": draft.contact_email, "channel": channel}
        return run_once(uow=uow, scope=scope, key=idempotency_key, request=request, work=work)


def _submit(uow: AbstractUnitOfWork, principal: Principal | None, draft: ReportDraft, policy: NoticePolicy,
            channel: str, reporter_key: str | None, now: datetime) -> dict[str, Any]:
    refs = list(dict.fromkeys([*draft.listings, *extract_refs(draft.text)]))
    listing_id = None
    for ref in refs:
        listing_id = uow.cases.resolve_listing(ref, url_candidates(ref))
        if listing_id is not None:
            break
    case_number = _case_number(now)
    token = secrets.token_urlsafe(18)
    reporter_key = reporter_key or f"anonymous:{case_number}"
    report = uow.reports.add(draft=draft, case_number=case_number, follow_token_hash=_token_hash(token),
                             reporter_id=principal.user_id if principal else None, reporter_key=reporter_key,
                             channel=channel, refs=refs, listing_id=listing_id, now=now)
    uow.events.append(type="report.received", actor=principal.user_id if principal else f"{channel}:anonymous",
                      subject_type="report", subject_id=case_number,
                      payload={"category": draft.category, "lang": draft.lang, "channel": channel,
                               "listing_id": listing_id, "refs": refs[:20]},
                      policy_version=policy.version)
    queued = False
    if listing_id is not None:
        since = now - timedelta(days=policy.report_window_days)
        reporters = uow.reports.independent_reporters(listing_id, since=since)
        if reporters >= policy.report_queue_threshold:
            stored = uow.listings.require(listing_id)
            priority = policy.report_priority_step * reporters + 10 * (stored.score or 0.0)
            uow.queue.enqueue(kind="report", subject_type="listing", subject_id=listing_id, priority=priority,
                              payload={"listing_id": listing_id, "independent_reporters": reporters})
            uow.events.append(type="listing.reports_threshold", actor="rule:consumer_reports",
                              subject_type="listing", subject_id=listing_id,
                              payload={"independent_reporters": reporters, "priority": priority,
                                       "window_days": policy.report_window_days},
                              policy_version=policy.version)
            queued = True
    else:
        # nothing to match it to: a person reads it, at the bottom of the queue
        uow.queue.enqueue(kind="report", subject_type="report", subject_id=case_number, priority=0.0,
                          payload={"case_number": case_number, "refs": refs[:20]})
        queued = True
    return {"case_number": case_number, "follow_token": token, "state": report.state, "listing_id": listing_id,
            "queued": queued, "received_at": now.isoformat()}


def follow_report(*, uow: AbstractUnitOfWork, case_number: str, token: str | None = None,
                  principal: Principal | None = None) -> dict[str, Any]:
    """Show a report's status to whoever holds its follow token (or the signed-in reporter, or staff)."""
    number = case_number.strip().upper()
    if not _NUMBER.fullmatch(number):
        raise NotFound(f"no report {case_number[:40]!r}", field="case_number")
    with uow:
        found = uow.reports.by_number(number)
        if found is None:
            raise NotFound(f"no report {case_number}", field="case_number")
        report, token_hash = found
        allowed = (token is not None and hmac.compare_digest(_token_hash(token), token_hash)) or (
            principal is not None and (principal.role in (Role.ADMIN, Role.REVIEWER)
                                       or (report.reporter_id is not None and report.reporter_id == principal.user_id)))
        if not allowed:
            raise NotFound(f"no report {case_number} with that token", field="token")  # never confirm it exists
        return report_view(report)


def decide_reports(*, uow: AbstractUnitOfWork, item_subject_type: str, item_subject_id: str, actor: str,
                   decision: str, reason: str, policy: NoticePolicy, now: datetime,
                   record_violation: Any = None) -> list[Mail]:
    """Close the open reports on a listing (or one unmatched report) as actioned or no-action; does not commit."""
    if decision not in ("remove", "dismiss"):
        raise ValidationError("a report is decided with remove or dismiss", field="decision")
    if item_subject_type == "listing":
        reports = uow.reports.open_for_listing(item_subject_id)
        if decision == "remove":
            stored = uow.listings.require(item_subject_id)
            if stored.status not in ("removed", "blocked", "withdrawn"):
                snap = uow.listings.set_status(item_subject_id, "removed", cause=f"reports:{item_subject_id}")
                uow.events.append(type="listing.removed", actor=actor, subject_type="listing",
                                  subject_id=item_subject_id,
                                  payload={"cause": f"reports:{item_subject_id}", "from": stored.status,
                                           "snapshot_id": snap.id, "snapshot_sha256": snap.sha256,
                                           "reports": [r.case_number for r in reports]},
                                  policy_version=policy.version, reason=reason)
                if record_violation is not None:
                    record_violation(uow=uow, seller_id=stored.listing.seller_id, kind="counterfeit_confirmed",
                                     actor=actor, cause_ref=f"reports:{item_subject_id}:{snap.id}",
                                     listing_id=item_subject_id, evidence=[f"report:{r.case_number}" for r in reports],
                                     **enforcement_kwargs(policy))
    else:
        found = uow.reports.by_number(item_subject_id)
        if found is None:
            raise NotFound(f"no report {item_subject_id}")
        reports = [found[0]]
        if decision == "remove":
            raise ValidationError("this report names no known listing: dismiss it, or file the listing first",
                                  field="decision")
    state = ReportState.ACTIONED if decision == "remove" else ReportState.NO_ACTION
    mails = []
    for r in reports:
        uow.reports.set_state(r.id, state.value, now=now, resolution=reason)
        uow.events.append(type=f"report.{state.value}", actor=actor, subject_type="report", subject_id=r.case_number,
                          payload={"listing_id": r.listing_id}, policy_version=policy.version, reason=reason)
        if r.contact_email:
            mails.append(Mail(to=r.contact_email, subject=f"Klean report {r.case_number}: {state.value}",
                              text=f"Thank you for your report {r.case_number}. Outcome: {state.value}. {reason}"))
    return mails


def mark_under_review(*, uow: AbstractUnitOfWork, listing_id: str, now: datetime) -> None:
    """Show reporters that a person is looking at their reports; does not commit."""
    for r in uow.reports.open_for_listing(listing_id):
        if r.state == ReportState.RECEIVED:
            uow.reports.set_state(r.id, ReportState.UNDER_REVIEW.value, now=now)
