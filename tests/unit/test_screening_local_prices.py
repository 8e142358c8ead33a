"""Prices written the local way in listing text (signals/money_text.py, data/prices.tsv) and their use by the price
signal, which shows the text it read next to the price in its reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from klean.signals.context import build_context
from klean.signals.examples import example_registry, listing
from klean.signals.money_text import stated_prices
from klean.signals.price import PriceAnomaly

CTX = build_context(example_registry())


@pytest.mark.parametrize(("text", "currency", "amount", "read_as"), [
    ("Rp 1.299.000 ori", "IDR", "1299000", "IDR"),
    ("ราคา 1,299.- ส่งฟรี", "THB", "1299", "THB"),
    ("ราคา ๙๙๐ บาท", "THB", "990", "THB"),  # Thai digits
    ("฿850 เท่านั้น", "THB", "850", "THB"),
    ("giá 12.5k", "VND", "12500", "VND"),
    ("490.000₫ chính hãng", "VND", "490000", "VND"),
    ("2 đôi giá 150.000đ", "VND", "150000", "VND"),
    ("giá 2tr", "VND", "2000000", "VND"),
    ("giá 1.250k", "VND", "1250000", "VND"),
    ("harga 1,5jt nego", "IDR", "1500000", "IDR"),
    ("150rb aja", "IDR", "150000", "IDR"),
    ("RM59 — Stok Lelong", "MYR", "59", "MYR"),
    ("₱45,000 lang", "PHP", "45000", "PHP"),
    ("99 pesos only", "PHP", "99", "PHP"),
    ("S$33", "SGD", "33", "SGD"),
    ("harga Rp 450.000", "MYR", "450000", "IDR"),  # the marker's currency, not the listing's
    ("1,5jt", "VND", "1500000", "IDR"),  # jt is Indonesian: the scale word says the currency
    ("$1,299.99", "USD", "1299.99", "USD"),
])
def test_local_price_formats_are_read_with_their_currency(text: str, currency: str, amount: str, read_as: str) -> None:
    prices = stated_prices(text, currency)
    assert [(p.amount, p.currency) for p in prices] == [(Decimal(amount), read_as)]


@pytest.mark.parametrize("text", ["18K gold plated", "shutter count 12k", "Galaxy S24 Ultra 256GB", "AF1 '07",
                                  "GA-2100 1A1", "Size 36-44, 2 đôi"])
def test_numbers_that_nothing_marks_as_a_price_are_not_prices(text: str) -> None:
    assert stated_prices(text, "MYR") == []


def test_a_price_per_unit_or_per_month_is_read_as_such() -> None:
    (per_unit,) = stated_prices("lấy sỉ 10 áo giá còn 75k/áo", "VND")
    assert (per_unit.amount, per_unit.per, per_unit.per_time) == (Decimal(75000), "áo", False)
    (rent,) = stated_prices("Sewa RM50/Bulan", "MYR")
    assert rent.per_time


def price_evidence(title: str, price: int, currency: str) -> list[tuple[str, float, str]]:
    x = listing(title, price, currency=currency)
    return [(e.code, e.weight, str(e.reason.params.get("price"))) for e in PriceAnomaly().evaluate(x, CTX)]


def test_a_placeholder_price_field_is_replaced_by_the_price_the_title_states() -> None:
    ev = price_evidence("Laneige Water Sleeping Mask 70ml harga 45rb", 0, "IDR")
    assert ev and ev[0][0] == "price" and ev[0][2] == "45,000 IDR (\u201c45rb\u201d)"
    assert price_evidence("Laneige Water Sleeping Mask 70ml Rp 1.299.000", 1, "IDR") == []  # not low


def test_a_price_field_typed_in_thousands_is_read_from_the_title() -> None:
    ev = price_evidence("Laneige Water Sleeping Mask 70ml Rp 299.000", 299, "IDR")
    assert ev == []  # 299,000 IDR is near the converted reference, not 299 IDR
    ev = price_evidence("Laneige Water Sleeping Mask 70ml Rp 29.000", 29, "IDR")
    assert ev and ev[0][2] == "29,000 IDR (\u201cRp 29.000\u201d)"


def test_a_price_stated_per_unit_is_not_divided_by_the_bundle_again() -> None:
    # "ambil 10 pcs" alone would price one unit at a tenth of the field
    assert price_evidence("Laneige Water Sleeping Mask 70ml ambil 10 pcs", 280000, "IDR")
    assert price_evidence("Laneige Water Sleeping Mask 70ml ambil 10 pcs Rp 280.000/pcs", 280000, "IDR") == []


def test_a_rent_per_month_is_not_priced_as_the_goods() -> None:
    assert price_evidence("Galaxy Watch6 40mm thuê 300k/tháng", 300000, "VND") == []
