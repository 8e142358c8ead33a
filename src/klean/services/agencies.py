"""Agencies that act for many rights holders: mandates (uploaded, reviewed, expiring, ended by the member at once),
the brands an agency may file notices for, its members' cases, and its per-member report (issue 23).

The route layer validates and stores an uploaded mandate document (klean.adapters.uploads.validate_document and
blobs.BlobStore), as for a seller's proof; this service receives its sha256, sniffed media type and size.
An agency's notices go through `notices.file_notice` (single, bulk and CSV alike), which asks
`require_live_mandate` for the notice's brand; its trusted lane is the trusted partners' one, gated by its own
accuracy (`notices.in_trusted_lane`, `notices._after_decision`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.cases import Case, NoticeDraft, NoticePolicy
from klean.domain.errors import Forbidden, NotFound, ValidationError
from klean.domain.mandates import (
    Mandate,
    MandateKind,
    MandateState,
    check_transition,
    median,
    validate_mandate_dates,
    why_no_live_mandate,
)
from klean.services import notices
from klean.services.unit_of_work import AbstractUnitOfWork
from klean.signals.screener import Screener

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/gif")
REVIEWERS = (Role.ADMIN, Role.REVIEWER)
POLICY_VERSION = "mandates-1"  # mandate events are not decided under the policy file; a fixed label says so


def _today() -> date:
    return datetime.now(UTC).date()


def _agency_of(principal: Principal) -> str:
    principal.require(Role.AGENCY)
    if not principal.org:
        raise Forbidden("this agency account has no org; an admin must set it")
    return principal.org


def _reason(reason: str | None, refusal: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(refusal, field="reason")
    if len(reason) > 2000 or "\x00" in reason:
        raise ValidationError("reason: at most 2000 characters, no NUL", field="reason")
    return reason


def _may_see(principal: Principal, mandate: Mandate, owner: str | None) -> bool:
    if principal.role in REVIEWERS:
        return True
    if principal.role is Role.AGENCY:
        return principal.org is not None and principal.org == mandate.agency
    return principal.role is Role.RIGHTS_HOLDER and principal.may_manage_brand(owner)


# --- mandates ----------------------------------------------------------------------------------------------

def submit_mandate(*, uow: AbstractUnitOfWork, principal: Principal, brand_id: str, kind: str,
                   document_sha256: str, media_type: str, size: int, valid_until: date,
                   valid_from: date | None = None, today: date | None = None) -> dict[str, Any]:
    """Submit an agency's mandate for a member brand (a letter of authorisation or a membership document)."""
    agency = _agency_of(principal)
    today = today or _today()
    if kind not in {k.value for k in MandateKind}:
        raise ValidationError(f"kind: one of {', '.join(k.value for k in MandateKind)}", field="kind")
    if not _SHA256.match(document_sha256):
        raise ValidationError("document_sha256: 64 lowercase hex digits", field="document_sha256")
    if media_type not in DOCUMENT_TYPES:
        raise ValidationError(f"document type {media_type} is not accepted (PDF or image)", field="file")
    if not brand_id or len(brand_id) > 100 or "\x00" in brand_id:
        raise ValidationError("brand_id: 1-100 characters", field="brand_id")
    validate_mandate_dates(valid_from, valid_until, today=today)
    with uow:
        brand = uow.mandates.brand(brand_id)
        if brand is None:
            raise NotFound(f"no brand {brand_id} in the registry", field="brand_id")
        name, owner = brand
        uow.blobs.record(sha256=document_sha256, media_type=media_type, size=size)
        mandate = uow.mandates.add(agency=agency, brand_id=brand_id, member=owner, kind=kind,
                                   document_sha256=document_sha256, media_type=media_type, valid_from=valid_from,
                                   valid_until=valid_until, submitted_by=principal.user_id)
        uow.queue.enqueue(kind="mandate", subject_type="mandate", subject_id=str(mandate.id), priority=20.0,
                          payload={"agency": agency, "brand_id": brand_id, "brand_name": name, "member": owner})
        uow.events.append(type="mandate.submitted", actor=principal.user_id, subject_type="mandate",
                          subject_id=str(mandate.id), policy_version=POLICY_VERSION,
                          payload={"agency": agency, "brand_id": brand_id, "member": owner, "kind": kind,
                                   "document_sha256": document_sha256, "media_type": media_type,
                                   "valid_from": valid_from.isoformat() if valid_from else None,
                                   "valid_until": valid_until.isoformat()},
                          reason=f"mandate of {agency} for {name} submitted")
        uow.commit()
        return mandate.as_dict(today)


