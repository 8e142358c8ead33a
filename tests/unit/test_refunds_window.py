"""The refund claim window: 3 calendar months from delivery (else purchase), to the end of that local day.

Time zone: the marketplace's, from `[refunds] timezone` (bundled policy: Asia/Seoul, UTC+9, no DST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from klean.domain.errors import ValidationError
from klean.domain.refunds import RefundPolicy, add_months, claim_window

SEOUL = ZoneInfo("Asia/Seoul")
KST = RefundPolicy(version="t")
UTC_POLICY = RefundPolicy(version="t", timezone="UTC")


@pytest.mark.parametrize(("start", "expected"), [
    (date(2026, 1, 31), date(2026, 4, 30)),   # April has 30 days
    (date(2026, 11, 30), date(2027, 2, 28)),  # 2027 is not a leap year
    (date(2027, 11, 30), date(2028, 2, 29)),  # 2028 is
    (date(2027, 11, 29), date(2028, 2, 29)),
    (date(2028, 2, 29), date(2028, 5, 29)),   # from a leap day
    (date(2026, 10, 31), date(2027, 1, 31)),  # across the year end
    (date(2026, 3, 15), date(2026, 6, 15)),
])
def test_three_calendar_months_clamp_to_month_end(start: date, expected: date) -> None:
    assert add_months(start, 3) == expected


def test_jan_31_delivery_may_claim_until_the_end_of_apr_30_seoul_time() -> None:
    delivered = datetime(2026, 1, 31, 14, 0, tzinfo=SEOUL)  # a Nike Dunk Low delivered in Seoul
    w = claim_window(purchased_at=delivered - timedelta(days=2), delivered_at=delivered, policy=KST)
    assert w.basis == "delivered_at"
    assert w.last_day == date(2026, 4, 30)
    last_second = datetime(2026, 4, 30, 23, 59, 59, tzinfo=SEOUL)
    assert w.contains(last_second)
    assert not w.contains(last_second + timedelta(seconds=1))  # one second after the window
    assert w.closes_at == datetime(2026, 5, 1, 0, 0, tzinfo=SEOUL)


def test_nov_30_delivery_closes_after_feb_28_or_feb_29_in_a_leap_year() -> None:
    plain = claim_window(purchased_at=datetime(2026, 11, 30, 9, tzinfo=SEOUL), delivered_at=None, policy=KST)
    assert plain.basis == "purchased_at" and plain.last_day == date(2027, 2, 28)
    assert not plain.contains(datetime(2027, 3, 1, 0, 0, 0, tzinfo=SEOUL))
    leap = claim_window(purchased_at=datetime(2027, 11, 30, 9, tzinfo=SEOUL), delivered_at=None, policy=KST)
    assert leap.last_day == date(2028, 2, 29)
    assert leap.contains(datetime(2028, 2, 29, 23, 59, 59, tzinfo=SEOUL))
    assert not leap.contains(datetime(2028, 3, 1, 0, 0, 0, tzinfo=SEOUL))


def test_leap_day_delivery() -> None:
    w = claim_window(purchased_at=datetime(2028, 2, 27, tzinfo=SEOUL), delivered_at=datetime(2028, 2, 29, 12,
                     tzinfo=SEOUL), policy=KST)
    assert w.last_day == date(2028, 5, 29)


def test_the_local_day_of_delivery_depends_on_the_marketplace_time_zone() -> None:
    # 23:30 UTC on Jan 31 is already 08:30 on Feb 1 in Seoul.
    delivered = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    seoul = claim_window(purchased_at=delivered, delivered_at=delivered, policy=KST)
    utc = claim_window(purchased_at=delivered, delivered_at=delivered, policy=UTC_POLICY)
    assert seoul.last_day == date(2026, 5, 1)
    assert utc.last_day == date(2026, 4, 30)
    # The same instant, stated in another zone, gives the same answer: only the policy's zone counts.
    same = claim_window(purchased_at=delivered, delivered_at=delivered.astimezone(ZoneInfo("America/New_York")),
                        policy=KST)
    assert same.closes_at == seoul.closes_at
    # 15:00:00 UTC on May 1 is midnight in Seoul: the Seoul window has just closed.
    assert seoul.contains(datetime(2026, 5, 1, 14, 59, 59, tzinfo=UTC))
    assert not seoul.contains(datetime(2026, 5, 1, 15, 0, 0, tzinfo=UTC))


def test_a_zone_with_daylight_saving_time_closes_at_local_midnight() -> None:
    ny = RefundPolicy(version="t", timezone="America/New_York")
    w = claim_window(purchased_at=datetime(2026, 12, 10, 18, tzinfo=UTC), delivered_at=None, policy=ny)
    assert w.last_day == date(2027, 3, 10)  # US daylight time starts on Mar 14 2027: still EST here
    assert w.closes_at.utcoffset() == timedelta(hours=-5)
    w2 = claim_window(purchased_at=datetime(2027, 1, 20, 18, tzinfo=UTC), delivered_at=None, policy=ny)
    assert w2.last_day == date(2027, 4, 20)
    assert w2.closes_at.utcoffset() == timedelta(hours=-4)  # daylight time by then
    assert w2.closes_at.astimezone(UTC) == datetime(2027, 4, 21, 4, 0, tzinfo=UTC)


def test_naive_datetimes_and_bad_zones_are_refused() -> None:
    with pytest.raises(ValidationError):
        claim_window(purchased_at=datetime(2026, 1, 1), delivered_at=None, policy=KST)
    with pytest.raises(ValidationError):
        RefundPolicy.from_section({"timezone": "Mars/Olympus_Mons"}, "t")
    with pytest.raises(ValidationError):
        RefundPolicy.from_section({"window_months": 0}, "t")
    with pytest.raises(ValidationError):
        RefundPolicy.from_section({"surprise": 1}, "t")
    assert not claim_window(purchased_at=datetime(2026, 1, 1, tzinfo=UTC), delivered_at=None,
                            policy=KST).contains(datetime(2026, 2, 1))  # a naive instant is never inside
