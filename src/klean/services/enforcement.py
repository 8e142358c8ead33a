"""Enforcement: apply the policy ladder to confirmed violations, reverse on cause or appeal, show standing.

`record_violation` and `reverse_for_cause` join the caller's transaction (they never commit): other
features call them inside their own `with uow:` block. Every action is an enforcement_actions row plus an
event carrying the actor, the policy version, the rule that fired, the evidence and a statement of reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from klean.config import get_settings
from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from klean.domain.messages import Message, msg
from klean.domain.policy import (
    Action,
    ActionRecord,
    EnforcementPolicy,
    Violation,
    decide,
    reversal_actions,
    statement_of_reasons,
)
from klean.domain.policy_file import PolicyDocument, read_policy
from klean.domain.verification import ProofState
from klean.services.unit_of_work import AbstractUnitOfWork

REVIEWERS = (Role.REVIEWER, Role.ADMIN)
_EVENT_TYPE = {"remove_listing": "enforcement.listing_removed", "warning": "enforcement.warning",
               "strike": "enforcement.strike_added", "restriction": "enforcement.restricted",
               "suspension": "enforcement.suspended"}
_REVERSAL_TYPE = {"remove_listing": "enforcement.listing_restored", "warning": "enforcement.warning_withdrawn",
                  "strike": "enforcement.strike_removed", "restriction": "enforcement.restriction_lifted",
                  "suspension": "enforcement.suspension_lifted"}


def _now() -> datetime:
    return datetime.now(UTC)


def check_text(**values: str | None) -> None:
    """Refuse identifiers and texts that no database column can hold (NUL, over 200 characters for ids)."""
    for name, value in values.items():
        if value is None:
            continue
        if "\x00" in value:
            raise ValidationError(f"{name} must not contain NUL characters", field=name)
        if name.endswith("_id") and len(value) > 200:
            raise ValidationError(f"{name}: at most 200 characters", field=name)


def required_reason(reason: str | None, refusal: str) -> str:
    """The reason, trimmed; a ValidationError saying `refusal` when there is none (decisions must explain
    themselves to the person they affect)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(refusal, field="reason")
    return reason


_PARSED: dict[int, tuple[PolicyDocument, EnforcementPolicy]] = {}


def _policy_from(doc: PolicyDocument) -> EnforcementPolicy:
    # Keyed by identity (a document holds dicts, so it is not hashable); the document is kept alive with it.
    hit = _PARSED.get(id(doc))
    if hit is not None and hit[0] is doc:
        return hit[1]
    parsed = EnforcementPolicy.from_section(doc.section("enforcement"), doc.version)
    if len(_PARSED) > 32:
        _PARSED.clear()
    _PARSED[id(doc)] = (doc, parsed)
    return parsed


@lru_cache(maxsize=1)
def _bundled_or_configured(path: str | None) -> PolicyDocument:
    from pathlib import Path

    return read_policy(Path(path) if path else None)


def policy_of(doc: PolicyDocument) -> EnforcementPolicy:
    """Return the enforcement policy of a policy document (validated once per document)."""
    return _policy_from(doc)


def current_policy() -> EnforcementPolicy:
    """Return the enforcement policy in force (KLEAN_POLICY_PATH or the bundled default)."""
    path = get_settings().policy_path
    return _policy_from(_bundled_or_configured(str(path) if path else None))


def _statement_dict(message: Message) -> dict[str, Any]:
    return {"template": message.template, "params": dict(message.params), "text": message.render_en()}


def _recompute_status(uow: AbstractUnitOfWork, *, seller_id: str, actor: str, policy_version: str,
                      now: datetime) -> str:
    """Set the seller's status from its active sanctions; append an event when it changes."""
    # Only sanctions set a status: reading them alone keeps a seller's many strikes out of every violation.
    active = [a for a in uow.enforcement.active_sanctions(seller_id)
              if a.expires_at is None or a.expires_at > now]
    status = "suspended" if any(a.kind == "suspension" for a in active) else \
        "restricted" if any(a.kind == "restriction" for a in active) else "active"
    before = uow.enforcement.seller_status(seller_id)
    if before != status:
        uow.enforcement.set_seller_status(seller_id, status)
        uow.events.append(type="seller.status_changed", actor=actor, subject_type="seller", subject_id=seller_id,
                          payload={"from": before, "to": status}, policy_version=policy_version,
                          reason=f"seller status {before} -> {status}")
    return status


