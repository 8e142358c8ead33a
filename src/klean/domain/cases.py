"""Takedown notices and their cases: completeness, the state machine, windows, notifier accuracy and misuse.

A notice must carry what notice-and-action rules ask for (EU DSA Art. 16(2), US DMCA 512(c)(3)); each listing
it names becomes a case that moves through a fixed set of states, every move time-stamped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from klean.domain.errors import Conflict, ValidationError
from klean.domain.messages import Message
from klean.domain.policy_file import PolicyDocument


class CaseState(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    ACTIONED = "actioned"  # listing taken down
    REJECTED = "rejected"  # notice not upheld, listing stays (or goes back) up
    COUNTERED = "countered"  # seller answered; the rights holder's window runs
    RESTORED = "restored"  # listing back up after a counter-notice or a granted complaint
    APPEALED = "appealed"  # a complaint against the decision (DSA Art. 20) is open
    CLOSED = "closed"


S = CaseState
TRANSITIONS: Mapping[CaseState, frozenset[CaseState]] = {
    S.RECEIVED: frozenset({S.UNDER_REVIEW, S.ACTIONED, S.REJECTED, S.CLOSED}),
    S.UNDER_REVIEW: frozenset({S.ACTIONED, S.REJECTED, S.RECEIVED, S.CLOSED}),
    # actioned -> rejected: a trusted takedown reversed on its after-the-fact review
    S.ACTIONED: frozenset({S.COUNTERED, S.APPEALED, S.REJECTED, S.RESTORED, S.CLOSED}),
    S.REJECTED: frozenset({S.APPEALED, S.CLOSED}),
    S.COUNTERED: frozenset({S.RESTORED, S.ACTIONED, S.CLOSED}),
    S.RESTORED: frozenset({S.APPEALED, S.CLOSED}),
    S.APPEALED: frozenset({S.ACTIONED, S.REJECTED, S.RESTORED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
OPEN_STATES = frozenset({S.RECEIVED, S.UNDER_REVIEW, S.ACTIONED, S.COUNTERED, S.APPEALED})


def check_transition(current: str, target: str) -> CaseState:
    """Return the target state if the move is allowed, else raise Conflict naming the allowed moves."""
    try:
        cur, tgt = CaseState(current), CaseState(target)
    except ValueError as exc:
        raise ValidationError(f"unknown case state: {exc}", field="state") from exc
    if tgt not in TRANSITIONS[cur]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[cur])) or "none"
        raise Conflict(f"a case {cur.value} cannot become {tgt.value} (allowed: {allowed})", field="state")
    return tgt


class Outcome(StrEnum):
    """How a notice ended for its notifier's accuracy record."""

    UPHELD = "upheld"
    REJECTED = "rejected"
    REVERSED = "reversed"  # acted on (trusted lane or upheld), then undone on review or complaint
    COUNTER_RESTORED = "counter_restored"  # a counter-notice succeeded: the listing came back


# --- notices ------------------------------------------------------------------------------------------------

RIGHT_KINDS = ("trademark", "other")
MAX_LISTINGS_PER_NOTICE = 500
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


@dataclass(frozen=True)
class RightClaim:
    kind: str = "trademark"  # trademark | other
    registration_number: str | None = None
    office: str | None = None  # KIPO, USPTO, EUIPO, WIPO ...
    ground: str | None = None  # for "other": the right relied on, in words


@dataclass(frozen=True)
class NoticeDraft:
    brand_id: str
    notifier_name: str
    notifier_email: str
    right: RightClaim
    listings: tuple[str, ...]  # listing ids or marketplace URLs
    explanation: str
    good_faith: bool = False  # "I believe in good faith that the use is not authorised"
    accurate: bool = False  # "the notice is accurate and I am authorised to act for the owner"
    signature: str = ""  # the physical or electronic signature (DMCA 512(c)(3)(A(i))): a typed full name

    def fingerprint(self) -> dict[str, Any]:
        return {
            "brand_id": self.brand_id, "notifier_name": self.notifier_name, "notifier_email": self.notifier_email,
            "right": vars(self.right), "listings": list(self.listings), "explanation": self.explanation,
            "good_faith": self.good_faith, "accurate": self.accurate, "signature": self.signature,
        }


