"""Consumer reports of suspected fakes: submit (portal, API, e-mail), follow by case number, decide."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.cases import Mail, NoticePolicy
from klean.domain.errors import NotFound, ValidationError
from klean.domain.listing_refs import MAX_REFS, Reference, ReferenceRules, find_references, id_spellings
from klean.domain.messages import msg
from klean.domain.policy_file import PolicyDocument
from klean.domain.reports import (
    TEXT_MAX,
    ConsumerReport,
    ReportDraft,
    ReportState,
    clean_text,
    validate_report,
)
from klean.services.idempotency import run_once
from klean.services.notices import enforcement_kwargs
from klean.services.unit_of_work import AbstractUnitOfWork

CHANNELS = ("api", "portal", "email")
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
_NUMBER = re.compile(r"R-\d{8}-[0-9A-Z]{6}")
OPEN_REPORT_STATES = (ReportState.RECEIVED.value, ReportState.UNDER_REVIEW.value)


def _case_number(now: datetime) -> str:
    return f"R-{now:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def report_view(r: ConsumerReport) -> dict[str, Any]:
    return {"case_number": r.case_number, "state": r.state, "category": r.category, "lang": r.lang,
            "listing_id": r.listing_id, "listing_ids": list(r.listing_ids), "unknown_refs": list(r.unknown_refs),
            "channel": r.channel, "resolution": r.resolution, "created_at": r.created_at.isoformat(),
            "updated_at": r.updated_at.isoformat()}


def reference_rules(doc: PolicyDocument | None) -> ReferenceRules:
    """[reports] of the policy document: the marketplace's listing ids and links (defaults without a document)."""
    if doc is None:
        return ReferenceRules()
    return ReferenceRules.from_section(doc.section("reports"), doc.version)


def _rules(policy: NoticePolicy, rules: ReferenceRules | None) -> ReferenceRules:
    return rules if rules is not None else reference_rules(policy.document)


@dataclass(frozen=True)
class Resolved:
    """What the references of a text name: listings we have (in order), references that name none, other sites."""

    listing_ids: list[str]
    unknown: list[str]
    other_sites: list[str]
    refs: list[str]  # every reference worth keeping, as written


def resolve_references(uow: AbstractUnitOfWork, refs: list[Reference]) -> Resolved:
    """Look references up: a link by its stored URL, else by the id its shape carries; an id as written, lower- or
    upper-case. Weak references that name nothing are dropped; strong ones are kept as unknown."""
    spellings = [s for ref in refs for i in ref.ids for s in id_spellings(i)]
    have = uow.cases.existing_listing_ids(spellings)
    by_url = uow.cases.listings_by_url([ref.text for ref in refs if ref.kind == "url"])
    linked: list[str] = []
    unknown: list[str] = []
    others: list[str] = []
    kept: list[str] = []
    handled: set[str] = set()
    for ref in refs:
        keys = {i.lower() for i in ref.ids}
        found = by_url.get(ref.text) if ref.kind == "url" else None
        if found is None:
            found = next((s for i in ref.ids for s in id_spellings(i) if s in have), None)
        if found is not None:
            kept.append(ref.text)
            if found not in linked:
                linked.append(found)
            handled |= keys | {found.lower()}
        elif ref.strong:
            kept.append(ref.text)
            if not keys & handled:
                unknown.append(ref.text)
            handled |= keys
        elif ref.kind == "url" and not ref.listing_host and ref.host:
            kept.append(ref.text)
            if ref.host not in others:
                others.append(ref.host)
    return Resolved(listing_ids=linked[:MAX_REFS], unknown=unknown[:MAX_REFS], other_sites=others[:MAX_REFS],
                    refs=list(dict.fromkeys(kept))[:MAX_REFS])