def decide_mandate(*, uow: AbstractUnitOfWork, principal: Principal, mandate_id: int, approve: bool, reason: str,
                   today: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Approve or reject a submitted mandate (reviewers), with a reason the agency can read."""
    principal.require(*REVIEWERS)
    reason = _reason(reason, "a decision on a mandate needs a reason the agency can read")
    now = now or datetime.now(UTC)
    today = today or now.date()
    with uow:
        mandate = uow.mandates.get(mandate_id, lock=True)
        target = MandateState.APPROVED if approve else MandateState.REJECTED
        check_transition(mandate.state, target)
        if approve and mandate.valid_until < today:
            raise ValidationError(f"mandate {mandate_id} ended on {mandate.valid_until}; it cannot be approved",
                                  field="valid_until")
        decided = uow.mandates.update(mandate_id, state=target, decided_by=principal.user_id, decided_at=now,
                                      decision_reason=reason)
        uow.queue.close_for_subject("mandate", str(mandate_id), f"{target.value}: {reason}", kind="mandate")
        uow.events.append(type=f"mandate.{target.value}", actor=principal.user_id, subject_type="mandate",
                          subject_id=str(mandate_id), policy_version=POLICY_VERSION, reason=reason,
                          payload={"agency": mandate.agency, "brand_id": mandate.brand_id, "member": mandate.member,
                                   "valid_until": mandate.valid_until.isoformat()})
        uow.commit()
        return decided.as_dict(today)


def end_mandate(*, uow: AbstractUnitOfWork, principal: Principal, mandate_id: int, reason: str,
                now: datetime | None = None) -> dict[str, Any]:
    """End a mandate at once: the member leaving (its rights holder), the agency giving it up, or a reviewer."""
    reason = _reason(reason, "say why the mandate ends (e.g. the member left the agency)")
    now = now or datetime.now(UTC)
    with uow:
        mandate = uow.mandates.get(mandate_id, lock=True)
        brand = uow.mandates.brand(mandate.brand_id)
        owner = brand[1] if brand else None
        if not _may_see(principal, mandate, owner):
            raise NotFound(f"no mandate {mandate_id}", field="mandate_id")
        check_transition(mandate.state, MandateState.ENDED)
        side = "member" if principal.role is Role.RIGHTS_HOLDER else \
            "agency" if principal.role is Role.AGENCY else "reviewer"
        ended = uow.mandates.update(mandate_id, state=MandateState.ENDED, ended_at=now, ended_by=principal.user_id,
                                    end_reason=reason)
        uow.queue.close_for_subject("mandate", str(mandate_id), f"ended: {reason}", kind="mandate")
        uow.events.append(type="mandate.ended", actor=principal.user_id, subject_type="mandate",
                          subject_id=str(mandate_id), policy_version=POLICY_VERSION, reason=reason,
                          payload={"agency": mandate.agency, "brand_id": mandate.brand_id, "member": mandate.member,
                                   "by": side, "from": mandate.state.value})
        uow.commit()
        return ended.as_dict(now.date())


def list_mandates(*, uow: AbstractUnitOfWork, principal: Principal, state: str | None = None,
                  today: date | None = None) -> list[dict[str, Any]]:
    """Mandates: an agency its own, a rights holder those over its brands, reviewers all."""
    today = today or _today()
    states = [state] if state else None
    with uow:
        if principal.role in REVIEWERS:
            found = uow.mandates.list(states=states)
        elif principal.role is Role.AGENCY:
            found = uow.mandates.list(agency=_agency_of(principal), states=states)
        elif principal.role is Role.RIGHTS_HOLDER and principal.org:
            found = uow.mandates.list(members=[principal.org], states=states)
        else:
            raise Forbidden("only agencies, their members' rights holders and reviewers see mandates")
        return [m.as_dict(today) for m in found]


def get_mandate(*, uow: AbstractUnitOfWork, principal: Principal, mandate_id: int,
                today: date | None = None) -> dict[str, Any]:
    """One mandate, to those who may see it."""
    today = today or _today()
    with uow:
        mandate = uow.mandates.get(mandate_id)
        brand = uow.mandates.brand(mandate.brand_id)
        if not _may_see(principal, mandate, brand[1] if brand else None):
            raise NotFound(f"no mandate {mandate_id}", field="mandate_id")
        return mandate.as_dict(today)


def require_live_mandate(*, uow: AbstractUnitOfWork, principal: Principal, brand_id: str, today: date) -> None:
    """Refuse (403, with the reason) unless the agency holds a live mandate for the brand today. Inside a unit of
    work; does not commit."""
    agency = _agency_of(principal)
    why = why_no_live_mandate(uow.mandates.list(agency=agency, brand_ids=[brand_id]), brand_id, today)
    if why is not None:
        raise Forbidden(f"you may file notices only for brands your agency holds a live mandate for: {why}",
                        field="brand_id")


def mandated_brands(*, uow: AbstractUnitOfWork, principal: Principal, today: date) -> list[str]:
    """The brands the agency holds a live mandate for today. Inside a unit of work."""
    agency = _agency_of(principal)
    return sorted({m.brand_id for m in uow.mandates.list(agency=agency) if m.live(today)})


def expire_mandates(*, uow: AbstractUnitOfWork, today: date | None = None) -> int:
    """Mark mandates past their end date expired, each with an event (they stopped counting on the day already)."""
    today = today or _today()
    n = 0
    with uow:
        for m in uow.mandates.past_end(today):
            uow.mandates.update(m.id, state=MandateState.EXPIRED)
            uow.queue.close_for_subject("mandate", str(m.id), "expired", kind="mandate")
            uow.events.append(type="mandate.expired", actor="rule:mandate_expiry", subject_type="mandate",
                              subject_id=str(m.id), policy_version=POLICY_VERSION,
                              payload={"agency": m.agency, "brand_id": m.brand_id, "member": m.member,
                                       "valid_until": m.valid_until.isoformat()},
                              reason=f"mandate {m.id} for {m.brand_id} ended on {m.valid_until}")
            n += 1
        uow.commit()
    return n


# --- bulk notices over many brands --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BulkRow:
    """One row of a bulk notice: a listing, and (when the file says) its brand and the right relied on."""
    listing: str
    brand_id: str | None = None
    registration_number: str | None = None
    office: str | None = None


MAX_BULK_ROWS = 5000


def file_bulk_notices(*, uow: AbstractUnitOfWork, principal: Principal, draft: NoticeDraft,
                      rows: Sequence[BulkRow], policy: NoticePolicy, idempotency_key: str | None = None,
                      screener: Screener | None = None, now: datetime | None = None) -> dict[str, Any]:
    """File one notice per brand named in the rows (the draft's brand where a row names none), each through the
    ordinary notice path; a brand the notifier may not act for is refused with the reason, the others filed."""
    if len(rows) > MAX_BULK_ROWS:
        raise ValidationError(f"at most {MAX_BULK_ROWS} rows per upload", field="csv")
    groups: dict[str, list[BulkRow]] = defaultdict(list)
    for row in rows:
        brand = (row.brand_id or draft.brand_id).strip()
        if not brand:
            raise ValidationError("brand_id: give it with the notice or in a brand_id column", field="brand_id")
        groups[brand].append(row)
    if not groups:
        raise ValidationError("no listings in the upload", field="csv")
    filed: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    forbidden = False
    for brand, group in groups.items():
        right = draft.right
        reg = next((r.registration_number for r in group if r.registration_number), None)
        office = next((r.office for r in group if r.office), None)
        if reg or office:
            right = replace(right, registration_number=reg or right.registration_number,
                            office=office or right.office)
        one = replace(draft, brand_id=brand, right=right, listings=tuple(dict.fromkeys(r.listing for r in group)))
        try:
            answer, _ = notices.file_notice(uow=uow, principal=principal, draft=one, policy=policy,
                                            idempotency_key=f"{idempotency_key}:{brand}" if idempotency_key
                                            else None, screener=screener, now=now)
        except notices.IncompleteNotice:
            raise  # the same statement for every brand: answered with every missing element
        except (Forbidden, NotFound, ValidationError) as exc:
            forbidden = forbidden or isinstance(exc, Forbidden)
            refused.append({"brand_id": brand, "listings": list(one.listings), "reason": exc.message})
            continue
        filed.append({"brand_id": brand, **answer})
    if not filed:
        reasons = "; ".join(f"{r['brand_id']}: {r['reason']}" for r in refused)
        if forbidden:
            raise Forbidden(f"no notice filed: {reasons}", field="brand_id")
        raise ValidationError(f"no notice filed: {reasons}", field="listings")
    return {"notices": filed, "refused": refused,
            "cases": sum(len(f.get("cases") or []) for f in filed)}


# --- the agency's members' cases and its report ----------------------------------------------------------

def member_cases(*, uow: AbstractUnitOfWork, principal: Principal, state: str | None = None,
                 today: date | None = None) -> list[Case]:
    """The cases on the brands the agency holds a live mandate for (whoever filed them), and its own notices'."""
    today = today or _today()
    with uow:
        brands = mandated_brands(uow=uow, principal=principal, today=today)
        seen = {c.id: c for c in uow.mandates.cases(brand_ids=brands, state=state)}
        for c in uow.cases.list(notifier_id=principal.user_id, state=state, limit=10_000):
            seen.setdefault(c.id, c)
        return sorted(seen.values(), key=lambda c: c.id, reverse=True)


def may_see_case(*, uow: AbstractUnitOfWork, principal: Principal, case: Case, today: date | None = None) -> bool:
    """An agency sees a case it filed, or one on a brand it holds a live mandate for. Inside a unit of work."""
    if principal.role is not Role.AGENCY:
        return False
    if case.notifier_id == principal.user_id:
        return True
    return case.brand_id in mandated_brands(uow=uow, principal=principal, today=today or _today())


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(0.9 * len(s)))]


