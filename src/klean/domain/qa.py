"""Mystery-shopper test buys: a reproducible, risk-weighted sampler with random controls, and its report.

Risk score (0..1, documented here and tuned in `[qa]` of the policy file): the sum of
  weight_screening   x screening score (0..1)
  weight_strikes     x min(seller strikes, strikes_cap) / strikes_cap
  weight_new_seller  x (seller account younger than new_seller_days)
  weight_reports     x min(reports, reports_cap) / reports_cap
  weight_claims      x min(refund claims against the seller, claims_cap) / claims_cap
  brand_weights[brand] + category_weights[category]
clipped to 1. Bands: high from band_high, medium from band_medium, else low.

Sampling, per period, within a budget in count and money (test buys cost the listing price):
1. A fixed share (`random_share`) of the count and of the money is spent first on *random controls*:
   listings drawn uniformly, whatever their risk, so the hit rate of the risk model can be compared
   with the base rate (otherwise the model only ever checks itself).
2. The rest is drawn by weighted sampling without replacement, proportional to `sampling_floor +
   risk` (Efraimidis-Spirakis keys u^(1/w)); the floor keeps every listing possible.
Candidates are ordered by id before any draw, so the same seed over the same candidates always gives
the same picks, whatever order the candidates came in. A candidate that no longer fits the money left
is skipped, never over-spent.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from klean.domain.errors import ValidationError
from klean.domain.messages import Message, msg

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(period: str) -> str:
    if not isinstance(period, str) or not PERIOD.match(period):
        raise ValidationError(f"period must be YYYY-MM, got {period!r}", field="period")
    return period


class Verdict(StrEnum):
    GENUINE = "genuine"
    FAKE = "fake"
    NOT_AS_DESCRIBED = "not_as_described"
    UNDELIVERED = "undelivered"


class Method(StrEnum):
    RISK = "risk"
    RANDOM = "random"


BANDS = ("high", "medium", "low")
MAX_MONEY = Decimal(10**12)  # what the money columns hold (Numeric(18, 4))


@dataclass(frozen=True)
class QaPolicy:
    version: str
    budget_count: int = 20
    budget_money: Decimal = Decimal(3_000_000)
    currency: str = "KRW"
    random_share: float = 0.2
    sampling_floor: float = 0.05
    weight_screening: float = 0.45
    weight_strikes: float = 0.2
    strikes_cap: int = 3
    weight_new_seller: float = 0.1
    new_seller_days: int = 30
    weight_reports: float = 0.15
    reports_cap: int = 5
    weight_claims: float = 0.1
    claims_cap: int = 3
    band_high: float = 0.6
    band_medium: float = 0.3
    brand_weights: Mapping[str, float] = field(default_factory=dict)
    category_weights: Mapping[str, float] = field(default_factory=dict)

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str) -> QaPolicy:
        """Validate the [qa] section of the policy file; missing keys keep their defaults."""
        known = {f for f in QaPolicy.__dataclass_fields__ if f != "version"}
        unknown = set(section) - known
        if unknown:
            raise ValidationError(f"[qa]: unknown keys {sorted(unknown)}", field="qa")
        values: dict[str, Any] = {}
        for key, value in section.items():
            where = f"qa.{key}"
            if key in ("brand_weights", "category_weights"):
                if not isinstance(value, Mapping) or not all(
                        isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
                    raise ValidationError(f"[qa] {key} must be a table of numbers", field=where)
                values[key] = {str(k): float(v) for k, v in value.items()}
            elif key == "currency":
                if not isinstance(value, str) or len(value) != 3 or not value.isupper():
                    raise ValidationError("[qa] currency must be an ISO 4217 code", field=where)
                values[key] = value
            elif key == "budget_money":
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValidationError("[qa] budget_money must be a number >= 0", field=where)
                values[key] = Decimal(str(value))
            elif isinstance(getattr(QaPolicy, key), int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValidationError(f"[qa] {key} must be an integer >= 0", field=where)
                values[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValidationError(f"[qa] {key} must be a number >= 0", field=where)
                values[key] = float(value)
        policy = QaPolicy(version=version, **values)
        if policy.random_share > 1:
            raise ValidationError("[qa] random_share must be between 0 and 1", field="qa.random_share")
        if min(policy.strikes_cap, policy.reports_cap, policy.claims_cap) < 1:
            raise ValidationError("[qa] caps must be at least 1", field="qa")
        return policy


@dataclass(frozen=True, slots=True)
class Candidate:
    """A listing that could be bought, with the features the risk score reads."""

    listing_id: str
    seller_id: str
    price: Decimal
    currency: str
    brand_id: str | None = None
    category: str | None = None
    screening_score: float | None = None
    seller_strikes: int = 0
    seller_account_age_days: int | None = None
    report_count: int = 0
    claim_count: int = 0  # refund claims (not rejected) against the seller


@dataclass(frozen=True, slots=True)
class Budget:
    count: int
    money: Decimal
    currency: str

    @staticmethod
    def of(count: object, money: object, currency: str) -> Budget:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0 or count > 10_000:
            raise ValidationError("budget count must be an integer 0..10000", field="budget_count")
        try:
            amount = Decimal(str(money))
        except ArithmeticError as exc:
            raise ValidationError("budget money must be a number", field="budget_money") from exc
        if not amount.is_finite() or not 0 <= amount <= MAX_MONEY:
            raise ValidationError(f"budget money must be a number 0..{MAX_MONEY}", field="budget_money")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() or not currency.isupper():
            raise ValidationError("currency must be an ISO 4217 code", field="currency")
        return Budget(count, amount, currency)


@dataclass(frozen=True, slots=True)
class Pick:
    listing_id: str
    seller_id: str
    brand_id: str | None
    category: str | None
    price: Decimal
    currency: str
    method: Method
    risk: float
    band: str
    reasons: tuple[Message, ...]


def risk_of(c: Candidate, p: QaPolicy) -> tuple[float, tuple[Message, ...]]:
    """The candidate's risk score and the factors that made it, largest first."""
    parts: list[tuple[float, Message]] = []
    if c.screening_score:
        parts.append((p.weight_screening * max(0.0, min(c.screening_score, 1.0)),
                      msg("screening score {score:.2f}", score=c.screening_score)))
    if c.seller_strikes > 0:
        parts.append((p.weight_strikes * min(c.seller_strikes, p.strikes_cap) / p.strikes_cap,
                      msg("seller has {strikes} strikes", strikes=c.seller_strikes)))
    if c.seller_account_age_days is not None and c.seller_account_age_days < p.new_seller_days:
        parts.append((p.weight_new_seller, msg("seller account is {days} days old", days=c.seller_account_age_days)))
    if c.report_count > 0:
        parts.append((p.weight_reports * min(c.report_count, p.reports_cap) / p.reports_cap,
                      msg("{count} consumer reports", count=c.report_count)))
    if c.claim_count > 0:
        parts.append((p.weight_claims * min(c.claim_count, p.claims_cap) / p.claims_cap,
                      msg("{count} refund claims against the seller suspecting a fake", count=c.claim_count)))
    if c.brand_id and p.brand_weights.get(c.brand_id):
        parts.append((p.brand_weights[c.brand_id], msg("brand {brand} is often counterfeited", brand=c.brand_id)))
    if c.category and p.category_weights.get(c.category):
        parts.append((p.category_weights[c.category], msg("category {category} is high-risk", category=c.category)))
    parts.sort(key=lambda t: -t[0])
    return min(1.0, sum(w for w, _ in parts)), tuple(m for w, m in parts if w > 0)


