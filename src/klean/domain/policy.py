"""The enforcement ladder: a pure function from a seller's history and a new event to the actions due.

The [enforcement] section of the policy file declares what each confirmed event does (warning, strike
weight, listing removal, immediate restriction or suspension) and the ladder of steps that fire as a
seller's active strike points reach each threshold. `decide` is deterministic: the same history, event,
policy version and time always give the same actions; services/enforcement.py applies them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from klean.domain.errors import ValidationError
from klean.domain.messages import Message, msg

VIOLATION_KINDS = ("screening_block", "notice_upheld", "trusted_takedown", "test_buy_fake",
                   "counterfeit_confirmed", "unauthorised_listing", "insignia_block", "linked_to_suspended")
SCOPES = ("brand", "category", "all")
LADDER_ACTIONS = ("warning", "restriction", "suspension")
# Action kinds decide() can produce; the lift_* kinds come from reversal_actions().
ACTION_KINDS = ("remove_listing", "warning", "strike", "restriction", "suspension",
                "lift_restriction", "lift_suspension")
SEVERITY = {"warning": 1, "strike": 2, "remove_listing": 2, "restriction": 3, "suspension": 4}


def _fail(path: str, problem: str) -> ValidationError:
    return ValidationError(f"[{path}] {problem}", field=path)


def _int(section: Mapping[str, Any], key: str, path: str, default: int | None = None, *, minimum: int = 0) -> int:
    value = section.get(key, default)
    if value is None:
        raise _fail(f"{path}.{key}", "is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{path}.{key}", f"must be a whole number, got {value!r}")
    if value < minimum:
        raise _fail(f"{path}.{key}", f"must be >= {minimum}, got {value}")
    return value


def _bool(section: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{path}.{key}", f"must be true or false, got {value!r}")
    return value


def _str(section: Mapping[str, Any], key: str, path: str, default: str | None = None,
         choices: Sequence[str] | None = None) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}.{key}", f"must be a non-empty string, got {value!r}")
    if choices is not None and value not in choices:
        raise _fail(f"{path}.{key}", f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _unknown_keys(section: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    # A misspelt key would silently fall back to a default: refuse it instead.
    extra = sorted(set(section) - set(allowed))
    if extra:
        raise _fail(path, f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(allowed)}")


@dataclass(frozen=True, slots=True)
class EventRule:
    kind: str
    ground: str
    strike_weight: int = 0
    warning: bool = False
    remove_listing: bool = False
    restrict: str | None = None  # scope restricted at once
    restrict_days: int | None = None  # None: until lifted
    suspend: bool = False
    strike_expiry_days: int | None = None  # None: the policy default


@dataclass(frozen=True, slots=True)
class LadderStep:
    index: int
    points: int
    action: str  # warning | restriction | suspension
    scope: str | None = None
    duration_days: int | None = None

    @property
    def rule(self) -> str:
        return f"ladder[{self.index}]"


@dataclass(frozen=True, slots=True)
class AuthorisationRules:
    protected: str | tuple[str, ...] = "owned"  # "owned" | "all" | brand ids
    missing: str = "hold"  # hold | block
    block_brands: tuple[str, ...] = ()
    warn_days_before_expiry: tuple[int, ...] = (30, 7)
    max_proof_days: int = 1100


@dataclass(frozen=True, slots=True)
class IdentityRules:
    high_volume_listings: int = 200
    required: tuple[str, ...] = ("name", "address", "bank_account", "tax_id")


# phone and email are optional contact fields (never required by default); seller networks read them too.
IDENTITY_FIELDS = ("name", "address", "bank_account", "tax_id", "phone", "email")


@dataclass(frozen=True)
class EnforcementPolicy:
    version: str
    events: Mapping[str, EventRule]
    ladder: tuple[LadderStep, ...]
    strike_expiry_days: int = 365
    appeal_window_days: int = 180
    recompute_ladder_on_reversal: bool = True
    authorisation: AuthorisationRules = field(default_factory=AuthorisationRules)
    identity: IdentityRules = field(default_factory=IdentityRules)

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str) -> EnforcementPolicy:
        """Validate the [enforcement] section; every problem names the key at fault."""
        if not isinstance(version, str) or not version.strip():
            raise _fail("version", "must be a non-empty string")
        p = "enforcement"
        _unknown_keys(section, ("strike_expiry_days", "appeal_window_days", "recompute_ladder_on_reversal",
                                "events", "ladder", "authorisation", "identity"), p)
        events_raw = section.get("events")
        if not isinstance(events_raw, Mapping) or not events_raw:
            raise _fail(f"{p}.events", "must be a table with one sub-table per event kind")
        missing = [k for k in VIOLATION_KINDS if k not in events_raw]
        if missing:
            raise _fail(f"{p}.events", f"missing event kind(s): {', '.join(missing)}")
        events = {kind: _event_rule(kind, raw, f"{p}.events.{kind}") for kind, raw in events_raw.items()}
        ladder_raw = section.get("ladder")
        if not isinstance(ladder_raw, list) or not ladder_raw:
            raise _fail(f"{p}.ladder", "must be a non-empty array of tables ([[enforcement.ladder]])")
        ladder = tuple(_step(i, raw, f"{p}.ladder[{i}]") for i, raw in enumerate(ladder_raw))
        for prev, cur in pairwise(ladder):
            if cur.points < prev.points or SEVERITY[cur.action] < SEVERITY[prev.action]:
                raise _fail(f"{p}.ladder[{cur.index}]", "steps must be ordered by points and never get milder "
                            f"(step {prev.index}: {prev.points} points {prev.action}; "
                            f"step {cur.index}: {cur.points} points {cur.action})")
        return EnforcementPolicy(
            version=version, events=events, ladder=ladder,
            strike_expiry_days=_int(section, "strike_expiry_days", p, 365, minimum=1),
            appeal_window_days=_int(section, "appeal_window_days", p, 180, minimum=1),
            recompute_ladder_on_reversal=_bool(section, "recompute_ladder_on_reversal", p, True),
            authorisation=_authorisation(section.get("authorisation", {}), f"{p}.authorisation"),
            identity=_identity(section.get("identity", {}), f"{p}.identity"),
        )

    def rule_for(self, kind: str) -> EventRule:
        rule = self.events.get(kind)
        if rule is None:
            known = ", ".join(sorted(self.events))
            raise ValidationError(f"unknown violation kind {kind!r}; the policy knows: {known}", field="kind")
        return rule

    def level(self, points: int) -> int:
        """The highest ladder step reached at `points` (-1: none); monotone in points."""
        reached = [s.index for s in self.ladder if s.points <= points]
        return max(reached, default=-1)

    def missing_authorisation_outcome(self, brand_id: str) -> str:
        """Hold the listing for review or block it when its seller has no valid authorisation for brand_id."""
        return "block" if brand_id in self.authorisation.block_brands else self.authorisation.missing

    def is_protected(self, brand_id: str, owner: str | None) -> bool:
        """Whether a seller needs proof of authorisation before listing this brand."""
        protected = self.authorisation.protected
        if protected == "all":
            return True
        if protected == "owned":
            return bool(owner)
        return brand_id in protected


def _event_rule(kind: str, raw: Any, path: str) -> EventRule:
    if not isinstance(raw, Mapping):
        raise _fail(path, "must be a table")
    _unknown_keys(raw, ("strike_weight", "warning", "remove_listing", "restrict", "restrict_days", "suspend",
                        "strike_expiry_days", "ground"), path)
    restrict = raw.get("restrict")
    if restrict is not None and restrict not in SCOPES:
        raise _fail(f"{path}.restrict", f"must be one of {', '.join(SCOPES)}, got {restrict!r}")
    restrict_days = raw.get("restrict_days")
    if restrict_days is not None:
        restrict_days = _int(raw, "restrict_days", path, minimum=1)
    expiry = raw.get("strike_expiry_days")
    if expiry is not None:
        expiry = _int(raw, "strike_expiry_days", path, minimum=1)
    return EventRule(kind=kind, ground=_str(raw, "ground", path), strike_weight=_int(raw, "strike_weight", path, 0),
                     warning=_bool(raw, "warning", path, False),
                     remove_listing=_bool(raw, "remove_listing", path, False),
                     restrict=restrict, restrict_days=restrict_days, suspend=_bool(raw, "suspend", path, False),
                     strike_expiry_days=expiry)


def _step(index: int, raw: Any, path: str) -> LadderStep:
    if not isinstance(raw, Mapping):
        raise _fail(path, "must be a table")
    _unknown_keys(raw, ("points", "action", "scope", "duration_days"), path)
    action = _str(raw, "action", path, choices=LADDER_ACTIONS)
    scope = raw.get("scope")
    if action == "restriction":
        scope = _str(raw, "scope", path, choices=SCOPES)
    elif scope is not None:
        raise _fail(f"{path}.scope", f"only a restriction has a scope (this step is a {action})")
    duration = raw.get("duration_days")
    if duration is not None:
        duration = _int(raw, "duration_days", path, minimum=1)
    return LadderStep(index=index, points=_int(raw, "points", path, minimum=1), action=action, scope=scope,
                      duration_days=duration)


def _authorisation(raw: Any, path: str) -> AuthorisationRules:
    if not isinstance(raw, Mapping):
        raise _fail(path, "must be a table")
    _unknown_keys(raw, ("protected", "missing", "block_brands", "warn_days_before_expiry", "max_proof_days"), path)
    protected_raw = raw.get("protected", "owned")
    protected: str | tuple[str, ...]
    if isinstance(protected_raw, str):
        protected = _str(raw, "protected", path, "owned", choices=("owned", "all"))
    elif isinstance(protected_raw, list) and all(isinstance(b, str) and b for b in protected_raw):
        protected = tuple(protected_raw)
    else:
        raise _fail(f"{path}.protected", f'must be "owned", "all" or a list of brand ids, got {protected_raw!r}')
    block = raw.get("block_brands", [])
    if not isinstance(block, list) or not all(isinstance(b, str) and b for b in block):
        raise _fail(f"{path}.block_brands", f"must be a list of brand ids, got {block!r}")
    warn = raw.get("warn_days_before_expiry", [30, 7])
    if not isinstance(warn, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in warn):
        raise _fail(f"{path}.warn_days_before_expiry", f"must be a list of positive day counts, got {warn!r}")
    return AuthorisationRules(protected=protected, missing=_str(raw, "missing", path, "hold", ("hold", "block")),
                              block_brands=tuple(block), warn_days_before_expiry=tuple(sorted(set(warn), reverse=True)),
                              max_proof_days=_int(raw, "max_proof_days", path, 1100, minimum=1))


def _identity(raw: Any, path: str) -> IdentityRules:
    if not isinstance(raw, Mapping):
        raise _fail(path, "must be a table")
    _unknown_keys(raw, ("high_volume_listings", "required"), path)
    required = raw.get("required", list(IDENTITY_FIELDS))
    if not isinstance(required, list) or any(f not in IDENTITY_FIELDS for f in required):
        raise _fail(f"{path}.required", f"must list fields among {', '.join(IDENTITY_FIELDS)}, got {required!r}")
    return IdentityRules(high_volume_listings=_int(raw, "high_volume_listings", path, 200, minimum=1),
                         required=tuple(required))


# --- history and actions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StrikeRecord:
    id: str
    weight: int
    at: datetime
    expires_at: datetime
    reversed: bool = False

    def active(self, now: datetime) -> bool:
        return not self.reversed and self.at <= now < self.expires_at


@dataclass(frozen=True, slots=True)
class SanctionRecord:
    """A restriction or suspension in the seller's history; `threshold` is set when a ladder step caused it."""

    id: str
    kind: str  # restriction | suspension
    at: datetime
    scope: str | None = None
    target: str | None = None
    until: datetime | None = None
    ended: bool = False  # reversed, lifted or expired
    threshold: int | None = None

    def active(self, now: datetime) -> bool:
        return not self.ended and self.at <= now and (self.until is None or now < self.until)