def member_report(*, uow: AbstractUnitOfWork, principal: Principal, agency: str | None = None,
                  member: str | None = None, since: datetime | None = None,
                  today: date | None = None) -> dict[str, Any]:
    """Per member brand: notices filed by the agency, listings removed, sellers restricted, time to action."""
    if principal.role is Role.AGENCY:
        agency = _agency_of(principal)
    elif principal.role in REVIEWERS:
        if not agency:
            raise ValidationError("agency: which agency's report", field="agency")
    else:
        raise Forbidden("only an agency (its own) and reviewers see an agency's report")
    today = today or _today()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with uow:
        mandates = uow.mandates.list(agency=agency)
        if member is not None:
            mandates = [m for m in mandates if m.member == member]
        users = uow.mandates.agency_users(agency)
        brands = sorted({m.brand_id for m in mandates})
        cases = uow.mandates.cases(brand_ids=brands, notifier_ids=users)
        if since is not None:
            cases = [c for c in cases if c.created_at >= since]
        by_brand: dict[str, list[Case]] = defaultdict(list)
        for c in cases:
            by_brand[c.brand_id].append(c)
        rows: dict[str, dict[str, Any]] = {}
        member_tta: dict[str, list[float]] = defaultdict(list)  # over every removal, not a median of medians
        member_restricted: dict[str, set[str]] = defaultdict(set)  # a seller counted once per member
        for brand_id in brands:
            mine = [m for m in mandates if m.brand_id == brand_id]
            latest = max(mine, key=lambda m: m.id)
            bc = by_brand.get(brand_id, [])
            removed = [c for c in bc if c.actioned_at is not None
                       and c.outcome not in ("reversed", "counter_restored")]
            first_removal: dict[str, datetime] = {}
            for c in removed:
                at = c.actioned_at or c.created_at
                if c.seller_id not in first_removal or at < first_removal[c.seller_id]:
                    first_removal[c.seller_id] = at
            restricted = uow.mandates.restricted_since(first_removal)
            tta = [t for c in removed if (t := c.time_to_action_seconds()) is not None]
            key = latest.member or "(no owner)"
            row = rows.setdefault(key, {"member": latest.member, "brands": []})
            member_tta[key] += tta
            member_restricted[key] |= restricted
            row["brands"].append({
                "brand_id": brand_id, "mandate_id": latest.id, "mandate_live": any(m.live(today) for m in mine),
                "why_not_live": why_no_live_mandate(mine, brand_id, today),
                "valid_until": max(m.valid_until for m in mine).isoformat(),
                "notices": len({c.notice_id for c in bc}), "cases": len(bc),
                "open": sum(1 for c in bc if c.state in ("received", "under_review")),
                "listings_removed": len({c.listing_id for c in removed}),
                "rejected": sum(1 for c in bc if c.outcome == "rejected"),
                "reversed": sum(1 for c in bc if c.outcome in ("reversed", "counter_restored")),
                "sellers_restricted": len(restricted),
                "time_to_action_median_seconds": median(tta), "time_to_action_p90_seconds": _p90(tta),
            })
        members = []
        for key, row in rows.items():
            b = row["brands"]
            members.append({**row, "totals": {
                "notices": sum(x["notices"] for x in b), "cases": sum(x["cases"] for x in b),
                "listings_removed": sum(x["listings_removed"] for x in b),
                "sellers_restricted": len(member_restricted[key]),
                "time_to_action_median_seconds": median(member_tta[key]),
                "time_to_action_p90_seconds": _p90(member_tta[key])}})
        return {"agency": agency, "as_of": today.isoformat(), "since": since.isoformat() if since else None,
                "members": sorted(members, key=lambda r: r["member"] or "")}
