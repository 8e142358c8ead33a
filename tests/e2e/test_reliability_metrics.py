"""Prometheus sees screenings by decision and scan progress, not only HTTP counts."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from klean.adapters.metrics import REGISTRY
from klean.adapters.scan.progress import Progress

MakeUser = Callable[..., dict[str, str]]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_screenings_are_counted_by_decision(client: TestClient, make_user: MakeUser) -> None:
    seller = make_user("busan-shades", "seller", seller_id="busan-shades")
    before = sum(sample("klean_screenings_total", decision=d, source="dry_run") for d in ("allow", "review", "block"))
    r = client.post("/v1/screen", json={"title": "Samsung Galaxy S24 Ultra 256GB, sealed", "seller_id": "busan-shades",
                                        "price": 1_390_000, "currency": "KRW"}, headers=seller)
    assert r.status_code == 200, r.text
    decision = r.json()["decision"]
    assert sample("klean_screenings_total", decision=decision, source="dry_run") >= 1
    after = sum(sample("klean_screenings_total", decision=d, source="dry_run") for d in ("allow", "review", "block"))
    assert after == before + 1
    assert "klean_screenings_total" in client.get("/metrics").text


def test_scan_progress_is_exported() -> None:
    before = sample("klean_scan_rows_total", outcome="processed")
    bar = Progress(200, enabled=False, already=50)
    assert sample("klean_scan_progress_ratio") == 0.25
    bar.advance(100)
    assert sample("klean_scan_progress_ratio") == 0.75
    assert sample("klean_scan_rows_total", outcome="processed") == before + 100