@dataclass(frozen=True)
class History:
    """What decide() needs of a seller's past: its strikes and sanctions.

    `carried_points` are the points of strikes summarised by a running total instead of listed in `strikes`
    (storage keeps that total so a new violation need not read the whole history); such a History is built for
    one `now` and holds for it only.
    """

    seller_id: str
    strikes: tuple[StrikeRecord, ...] = ()
    sanctions: tuple[SanctionRecord, ...] = ()
    carried_points: int = 0

    def points(self, now: datetime) -> int:
        return self.carried_points + sum(s.weight for s in self.strikes if s.active(now))

    def suspended(self, now: datetime) -> bool:
        return any(s.kind == "suspension" and s.active(now) for s in self.sanctions)

    def restricted(self, scope: str, target: str | None, now: datetime) -> bool:
        return any(s.kind == "restriction" and s.scope == scope and s.target == target and s.active(now)
                   for s in self.sanctions)


@dataclass(frozen=True, slots=True)
class Violation:
    """A confirmed event against a seller (the trigger of decide)."""

    kind: str
    cause_ref: str  # e.g. "case:12", "testbuy:3", "listing:abc"
    listing_id: str | None = None
    brand_id: str | None = None
    category: str | None = None
    counted_weight: int = 0  # strike weight already counted for the same cause (e.g. a takedown later upheld)


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # one of ACTION_KINDS
    rule: str  # "events.<kind>" or "ladder[<i>]": the rule that fired
    ground: str
    weight: int = 0
    scope: str | None = None
    target: str | None = None
    listing_id: str | None = None
    expires_at: datetime | None = None
    threshold: int | None = None  # ladder steps: the points that triggered it
    ends: str | None = None  # lift_*: the id of the sanction it ends

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "ground": self.ground, "weight": self.weight,
                "scope": self.scope, "target": self.target, "listing_id": self.listing_id,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "threshold": self.threshold, "ends": self.ends}