def band_of(risk: float, p: QaPolicy) -> str:
    return "high" if risk >= p.band_high else "medium" if risk >= p.band_medium else "low"


@dataclass(frozen=True)
class Sample:
    picks: tuple[Pick, ...]
    seed: int
    budget: Budget
    candidates: int  # considered (same currency as the budget)
    excluded_currency: int  # skipped: priced in another currency than the budget

    @property
    def cost(self) -> Decimal:
        return sum((p.price for p in self.picks), Decimal(0))

    @property
    def random_picks(self) -> tuple[Pick, ...]:
        return tuple(p for p in self.picks if p.method is Method.RANDOM)


def random_allowance(budget: Budget, share: float) -> tuple[int, Decimal]:
    """How much of the count and money the random controls get: the share, rounded down."""
    return int(budget.count * share), (budget.money * Decimal(str(share))).quantize(Decimal("0.0001"))


def sample(candidates: Iterable[Candidate], *, policy: QaPolicy, budget: Budget, seed: int) -> Sample:
    """Pick listings for test buys: random controls first, then risk-weighted picks, within budget."""
    pool = sorted({c.listing_id: c for c in candidates}.values(), key=lambda c: c.listing_id)
    same = [c for c in pool if c.currency == budget.currency and c.price >= 0]
    rng = random.Random(seed)
    scored = {c.listing_id: risk_of(c, policy) for c in same}
    picks: list[Pick] = []
    money_left = budget.money

    def take(c: Candidate, method: Method) -> None:
        nonlocal money_left
        risk, factors = scored[c.listing_id]
        reasons = (msg("random control: drawn uniformly to measure the risk model"),) if method is Method.RANDOM \
            else (msg("risk {risk:.2f}", risk=risk), *factors)
        picks.append(Pick(c.listing_id, c.seller_id, c.brand_id, c.category, c.price, c.currency, method, risk,
                          band_of(risk, policy), reasons))
        money_left -= c.price

    random_count, random_money = random_allowance(budget, policy.random_share)
    order = list(same)
    rng.shuffle(order)
    spent_random = Decimal(0)
    for c in order:
        if len(picks) >= random_count:
            break
        if spent_random + c.price <= random_money:
            take(c, Method.RANDOM)
            spent_random += c.price
    chosen = {p.listing_id for p in picks}
    # Efraimidis-Spirakis: one uniform draw per candidate, in id order, so the draws are reproducible.
    keyed = []
    for c in same:
        u = 1.0 - rng.random()  # (0, 1]
        if c.listing_id in chosen:
            continue
        weight = policy.sampling_floor + scored[c.listing_id][0]
        keyed.append((u ** (1.0 / weight) if weight > 0 else 0.0, c.listing_id, c))
    keyed.sort(key=lambda t: (-t[0], t[1]))
    for _, _, c in keyed:
        if len(picks) >= budget.count:
            break
        if c.price <= money_left:
            take(c, Method.RISK)
    return Sample(picks=tuple(picks), seed=seed, budget=budget, candidates=len(same),
                  excluded_currency=len(pool) - len(same))


