"""Each abuse check on refund claimants explains itself and flags (sends to review) only past its threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from klean.domain.refunds import ClaimContext, PastClaim, RefundPolicy, assess_claim

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
POLICY = RefundPolicy(version="t")

CLEAN = ClaimContext(
    at=NOW, order_id="ord-5001", listing_id="lst-rolex-sub", seller_id="watchhub", buyer_id="minji",
    buyer_since=NOW - timedelta(days=800), buyer_claims=(), buyer_order_count=12,
)


def past(n: int, *, days_ago: float, seller: str = "watchhub", listing: str = "lst-other") -> PastClaim:
    return PastClaim(claim_id=n, order_id=f"ord-{n}", listing_id=listing, seller_id=seller,
                     at=NOW - timedelta(days=days_ago), status="approved")


def flagged(ctx: ClaimContext) -> set[str]:
    return {c.check for c in assess_claim(ctx, POLICY).flags}


def test_a_first_claim_by_an_established_buyer_is_clean_and_every_check_explains_itself() -> None:
    a = assess_claim(CLEAN, POLICY)
    assert not a.needs_review
    assert {c.check for c in a.checks} == {"claim_rate", "claim_velocity", "many_sellers", "repeat_item",
                                          "account_age", "linked_accounts", "already_paid"}
    assert all(c.reason.render_en() for c in a.checks)


def test_claim_rate() -> None:
    ctx = replace(CLEAN, buyer_claims=(past(1, days_ago=200), past(2, days_ago=100)), buyer_order_count=4)
    assert "claim_rate" in flagged(ctx)  # 3 claims on 4 orders: 75%
    a = {c.check: c for c in assess_claim(ctx, POLICY).checks}
    assert a["claim_rate"].reason.render_en().startswith("3 claims on 4 orders in 365 days (rate 75%")
    assert "claim_rate" not in flagged(replace(ctx, buyer_order_count=10))  # 30%
    assert "claim_rate" not in flagged(replace(ctx, buyer_claims=ctx.buyer_claims[:1], buyer_order_count=2))
    assert "claim_rate" not in flagged(replace(ctx, buyer_claims=(past(1, days_ago=400), past(2, days_ago=380))))


def test_claim_velocity() -> None:
    ctx = replace(CLEAN, buyer_claims=(past(1, days_ago=1, seller="a"), past(2, days_ago=3, seller="a")),
                  buyer_order_count=40)
    assert "claim_velocity" in flagged(ctx)
    assert "claim_velocity" not in flagged(replace(ctx, buyer_claims=ctx.buyer_claims[:1]))
    assert "claim_velocity" not in flagged(replace(ctx, buyer_claims=(past(1, days_ago=8), past(2, days_ago=9))))


def test_claims_across_many_sellers() -> None:
    ctx = replace(CLEAN, buyer_claims=(past(1, days_ago=30, seller="sneakerzone"),
                                       past(2, days_ago=60, seller="luxe-outlet")), buyer_order_count=40)
    assert "many_sellers" in flagged(ctx)  # with watchhub: three sellers in 90 days
    assert "many_sellers" not in flagged(replace(ctx, seller_id="sneakerzone"))
    assert "many_sellers" not in flagged(replace(ctx, buyer_claims=(past(1, days_ago=30, seller="sneakerzone"),
                                                                    past(2, days_ago=120, seller="luxe-outlet"))))


def test_repeated_claims_for_the_same_item() -> None:
    ctx = replace(CLEAN, buyer_claims=(past(1, days_ago=200, listing="lst-rolex-sub"),))
    assert flagged(ctx) == {"repeat_item"}
    assert "repeat_item" not in flagged(replace(ctx, listing_id="lst-omega-speedmaster"))


def test_young_account() -> None:
    assert flagged(replace(CLEAN, buyer_since=NOW - timedelta(days=3))) == {"account_age"}
    assert not flagged(replace(CLEAN, buyer_since=NOW - timedelta(days=14)))
    unknown = {c.check: c for c in assess_claim(replace(CLEAN, buyer_since=None), POLICY).checks}["account_age"]
    assert not unknown.flagged and "unknown" in unknown.reason.render_en()


def test_linked_accounts_by_payment_or_address_fingerprint() -> None:
    ctx = replace(CLEAN, linked_claimants={"payment": 1, "address": 0})
    assert flagged(ctx) == {"linked_accounts"}
    text = {c.check: c for c in assess_claim(ctx, POLICY).flags}["linked_accounts"].reason.render_en()
    assert "1 by payment, 0 by address" in text
    assert not flagged(replace(CLEAN, linked_claimants={"payment": 0, "address": 0}))
    assert "linked_accounts" not in [c.check for c in assess_claim(
        replace(CLEAN, linked_claimants={"address": 2}), replace(POLICY, max_linked_claimants=2)).flags]


def test_refunds_already_paid_for_the_order() -> None:
    assert flagged(replace(CLEAN, paid_for_order=Decimal("120000"))) == {"already_paid"}


def test_thresholds_come_from_the_policy_section() -> None:
    strict = RefundPolicy.from_section({"min_account_age_days": 1000, "max_distinct_sellers": 1}, "2026.11-9")
    a = assess_claim(CLEAN, strict)
    assert {c.check for c in a.flags} == {"account_age", "many_sellers"}