def _scope_target(scope: str, event: Violation) -> tuple[bool, str | None]:
    """The restriction target for a scope, or (False, None) when the event lacks it (e.g. no brand)."""
    if scope == "brand":
        return (event.brand_id is not None, event.brand_id)
    if scope == "category":
        return (event.category is not None, event.category)
    return (True, None)


def decide(history: History, event: Violation, policy: EnforcementPolicy, now: datetime) -> tuple[Action, ...]:
    """The actions due for a new confirmed event, given the seller's history and the policy in force."""
    if now.tzinfo is None:
        raise ValueError("decide needs an aware datetime")
    rule = policy.rule_for(event.kind)
    own = f"events.{event.kind}"
    actions: list[Action] = []
    if rule.remove_listing and event.listing_id is not None:
        actions.append(Action("remove_listing", own, rule.ground, listing_id=event.listing_id))
    if rule.warning:
        actions.append(Action("warning", own, rule.ground, listing_id=event.listing_id))
    # One cause counts once: when it was already counted (a trusted takedown later upheld), only the extra
    # weight of the graver finding is added.
    weight = max(0, rule.strike_weight - event.counted_weight)
    if weight > 0:
        days = rule.strike_expiry_days or policy.strike_expiry_days
        actions.append(Action("strike", own, rule.ground, weight=weight, listing_id=event.listing_id,
                              expires_at=now + timedelta(days=days)))
    suspended = history.suspended(now)
    in_force: set[tuple[str, str | None]] = set()  # restrictions decided in this call
    if rule.suspend and not suspended:
        actions.append(Action("suspension", own, rule.ground))
        suspended = True
    if rule.restrict is not None and not suspended:
        ok, target = _scope_target(rule.restrict, event)
        if ok and not history.restricted(rule.restrict, target, now):
            until = now + timedelta(days=rule.restrict_days) if rule.restrict_days else None
            actions.append(Action("restriction", own, rule.ground, scope=rule.restrict, target=target,
                                  expires_at=until))
            in_force.add((rule.restrict, target))
    before = history.points(now)
    after = before + weight
    for step in policy.ladder:
        if step.points > after:
            break
        crossed = before < step.points
        ground = f"{step.points} or more active strike points ({after} now) under policy {policy.version}"
        if step.action == "warning":
            if crossed:
                actions.append(Action("warning", step.rule, ground, threshold=step.points))
            continue
        if weight == 0:
            continue  # ladder sanctions follow strikes only; a warning-only event never escalates
        until = now + timedelta(days=step.duration_days) if step.duration_days else None
        if step.action == "suspension":
            if not suspended:
                actions.append(Action("suspension", step.rule, ground, expires_at=until, threshold=step.points))
                suspended = True
            continue
        assert step.scope is not None
        ok, target = _scope_target(step.scope, event)
        if not ok or suspended or (step.scope, target) in in_force or history.restricted(step.scope, target, now):
            continue
        actions.append(Action("restriction", step.rule, ground, scope=step.scope, target=target, expires_at=until,
                              threshold=step.points))
        in_force.add((step.scope, target))
    return tuple(actions)


