"""`klean qa sample` / `klean qa report` as an operator runs them, in a subprocess against a fresh home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from klean.bootstrap import bootstrap
from klean.config import Settings
from klean.domain.listing import Listing, Money


def klean(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KLEAN_HOME": str(home), "KLEAN_LOG_JSON": "false"}
    env.pop("KLEAN_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_sample_is_reproducible_from_the_seed_and_reports(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert klean(home, "init").returncode == 0
    app = bootstrap(Settings(home=home))
    with app.uow_factory() as uow:
        for i in range(12):
            uow.listings.upsert(Listing(id=f"lst-ray-ban-{i:02d}", title=f"레이밴 웨이페어러 RB2140 {i}",
                                        price=Money(Decimal(39_000 + i * 1000), "KRW"), seller_id=f"shop-{i % 4}"))
        uow.commit()
    app.engine.dispose()
    first = klean(home, "qa", "sample", "--period", "2026-11", "--seed", "7", "--count", "5")
    assert first.returncode == 0, first.stderr
    second = klean(home, "qa", "sample", "--period", "2026-12", "--seed", "7", "--count", "5")
    rows = [line.split("\t")[1:3] for line in first.stdout.splitlines()]
    assert len(rows) == 5 and rows == [line.split("\t")[1:3] for line in second.stdout.splitlines()]
    assert sum(method == "random" for _, method in rows) == 1  # 20% of 5
    assert "5 picks, cost" in first.stderr
    again = klean(home, "qa", "sample", "--period", "2026-11", "--seed", "8")
    assert again.returncode == 2 and "already sampled" in again.stderr
    assert klean(home, "qa", "sample", "--period", "Nov", "--seed", "1").returncode == 2
    report = klean(home, "qa", "report", "--period", "2026-11")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["picks"] == 5