def _apply(uow: AbstractUnitOfWork, *, action: Action, seller_id: str, violation: Violation, actor: str,
           policy: EnforcementPolicy, evidence: Sequence[str], now: datetime) -> ActionRecord:
    payload: dict[str, Any] = {}
    target, state = action.target, "active"
    action_evidence = list(evidence)
    if action.kind == "remove_listing":
        assert action.listing_id is not None
        stored = uow.listings.get(action.listing_id)
        if stored is not None and stored.status in ("live", "held"):
            snap = uow.listings.set_status(action.listing_id, "removed", cause=violation.cause_ref)
            target = stored.status  # the status a reversal restores
            payload.update(snapshot_id=snap.id, snapshot_sha256=snap.sha256)
            action_evidence.append(f"snapshot:{snap.id}:{snap.sha256}")
        else:  # already down (blocked, removed, withdrawn): nothing to take away, nothing to restore
            state = "done"
    elif action.kind == "warning":
        state = "done"
    record = uow.enforcement.add(
        seller_id=seller_id, kind=action.kind, state=state, rule=action.rule, ground=action.ground,
        violation_kind=violation.kind, cause_ref=violation.cause_ref, actor=actor, policy_version=policy.version,
        weight=action.weight, scope=action.scope, target=target, threshold=action.threshold,
        listing_id=action.listing_id or violation.listing_id, brand_id=violation.brand_id,
        category=violation.category, evidence=action_evidence, expires_at=action.expires_at, created_at=now)
    statement = statement_of_reasons(action, violation_kind=violation.kind, cause_ref=violation.cause_ref,
                                     policy_version=policy.version, evidence=action_evidence,
                                     appeal_until=now + timedelta(days=policy.appeal_window_days),
                                     action_id=record.id, base_url=get_settings().public_url)
    event = uow.events.append(
        type=_EVENT_TYPE[action.kind], actor=actor, subject_type="seller", subject_id=seller_id,
        payload={"action_id": record.id, **action.as_dict(), "violation": violation.kind,
                 "cause_ref": violation.cause_ref, "brand_id": violation.brand_id, "evidence": action_evidence,
                 "statement": _statement_dict(statement), **payload},
        policy_version=policy.version, reason=statement.render_en())
    uow.enforcement.set_statement(record.id, _statement_dict(statement), event.seq)
    return uow.enforcement.get(record.id)  # type: ignore[no-any-return]


def _evidence(evidence: Any) -> tuple[list[str], Any]:
    """Evidence links (strings the statement of reasons lists) and the structured detail kept in the event."""
    if evidence is None:
        return [], None
    if isinstance(evidence, str):
        return [evidence], None
    if isinstance(evidence, Mapping):
        links = [f"{k}:{v}" for k, v in sorted(evidence.items(), key=lambda kv: str(kv[0]))
                 if isinstance(v, str | int | float) and not isinstance(v, bool)]
        return links, dict(evidence)
    return [str(e) for e in evidence], None