def reversal_actions(history: History, policy: EnforcementPolicy, now: datetime) -> tuple[Action, ...]:
    """After a reversal (history already without the reversed strike): lift ladder sanctions no longer earned."""
    if not policy.recompute_ladder_on_reversal:
        return ()
    points = history.points(now)
    lifts: list[Action] = []
    for s in sorted(history.sanctions, key=lambda s: s.id):
        if s.threshold is not None and s.active(now) and points < s.threshold:
            kind = "lift_suspension" if s.kind == "suspension" else "lift_restriction"
            lifts.append(Action(kind, "recompute_ladder_on_reversal",
                                f"active strike points fell to {points}, below the {s.threshold} that caused it",
                                scope=s.scope, target=s.target, ends=s.id))
    return tuple(lifts)


def severity(actions: Sequence[Action]) -> int:
    """The most severe action among these (0: none)."""
    return max((SEVERITY.get(a.kind, 0) for a in actions), default=0)


_WHAT = {
    "remove_listing": "Your listing {listing} was removed.",
    "warning": "You received a formal warning.",
    "strike": "A strike of weight {weight} was added to your account; it expires on {expires}.",
    "restriction": "You may not create new listings ({scope}) until {expires}.",
    "suspension": "Your seller account was suspended until {expires}.",
    "lift_restriction": "A restriction on new listings ({scope}) was lifted.",
    "lift_suspension": "The suspension of your seller account was lifted.",
}


