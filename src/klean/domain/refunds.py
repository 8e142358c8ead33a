"""No-evidence consumer refunds: the calendar-month claim window and the abuse checks.

The window: a buyer may claim until the end of the local calendar day that falls `window_months`
calendar months after delivery (or purchase, when delivery is unknown), in the marketplace's time
zone (policy `[refunds] timezone`, default Asia/Seoul). A day that does not exist in the target
month is clamped to its last day: Jan 31 + 3 months = Apr 30; Nov 30 + 3 months = Feb 28, or
Feb 29 in a leap year. The window closes at local midnight that starts the following day, so a
claim one second after 23:59:59 local time on the last day is late.

Abuse checks never deny a claim: a flagged claim goes to a reviewer with every check's explanation.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from klean.domain.errors import ValidationError
from klean.domain.messages import Message, msg

DEFAULT_TIMEZONE = "Asia/Seoul"


@dataclass(frozen=True)
class RefundPolicy:
    version: str
    window_months: int = 3
    timezone: str = DEFAULT_TIMEZONE
    rate_window_days: int = 365  # claim rate: claims / orders of the buyer over this many days
    max_claim_rate: float = 0.5
    min_claims_for_rate: int = 3  # a rate over two claims says nothing
    velocity_window_days: int = 7
    max_claims_in_velocity_window: int = 2  # this many earlier claims in the window flags the next
    sellers_window_days: int = 90
    max_distinct_sellers: int = 3  # claims against this many different sellers (this claim included)
    repeat_claims_same_listing: int = 1  # earlier claims by the buyer on the same listing that flag this one
    min_account_age_days: int = 14
    max_linked_claimants: int = 0  # other accounts sharing a payment/address fingerprint that claimed
    linked_window_days: int = 365
    case_after_claims: int = 2  # approved or pending claims on one listing that open a reviewer case

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str) -> RefundPolicy:
        """Validate the [refunds] section of the policy file; missing keys keep their defaults."""
        known = {f for f in RefundPolicy.__dataclass_fields__ if f != "version"}
        unknown = set(section) - known
        if unknown:
            raise ValidationError(f"[refunds]: unknown keys {sorted(unknown)}", field="refunds")
        values: dict[str, Any] = {}
        for key, value in section.items():
            default = getattr(RefundPolicy, key)
            if isinstance(default, str):
                if not isinstance(value, str):
                    raise ValidationError(f"[refunds] {key} must be a string", field=f"refunds.{key}")
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValidationError(f"[refunds] {key} must be a number >= 0", field=f"refunds.{key}")
                value = float(value)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"[refunds] {key} must be an integer >= 0", field=f"refunds.{key}")
            values[key] = value
        policy = RefundPolicy(version=version, **values)
        if policy.window_months < 1:
            raise ValidationError("[refunds] window_months must be at least 1", field="refunds.window_months")
        try:
            policy.zone  # noqa: B018 - validating the zone name is the point
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"[refunds] unknown time zone {policy.timezone!r}", field="refunds.timezone") \
                from exc
        return policy


# ---------------------------------------------------------------------------------------- orders and claims

CLAIM_STATUSES = ("approved", "review", "rejected")


@dataclass(frozen=True)
class Order:
    """A marketplace order: only what refunds need. Fingerprints are opaque hashes the marketplace computes."""

    id: str
    listing_id: str
    seller_id: str
    buyer_id: str
    amount: Decimal
    currency: str
    purchased_at: datetime
    delivered_at: datetime | None = None
    buyer_since: datetime | None = None
    payment_fingerprint: str | None = None
    address_fingerprint: str | None = None
    refunded_amount: Decimal = Decimal(0)  # refunds the marketplace itself already paid (returns, disputes)

    def validate(self) -> Order:
        for name in ("id", "listing_id", "seller_id", "buyer_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise ValidationError(f"{name} must be 1-200 characters", field=name)
        if not self.amount.is_finite() or not 0 < self.amount <= Decimal(10**12):
            raise ValidationError("amount must be a positive number up to 10^12", field="amount")
        if not self.refunded_amount.is_finite() or not 0 <= self.refunded_amount <= self.amount:
            raise ValidationError("refunded_amount must be between 0 and amount", field="refunded_amount")
        if len(self.currency) != 3 or not self.currency.isascii() or not self.currency.isupper():
            raise ValidationError(f"currency must be an ISO 4217 code, got {self.currency!r}", field="currency")
        for name in ("purchased_at", "delivered_at", "buyer_since"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValidationError(f"{name} must carry a time zone (e.g. +09:00 or Z)", field=name)
            if value is not None and not 1971 <= value.year <= 2999:
                raise ValidationError(f"{name} is not a plausible date", field=name)
        if self.delivered_at is not None and self.delivered_at < self.purchased_at:
            raise ValidationError("delivered_at is before purchased_at", field="delivered_at")
        return self


@dataclass(frozen=True)
class Claim:
    id: int
    order_id: str
    buyer_id: str
    listing_id: str
    seller_id: str
    amount: Decimal
    currency: str
    origin: str  # consumer | test_buy
    status: str  # approved | review | rejected
    note: str
    checks: tuple[dict[str, Any], ...]
    cause_ref: str | None
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    paid: Decimal = Decimal(0)
    charged_back: Decimal = Decimal(0)


# ---------------------------------------------------------------------------------------------- the window


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class ClaimWindow:
    starts_at: datetime  # delivery, else purchase (UTC-aware)
    basis: str  # "delivered_at" | "purchased_at"
    last_day: date  # the last local calendar day a claim is on time
    closes_at: datetime  # exclusive: local midnight after last_day, as an aware datetime in the zone
    timezone: str

    def contains(self, at: datetime) -> bool:
        return self.starts_at <= at < self.closes_at if at.tzinfo else False


def claim_window(*, purchased_at: datetime, delivered_at: datetime | None, policy: RefundPolicy) -> ClaimWindow:
    """The window in which a buyer may claim a refund for an order."""
    for name, value in (("purchased_at", purchased_at), ("delivered_at", delivered_at)):
        if value is not None and value.tzinfo is None:
            raise ValidationError(f"{name} must carry a time zone", field=name)
    basis, start = ("delivered_at", delivered_at) if delivered_at is not None else ("purchased_at", purchased_at)
    zone = policy.zone
    local_day = start.astimezone(zone).date()
    last_day = add_months(local_day, policy.window_months)
    # Midnight of the next local day; zoneinfo resolves a DST gap/fold at midnight by the fold rule.
    closes_at = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    return ClaimWindow(starts_at=start.astimezone(UTC), basis=basis, last_day=last_day, closes_at=closes_at,
                       timezone=policy.timezone)


# ---------------------------------------------------------------------------------------- abuse checks


@dataclass(frozen=True, slots=True)
class PastClaim:
    """An earlier claim, as the checks see it."""

    claim_id: int
    order_id: str
    listing_id: str
    seller_id: str
    at: datetime
    status: str  # approved | review | rejected


@dataclass(frozen=True)
class ClaimContext:
    """What the checks need about one new claim and its claimant; gathered by the service."""

    at: datetime
    order_id: str
    listing_id: str
    seller_id: str
    buyer_id: str
    buyer_since: datetime | None  # the buyer's account creation, when known
    buyer_claims: Sequence[PastClaim]  # the buyer's earlier claims (any order)
    buyer_order_count: int  # the buyer's orders in the rate window (this one included)
    linked_claimants: Mapping[str, int] = field(default_factory=dict)  # "payment"/"address" -> other accounts
    paid_for_order: Decimal = Decimal(0)  # refunds already paid for this order


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    flagged: bool
    reason: Message

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "flagged": self.flagged, "reason": self.reason.render_en(),
                "template": self.reason.template, "params": dict(self.reason.params)}


def _since(claims: Sequence[PastClaim], at: datetime, days: int) -> list[PastClaim]:
    start = at - timedelta(days=days)
    return [c for c in claims if start <= c.at <= at]


def check_claim_rate(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    claims = len(_since(ctx.buyer_claims, ctx.at, p.rate_window_days)) + 1
    orders = max(ctx.buyer_order_count, 1)
    rate = claims / orders
    flagged = claims >= p.min_claims_for_rate and rate > p.max_claim_rate
    return CheckResult("claim_rate", flagged, msg(
        "{claims} claims on {orders} orders in {days} days (rate {rate:.0%}; review above {limit:.0%} "
        "from {minimum} claims)", claims=claims, orders=orders, days=p.rate_window_days, rate=rate,
        limit=p.max_claim_rate, minimum=p.min_claims_for_rate))


def check_claim_velocity(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    recent = len(_since(ctx.buyer_claims, ctx.at, p.velocity_window_days))
    return CheckResult("claim_velocity", recent >= p.max_claims_in_velocity_window, msg(
        "{recent} earlier claims in the last {days} days (review from {limit})",
        recent=recent, days=p.velocity_window_days, limit=p.max_claims_in_velocity_window))


def check_many_sellers(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    sellers = {c.seller_id for c in _since(ctx.buyer_claims, ctx.at, p.sellers_window_days)} | {ctx.seller_id}
    return CheckResult("many_sellers", len(sellers) >= p.max_distinct_sellers, msg(
        "claims against {count} different sellers in {days} days (review from {limit})",
        count=len(sellers), days=p.sellers_window_days, limit=p.max_distinct_sellers))


def check_repeat_item(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    same = [c for c in ctx.buyer_claims if c.listing_id == ctx.listing_id]
    limit = max(p.repeat_claims_same_listing, 1)
    return CheckResult("repeat_item", len(same) >= limit, msg(
        "{count} earlier claims by this buyer for the same listing {listing} (review from {limit})",
        count=len(same), listing=ctx.listing_id, limit=limit))


def check_account_age(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    if ctx.buyer_since is None:
        return CheckResult("account_age", False, msg("account age unknown; not checked"))
    days = (ctx.at - ctx.buyer_since).total_seconds() / 86400
    return CheckResult("account_age", days < p.min_account_age_days, msg(
        "buyer account is {days} days old (review under {limit} days)", days=int(days), limit=p.min_account_age_days))


def check_linked_accounts(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    payment, address = ctx.linked_claimants.get("payment", 0), ctx.linked_claimants.get("address", 0)
    return CheckResult("linked_accounts", payment + address > p.max_linked_claimants, msg(
        "other accounts that claimed refunds and share this order's fingerprint: {payment} by payment, "
        "{address} by address (review above {limit})", payment=payment, address=address,
        limit=p.max_linked_claimants))


def check_already_paid(ctx: ClaimContext, p: RefundPolicy) -> CheckResult:
    return CheckResult("already_paid", ctx.paid_for_order > 0, msg(
        "refunds already paid for order {order}: {paid}", order=ctx.order_id, paid=str(ctx.paid_for_order)))


CHECKS = (check_claim_rate, check_claim_velocity, check_many_sellers, check_repeat_item, check_account_age,
          check_linked_accounts, check_already_paid)


@dataclass(frozen=True)
class Assessment:
    checks: tuple[CheckResult, ...]

    @property
    def flags(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.flagged)

    @property
    def needs_review(self) -> bool:
        return bool(self.flags)


def assess_claim(ctx: ClaimContext, policy: RefundPolicy) -> Assessment:
    """Run every abuse check; each explains itself whether it flags or not."""
    return Assessment(tuple(check(ctx, policy) for check in CHECKS))