def record_violation(*, uow: AbstractUnitOfWork, seller_id: str, kind: str, actor: str, cause_ref: str,
                     listing_id: str | None = None, brand_id: str | None = None,
                     evidence: Sequence[str] | Mapping[str, Any] | None = None, policy: EnforcementPolicy | None = None,
                     now: datetime | None = None) -> list[dict[str, Any]]:
    """Apply the policy ladder to a confirmed violation inside the caller's transaction (no commit).

    actor: the person who confirmed it (user id) or the rule ("rule:screening"). Returns the actions taken.
    """
    pol = policy or current_policy()
    now = now or _now()
    if not seller_id:
        raise ValidationError("a violation needs a seller", field="seller_id")
    if not cause_ref:
        raise ValidationError("a violation needs its cause (e.g. case:12)", field="cause_ref")
    pol.rule_for(kind)
    links, detail = _evidence(evidence)
    category = None
    if listing_id is not None:
        stored = uow.listings.get(listing_id)  # a notice may name a listing this marketplace never stored
        if stored is not None:
            if stored.listing.seller_id != seller_id:
                raise ValidationError(f"listing {listing_id} belongs to another seller", field="listing_id")
            category = stored.listing.category
            if brand_id is None and len(stored.brand_ids) == 1:
                brand_id = stored.brand_ids[0]
    earlier = [a for a in uow.enforcement.by_cause(cause_ref) if a.seller_id == seller_id
               and a.state not in ("reversed", "lifted")]
    if any(a.violation_kind == kind for a in earlier):
        return []  # the same finding recorded twice must not count twice
    counted = sum(a.weight for a in earlier if a.kind == "strike")
    violation = Violation(kind=kind, cause_ref=cause_ref, listing_id=listing_id, brand_id=brand_id,
                          category=category, counted_weight=counted)
    # The running totals, not the whole history: the cost of a violation does not grow with the seller's past.
    history = uow.enforcement.current_history(seller_id, now)
    actions = decide(history, violation, pol, now)
    uow.events.append(type="enforcement.violation_recorded", actor=actor, subject_type="seller",
                      subject_id=seller_id, policy_version=pol.version,
                      payload={"kind": kind, "cause_ref": cause_ref, "listing_id": listing_id, "brand_id": brand_id,
                               "evidence": links, "evidence_detail": detail, "counted_before": counted,
                               "points_before": history.points(now),
                               "actions": [a.as_dict() for a in actions]},
                      reason=f"{kind.replace('_', ' ')} ({cause_ref})")
    records = [_apply(uow, action=a, seller_id=seller_id, violation=violation, actor=actor, policy=pol,
                      evidence=links, now=now) for a in actions]
    _recompute_status(uow, seller_id=seller_id, actor=actor, policy_version=pol.version, now=now)
    return [r.as_dict() for r in records]


def _reverse_one(uow: AbstractUnitOfWork, record: ActionRecord, *, actor: str, reason: str,
                 policy_version: str, now: datetime, end_state: str = "reversed") -> None:
    payload: dict[str, Any] = {"action_id": record.id, "kind": record.kind, "cause_ref": record.cause_ref}
    if record.kind == "remove_listing" and record.state == "active" and record.listing_id:
        stored = uow.listings.get(record.listing_id)
        if stored is not None and stored.status == "removed":
            snap = uow.listings.set_status(record.listing_id, record.target or "live", cause=f"reversal:{record.id}")
            payload.update(listing_id=record.listing_id, snapshot_id=snap.id, snapshot_sha256=snap.sha256,
                           restored_status=record.target or "live", **{"from": "removed"})
    uow.enforcement.end(record.id, state=end_state, reason=reason, at=now)
    event_type = _REVERSAL_TYPE[record.kind] if end_state == "reversed" else f"enforcement.{record.kind}_{end_state}"
    uow.events.append(type=event_type, actor=actor, subject_type="seller", subject_id=record.seller_id,
                      payload=payload, policy_version=policy_version, reason=reason)


def _lift_unearned(uow: AbstractUnitOfWork, *, seller_id: str, actor: str, policy: EnforcementPolicy,
                   now: datetime) -> int:
    """Lift ladder sanctions whose threshold the seller's points no longer reach (after a reversal)."""
    lifted = 0
    for lift in reversal_actions(uow.enforcement.current_history(seller_id, now), policy, now):
        assert lift.ends is not None
        record = uow.enforcement.get(int(lift.ends))
        if record is not None and record.state == "active":
            _reverse_one(uow, record, actor=actor, reason=lift.ground, policy_version=policy.version, now=now,
                         end_state="lifted")
            lifted += 1
    return lifted