def appeal_links(action_id: int, base_url: str = "") -> tuple[str, str]:
    """Where the seller appeals an action: its place in the seller centre, and the API call, with the real id."""
    base = base_url.rstrip("/")
    return f"{base}/portal/seller#action-{action_id}", f"POST {base}/v1/enforcement/actions/{action_id}/appeal"


def statement_of_reasons(action: Action, *, violation_kind: str, cause_ref: str, policy_version: str,
                         evidence: Sequence[str], appeal_until: datetime | None, action_id: int | None = None,
                         base_url: str = "") -> Message:
    """What was done, why, on which ground, under which rule, the evidence, and how to appeal (with the links to
    appeal this action, once it has its id; `base_url`: where people reach Klean, else site-relative links)."""
    scope = {"brand": f"brand {action.target}", "category": f"category {action.target}",
             "all": "all listings"}.get(action.scope or "", "")
    what = _WHAT[action.kind].format(listing=action.listing_id or "", weight=action.weight, scope=scope,
                                     expires=action.expires_at.date().isoformat() if action.expires_at else
                                     "it is lifted")
    if appeal_until is None:
        how = "This decision restores your account; there is nothing to appeal."
    elif action_id is None:
        how = (f"You can appeal this decision until {appeal_until.date().isoformat()} in the seller centre "
               f"({base_url.rstrip('/')}/portal/seller); a different reviewer will decide.")
    else:
        portal, api = appeal_links(action_id, base_url)
        how = (f"You can appeal this decision until {appeal_until.date().isoformat()} at {portal} "
               f"(or {api}); a different reviewer will decide.")
    return msg("What: {what} Why: {why} (event {cause}). Ground: {ground}. Rule: {rule}, policy version {version}. "
               "Evidence: {evidence}. How to appeal: {how}",
               what=what, why=violation_kind.replace("_", " "), cause=cause_ref, ground=action.ground,
               rule=action.rule, version=policy_version, evidence=", ".join(evidence) or "none recorded", how=how)


# --- stored records, as services see them ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRecord:
    """An action as applied and stored: its state changes by events (expiry, reversal, lifting)."""

    id: int
    seller_id: str
    kind: str
    state: str  # active | done | expired | reversed | lifted
    rule: str
    ground: str
    violation_kind: str
    cause_ref: str
    actor: str
    policy_version: str
    created_at: datetime
    weight: int = 0
    scope: str | None = None
    target: str | None = None
    threshold: int | None = None
    listing_id: str | None = None
    brand_id: str | None = None
    category: str | None = None
    evidence: tuple[str, ...] = ()
    statement: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "seller_id": self.seller_id, "kind": self.kind, "state": self.state,
                "rule": self.rule, "ground": self.ground, "violation_kind": self.violation_kind,
                "cause_ref": self.cause_ref, "actor": self.actor, "policy_version": self.policy_version,
                "created_at": self.created_at.isoformat(), "weight": self.weight, "scope": self.scope,
                "target": self.target, "threshold": self.threshold, "listing_id": self.listing_id,
                "brand_id": self.brand_id, "category": self.category, "evidence": list(self.evidence),
                "statement": dict(self.statement),
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "ended_at": self.ended_at.isoformat() if self.ended_at else None, "end_reason": self.end_reason}


def history_of(seller_id: str, records: Sequence[ActionRecord]) -> History:
    """The seller's history for decide(): strikes and sanctions from its stored actions."""
    strikes = tuple(StrikeRecord(id=str(r.id), weight=r.weight, at=r.created_at,
                                 expires_at=r.expires_at or r.created_at, reversed=r.state in ("reversed", "lifted"))
                    for r in records if r.kind == "strike")
    sanctions = tuple(SanctionRecord(id=str(r.id), kind=r.kind, at=r.created_at, scope=r.scope, target=r.target,
                                     until=r.expires_at, ended=r.state != "active", threshold=r.threshold)
                      for r in records if r.kind in ("restriction", "suspension"))
    return History(seller_id=seller_id, strikes=strikes, sanctions=sanctions)


@dataclass(frozen=True)
class Appeal:
    id: int
    action_id: int
    seller_id: str
    filed_by: str
    grounds: str
    state: str  # open | upheld | reversed
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "action_id": self.action_id, "seller_id": self.seller_id, "filed_by": self.filed_by,
                "grounds": self.grounds, "state": self.state, "created_at": self.created_at.isoformat(),
                "decided_by": self.decided_by,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "decision_reason": self.decision_reason}
