"""Registry rules without a database: how marks are folded, what identifiers and prices are accepted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from klean.adapters.commands.registry import line_of
from klean.domain.errors import ValidationError
from klean.domain.registry_rules import check_amount, check_id, check_mark, fold_mark, slug


@pytest.mark.parametrize("a,b", [
    ("Samsung", "SAMSUNG"), ("Samsung", "ＳＡＭＳＵＮＧ"), ("Samsung", "sam sung"), ("Samsung", "Sam\u200bsung"),
    ("New Balance", "newbalance"), ("루이비통", "루이 비통"), ("Hermès", "HERMÈS"), ("三星", "三 星"),
])
def test_marks_that_fold_together(a: str, b: str) -> None:
    assert fold_mark(a) == fold_mark(b)


@pytest.mark.parametrize("a,b", [("Samsung", "Samsumg"), ("Hermès", "Hermes"), ("LG", "LEGO"), ("삼성", "三星")])
def test_marks_that_stay_apart(a: str, b: str) -> None:
    # Folding is for duplicate detection only; typos and look-alikes are screening's business.
    assert fold_mark(a) != fold_mark(b)


def test_marks_need_a_visible_character() -> None:
    for bad in ("", "   ", "\u200b", "\u200d\u200b", "Sam\x00sung"):
        with pytest.raises(ValidationError):
            check_mark(bad)
    assert check_mark("  삼성  ") == "삼성"


def test_identifiers_and_prices() -> None:
    assert check_id("louis-vuitton", field="id", limit=100) == "louis-vuitton"
    for bad in ("", "lv bag", "../etc", "-x", "x" * 101, "삼성"):
        with pytest.raises(ValidationError):
            check_id(bad, field="id", limit=100)
    assert check_amount(Decimal("1698400"), field="p") == Decimal("1698400")
    assert check_amount(Decimal("9.9900"), field="p") == Decimal("9.99")
    for bad in ("0", "-1", "1e14", "0.00001"):
        with pytest.raises(ValidationError):
            check_amount(Decimal(bad), field="p")
    assert slug("Air Force 1 '07") == "air-force-1-07" and slug("갤럭시") == ""


def test_errors_in_a_registry_file_are_traced_to_their_line() -> None:
    text = '{\n "brands": [\n  {"id": "dyson", "name": "Dyson", "marks": ["Dyson"]},\n  {"id": "lego",\n' \
           '   "marks": [\n    "LEGO",\n    ""\n   ]}\n ]\n}\n'
    assert line_of(text, "brands/1/marks/1") == 7
    assert line_of(text, "brands/1") == 4
    assert line_of(text, "brands/9") is None and line_of(text, "(root)") is None and line_of("{", "a") is None