def submit_report(*, uow: AbstractUnitOfWork, principal: Principal | None, draft: ReportDraft,
                  policy: NoticePolicy, channel: str = "api", reporter_key: str | None = None,
                  idempotency_key: str | None = None, now: datetime | None = None,
                  rules: ReferenceRules | None = None, reference_text: str | None = None
                  ) -> tuple[dict[str, Any], bool]:
    """Report a suspected fake; answer with a case number and a token to follow it.

    Every listing the report names is linked and counts towards its own threshold; `reference_text` is where to look
    for them when it is more than the stored text (a whole e-mail: quoted parts, links, attachment names)."""
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    draft = validate_report(draft)
    rules = _rules(policy, rules)
    now = now or datetime.now(UTC)
    signed_in = principal is not None and principal.user_id != "anonymous"
    # independence of reporters: a signed-in user, else the e-mail sender or client the adapter vouches for
    key = f"user:{principal.user_id}" if signed_in and principal is not None else reporter_key
    scope = f"report:{principal.user_id if signed_in and principal else reporter_key or 'anonymous'}"
    with uow:
        def work() -> dict[str, Any]:
            refs = find_references(reference_text if reference_text is not None else draft.text, rules,
                                   explicit=draft.listings)
            return _submit(uow, principal if signed_in else None, draft, policy, channel, key, now,
                           resolve_references(uow, refs))

        request = {"category": draft.category, "text": draft.text, "lang": draft.lang,
                   "listings": list(draft.listings), "contact_email": draft.contact_email, "channel": channel}
        return run_once(uow=uow, scope=scope, key=idempotency_key, request=request, work=work)


def _count_towards_thresholds(uow: AbstractUnitOfWork, listing_ids: list[str], policy: NoticePolicy,
                              now: datetime) -> list[str]:
    """Queue each listing whose independent reporters reach the threshold; the listings queued."""
    queued = []
    since = now - timedelta(days=policy.report_window_days)
    for listing_id in listing_ids:
        reporters = uow.reports.independent_reporters(listing_id, since=since)
        if reporters < policy.report_queue_threshold:
            continue
        stored = uow.listings.require(listing_id)
        priority = policy.report_priority_step * reporters + 10 * (stored.score or 0.0)
        uow.queue.enqueue(kind="report", subject_type="listing", subject_id=listing_id, priority=priority,
                          payload={"listing_id": listing_id, "independent_reporters": reporters})
        uow.events.append(type="listing.reports_threshold", actor="rule:consumer_reports",
                          subject_type="listing", subject_id=listing_id,
                          payload={"independent_reporters": reporters, "priority": priority,
                                   "window_days": policy.report_window_days},
                          policy_version=policy.version)
        queued.append(listing_id)
    return queued


def _answer(report: ConsumerReport, token: str | None, resolved: Resolved, queued: bool,
            now: datetime) -> dict[str, Any]:
    return {"case_number": report.case_number, "follow_token": token, "state": report.state,
            "listing_id": report.listing_id, "listing_ids": list(report.listing_ids),
            "unknown_refs": list(report.unknown_refs), "other_sites": resolved.other_sites, "queued": queued,
            "received_at": now.isoformat()}


def _submit(uow: AbstractUnitOfWork, principal: Principal | None, draft: ReportDraft, policy: NoticePolicy,
            channel: str, reporter_key: str | None, now: datetime, resolved: Resolved) -> dict[str, Any]:
    case_number = _case_number(now)
    token = secrets.token_urlsafe(18)
    reporter_key = reporter_key or f"anonymous:{case_number}"
    listing_ids = resolved.listing_ids
    report = uow.reports.add(draft=draft, case_number=case_number, follow_token_hash=_token_hash(token),
                             reporter_id=principal.user_id if principal else None, reporter_key=reporter_key,
                             channel=channel, refs=resolved.refs, listing_id=listing_ids[0] if listing_ids else None,
                             listing_ids=listing_ids, unknown_refs=resolved.unknown, now=now)
    uow.events.append(type="report.received", actor=principal.user_id if principal else f"{channel}:anonymous",
                      subject_type="report", subject_id=case_number,
                      payload={"category": draft.category, "lang": draft.lang, "channel": channel,
                               "listing_id": report.listing_id, "listing_ids": listing_ids,
                               "unknown_refs": resolved.unknown, "refs": resolved.refs},
                      policy_version=policy.version)
    queued = bool(_count_towards_thresholds(uow, listing_ids, policy, now))
    if not listing_ids:
        # nothing to match it to: a person reads it, at the bottom of the queue
        uow.queue.enqueue(kind="report", subject_type="report", subject_id=case_number, priority=0.0,
                          payload={"case_number": case_number, "refs": resolved.refs})
        queued = True
    return _answer(report, token, resolved, queued, now)


