"""Notices and reports as pure rules: completeness, the case state machine, windows, accuracy, misuse, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klean.domain.cases import (
    CaseState,
    DecidedNotice,
    MisuseVerdict,
    NoticeDraft,
    NoticePolicy,
    Outcome,
    RightClaim,
    accuracy,
    add_business_days,
    add_months,
    check_transition,
    meets_trusted_bar,
    missing_elements,
    misuse_verdict,
    trusted_should_be_removed,
)
from klean.domain.errors import Conflict, ValidationError
from klean.domain.reports import ReportDraft, extract_refs, guess_lang, url_candidates, validate_report

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday


def complete_notice(**over: object) -> NoticeDraft:
    values: dict[str, object] = dict(
        brand_id="gentle-monster", notifier_name="IICOMBINED legal team", notifier_email="legal@iicombined.example",
        right=RightClaim(kind="trademark", registration_number="40-1045321", office="KIPO"),
        listings=("gm-88231",), explanation="Sunglasses sold as 'Lilit' with a misspelt case stamp at 13% of retail.",
        good_faith=True, accurate=True, signature="Park Seo-yeon")
    values.update(over)
    return NoticeDraft(**values)  # type: ignore[arg-type]


def test_a_complete_notice_lacks_nothing_and_each_gap_is_named() -> None:
    assert missing_elements(complete_notice()) == []
    gaps = {m.field for m in missing_elements(complete_notice(good_faith=False, signature=" ", listings=()))}
    assert gaps == {"good_faith", "signature", "listings"}
    other = complete_notice(right=RightClaim(kind="other"))
    assert [m.field for m in missing_elements(other)] == ["right.ground"]
    assert missing_elements(complete_notice(right=RightClaim(kind="other", ground="unregistered trade dress"))) == []
    assert [m.field for m in missing_elements(complete_notice(notifier_email="legal at iicombined"))] == [
        "notifier_email"]


def test_the_case_state_machine_allows_only_its_moves() -> None:
    assert check_transition("received", "under_review") is CaseState.UNDER_REVIEW
    assert check_transition("actioned", "countered") is CaseState.COUNTERED
    assert check_transition("countered", "restored") is CaseState.RESTORED
    with pytest.raises(Conflict, match="cannot become"):
        check_transition("rejected", "restored")
    with pytest.raises(Conflict):
        check_transition("closed", "received")
    with pytest.raises(ValidationError):
        check_transition("received", "vanished")


def test_ten_business_days_skip_weekends_and_holidays() -> None:
    assert add_business_days(NOW, 10) == NOW + timedelta(days=14)  # Tue -> Tue two weeks on
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert add_business_days(friday, 1) == friday + timedelta(days=3)  # Monday
    christmas = date(2026, 12, 25)  # a Friday
    assert add_business_days(datetime(2026, 12, 24, tzinfo=UTC), 1, [christmas]).date() == date(2026, 12, 28)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)), st.integers(0, 40))
def test_business_days_land_on_a_weekday_and_count_exactly(start: datetime, n: int) -> None:
    start = start.replace(tzinfo=UTC)
    end = add_business_days(start, n)
    days = [(start + timedelta(days=i)).date() for i in range(1, (end.date() - start.date()).days + 1)]
    assert sum(d.weekday() < 5 for d in days) == n
    if n:
        assert end.weekday() < 5


def test_six_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 24, tzinfo=UTC), 6) == datetime(2027, 5, 24, tzinfo=UTC)


def decided(days_ago: int, outcome: Outcome, unfounded: bool = False) -> DecidedNotice:
    return DecidedNotice(decided_at=NOW - timedelta(days=days_ago), outcome=outcome, manifestly_unfounded=unfounded)


def test_trusted_bar_is_90_percent_upheld_and_at_most_5_percent_countered_over_the_window() -> None:
    policy = NoticePolicy()
    good = [decided(i, Outcome.UPHELD) for i in range(19)] + [decided(3, Outcome.REJECTED)]
    acc = accuracy(good, now=NOW, window_days=90)
    assert (acc.decided, acc.upheld, acc.upheld_share) == (20, 19, 0.95)
    assert meets_trusted_bar(acc, policy) and not trusted_should_be_removed(acc, policy)
    two_counters = [*good[:18], decided(1, Outcome.COUNTER_RESTORED), decided(2, Outcome.COUNTER_RESTORED)]
    acc = accuracy(two_counters, now=NOW, window_days=90)
    assert acc.countered_share == 0.1 and trusted_should_be_removed(acc, policy)
    # old decisions fall out of the rolling window
    stale = [decided(200, Outcome.REVERSED)] * 30 + good
    assert accuracy(stale, now=NOW, window_days=90).decided == 20
    # too few decided notices: not judged yet
    assert not trusted_should_be_removed(accuracy([decided(1, Outcome.REVERSED)], now=NOW, window_days=90), policy)


def test_misuse_warns_first_then_suspends() -> None:
    policy = NoticePolicy()
    three = [decided(i, Outcome.REJECTED, unfounded=True) for i in range(3)]
    assert misuse_verdict(accuracy(three, now=NOW, window_days=180), policy, warnings_given=0) is MisuseVerdict.WARN
    assert misuse_verdict(accuracy(three, now=NOW, window_days=180), policy, warnings_given=1) is MisuseVerdict.OK
    six = three * 2
    assert misuse_verdict(accuracy(six, now=NOW, window_days=180), policy, warnings_given=1) is \
        MisuseVerdict.SUSPEND
    # a high rate among few notices also suspends once warned
    mix = [*three, decided(1, Outcome.UPHELD), decided(2, Outcome.UPHELD)]
    assert misuse_verdict(accuracy(mix, now=NOW, window_days=180), policy, warnings_given=1) is \
        MisuseVerdict.SUSPEND


def test_listing_references_are_found_in_korean_and_english_text() -> None:
    text = ("상품번호 7264581 가 가품입니다. 또 https://market.example/items/7264582?utm_source=share, "
            "and listing id: cp-88231. Same link again https://market.example/items/7264582?utm_source=share "
            "and one on another site: https://www.coupang.example/vp/products/7264583?itemId=99")
    assert extract_refs(text) == ["7264581", "https://market.example/items/7264582?utm_source=share", "cp-88231"]
    assert url_candidates("https://www.coupang.example/vp/products/7264582?itemId=99&q=x") == ["7264582", "99"]
    assert guess_lang("정품 아닌 것 같아요 (Gucci)") == "ko" and guess_lang("Fake Gucci belt") == "en"


def test_reports_are_validated_and_cleaned() -> None:
    ok = validate_report(ReportDraft(category="counterfeit", text="  가짜 샤넬 \x00백 ", lang="ko"))
    assert ok.text == "가짜 샤넬 백"
    for bad, field in [(ReportDraft(category="ufo", text="a fake bag"), "category"),
                       (ReportDraft(category="other", text="hm"), "text"),
                       (ReportDraft(category="other", text="x" * 6000), "text"),
                       (ReportDraft(category="other", text="fake bag", lang="ja"), "lang"),
                       (ReportDraft(category="other", text="fake bag", listings=("",)), "listings")]:
        with pytest.raises(ValidationError) as err:
            validate_report(bad)
        assert err.value.field == field