def reverse_for_cause(*, uow: AbstractUnitOfWork, cause_ref: str, actor: str, reason: str,
                      policy: EnforcementPolicy | None = None, now: datetime | None = None,
                      seller_id: str | None = None) -> int:
    """Undo (by new events) every action caused by cause_ref, inside the caller's transaction; return how many."""
    pol = policy or current_policy()
    now = now or _now()
    if not reason or not reason.strip():
        raise ValidationError("a reversal needs a reason", field="reason")
    records = [r for r in uow.enforcement.by_cause(cause_ref) if r.state in ("active", "done")
               and (seller_id is None or r.seller_id == seller_id)]
    for r in records:
        _reverse_one(uow, r, actor=actor, reason=reason, policy_version=pol.version, now=now)
    for sid in sorted({r.seller_id for r in records}):
        _lift_unearned(uow, seller_id=sid, actor=actor, policy=pol, now=now)
        _recompute_status(uow, seller_id=sid, actor=actor, policy_version=pol.version, now=now)
    return len(records)


def expire_due(*, uow: AbstractUnitOfWork, policy: EnforcementPolicy | None = None,
               now: datetime | None = None) -> int:
    """Expire strikes and restrictions whose time is up, inside the caller's transaction; return how many."""
    pol = policy or current_policy()
    now = now or _now()
    due = uow.enforcement.due_to_expire(now)
    for r in due:
        uow.enforcement.end(r.id, state="expired", reason="expired", at=now)
        uow.events.append(type=f"enforcement.{r.kind}_expired", actor="rule:expiry", subject_type="seller",
                          subject_id=r.seller_id, policy_version=pol.version,
                          payload={"action_id": r.id, "expires_at": r.expires_at.isoformat() if r.expires_at else None},
                          reason=f"{r.kind} {r.id} reached its end on {r.expires_at}")
    for sid in sorted({r.seller_id for r in due}):
        _recompute_status(uow, seller_id=sid, actor="rule:expiry", policy_version=pol.version, now=now)
    return len(due)


# --- people-facing use cases ---------------------------------------------------------------------------------


def _visible_action(uow: AbstractUnitOfWork, principal: Principal, action_id: int) -> ActionRecord:
    record = uow.enforcement.get(action_id)
    # A seller never learns whether another seller's action exists: the same 404 either way.
    if record is None or (principal.role is Role.SELLER and record.seller_id != principal.seller_id) \
            or principal.role not in (Role.SELLER, *REVIEWERS):
        raise NotFound(f"no enforcement action {action_id}", field="action_id")
    return record


def _check_seller_access(principal: Principal, seller_id: str) -> None:
    check_text(seller_id=seller_id)
    if principal.role in REVIEWERS:
        return
    if principal.role is Role.SELLER and principal.seller_id == seller_id:
        return
    raise NotFound(f"no seller {seller_id}", field="seller_id")


def get_action(*, uow: AbstractUnitOfWork, principal: Principal, action_id: int) -> dict[str, Any]:
    """Return one action with its statement of reasons and appeals (sellers: their own only)."""
    with uow:
        record = _visible_action(uow, principal, action_id)
        return {**record.as_dict(), "appeals": [a.as_dict() for a in uow.appeals.for_action(action_id)]}