def amend_report(*, uow: AbstractUnitOfWork, case_number: str, reporter_key: str, text: str, policy: NoticePolicy,
                 reference_text: str | None = None, rules: ReferenceRules | None = None,
                 idempotency_key: str | None = None, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Add what the reporter sent later (the listing we asked for, more listings, more words) to their open report.

    Only the reporter who filed it (the same reporter key) may; otherwise, or when the report is decided, NotFound,
    and the caller files a new report. The answer has the report's whole listing set and a new follow token."""
    rules = _rules(policy, rules)
    now = now or datetime.now(UTC)
    number = case_number.strip().upper()
    with uow:
        def work() -> dict[str, Any]:
            found = uow.reports.by_number(number) if _NUMBER.fullmatch(number) else None
            if found is None or found[0].reporter_key != reporter_key or found[0].state not in OPEN_REPORT_STATES:
                raise NotFound(f"no open report {number[:40]} of this reporter", field="case_number")
            before = found[0]
            resolved = resolve_references(uow, find_references(
                reference_text if reference_text is not None else text, rules))
            addition = clean_text(text)
            stamp = f"\n\n[{now:%Y-%m-%d %H:%M} UTC]\n"
            room = TEXT_MAX - len(before.text) - len(stamp)
            new_text = before.text + (stamp + addition[:room] if addition and room > 20 else "")
            report, added = uow.reports.amend(before.id, listing_ids=resolved.listing_ids,
                                              unknown_refs=resolved.unknown, refs=resolved.refs, text=new_text,
                                              now=now)
            uow.events.append(type="report.amended", actor=f"{report.channel}:reporter", subject_type="report",
                              subject_id=number, payload={"listing_ids_added": added, "listing_ids":
                                                          list(report.listing_ids),
                                                          "unknown_refs": resolved.unknown, "refs": resolved.refs},
                              policy_version=policy.version)
            queued = bool(_count_towards_thresholds(uow, added, policy, now))
            if added and not before.listing_ids:
                # it waited at the bottom of the queue for want of a listing: the listings' thresholds take over
                uow.queue.close_for_subject("report", number, "the reporter named the listing", kind="report")
            answer = _answer(report, None, resolved, queued, now)  # the follow token stays the one first given
            answer.update(amended=True, listing_ids_added=added, unknown_refs=resolved.unknown)
            return answer

        request = {"case_number": number, "text": text, "reference_text": reference_text}
        return run_once(uow=uow, scope=f"report-amend:{reporter_key}", key=idempotency_key, request=request,
                        work=work)


def record_mail_rejection(*, uow: AbstractUnitOfWork, sender: str, message_id: str | None, reason: str, detail: str,
                          size: int, lang: str, answered: bool, now: datetime | None = None) -> bool:
    """Keep an accepted mail that made no report, with its reason; False when this very message was kept before
    (a second delivery: not answered again)."""
    with uow:
        if message_id and uow.mail_rejections.seen(sender, message_id):
            return False
        uow.mail_rejections.add(sender=sender, message_id=message_id, reason=reason, detail=detail, size=size,
                                lang=lang, answered=answered, now=now or datetime.now(UTC))
        uow.commit()
        return True


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
    """Decide the open reports on a listing (or one unmatched report) as actioned or no-action; does not commit.

    A report naming several listings is decided listing by listing: it closes when the last of them is decided
    (actioned if any was taken down), and its reporter hears of each decision in the report's language."""
    if decision not in ("remove", "dismiss"):
        raise ValidationError("a report is decided with remove or dismiss", field="decision")
    outcome = ReportState.ACTIONED.value if decision == "remove" else ReportState.NO_ACTION.value
    mails = []
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
        for r in reports:
            states = uow.reports.decide_listing(r.id, item_subject_id, outcome, now=now)
            still_open = [lid for lid, st in states.items() if st == "open"]
            if still_open:
                uow.events.append(type="report.listing_decided", actor=actor, subject_type="report",
                                  subject_id=r.case_number,
                                  payload={"listing_id": item_subject_id, "outcome": outcome,
                                           "open_listings": still_open},
                                  policy_version=policy.version, reason=reason)
            else:
                final = ReportState.ACTIONED if ReportState.ACTIONED.value in states.values() \
                    else ReportState.NO_ACTION
                _close(uow, r, final, actor, reason, policy, now)
            if r.contact_email:
                mails.append(_outcome_mail(r, item_subject_id, outcome, reason, still_open))
        return mails
    found = uow.reports.by_number(item_subject_id)
    if found is None:
        raise NotFound(f"no report {item_subject_id}")
    if decision == "remove":
        raise ValidationError("this report names no known listing: dismiss it, or file the listing first",
                          field="decision")
    r = found[0]
    _close(uow, r, ReportState.NO_ACTION, actor, reason, policy, now)
    if r.contact_email:
        mails.append(_outcome_mail(r, None, outcome, reason, []))
    return mails


def _close(uow: AbstractUnitOfWork, r: ConsumerReport, state: ReportState, actor: str, reason: str,
           policy: NoticePolicy, now: datetime) -> None:
    uow.reports.set_state(r.id, state.value, now=now, resolution=reason)
    uow.events.append(type=f"report.{state.value}", actor=actor, subject_type="report", subject_id=r.case_number,
                      payload={"listing_id": r.listing_id, "listing_ids": list(r.listing_ids)},
                      policy_version=policy.version, reason=reason)


def _outcome_mail(r: ConsumerReport, listing_id: str | None, outcome: str, reason: str, still_open: list[str]
                  ) -> Mail:
    """The reporter's news of a decision, in the language of their report."""
    removed = outcome == ReportState.ACTIONED.value
    if listing_id is None:
        subject = msg("Klean report {number}: no action", number=r.case_number)
        body = msg("Thank you for your report {number}. A reviewer looked at it and took no action: {reason}",
                   number=r.case_number, reason=reason)
    elif removed:
        subject = msg("Klean report {number}: listing {listing} taken down", number=r.case_number, listing=listing_id)
        body = msg("Thank you for your report {number}. A reviewer took listing {listing} down: {reason}",
                   number=r.case_number, listing=listing_id, reason=reason)
    else:
        subject = msg("Klean report {number}: listing {listing} stays", number=r.case_number, listing=listing_id)
        body = msg("Thank you for your report {number}. A reviewer looked at listing {listing} and found no "
                   "violation: {reason}", number=r.case_number, listing=listing_id, reason=reason)
    pending = msg("Still under review in this report: {listings}.", listings=", ".join(still_open)) \
        if still_open else None
    return Mail(to=r.contact_email or "", subject=subject.render_en(),
                text=body.render_en() + (" " + pending.render_en() if pending else ""), lang=r.lang,
                messages=(subject, body, *((pending,) if pending else ())))


def mark_under_review(*, uow: AbstractUnitOfWork, listing_id: str, now: datetime) -> None:
    """Show reporters that a person is looking at their reports; does not commit."""
    for r in uow.reports.open_for_listing(listing_id):
        if r.state == ReportState.RECEIVED:
            uow.reports.set_state(r.id, ReportState.UNDER_REVIEW.value, now=now)
