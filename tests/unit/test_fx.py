"""Exchange rates: a dated table that ships as data, is replaced by import, and converts reference prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from klean.domain.errors import ValidationError
from klean.domain.fx import fx_from_rows, parse_fx_csv
from klean.domain.listing import Listing, Money
from klean.domain.registry import Brand, Product, RegistrySnapshot
from klean.domain.screening import ScreeningPolicy
from klean.signals.lexicons import shipped_fx
from klean.signals.screener import Screener


def test_the_shipped_table_converts_between_any_two_of_its_currencies() -> None:
    table = shipped_fx()
    assert {"KRW", "USD", "IDR", "THB", "VND", "MYR", "PHP", "SGD", "CNY"} <= set(table.rates)
    converted = table.convert(Money.of(1395, "KRW"), "THB")
    assert converted is not None and converted[0] == Money(Decimal("34.6"), "THB")
    assert table.convert(Money.of(1, "KRW"), "XXX") is None


@pytest.mark.parametrize(("csv", "message"), [
    ("currency,per_usd\nKRW,1395\n", "header"),
    ("currency,per_usd,as_of\nKRW,-3,2026-11-28\n", "line 2/per_usd"),
    ("currency,per_usd,as_of\nKRW,1395,2026-11-28\nkrw,1400,2026-11-29\n", "line 3/currency: KRW appears twice"),
    ("currency,per_usd,as_of\nWON,abc,2026-11-28\n", "per_usd"),
    ("currency,per_usd,as_of\nKRW,1395,28/11/2026\n", "as_of"),
])
def test_a_bad_rate_table_is_refused_naming_the_line_and_field(csv: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_fx_csv(csv, source="rates.csv")


def test_a_reference_in_another_currency_is_converted_and_the_reason_says_so() -> None:
    reg = RegistrySnapshot(brands=(Brand("laneige", "Laneige", ("Laneige",), use_pack=False, products=(
        Product("wsm", "laneige", "Water Sleeping Mask 70ml", Money.of(32000, "KRW"), ("Water Sleeping Mask",),
                "beauty"),)),), fx=fx_from_rows([{"currency": "KRW", "per_usd": 1400, "as_of": "2026-11-30"},
                                                 {"currency": "THB", "per_usd": 35, "as_of": "2026-11-30"}],
                                                source="test"))
    listing = Listing(id="t", title="Laneige Water Sleeping Mask 70ml", price=Money.of(150, "THB"), seller_id="s",
                      category="beauty", condition="new")
    screener = Screener(reg, ScreeningPolicy("t", 0.5, 0.8), today=date(2026, 12, 1))
    price = [e for e in screener.screen(listing).evidence if e.signal == "price"]
    assert price and price[0].reason.params["ref"] == "800 THB" and price[0].reason.params["original"] == "32,000 KRW"
    assert price[0].reason.params["pct"] == 19 and price[0].reason.params["day"] == "2026-11-30"
