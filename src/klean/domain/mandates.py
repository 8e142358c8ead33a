"""Agency mandates: an agency acts for a member brand only under a documented, reviewed mandate with an end date.

A mandate is live on a day when it is approved, that day is within [valid_from, valid_until], and it has not been
ended (the member left, or the agency gave it up). Liveness is computed from the dates at every use, so an expired
mandate stops at once, whether or not the daily job has marked it expired yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from klean.domain.errors import Conflict, ValidationError


class MandateKind(StrEnum):
    LETTER_OF_AUTHORISATION = "letter_of_authorisation"
    MEMBERSHIP = "membership"


class MandateState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    ENDED = "ended"  # the member left or the agency gave it up: at once, never resumed (a new mandate instead)


TRANSITIONS: dict[MandateState, frozenset[MandateState]] = {
    MandateState.SUBMITTED: frozenset({MandateState.APPROVED, MandateState.REJECTED, MandateState.EXPIRED,
                                       MandateState.ENDED}),
    MandateState.APPROVED: frozenset({MandateState.EXPIRED, MandateState.ENDED}),
    MandateState.REJECTED: frozenset(),
    MandateState.EXPIRED: frozenset(),
    MandateState.ENDED: frozenset(),
}
MAX_MANDATE_DAYS = 3 * 366  # a mandate longer than three years is not accepted: ask for a dated renewal


def check_transition(current: MandateState, target: MandateState) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a mandate that is {current.value} cannot become {target.value}", field="state")


def validate_mandate_dates(valid_from: date | None, valid_until: date, *, today: date) -> None:
    if valid_until < today:
        raise ValidationError(f"valid_until {valid_until} is in the past: the mandate has already ended",
                              field="valid_until")
    if valid_from is not None and valid_until < valid_from:
        raise ValidationError(f"valid_until {valid_until} is before valid_from {valid_from}", field="valid_until")
    if (valid_until - (valid_from or today)).days > MAX_MANDATE_DAYS:
        raise ValidationError(f"a mandate valid for more than {MAX_MANDATE_DAYS} days is not accepted",
                              field="valid_until")


@dataclass(frozen=True, slots=True)
class Mandate:
    id: int
    agency: str  # the agency's org
    brand_id: str
    member: str | None  # the brand's owner (the member rights holder) when the mandate was submitted
    kind: str
    document_sha256: str
    media_type: str
    valid_from: date | None
    valid_until: date
    state: MandateState
    submitted_by: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    created_at: datetime | None = None

    def live(self, today: date) -> bool:
        return self.why_not_live(today) is None

    def why_not_live(self, today: date) -> str | None:
        """None when the mandate lets the agency act today; otherwise why not, in words."""
        if self.state is MandateState.ENDED:
            when = f" on {self.ended_at:%Y-%m-%d}" if self.ended_at else ""
            return f"mandate {self.id} was ended{when}" + (f": {self.end_reason}" if self.end_reason else "")
        if self.state is MandateState.REJECTED:
            return f"mandate {self.id} was rejected"
        if self.state is MandateState.SUBMITTED:
            return f"mandate {self.id} has not been approved by a reviewer yet"
        if self.state is MandateState.EXPIRED or self.valid_until < today:
            return f"mandate {self.id} expired on {self.valid_until}"
        if self.valid_from is not None and today < self.valid_from:
            return f"mandate {self.id} starts on {self.valid_from}"
        return None

    def as_dict(self, today: date | None = None) -> dict[str, Any]:
        out = asdict(self)
        out["state"] = self.state.value
        for k in ("valid_from", "valid_until", "decided_at", "ended_at", "created_at"):
            out[k] = out[k].isoformat() if out[k] is not None else None
        if today is not None:
            out["live"] = self.live(today)
            out["why_not_live"] = self.why_not_live(today)
        return out


def why_no_live_mandate(mandates: list[Mandate], brand_id: str, today: date) -> str | None:
    """None when one of the agency's mandates for the brand is live today; otherwise the clearest reason why not."""
    mine = [m for m in mandates if m.brand_id == brand_id]
    if any(m.live(today) for m in mine):
        return None
    if not mine:
        return f"the agency holds no mandate for brand {brand_id}"
    latest = max(mine, key=lambda m: m.id)
    return f"the agency holds no live mandate for brand {brand_id}: {latest.why_not_live(today)}"


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
