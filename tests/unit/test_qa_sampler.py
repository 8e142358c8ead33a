"""The test-buy sampler: reproducible from a seed, within budget, with its share of random controls."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klean.domain.errors import ValidationError
from klean.domain.qa import (
    Budget,
    Candidate,
    Method,
    PickOutcome,
    QaPolicy,
    parse_period,
    period_report,
    random_allowance,
    risk_of,
    sample,
)

POLICY = QaPolicy(version="t", brand_weights={"chanel": 0.1})


def catalogue() -> list[Candidate]:
    risky = [Candidate(listing_id=f"lst-chanel-{i:02d}", seller_id="luxe-outlet", price=Decimal(89_000 + i * 1000),
                       currency="KRW", brand_id="chanel", category="bags", screening_score=0.9, seller_strikes=2,
                       seller_account_age_days=5, report_count=3) for i in range(20)]
    plain = [Candidate(listing_id=f"lst-tee-{i:03d}", seller_id=f"shop-{i % 7}", price=Decimal(19_900),
                       currency="KRW", category="apparel", screening_score=0.05, seller_account_age_days=900)
             for i in range(180)]
    return risky + plain


BUDGET = Budget(count=20, money=Decimal(1_500_000), currency="KRW")


def test_same_seed_same_picks_whatever_the_input_order() -> None:
    cands = catalogue()
    a = sample(cands, policy=POLICY, budget=BUDGET, seed=7)
    b = sample(list(reversed(cands)), policy=POLICY, budget=BUDGET, seed=7)
    assert a.picks == b.picks
    c = sample(cands, policy=POLICY, budget=BUDGET, seed=8)
    assert [p.listing_id for p in c.picks] != [p.listing_id for p in a.picks]


def test_risk_picks_favour_risky_listings_and_random_controls_are_labelled() -> None:
    s = sample(catalogue(), policy=POLICY, budget=BUDGET, seed=7)
    assert len(s.picks) == 20
    assert len(s.random_picks) == 4  # 20% of 20
    risk = [p for p in s.picks if p.method is Method.RISK]
    # 10% of the listings are risky; well over three times that share of the risk-weighted picks are.
    assert sum(p.brand_id == "chanel" for p in risk) / len(risk) > 3 * 20 / 200
    for p in s.random_picks:
        assert p.reasons[0].render_en().startswith("random control")
    top = max(risk, key=lambda p: p.risk)
    text = [m.render_en() for m in top.reasons]
    assert text[0].startswith("risk ") and "screening score 0.90" in text and "seller has 2 strikes" in text
    assert top.band == "high"


def test_risk_score_is_explained_and_bounded() -> None:
    risky = catalogue()[0]
    score, factors = risk_of(risky, POLICY)
    assert score == pytest.approx(0.45 * 0.9 + 0.2 * 2 / 3 + 0.1 + 0.15 * 3 / 5 + 0.1)
    worst = replace(risky, screening_score=1.0, seller_strikes=9, report_count=9, claim_count=9)
    assert risk_of(worst, POLICY)[0] == 1.0  # 1.1 before clipping
    assert [m.render_en() for m in factors][:2] == ["screening score 0.90", "seller has 2 strikes"]
    assert risk_of(replace(risky, screening_score=None, seller_strikes=0, seller_account_age_days=None,
                           report_count=0, brand_id=None), POLICY) == (0.0, ())


def test_other_currencies_are_left_out_and_money_is_never_overspent() -> None:
    cands = [*catalogue(), Candidate("lst-usd", "us-shop", Decimal(50), "USD", screening_score=1.0)]
    s = sample(cands, policy=POLICY, budget=Budget(50, Decimal(300_000), "KRW"), seed=1)
    assert s.excluded_currency == 1
    assert all(p.currency == "KRW" for p in s.picks)
    assert s.cost <= Decimal(300_000)


candidates_st = st.lists(
    st.builds(Candidate, listing_id=st.text("abcdef0123", min_size=1, max_size=6), seller_id=st.just("s"),
              price=st.integers(0, 500_000).map(Decimal), currency=st.just("KRW"),
              screening_score=st.one_of(st.none(), st.floats(0, 1)), seller_strikes=st.integers(0, 6),
              report_count=st.integers(0, 9), claim_count=st.integers(0, 4)),
    max_size=60, unique_by=lambda c: c.listing_id)


@settings(max_examples=150, deadline=None)
@given(cands=candidates_st, count=st.integers(0, 40), money=st.integers(0, 3_000_000), seed=st.integers(0, 2**32),
       share=st.floats(0, 1))
def test_budget_is_never_exceeded_and_the_random_share_is_respected(
        cands: list[Candidate], count: int, money: int, seed: int, share: float) -> None:
    policy = replace(POLICY, random_share=share)
    budget = Budget(count, Decimal(money), "KRW")
    s = sample(cands, policy=policy, budget=budget, seed=seed)
    assert len(s.picks) <= count
    assert s.cost <= budget.money
    assert len({p.listing_id for p in s.picks}) == len(s.picks)
    random_count, random_money = random_allowance(budget, share)
    randoms = s.random_picks
    assert len(randoms) <= random_count
    assert sum((p.price for p in randoms), Decimal(0)) <= random_money
    affordable = [c for c in {c.listing_id: c for c in cands}.values() if c.price == 0]
    if len(affordable) >= random_count:  # free listings always fit: the random share is then filled exactly
        assert len(randoms) == random_count
    assert s == sample(list(reversed(cands)), policy=policy, budget=budget, seed=seed)


def test_report_compares_hit_rates_by_band_with_the_random_sample() -> None:
    outcomes = [
        PickOutcome("risk", "high", Decimal(100), Decimal(100), "fake", confirmed=True),
        PickOutcome("risk", "high", Decimal(100), Decimal(100), "fake"),
        PickOutcome("risk", "medium", Decimal(100), Decimal(90), "genuine"),
        PickOutcome("risk", "low", Decimal(100), None, None),
        PickOutcome("random", "low", Decimal(50), Decimal(50), "genuine"),
        PickOutcome("random", "high", Decimal(50), Decimal(50), "fake"),
        PickOutcome("random", "low", Decimal(50), Decimal(50), "genuine"),
        PickOutcome("random", "low", Decimal(50), Decimal(50), "undelivered"),
    ]
    r = period_report(outcomes)
    assert r["picks"] == 8 and r["planned_cost"] == "600" and r["spent"] == "490"
    assert r["risk"]["hit_rate"] == round(2 / 3, 4)
    assert r["random"]["hit_rate"] == 0.25
    assert r["risk"]["by_band"]["high"] == {"picks": 2, "judged": 2, "fakes": 2, "confirmed": 1, "hit_rate": 1.0}
    assert r["random"]["by_band"]["low"]["hit_rate"] == 0.0
    assert r["lift"] == round((2 / 3) / 0.25, 3)
    assert r["verdicts"] == {"genuine": 3, "fake": 3, "not_as_described": 0, "undelivered": 1}


def test_policy_section_and_inputs_are_validated() -> None:
    assert QaPolicy.from_section({"random_share": 0.3, "brand_weights": {"rolex": 0.2}}, "v").brand_weights == \
        {"rolex": 0.2}
    for bad in ({"random_share": 1.5}, {"budget_count": -1}, {"brand_weights": {"x": "high"}}, {"nope": 1},
                {"currency": "won"}, {"strikes_cap": 0}):
        with pytest.raises(ValidationError):
            QaPolicy.from_section(bad, "v")
    for bad_period in ("2026-13", "26-11", "2026-1", ""):
        with pytest.raises(ValidationError):
            parse_period(bad_period)
    with pytest.raises(ValidationError):
        Budget.of(-1, 100, "KRW")
    with pytest.raises(ValidationError):
        Budget.of(3, "NaN", "KRW")
