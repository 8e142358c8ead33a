"""The scan's fast row check agrees with listing_from_dict (the schema) on every row, good or bad."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klean.adapters.scan.job import reject_record
from klean.adapters.scan.rows import clean_row, parse_row
from klean.domain.errors import ValidationError
from klean.domain.files import listing_from_dict

GOOD = {"id": "L1", "title": "Nike Air Jordan 1 Retro High OG", "description": "270mm, 새상품", "price": 219000,
        "currency": "KRW", "seller_id": "sneaker_lab", "condition": "new",
        "images": [{"path": "img/1.jpg", "sha256": "ab" * 32}], "created_at": "2026-11-20T09:30:00+09:00"}

values = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                   st.sampled_from(["", "KRW", "krw", "KRW\n", "USDX", "new", "broken", "2026-11-20T09:30:00Z",
                                    "2026-13-01T00:00:00Z", "x" * 201, "ab" * 32, "AB" * 32]),
                   st.lists(st.dictionaries(st.sampled_from(["path", "sha256", "pdq"]),
                                            st.sampled_from(["a.jpg", "ab" * 32, 5, None]), max_size=3),
                            max_size=2))


def _outcome(fn, row):  # type: ignore[no-untyped-def]
    try:
        return fn(row, where="f.jsonl line 1")
    except ValidationError as exc:
        return ("rejected", exc.message)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(GOOD)), values, max_size=4))
def test_fast_path_gives_the_schemas_verdict(changes: dict) -> None:
    row = {**GOOD, **changes}
    assert _outcome(parse_row, row) == _outcome(listing_from_dict, row)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(GOOD)))
def test_missing_fields_are_judged_by_the_schema(key: str) -> None:
    row = {k: v for k, v in GOOD.items() if k != key}
    assert _outcome(parse_row, row) == _outcome(listing_from_dict, row)


def test_parquet_nulls_are_absent_fields_and_timestamps_iso_text() -> None:
    row = clean_row({**GOOD, "category": None, "created_at": dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC)})
    assert "category" not in row and row["created_at"] == "2026-11-20T00:30:00+00:00"
    assert parse_row(row, where="p.parquet row 1").created_at == dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("row", "reason"), [
    ({**GOOD, "price": -1}, "price"),
    ({k: v for k, v in GOOD.items() if k != "seller_id"}, "'seller_id' is a required property"),
    ({**GOOD, "currency": "won"}, "currency"),
])
def test_a_rejected_row_names_its_line_and_reason(row: dict, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_row(row, where="catalog.jsonl line 12")
    rec = reject_record("catalog.jsonl line 12", info.value)
    assert (rec["file"], rec["line"], rec["reason"]) == ("catalog.jsonl", 12, reason)
    assert rec["error"].startswith("catalog.jsonl line 12: ")


@pytest.mark.parametrize("line", [
    '{"id": "L1", "price": 219000}', '{"price": 1000000000000000000000000000000}', '{"p": 18446744073709551616}',
    '{"p": 1.5e400}', '{"price": NaN}',
    '{"t": "\\ud800"}', '"just a string"', '[1, 2.5e300, -0.0, true, null]', '{"k": 1, "k": 2}',
    "{not json", "", "   ", '{"a": 1} trailing', "\ufeff{}",
])
def test_catalog_lines_decode_exactly_as_the_standard_library_decodes_them(line: str) -> None:
    import json

    from klean.adapters.scan.readers import json_loads

    try:
        expected: object = json.loads(line)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as got:
            json_loads(line)
        assert got.value.msg == exc.msg  # the reject reason names the standard library's error
        return
    got_value = json_loads(line)
    assert got_value == expected or (got_value != got_value and expected != expected)  # NaN equals nothing
    assert repr(got_value) == repr(expected)
