"""The enforcement ladder as a pure function: each step, expiry, reversal, validation, and its properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klean.domain.errors import ValidationError
from klean.domain.policy import (
    EnforcementPolicy,
    History,
    SanctionRecord,
    StrikeRecord,
    Violation,
    decide,
    reversal_actions,
    severity,
    statement_of_reasons,
)
from klean.domain.policy_file import parse_policy, read_policy
from klean.domain.verification import warnings_due

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
POLICY_DOC = read_policy()
POLICY = EnforcementPolicy.from_section(POLICY_DOC.section("enforcement"), POLICY_DOC.version)
# A seoul eyewear reseller caught with fake Gentle Monster sunglasses.
FAKE_SUNGLASSES = Violation(kind="notice_upheld", cause_ref="case:12", listing_id="gm-lang-01",
                            brand_id="gentle-monster", category="eyewear")


def strikes(*weights: int, at: datetime = NOW - timedelta(days=10), days: int = 365) -> tuple[StrikeRecord, ...]:
    return tuple(StrikeRecord(id=str(i), weight=w, at=at, expires_at=at + timedelta(days=days))
                 for i, w in enumerate(weights))


def kinds(actions: Any) -> list[tuple[str, str]]:
    return [(a.kind, a.rule) for a in actions]


def test_bundled_policy_loads_with_every_event_kind() -> None:
    assert POLICY.version == POLICY_DOC.version
    assert set(POLICY.events) >= {"screening_block", "notice_upheld", "trusted_takedown", "test_buy_fake",
                                  "counterfeit_confirmed"}
    assert [s.action for s in POLICY.ladder] == ["warning", "restriction", "restriction", "suspension"]


def test_screening_block_alone_gives_a_warning_and_never_a_strike() -> None:
    actions = decide(History("seoul-outlet"), Violation("screening_block", "listing:gm-1", "gm-1", "gentle-monster"),
                     POLICY, NOW)
    assert kinds(actions) == [("warning", "events.screening_block")]


def test_first_upheld_notice_removes_the_listing_strikes_once_and_warns() -> None:
    actions = decide(History("seoul-outlet"), FAKE_SUNGLASSES, POLICY, NOW)
    assert kinds(actions) == [("remove_listing", "events.notice_upheld"), ("strike", "events.notice_upheld"),
                              ("warning", "ladder[0]")]
    strike = actions[1]
    assert strike.weight == 1 and strike.expires_at == NOW + timedelta(days=365)


def test_third_point_restricts_the_brand_for_ninety_days() -> None:
    actions = decide(History("seoul-outlet", strikes=strikes(1, 1)), FAKE_SUNGLASSES, POLICY, NOW)
    restriction = [a for a in actions if a.kind == "restriction"]
    assert [(a.scope, a.target, a.rule) for a in restriction] == [("brand", "gentle-monster", "ladder[1]")]
    assert restriction[0].expires_at == NOW + timedelta(days=90)
    assert ("warning", "ladder[0]") not in kinds(actions)  # already past the warning step


def test_fifth_point_restricts_all_new_listings() -> None:
    history = History("seoul-outlet", strikes=strikes(1, 1, 1, 1),
                      sanctions=(SanctionRecord("9", "restriction", NOW - timedelta(days=5), "brand", "gentle-monster",
                                                NOW + timedelta(days=85), threshold=3),))
    actions = decide(history, FAKE_SUNGLASSES, POLICY, NOW)
    assert [(a.scope, a.rule) for a in actions if a.kind == "restriction"] == [("all", "ladder[2]")]


def test_eighth_point_suspends_and_suspension_supersedes_restrictions() -> None:
    actions = decide(History("seoul-outlet", strikes=strikes(3, 3)), Violation(
        "counterfeit_confirmed", "case:40", "nk-af1-77", "nike", "sneakers"), POLICY, NOW)
    assert ("suspension", "ladder[3]") in kinds(actions)
    assert severity(actions) == 4
    # A suspended seller gets no further restrictions stacked on top.
    suspended = History("seoul-outlet", strikes=strikes(3, 3, 2),
                        sanctions=(SanctionRecord("1", "suspension", NOW - timedelta(days=1), threshold=8),))
    again = decide(suspended, FAKE_SUNGLASSES, POLICY, NOW)
    assert [a.kind for a in again] == ["remove_listing", "strike"]


def test_test_buy_fake_restricts_the_brand_at_once() -> None:
    actions = decide(History("busan-bags"), Violation("test_buy_fake", "testbuy:3", "lv-neverfull-9",
                                                      "louis-vuitton", "bags"), POLICY, NOW)
    assert ("restriction", "events.test_buy_fake") in kinds(actions)
    assert next(a for a in actions if a.kind == "strike").weight == 3
    # Three points also reach ladder[1] (brand), already in force from the event itself: not doubled.
    assert sum(1 for a in actions if a.kind == "restriction") == 1


def test_expired_strikes_no_longer_count() -> None:
    old = strikes(1, 1, at=NOW - timedelta(days=400))
    actions = decide(History("seoul-outlet", strikes=old), FAKE_SUNGLASSES, POLICY, NOW)
    assert not any(a.kind == "restriction" for a in actions)
    assert ("warning", "ladder[0]") in kinds(actions)  # counts as a first strike again
    assert History("s", strikes=old).points(NOW) == 0


def test_same_cause_counts_once_only_the_extra_weight_of_a_graver_finding() -> None:
    upheld_after_takedown = Violation("counterfeit_confirmed", "case:12", "gm-lang-01", "gentle-monster",
                                      counted_weight=1)
    actions = decide(History("seoul-outlet", strikes=strikes(1)), upheld_after_takedown, POLICY, NOW)
    assert next(a for a in actions if a.kind == "strike").weight == 1  # 2 - 1 already counted


def test_reversal_lifts_ladder_sanctions_no_longer_earned() -> None:
    restriction = SanctionRecord("7", "restriction", NOW - timedelta(days=3), "brand", "gentle-monster",
                                 NOW + timedelta(days=87), threshold=3)
    reversed_strike = StrikeRecord("2", 1, NOW - timedelta(days=3), NOW + timedelta(days=362), reversed=True)
    history = History("seoul-outlet", strikes=(*strikes(1, 1), reversed_strike), sanctions=(restriction,))
    lifts = reversal_actions(history, POLICY, NOW)
    assert [(a.kind, a.ends) for a in lifts] == [("lift_restriction", "7")]
    # A restriction imposed by the event itself (no threshold) stays: only an appeal against it lifts it.
    direct = SanctionRecord("8", "restriction", NOW, "brand", "louis-vuitton", None, threshold=None)
    assert reversal_actions(History("s", sanctions=(direct,)), POLICY, NOW) == ()


def test_statement_of_reasons_says_what_why_ground_rule_evidence_and_how_to_appeal() -> None:
    action = decide(History("seoul-outlet"), FAKE_SUNGLASSES, POLICY, NOW)[1]
    text = statement_of_reasons(action, violation_kind="notice_upheld", cause_ref="case:12",
                                policy_version=POLICY.version, evidence=["notice:5", "snapshot:3:ab12"],
                                appeal_until=NOW + timedelta(days=180)).render_en()
    for part in ("strike of weight 1", "notice upheld", "case:12", "trademark infringement", "events.notice_upheld",
                 POLICY.version, "notice:5", "appeal", "2027-05-23"):
        assert part in text, part


def test_missing_authorisation_outcome_and_protection() -> None:
    assert POLICY.missing_authorisation_outcome("gentle-monster") == "hold"
    assert POLICY.is_protected("gentle-monster", "Gentle Monster Co.") and not POLICY.is_protected("x", None)
    strict = _policy_with(authorisation={"protected": ["chanel"], "missing": "hold", "block_brands": ["chanel"]})
    assert strict.missing_authorisation_outcome("chanel") == "block"
    assert strict.is_protected("chanel", None) and not strict.is_protected("nike", "Nike Inc.")


# --- malformed policies are refused with reasons that name the key ------------------------------------------


def _section(**changes: Any) -> dict[str, Any]:
    section = {k: v for k, v in POLICY_DOC.section("enforcement").items()}
    section.update(changes)
    return section


def _policy_with(**changes: Any) -> EnforcementPolicy:
    return EnforcementPolicy.from_section(_section(**changes), "test-1")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"ladder": []}, "enforcement.ladder"),
    ({"ladder": [{"points": 3, "action": "restriction"}]}, "enforcement.ladder[0].scope"),
    ({"ladder": [{"points": 2, "action": "ban"}]}, "enforcement.ladder[0].action"),
    ({"ladder": [{"points": 5, "action": "suspension"}, {"points": 6, "action": "warning"}]},
     "never get milder"),
    ({"ladder": [{"points": 5, "action": "warning"}, {"points": 2, "action": "warning"}]}, "ordered by points"),
    ({"ladder": [{"points": 0, "action": "warning"}]}, "enforcement.ladder[0].points"),
    ({"strike_expiry_days": "a year"}, "enforcement.strike_expiry_days"),
    ({"strike_expiry_dayz": 30}, "unknown key(s) strike_expiry_dayz"),
    ({"events": {"notice_upheld": {"strike_weight": 1, "ground": "x"}}}, "missing event kind(s)"),
    ({"authorisation": {"missing": "ignore"}}, "enforcement.authorisation.missing"),
    ({"identity": {"required": ["shoe_size"]}}, "enforcement.identity.required"),
])
def test_malformed_policy_sections_are_rejected_with_the_key_at_fault(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as err:
        _policy_with(**changes)
    assert expected in err.value.message


def test_a_bad_event_rule_is_named() -> None:
    events = {k: dict(v) for k, v in POLICY_DOC.section("enforcement")["events"].items()}
    events["test_buy_fake"]["restrict"] = "planet"
    with pytest.raises(ValidationError, match=r"enforcement\.events\.test_buy_fake\.restrict"):
        _policy_with(events=events)
    events["test_buy_fake"]["restrict"] = "brand"
    events["test_buy_fake"]["strike_weight"] = -2
    with pytest.raises(ValidationError, match=r"strike_weight.*>= 0"):
        _policy_with(events=events)


def test_malformed_policy_file_text_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not valid TOML"):
        parse_policy("version = '1'\n[enforcement\n", source="policy.toml")
    doc = parse_policy('version = "x-1"\n[enforcement]\nstrike_expiry_days = 30\n', source="policy.toml")
    with pytest.raises(ValidationError, match=r"enforcement\.events"):
        EnforcementPolicy.from_section(doc.section("enforcement"), doc.version)


def test_unknown_violation_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown violation kind 'jaywalking'"):
        decide(History("s"), Violation("jaywalking", "x:1"), POLICY, NOW)


def test_expiry_warnings_are_sent_once_and_never_out_of_order() -> None:
    until = date(2026, 12, 24)
    assert warnings_due(until, date(2026, 11, 23), (30, 7), ()) == []
    assert warnings_due(until, date(2026, 11, 24), (30, 7), ()) == [30]
    assert warnings_due(until, date(2026, 11, 25), (30, 7), (30,)) == []
    assert warnings_due(until, date(2026, 12, 17), (30, 7), (30,)) == [7]
    assert warnings_due(until, date(2026, 12, 20), (30, 7), ()) == [30, 7]  # missed runs: both recorded at once
    assert warnings_due(until, date(2026, 12, 25), (30, 7), ()) == []


# --- properties ------------------------------------------------------------------------------------------------

KINDS = sorted(POLICY.events)
strike_st = st.builds(
    lambda i, w, age, life, rev: StrikeRecord(str(i), w, NOW - timedelta(days=age), NOW - timedelta(days=age)
                                              + timedelta(days=life), rev),
    st.integers(0, 10_000), st.integers(1, 4), st.integers(0, 800), st.integers(1, 800), st.booleans())
sanction_st = st.builds(
    lambda i, kind, scope, age, days, ended, threshold: SanctionRecord(
        str(i), kind, NOW - timedelta(days=age), scope if kind == "restriction" else None,
        "gentle-monster" if scope == "brand" else None, NOW + timedelta(days=days), ended, threshold),
    st.integers(0, 10_000), st.sampled_from(["restriction", "suspension"]), st.sampled_from(["brand", "all"]),
    st.integers(0, 400), st.integers(-100, 200), st.booleans(), st.one_of(st.none(), st.integers(1, 9)))
history_st = st.builds(lambda s, r: History("seoul-outlet", tuple(s), tuple(r)),
                       st.lists(strike_st, max_size=8), st.lists(sanction_st, max_size=4))
violation_st = st.builds(Violation, st.sampled_from(KINDS), st.just("case:1"),
                         st.one_of(st.none(), st.just("gm-lang-01")),
                         st.one_of(st.none(), st.just("gentle-monster")), st.one_of(st.none(), st.just("eyewear")))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history_st, violation_st)
def test_same_history_and_policy_version_give_the_same_actions(history: History, event: Violation) -> None:
    again = EnforcementPolicy.from_section(POLICY_DOC.section("enforcement"), POLICY_DOC.version)
    assert decide(history, event, POLICY, NOW) == decide(history, event, again, NOW)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(strike_st, max_size=8), st.integers(1, 4), violation_st)
def test_the_ladder_is_monotone_in_points(base: list[StrikeRecord], extra: int, event: Violation) -> None:
    """More active points never give a lower ladder step, nor a milder outcome for a clean sanction history."""
    lower = History("s", tuple(base))
    higher = History("s", (*base, StrikeRecord("extra", extra, NOW - timedelta(days=1), NOW + timedelta(days=30))))
    assert POLICY.level(higher.points(NOW)) >= POLICY.level(lower.points(NOW))
    lo = decide(lower, event, POLICY, NOW)
    hi = decide(higher, event, POLICY, NOW)
    sanction = {"restriction": 3, "suspension": 4}
    assert max((sanction.get(a.kind, 0) for a in hi), default=0) >= max((sanction.get(a.kind, 0) for a in lo),
                                                                         default=0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history_st)
def test_strikes_expire(history: History) -> None:
    later = NOW + timedelta(days=2000)
    assert history.points(later) == 0
    assert history.points(NOW) == sum(s.weight for s in history.strikes
                                      if not s.reversed and s.at <= NOW < s.expires_at)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history_st, violation_st)
def test_every_action_names_its_rule_and_ground(history: History, event: Violation) -> None:
    for a in decide(history, event, POLICY, NOW):
        assert a.rule.startswith(("events.", "ladder[")) and a.ground
        if a.kind == "strike":
            assert a.weight > 0 and a.expires_at is not None and a.expires_at > NOW


def test_statement_of_reasons_links_to_the_appeal_of_this_action() -> None:
    action = decide(History("seoul-outlet"), FAKE_SUNGLASSES, POLICY, NOW)[1]
    text = statement_of_reasons(action, violation_kind="notice_upheld", cause_ref="case:12",
                                policy_version=POLICY.version, evidence=["notice:5"],
                                appeal_until=NOW + timedelta(days=180), action_id=417,
                                base_url="https://klean.example/").render_en()
    assert "<id>" not in text
    assert "https://klean.example/portal/seller#action-417" in text
    assert "POST https://klean.example/v1/enforcement/actions/417/appeal" in text
    relative = statement_of_reasons(action, violation_kind="notice_upheld", cause_ref="case:12",
                                    policy_version=POLICY.version, evidence=[], action_id=417,
                                    appeal_until=NOW + timedelta(days=180)).render_en()
    assert "at /portal/seller#action-417 (or POST /v1/enforcement/actions/417/appeal)" in relative
