"""`klean fx import|show` as an operator runs them, and screening converting with the imported rates."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_registry_cli import REGISTRY, klean

from klean.bootstrap import bootstrap
from klean.config import Settings
from klean.domain.listing import Listing, Money
from klean.domain.screening import ScreeningPolicy
from klean.services.registry import registry_snapshot
from klean.signals.screener import Screener


def test_imported_rates_replace_the_shipped_ones_and_reach_screening(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert klean(home, "init").returncode == 0
    shown = json.loads(klean(home, "fx", "show").stdout)
    assert shown["imported"] is False and {r["currency"] for r in shown["rates"]} >= {"KRW", "THB", "IDR"}
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps(REGISTRY, ensure_ascii=False), "utf-8")
    assert klean(home, "registry", "import", str(registry)).returncode == 0
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,per_usd,as_of\nKRW,1400,2026-11-30\nTHB,35,2026-11-30\n", "utf-8")
    r = klean(home, "fx", "import", str(rates))
    assert r.returncode == 0 and "imported 3 exchange rates as of 2026-11-30" in r.stdout, r.stderr
    assert json.loads(klean(home, "fx", "show").stdout)["imported"] is True

    app = bootstrap(Settings(home=home))
    snapshot = registry_snapshot(uow=app.uow_factory())
    listing = Listing(id="t", title="Dyson V15 Detect", price=Money.of(5950, "THB"), seller_id="s",
                      category="appliances", condition="new")
    price = [e for e in Screener(snapshot, ScreeningPolicy("t", 0.5, 0.8)).screen(listing).evidence
             if e.signal == "price"]
    assert price and price[0].reason.params["ref"] == "29,750 THB" and price[0].reason.params["pct"] == 20

    bad = tmp_path / "bad.csv"
    bad.write_text("currency,per_usd,as_of\nKRW,0,2026-11-30\n", "utf-8")
    r = klean(home, "fx", "import", str(bad))
    assert r.returncode == 2 and "bad.csv line 2/per_usd" in r.stderr and "Traceback" not in r.stderr
    assert json.loads(klean(home, "fx", "show").stdout)["rates"][0]["per_usd"] == 1400  # unchanged