def list_actions(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str | None = None,
                 state: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """List actions: a seller its own; reviewers any seller's, or all recent ones."""
    check_text(seller_id=seller_id)
    if principal.role is Role.SELLER:
        if seller_id is not None and seller_id != principal.seller_id:
            raise NotFound(f"no seller {seller_id}", field="seller_id")
        seller_id = principal.seller_id
    elif principal.role not in REVIEWERS:
        raise Forbidden("only sellers (their own) and reviewers may see enforcement actions")
    if not 1 <= limit <= 500:
        raise ValidationError("limit: 1-500", field="limit")
    with uow:
        if seller_id is not None:
            records = uow.enforcement.for_seller(seller_id, states=[state] if state else None)
            return [r.as_dict() for r in records[offset: offset + limit]]
        return [r.as_dict() for r in uow.enforcement.list(state=state, limit=limit, offset=offset)]


def standing(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str,
             policy: EnforcementPolicy | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Return a seller's standing: status, active points and ladder level, strikes with expiry, open actions."""
    _check_seller_access(principal, seller_id)
    pol = policy or current_policy()
    now = now or _now()
    with uow:
        records = uow.enforcement.for_seller(seller_id)
        history = uow.enforcement.history(seller_id)
        points = history.points(now)
        level = pol.level(points)
        nxt = next((s for s in pol.ladder if s.points > points), None)
        open_appeals = {a.action_id for a in uow.appeals.for_seller(seller_id) if a.state == "open"}
        return {
            "seller_id": seller_id,
            "status": uow.enforcement.seller_status(seller_id),
            "points": points,
            "ladder_step": pol.ladder[level].rule if level >= 0 else None,
            "next_step": {"points": nxt.points, "action": nxt.action, "scope": nxt.scope} if nxt else None,
            "policy_version": pol.version,
            "strikes": [{"id": r.id, "weight": r.weight, "cause_ref": r.cause_ref,
                         "created_at": r.created_at.isoformat(),
                         "expires_at": r.expires_at.isoformat() if r.expires_at else None, "state": r.state}
                        for r in records if r.kind == "strike"],
            "open_actions": [{**r.as_dict(), "appeal_open": r.id in open_appeals} for r in records
                             if r.state == "active" and (r.expires_at is None or r.expires_at > now)],
            "appeals": [a.as_dict() for a in uow.appeals.for_seller(seller_id)],
        }


def file_appeal(*, uow: AbstractUnitOfWork, principal: Principal, action_id: int, grounds: str,
                policy: EnforcementPolicy | None = None, now: datetime | None = None) -> dict[str, Any]:
    """File a seller's appeal against one of its actions; it goes to the reviewer queue."""
    principal.require(Role.SELLER)
    check_text(grounds=grounds)
    pol = policy or current_policy()
    now = now or _now()
    grounds = (grounds or "").strip()
    if not 10 <= len(grounds) <= 5000:
        raise ValidationError("grounds: say why the decision is wrong, 10-5000 characters", field="grounds")
    with uow:
        record = _visible_action(uow, principal, action_id)
        if record.state not in ("active", "done"):
            raise Conflict(f"action {action_id} is {record.state}: there is nothing to appeal")
        if now > record.created_at + timedelta(days=pol.appeal_window_days):
            raise Conflict(f"the appeal window of {pol.appeal_window_days} days for action {action_id} has closed")
        if any(a.state == "open" for a in uow.appeals.for_action(action_id)):
            raise Conflict(f"action {action_id} already has an open appeal")
        appeal = uow.appeals.add(action_id=action_id, seller_id=record.seller_id, filed_by=principal.user_id,
                                 grounds=grounds)
        uow.queue.enqueue(kind="appeal", subject_type="appeal", subject_id=str(appeal.id), priority=30.0,
                          payload={"action_id": action_id, "seller_id": record.seller_id,
                                   "decided_by": record.actor, "kind": record.kind})
        uow.events.append(type="appeal.filed", actor=principal.user_id, subject_type="seller",
                          subject_id=record.seller_id, policy_version=pol.version,
                          payload={"appeal_id": appeal.id, "action_id": action_id, "cause_ref": record.cause_ref},
                          reason=grounds)
        uow.commit()
        return appeal.as_dict()


def decide_appeal(*, uow: AbstractUnitOfWork, principal: Principal, appeal_id: int, outcome: str, reason: str,
                  policy: EnforcementPolicy | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Uphold or reverse an appeal; the reviewer must not be the person who made the decision appealed."""
    principal.require(*REVIEWERS)
    if outcome not in ("uphold", "reverse"):
        raise ValidationError("outcome: uphold (the action stands) or reverse (it is undone)", field="outcome")
    reason = required_reason(reason, "a decision on an appeal needs a reason the seller can read")
    pol = policy or current_policy()
    now = now or _now()
    with uow:
        appeal = uow.appeals.get(appeal_id)
        if appeal is None:
            raise NotFound(f"no appeal {appeal_id}", field="appeal_id")
        if appeal.state != "open":
            raise Conflict(f"appeal {appeal_id} was already decided ({appeal.state})")
        record = uow.enforcement.get(appeal.action_id)
        assert record is not None
        if record.actor == principal.user_id:
            raise Forbidden("you made the decision under appeal; another reviewer must decide it")
        reversed_count = 0
        if outcome == "reverse":
            reversed_count = reverse_for_cause(uow=uow, cause_ref=record.cause_ref, actor=principal.user_id,
                                               reason=f"appeal {appeal_id} granted: {reason}", policy=pol, now=now,
                                               seller_id=record.seller_id)
        decided = uow.appeals.decide(appeal_id, state="reversed" if outcome == "reverse" else "upheld",
                                     decided_by=principal.user_id, reason=reason)
        uow.queue.close_for_subject("appeal", str(appeal_id), f"{outcome}: {reason}", kind="appeal")
        uow.events.append(type="appeal.reversed" if outcome == "reverse" else "appeal.upheld",
                          actor=principal.user_id, subject_type="seller", subject_id=record.seller_id,
                          policy_version=pol.version, reason=reason,
                          payload={"appeal_id": appeal_id, "action_id": record.id, "cause_ref": record.cause_ref,
                                   "actions_reversed": reversed_count})
        uow.commit()
        return {**decided.as_dict(), "actions_reversed": reversed_count}


def list_open_appeals(*, uow: AbstractUnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    """List open appeals for reviewers, each with the action it contests."""
    principal.require(*REVIEWERS)
    with uow:
        out = []
        for a in uow.appeals.open():
            record = uow.enforcement.get(a.action_id)
            out.append({**a.as_dict(), "action": record.as_dict() if record else None,
                        "you_decided_it": record is not None and record.actor == principal.user_id})
        return out


# --- listing gate: restrictions and missing authorisations -----------------------------------------------------


def check_can_list(*, uow: AbstractUnitOfWork, seller_id: str, brand_ids: Sequence[str] = (),
                   category: str | None = None, now: datetime | None = None) -> None:
    """Raise Forbidden (with the reason) when a restriction or suspension bars this seller from this listing.

    For services.screening.submit_listing: call it inside its `with uow:` before storing a new listing.
    """
    now = now or _now()
    # Restrictions and suspensions only (an index reads just those): every submission passes here.
    active = uow.enforcement.active_sanctions(seller_id)
    for a in sorted(active, key=lambda a: (a.kind != "suspension", a.id)):  # the gravest reason first
        if a.expires_at is not None and a.expires_at <= now:
            continue
        until = f" until {a.expires_at.date().isoformat()}" if a.expires_at else ""
        ref = f"(action {a.id}, {a.ground}; you may appeal it)"
        if a.kind == "suspension":
            raise Forbidden(f"seller {seller_id} is suspended{until} {ref}", field="seller_id")
        if a.kind != "restriction":
            continue
        if a.scope == "all":
            raise Forbidden(f"seller {seller_id} may not create new listings{until} {ref}", field="seller_id")
        if a.scope == "brand" and a.target in brand_ids:
            raise Forbidden(f"seller {seller_id} may not list brand {a.target}{until} {ref}", field="brand_ids")
        if a.scope == "category" and category is not None and a.target == category:
            raise Forbidden(f"seller {seller_id} may not list in category {category}{until} {ref}", field="category")


@dataclass(frozen=True)
class MissingProof:
    brand_id: str
    brand_name: str
    outcome: str  # hold | block
    message: Message

    def as_dict(self) -> dict[str, Any]:
        return {"brand_id": self.brand_id, "brand_name": self.brand_name, "outcome": self.outcome,
                "message": self.message.render_en()}


def missing_authorisations(*, uow: AbstractUnitOfWork, seller_id: str, brand_ids: Sequence[str],
                           today: date | None = None, policy: EnforcementPolicy | None = None) -> list[MissingProof]:
    """For each protected brand this seller lacks a valid authorisation for: hold or block, and which proof is missing.

    Runs inside the caller's transaction. The screening seller signal supplies brand_ids (the brands linked).
    """
    pol = policy or current_policy()
    today = today or _now().date()
    brands: Mapping[str, tuple[str, str | None]] = uow.proofs.brands(sorted(set(brand_ids)))
    out: list[MissingProof] = []
    for brand_id in sorted(brands):
        name, owner = brands[brand_id]
        if not pol.is_protected(brand_id, owner):
            continue
        auths = uow.proofs.authorisations(seller_id, brand_id)
        if any(a.valid_on(today) for _, a, _ in auths):
            continue
        proofs = uow.proofs.list(seller_id=seller_id, brand_id=brand_id)
        latest = proofs[-1] if proofs else None
        if latest is None:
            detail = msg("You have no proof of authorisation for {brand} on file. Upload one (a letter or contract "
                         "from {brand} or its distributor) at POST /v1/verification/proofs.", brand=name)
        elif latest.state is ProofState.SUBMITTED:
            detail = msg("Your proof #{id} for {brand} is still awaiting review.", id=latest.id, brand=name)
        elif latest.state is ProofState.REJECTED:
            detail = msg("Your proof #{id} for {brand} was rejected ({reason}). Upload a new one.", id=latest.id,
                         brand=name, reason=latest.decision_reason or "no reason given")
        elif latest.state is ProofState.EXPIRED or latest.valid_until < today:
            detail = msg("Your proof #{id} for {brand} expired on {day}. Upload a current one.", id=latest.id,
                         brand=name, day=latest.valid_until.isoformat())
        elif latest.state is ProofState.REVOKED:
            detail = msg("Your authorisation for {brand} (proof #{id}) was revoked by the brand.", id=latest.id,
                         brand=name)
        else:
            detail = msg("Your proof #{id} for {brand} is not valid on {day}.", id=latest.id, brand=name,
                         day=today.isoformat())
        out.append(MissingProof(brand_id=brand_id, brand_name=name,
                                outcome=pol.missing_authorisation_outcome(brand_id), message=detail))
    return out


def authorisation_outcome(missing: Sequence[MissingProof]) -> str:
    """allow, hold or block: the strictest outcome among the missing authorisations."""
    if any(m.outcome == "block" for m in missing):
        return "block"
    return "hold" if missing else "allow"


# --- reviewer entry points (committing wrappers) ---------------------------------------------------------------


def confirm_violation(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str, kind: str, cause_ref: str,
                      listing_id: str | None = None, brand_id: str | None = None,
                      evidence: Sequence[str] | None = None, policy: EnforcementPolicy | None = None,
                      now: datetime | None = None) -> list[dict[str, Any]]:
    """Record a violation a reviewer confirmed by hand (e.g. unauthorised_listing) and apply the ladder."""
    principal.require(*REVIEWERS)
    with uow:
        if not uow.enforcement.seller_exists(seller_id):
            raise NotFound(f"no seller {seller_id}", field="seller_id")
        actions = record_violation(uow=uow, seller_id=seller_id, kind=kind, actor=principal.user_id,
                                   cause_ref=cause_ref, listing_id=listing_id, brand_id=brand_id,
                                   evidence=evidence, policy=policy, now=now)
        uow.commit()
        return actions


def reverse_cause(*, uow: AbstractUnitOfWork, principal: Principal, cause_ref: str, reason: str,
                  policy: EnforcementPolicy | None = None, now: datetime | None = None) -> int:
    """Undo every action of a cause found wrong (reviewers); return how many actions were reversed."""
    principal.require(*REVIEWERS)
    with uow:
        count = reverse_for_cause(uow=uow, cause_ref=cause_ref, actor=principal.user_id, reason=reason,
                                  policy=policy, now=now)
        if count == 0:
            raise NotFound(f"no action in force for {cause_ref}", field="cause_ref")
        uow.commit()
        return count


def listing_gate(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str, brand_ids: Sequence[str],
                 category: str | None = None, policy: EnforcementPolicy | None = None) -> dict[str, Any]:
    """Tell a seller whether it may list these brands now, and exactly which proof is missing if not."""
    _check_seller_access(principal, seller_id)
    for b in brand_ids:
        check_text(brand_id=b)
    check_text(category=category)
    with uow:
        try:
            check_can_list(uow=uow, seller_id=seller_id, brand_ids=brand_ids, category=category)
            barred = None
        except Forbidden as exc:
            barred = exc.message
        missing = missing_authorisations(uow=uow, seller_id=seller_id, brand_ids=brand_ids, policy=policy)
    outcome = "block" if barred else authorisation_outcome(missing)
    return {"seller_id": seller_id, "outcome": outcome, "restriction": barred,
            "missing_authorisations": [m.as_dict() for m in missing]}


def policy_summary(policy: EnforcementPolicy) -> dict[str, Any]:
    """Return the enforcement policy in force as plain data (for sellers and reviewers to read)."""
    return {
        "version": policy.version, "strike_expiry_days": policy.strike_expiry_days,
        "appeal_window_days": policy.appeal_window_days,
        "events": {k: {"strike_weight": r.strike_weight, "warning": r.warning, "remove_listing": r.remove_listing,
                       "restrict": r.restrict, "restrict_days": r.restrict_days, "suspend": r.suspend,
                       "ground": r.ground} for k, r in sorted(policy.events.items())},
        "ladder": [{"rule": s.rule, "points": s.points, "action": s.action, "scope": s.scope,
                    "duration_days": s.duration_days} for s in policy.ladder],
        "authorisation": {"protected": policy.authorisation.protected, "missing": policy.authorisation.missing,
                          "block_brands": list(policy.authorisation.block_brands),
                          "warn_days_before_expiry": list(policy.authorisation.warn_days_before_expiry)},
    }


def lift_action(*, uow: AbstractUnitOfWork, principal: Principal, action_id: int, reason: str,
                policy: EnforcementPolicy | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Lift one action in force (an admin: e.g. end a suspension early); the trail keeps both events."""
    principal.require(Role.ADMIN)
    check_text(reason=reason)
    reason = required_reason(reason, "lifting an action needs a reason the seller can read")
    pol = policy or current_policy()
    now = now or _now()
    with uow:
        record = uow.enforcement.get(action_id)
        if record is None:
            raise NotFound(f"no enforcement action {action_id}", field="action_id")
        if record.state != "active":
            raise Conflict(f"action {action_id} is {record.state}, not in force")
        _reverse_one(uow, record, actor=principal.user_id, reason=reason, policy_version=pol.version, now=now,
                     end_state="lifted")
        _recompute_status(uow, seller_id=record.seller_id, actor=principal.user_id, policy_version=pol.version,
                          now=now)
        uow.commit()
        return uow.enforcement.get(action_id).as_dict()  # type: ignore[no-any-return]


# --- running totals: the check ---------------------------------------------------------------------------------


def check_totals(*, uow: AbstractUnitOfWork, fix: bool = False) -> list[dict[str, Any]]:
    """Recompute every seller's strike totals from its enforcement actions and report where the stored running
    totals drift from them; with `fix`, overwrite the drifted ones (and commit). Returns the drifts found."""
    with uow:
        stored = uow.enforcement.all_totals()
        recomputed = uow.enforcement.recomputed_totals()
        drift = []
        for seller_id in sorted(set(stored) | set(recomputed)):
            have, want = stored.get(seller_id, (0, 0, 0)), recomputed.get(seller_id, (0, 0, 0))
            if have != want:
                names = ("strike_points", "active_strikes", "strikes_total")
                drift.append({"seller_id": seller_id, "stored": dict(zip(names, have, strict=True)),
                              "recomputed": dict(zip(names, want, strict=True))})
        if fix and drift:
            for d in drift:
                uow.enforcement.set_totals(d["seller_id"], tuple(d["recomputed"].values()))
            uow.commit()
        return drift
