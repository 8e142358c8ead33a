"""What one confirmed violation costs for a seller with no history and for one with 1,000 prior strikes (issue 25).

    python bench/enforcement.py --db sqlite
    python bench/enforcement.py --db postgres --prior 1000 --violations 200

A fresh database (a SQLite file, or a scratch PostgreSQL database dropped afterwards) gets one "busy" seller whose
1,000 upheld notices within the year left 1,000 active strikes (and the ladder's sanctions). Then `--violations`
upheld notices are recorded alternately against the busy seller and against sellers with no history at all, each
in its own transaction as a reviewer's confirmation is (services.enforcement.record_violation, then commit). It
prints per violation: wall and CPU time (median and p90) and SQL statements, for each kind of seller; and what
reading the busy seller's whole history costs once (what every violation did before the running totals).

Run it against an older checkout (PYTHONPATH=that/src) to compare before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--postgres-url", default=os.environ.get("KLEAN_TEST_POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--prior", type=int, default=1000, help="prior strikes of the busy seller")
    p.add_argument("--violations", type=int, default=200, help="violations measured (half per kind of seller)")
    args = p.parse_args()

    home = Path(tempfile.mkdtemp(prefix="klean-bench-enf-"))
    os.environ["KLEAN_HOME"] = str(home)
    pg_name, admin = "", None
    if args.db == "postgres":
        pg_name = f"klean_enf_{uuid.uuid4().hex[:10]}"
        admin = create_engine(make_url(args.postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{pg_name}"'))
        os.environ["KLEAN_DATABASE_URL"] = make_url(args.postgres_url).set(database=pg_name).render_as_string(
            hide_password=False)
    else:
        os.environ.pop("KLEAN_DATABASE_URL", None)
    try:
        run(args)
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()


def run(args: argparse.Namespace) -> None:
    from klean.adapters.db import migrate
    from klean.bootstrap import bootstrap
    from klean.services import enforcement

    k = bootstrap()
    migrate.upgrade(k.engine)
    busy = "busy-seller"
    t0 = time.perf_counter()
    with k.uow_factory() as uow:
        for n in range(args.prior):
            enforcement.record_violation(uow=uow, seller_id=busy, kind="notice_upheld", actor="minji",
                                         cause_ref=f"case:prior:{n}", brand_id="chanel")
        uow.commit()
    setup = time.perf_counter() - t0
    statements = [0]

    def count(*_a: Any) -> None:
        statements[0] += 1

    event.listen(k.engine, "after_cursor_execute", count)
    cost: dict[str, dict[str, list[float]]] = {s: {"wall": [], "cpu": [], "sql": []} for s in ("none", "busy")}
    for i in range(args.violations):
        kind = "busy" if i % 2 else "none"
        seller = busy if kind == "busy" else f"clean-seller-{i}"
        statements[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        with k.uow_factory() as uow:
            enforcement.record_violation(uow=uow, seller_id=seller, kind="notice_upheld", actor="minji",
                                         cause_ref=f"case:bench:{i}", brand_id="chanel")
            uow.commit()
        cost[kind]["wall"].append(time.perf_counter() - wall)
        cost[kind]["cpu"].append(time.process_time() - cpu)
        cost[kind]["sql"].append(statements[0])
    event.remove(k.engine, "after_cursor_execute", count)
    with k.uow_factory() as uow:
        wall, cpu = time.perf_counter(), time.process_time()
        history = uow.enforcement.history(busy)
        whole = (time.perf_counter() - wall, time.process_time() - cpu)
        strikes = len(history.strikes)

    print(f"{args.db}: busy seller with {strikes} strikes on record ({args.prior} prior, set up in {setup:.1f} s); "
          f"{args.violations} violations alternating; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'seller':<26} {'wall p50 ms':>11} {'wall p90 ms':>11} {'CPU p50 ms':>10} {'CPU p90 ms':>10} "
          f"{'SQL/violation':>13}")
    for kind, label in (("none", "no history"), ("busy", f"{args.prior}+ prior strikes")):
        c = cost[kind]
        print(f"{label:<26} {statistics.median(c['wall']) * 1000:>11.2f} {_percentile(c['wall'], 0.9) * 1000:>11.2f} "
              f"{statistics.median(c['cpu']) * 1000:>10.2f} {_percentile(c['cpu'], 0.9) * 1000:>10.2f} "
              f"{statistics.median(c['sql']):>13.0f}")
    print(f"reading the busy seller's whole history once: {whole[0] * 1000:.1f} ms wall, {whole[1] * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main()