@dataclass(frozen=True)
class MissingElement:
    field: str
    requirement: str  # what the law asks for, in words


def missing_elements(d: NoticeDraft) -> list[MissingElement]:
    """Every element a notice lacks (DSA Art. 16(2) a-d, DMCA 512(c)(3)(A) i-vi); empty means complete."""
    out: list[MissingElement] = []

    def need(ok: bool, name: str, why: str) -> None:
        if not ok:
            out.append(MissingElement(name, why))

    need(bool(d.notifier_name.strip()), "notifier_name", "the name of the notifier (DSA 16(2)(c), DMCA (vi))")
    need(bool(_EMAIL.match(d.notifier_email.strip())), "notifier_email",
         "an e-mail address to reach the notifier (DSA 16(2)(c), DMCA (iv))")
    need(bool(d.brand_id.strip()), "brand_id", "the brand whose right is infringed (DMCA (ii))")
    if d.right.kind not in RIGHT_KINDS:
        out.append(MissingElement("right.kind", f"the kind of right: one of {', '.join(RIGHT_KINDS)}"))
    elif d.right.kind == "trademark":
        need(bool((d.right.registration_number or "").strip()), "right.registration_number",
             "the trademark registration number relied on (DMCA (ii))")
        need(bool((d.right.office or "").strip()), "right.office", "the office that registered the mark")
    else:
        need(bool((d.right.ground or "").strip()), "right.ground", "the right relied on, in words (DMCA (ii))")
    refs = [r for r in d.listings if r.strip()]
    need(bool(refs), "listings", "the exact location of each listing: its id or URL (DSA 16(2)(b), DMCA (iii))")
    need(len(d.explanation.strip()) >= 20, "explanation",
         "a sufficiently substantiated explanation of why the listing infringes (DSA 16(2)(a)), 20+ characters")
    need(d.good_faith, "good_faith", "a statement of good-faith belief that the use is not authorised (DMCA (v))")
    need(d.accurate, "accurate",
         "a statement that the notice is accurate and complete (DSA 16(2)(d)) and, under penalty of perjury, "
         "that the notifier may act for the owner (DMCA (vi))")
    need(bool(d.signature.strip()), "signature", "a physical or electronic signature (DMCA (i)): your full name")
    return out


def validate_notice_shape(d: NoticeDraft) -> None:
    """Reject what is malformed rather than missing (too many listings, overlong text)."""
    if len(d.listings) > MAX_LISTINGS_PER_NOTICE:
        raise ValidationError(f"at most {MAX_LISTINGS_PER_NOTICE} listings per notice", field="listings")
    for ref in d.listings:
        if len(ref) > 2000:
            raise ValidationError("a listing reference is longer than 2000 characters", field="listings")
    if len(d.explanation) > 20_000:
        raise ValidationError("explanation: at most 20000 characters", field="explanation")


# --- time -------------------------------------------------------------------------------------------------

def add_business_days(start: datetime, days: int, holidays: Iterable[date] = ()) -> datetime:
    """The moment `days` business days (Mon-Fri, not a holiday) after `start`, same time of day."""
    if days < 0:
        raise ValueError("days must be >= 0")
    off = set(holidays)
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in off:
            left -= 1
    return current


