"""Running strike totals (issue 25) on SQLite and PostgreSQL: kept in the same transaction as every strike added,
reversed or expired; decisions from them equal decisions from the whole history; the check finds and fixes drift;
a violation reads no more of a seller's past with many strikes than with none.

The story: "Myeongdong Luxe" sells bags; reviewers Minji and Jisoo confirm notices against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from klean.adapters.db.models.enforcement import EnforcementActionRow, SellerTotalsRow
from klean.bootstrap import App
from klean.domain.listing import Listing, Money
from klean.domain.policy import Violation, decide
from klean.services import enforcement

SELLER = "myeongdong-luxe"
CLEAN = "jeju-handmade"


def _listing(k: App, lid: str, seller: str = SELLER) -> None:
    with k.uow_factory() as uow:
        uow.listings.upsert(Listing(id=lid, title="Chanel Classic Flap 미러급", category="bags",
                                    price=Money(Decimal("89000"), "KRW"), seller_id=seller))
        uow.commit()


def _violate(k: App, n: int, *, seller: str = SELLER, kind: str = "notice_upheld",
             now: datetime | None = None) -> list[dict]:  # type: ignore[type-arg]
    lid = f"{seller}-flap-{n}"
    _listing(k, lid, seller)
    with k.uow_factory() as uow:
        actions = enforcement.record_violation(uow=uow, seller_id=seller, kind=kind, actor="minji",
                                               cause_ref=f"case:{seller}:{n}", listing_id=lid, brand_id="chanel",
                                               now=now)
        uow.commit()
    return actions


def _totals(k: App, seller: str = SELLER) -> dict:  # type: ignore[type-arg]
    with k.uow_factory() as uow:
        t = uow.enforcement.totals(seller)
        return {key: t[key] for key in ("strike_points", "active_strikes", "strikes_total")}


def _same_as_history(k: App, now: datetime, seller: str = SELLER) -> None:
    """The totals-based history decides exactly as the whole history does, for a fresh violation at `now`."""
    pol = enforcement.current_policy()
    with k.uow_factory() as uow:
        whole, current = uow.enforcement.history(seller), uow.enforcement.current_history(seller, now)
        assert current.points(now) == whole.points(now)
        for kind in ("notice_upheld", "test_buy_fake", "screening_block"):
            v = Violation(kind=kind, cause_ref="case:probe", listing_id="probe", brand_id="chanel", category="bags")
            assert decide(current, v, pol, now) == decide(whole, v, pol, now)


def test_totals_follow_strikes_added_reversed_and_expired(klean_app: App) -> None:
    k = klean_app
    now = datetime.now(UTC)
    assert _totals(k) == {"strike_points": 0, "active_strikes": 0, "strikes_total": 0}
    _violate(k, 1)
    _violate(k, 2, kind="counterfeit_confirmed")  # strike 2
    assert _totals(k) == {"strike_points": 3, "active_strikes": 2, "strikes_total": 2}
    _same_as_history(k, now + timedelta(seconds=1))

    with k.uow_factory() as uow:  # a reviewer finds case 1 wrong: its strike goes, the totals with it
        enforcement.reverse_for_cause(uow=uow, cause_ref=f"case:{SELLER}:1", actor="jisoo", reason="wrong seller")
        uow.commit()
    assert _totals(k) == {"strike_points": 2, "active_strikes": 1, "strikes_total": 2}
    _same_as_history(k, datetime.now(UTC))

    # A year and a day later the remaining strike is past its end: before the expiry job runs, a violation already
    # does not count it (the totals subtract strikes past their end); after, the totals themselves drop.
    later = now + timedelta(days=366)
    _same_as_history(k, later)
    with k.uow_factory() as uow:
        assert enforcement.expire_due(uow=uow, now=later) >= 1
        uow.commit()
    assert _totals(k) == {"strike_points": 0, "active_strikes": 0, "strikes_total": 2}
    _same_as_history(k, later)
    assert enforcement.check_totals(uow=k.uow_factory()) == []


def test_a_violation_back_dated_before_the_newest_strike_reads_the_history(klean_app: App) -> None:
    k = klean_app
    _violate(k, 1)
    _violate(k, 2)
    earlier = datetime.now(UTC) - timedelta(days=2)  # before both strikes: neither counts then
    with k.uow_factory() as uow:
        assert uow.enforcement.current_history(SELLER, earlier).points(earlier) == 0
    _same_as_history(k, earlier)


def test_the_check_reports_drift_and_fixes_it(klean_app: App) -> None:
    k = klean_app
    for n in range(3):
        _violate(k, n)
    _violate(k, 0, seller=CLEAN)
    assert enforcement.check_totals(uow=k.uow_factory()) == []
    with k.uow_factory() as uow:  # damage: a lost update on one seller, a row missing for another
        uow.session.execute(update(SellerTotalsRow).where(SellerTotalsRow.seller_id == SELLER)
                            .values(strike_points=1))
        uow.session.execute(SellerTotalsRow.__table__.delete().where(SellerTotalsRow.seller_id == CLEAN))
        uow.commit()
    drift = enforcement.check_totals(uow=k.uow_factory())
    assert [(d["seller_id"], d["stored"]["strike_points"], d["recomputed"]["strike_points"]) for d in drift] == \
        [(CLEAN, 0, 1), (SELLER, 1, 3)]
    assert len(enforcement.check_totals(uow=k.uow_factory(), fix=True)) == 2
    assert enforcement.check_totals(uow=k.uow_factory()) == []
    assert _totals(k) == {"strike_points": 3, "active_strikes": 3, "strikes_total": 3}


@contextmanager
def _actions_loaded(k: App) -> Iterator[list[int]]:
    """Count enforcement_actions rows loaded as objects, and SQL statements, while the block runs."""
    counts = [0, 0]

    def loaded(_session: Session, instance: object) -> None:
        if isinstance(instance, EnforcementActionRow):
            counts[0] += 1

    def statement(*_args: object) -> None:
        counts[1] += 1

    event.listen(Session, "loaded_as_persistent", loaded)
    event.listen(k.engine, "after_cursor_execute", statement)
    try:
        yield counts
    finally:
        event.remove(Session, "loaded_as_persistent", loaded)
        event.remove(k.engine, "after_cursor_execute", statement)


def test_a_violation_reads_no_more_of_a_long_history_than_of_a_short_one(klean_app: App) -> None:
    """Counted in rows and statements, not seconds (bench/enforcement.py measures the time)."""
    k = klean_app

    def strikes_then_probe(first: int, last: int) -> tuple[int, int]:
        with k.uow_factory() as uow:
            for n in range(first, last):
                enforcement.record_violation(uow=uow, seller_id=SELLER, kind="notice_upheld", actor="minji",
                                             cause_ref=f"case:old:{n}", brand_id="chanel")
            uow.commit()
        _listing(k, f"probe-{last}")
        with _actions_loaded(k) as counts, k.uow_factory() as uow:
            enforcement.record_violation(uow=uow, seller_id=SELLER, kind="screening_block", actor="rule:screening",
                                         cause_ref=f"screening:probe-{last}:v1", listing_id=f"probe-{last}")
            uow.commit()
        return counts[0], counts[1]

    # 10 strikes: past every ladder step (8 points suspend), so the sanctions in force are the same from here on.
    at_10 = strikes_then_probe(0, 10)
    at_60 = strikes_then_probe(10, 60)
    assert _totals(k)["active_strikes"] == 60
    # The sanctions in force are read (a handful), never the strikes: 50 more strikes, not one more row.
    assert at_60 == at_10


def test_the_check_command_exits_1_on_drift_and_fixes_it(klean_app: App, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys

    k = klean_app
    _violate(k, 1)
    env = {**os.environ, "KLEAN_DATABASE_URL": database_url, "KLEAN_HOME": str(tmp_path)}

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", "enforcement",
                               "check-totals", *args], capture_output=True, text=True, timeout=120, env=env)

    ok = check()
    assert ok.returncode == 0 and "no drift" in ok.stdout, ok.stderr
    with k.uow_factory() as uow:
        uow.session.execute(update(SellerTotalsRow).values(strike_points=7))
        uow.commit()
    drifted = check()
    assert drifted.returncode == 1
    assert json.loads(drifted.stdout.splitlines()[0])["recomputed"]["strike_points"] == 1
    assert check("--fix").returncode == 0 and check().returncode == 0