@dataclass(frozen=True)
class PickRecord:
    """A stored pick and everything recorded about it since."""

    id: int
    period: str
    listing_id: str
    seller_id: str
    brand_id: str | None
    category: str | None
    price: Decimal
    currency: str
    method: str
    risk: float
    band: str
    reasons: tuple[dict[str, Any], ...]
    state: str  # picked | assigned | purchased | judged | confirmed
    org: str | None = None  # the inspector firm it is assigned to
    purchase: Mapping[str, Any] | None = None
    photos: tuple[str, ...] = ()
    verdict: str | None = None
    notes: str | None = None
    confirmed_by: str | None = None


# -------------------------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class PickOutcome:
    """A pick with what came of it, for the period report."""

    method: str
    band: str
    price: Decimal
    spent: Decimal | None  # recorded purchase amount, when bought
    verdict: str | None
    confirmed: bool = False


def _rates(outcomes: Sequence[PickOutcome]) -> dict[str, Any]:
    judged = [o for o in outcomes if o.verdict is not None]
    fakes = [o for o in judged if o.verdict == Verdict.FAKE.value]
    return {"picks": len(outcomes), "judged": len(judged), "fakes": len(fakes),
            "confirmed": sum(1 for o in outcomes if o.confirmed),
            "hit_rate": round(len(fakes) / len(judged), 4) if judged else None}


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f")


def period_report(outcomes: Sequence[PickOutcome]) -> dict[str, Any]:
    """Picks, cost, and the hit rate (fake verdicts / judged picks) by risk band, risk picks versus random."""
    by_method = {m.value: [o for o in outcomes if o.method == m.value] for m in Method}
    report: dict[str, Any] = {
        "picks": len(outcomes),
        "planned_cost": _plain(sum((o.price for o in outcomes), Decimal(0))),
        "spent": _plain(sum((o.spent for o in outcomes if o.spent is not None), Decimal(0))),
        "verdicts": {v.value: sum(1 for o in outcomes if o.verdict == v.value) for v in Verdict},
    }
    for method, items in by_method.items():
        report[method] = {**_rates(items), "by_band": {b: _rates([o for o in items if o.band == b]) for b in BANDS}}
    risk_rate, random_rate = report["risk"]["hit_rate"], report["random"]["hit_rate"]
    report["lift"] = round(risk_rate / random_rate, 3) if risk_rate is not None and random_rate else None
    return report