def add_months(start: datetime, months: int) -> datetime:
    """Calendar months later, the day clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    nxt = date(year + month // 12, month % 12 + 1, 1)
    last_day = (nxt - timedelta(days=1)).day
    return start.replace(year=year, month=month, day=min(start.day, last_day))


# --- policy -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticePolicy:
    version: str = ""
    trusted_window_days: int = 90
    trusted_min_upheld_share: float = 0.90
    trusted_max_countered_share: float = 0.05
    trusted_min_decided: int = 10
    trusted_removal_bar_days: int = 90
    misuse_window_days: int = 180
    misuse_warn_unfounded: int = 3
    misuse_suspend_unfounded: int = 6
    misuse_suspend_rate: float = 0.5
    misuse_min_notices: int = 5
    misuse_suspend_days: int = 30
    counter_notice_business_days: int = 10
    holidays: tuple[date, ...] = ()
    complaint_window_months: int = 6
    report_queue_threshold: int = 3
    report_window_days: int = 30
    report_priority_step: float = 1.0
    trusted_priority: float = 100.0
    notice_priority: float = 50.0
    counter_notice_priority: float = 60.0
    complaint_priority: float = 40.0
    # the whole policy document it came from, so enforcement applies the same version's ladder
    document: PolicyDocument | None = field(default=None, compare=False, repr=False)

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str = "") -> NoticePolicy:
        defaults = NoticePolicy()
        values: dict[str, Any] = {"version": version}
        for name, default in _fields(defaults):
            if name in ("version", "document") or name not in section:
                continue
            raw = section[name]
            if name == "holidays":
                try:
                    values[name] = tuple(date.fromisoformat(str(x)) for x in raw)
                except (TypeError, ValueError) as exc:
                    raise ValidationError(f"[notices] holidays: ISO dates, {exc}", field="notices.holidays") from exc
                continue
            if isinstance(default, bool) or not isinstance(raw, int | float) or isinstance(raw, bool):
                raise ValidationError(f"[notices] {name} must be a number", field=f"notices.{name}")
            if raw < 0:
                raise ValidationError(f"[notices] {name} must be >= 0", field=f"notices.{name}")
            if isinstance(default, int) and not isinstance(default, bool):
                if int(raw) != raw:
                    raise ValidationError(f"[notices] {name} must be a whole number", field=f"notices.{name}")
                values[name] = int(raw)
            else:
                values[name] = float(raw)
        unknown = set(section) - {n for n, _ in _fields(defaults)} - {"version", "document"}
        if unknown:
            raise ValidationError(f"[notices] unknown keys: {', '.join(sorted(unknown))}", field="notices")
        p = NoticePolicy(**{**dict(_fields(defaults)), **values})
        for share in ("trusted_min_upheld_share", "trusted_max_countered_share", "misuse_suspend_rate"):
            if not 0 <= getattr(p, share) <= 1:
                raise ValidationError(f"[notices] {share} must be between 0 and 1", field=f"notices.{share}")
        if p.misuse_suspend_unfounded < p.misuse_warn_unfounded:
            raise ValidationError("[notices] misuse_suspend_unfounded must be >= misuse_warn_unfounded",
                                  field="notices.misuse_suspend_unfounded")
        return p


def _fields(p: NoticePolicy) -> list[tuple[str, Any]]:
    return [(n, getattr(p, n)) for n in NoticePolicy.__dataclass_fields__]


# --- notifier accuracy and standing ----------------------------------------------------------------------

@dataclass(frozen=True)
class DecidedNotice:
    decided_at: datetime
    outcome: Outcome
    manifestly_unfounded: bool = False


@dataclass(frozen=True)
class Accuracy:
    decided: int
    upheld: int
    countered: int  # successful counter-notices
    unfounded: int  # manifestly unfounded rejections
    window_days: int
    off_brand: int = 0  # listings named that did not allude to the notice's brand (sent to review, not acted on)

    @property
    def upheld_share(self) -> float | None:
        return self.upheld / self.decided if self.decided else None

    @property
    def countered_share(self) -> float | None:
        return self.countered / self.decided if self.decided else None

    def as_dict(self) -> dict[str, Any]:
        return {"decided": self.decided, "upheld": self.upheld, "countered": self.countered,
                "unfounded": self.unfounded, "off_brand": self.off_brand, "window_days": self.window_days,
                "upheld_share": self.upheld_share, "countered_share": self.countered_share}


def accuracy(decided: Sequence[DecidedNotice], *, now: datetime, window_days: int,
             off_brand: Sequence[datetime] = ()) -> Accuracy:
    """A notifier's record over the rolling window ending now; `off_brand`: when it named listings that did not
    allude to the notice's brand (each is also decided by a reviewer, and counts there too)."""
    since = now - timedelta(days=window_days)
    inside = [d for d in decided if since <= d.decided_at <= now]
    return Accuracy(
        decided=len(inside),
        upheld=sum(d.outcome is Outcome.UPHELD for d in inside),
        countered=sum(d.outcome is Outcome.COUNTER_RESTORED for d in inside),
        unfounded=sum(d.manifestly_unfounded for d in inside),
        window_days=window_days,
        off_brand=sum(since <= at <= now for at in off_brand),
    )


def meets_trusted_bar(acc: Accuracy, policy: NoticePolicy) -> bool:
    """Admission and staying in the trusted lane: enough upheld, few successful counter-notices."""
    if acc.decided == 0:
        return False
    return (acc.upheld_share or 0) >= policy.trusted_min_upheld_share and \
        (acc.countered_share or 0) <= policy.trusted_max_countered_share


def trusted_should_be_removed(acc: Accuracy, policy: NoticePolicy) -> bool:
    """Judge only once enough notices are decided, so one early reversal does not remove a partner."""
    return acc.decided >= policy.trusted_min_decided and not meets_trusted_bar(acc, policy)


class MisuseVerdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    SUSPEND = "suspend"


def misuse_verdict(acc: Accuracy, policy: NoticePolicy, *, warnings_given: int) -> MisuseVerdict:
    """DSA Art. 23: warn first, then suspend a notifier who keeps filing manifestly unfounded notices."""
    rate = acc.unfounded / acc.decided if acc.decided else 0.0
    if warnings_given > 0 and (
        acc.unfounded >= policy.misuse_suspend_unfounded
        or (acc.decided >= policy.misuse_min_notices and rate >= policy.misuse_suspend_rate
            and acc.unfounded >= policy.misuse_warn_unfounded)
    ):
        return MisuseVerdict.SUSPEND
    if acc.unfounded >= policy.misuse_warn_unfounded and warnings_given == 0:
        return MisuseVerdict.WARN
    return MisuseVerdict.OK


@dataclass(frozen=True)
class Standing:
    """A notifier's standing: warnings, suspension, and removal from the trusted lane."""

    user_id: str
    warnings: int = 0
    suspended_until: datetime | None = None
    trusted_removed_at: datetime | None = None
    trusted_barred_until: datetime | None = None
    history: tuple[dict[str, Any], ...] = field(default=())

    def suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and now < self.suspended_until

    def trusted_lane_open(self, now: datetime) -> bool:
        """False while removed from the lane; re-admission is barred until trusted_barred_until."""
        return self.trusted_removed_at is None

    def may_be_readmitted(self, now: datetime) -> bool:
        return self.trusted_barred_until is None or now >= self.trusted_barred_until


# --- records as services see them --------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    from_state: str | None
    to_state: str
    at: datetime
    actor: str
    reason: str | None


@dataclass(frozen=True)
class Case:
    id: int
    notice_id: int
    listing_id: str
    listing_ref: str
    seller_id: str
    brand_id: str
    notifier_id: str
    trusted: bool
    state: str
    outcome: str | None
    manifestly_unfounded: bool
    decision_reason: str | None
    reviewed_at: datetime | None
    decided_at: datetime | None
    actioned_at: datetime | None
    created_at: datetime
    updated_at: datetime
    transitions: tuple[Transition, ...] = ()

    @property
    def cause_ref(self) -> str:
        return f"case:{self.id}"

    def time_to_action_seconds(self) -> float | None:
        """From receipt to takedown: the figure notice-and-action reporting asks for."""
        return (self.actioned_at - self.created_at).total_seconds() if self.actioned_at else None


@dataclass(frozen=True)
class Notice:
    id: int
    notifier_id: str
    notifier_role: str
    notifier_name: str
    notifier_email: str
    brand_id: str
    trusted: bool
    received_at: datetime


@dataclass(frozen=True)
class CounterNotice:
    id: int
    case_id: int
    seller_id: str
    reasons: str
    authorisation_proof: str | None
    filed_at: datetime
    deadline_at: datetime
    court_action_ref: str | None
    outcome: str


@dataclass(frozen=True)
class Complaint:
    id: int
    case_id: int
    complainant_id: str
    complainant_side: str
    grounds: str
    state_before: str
    filed_at: datetime
    state: str
    answer: str | None


@dataclass(frozen=True)
class Mail:
    """An e-mail a use case wants sent once its transaction has committed (adapters deliver it).

    `subject` and `text` are in English; with `messages` (the subject, then the body's paragraphs) the adapter
    renders them in `lang` instead."""

    to: str
    subject: str
    text: str
    lang: str = "en"
    messages: tuple[Message, ...] = ()
