"""The scan's column-built results equal result_record's records, in Arrow and in JSONL; Arrow rows equal clean_row."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pytest

from klean.adapters.results import result_record
from klean.adapters.scan.job import ScanStats
from klean.adapters.scan.records import RESULT_SCHEMA, ResultColumns, normalise
from klean.adapters.scan.rows import arrow_rows, clean_row
from klean.domain.messages import msg
from klean.domain.screening import Decision, Evidence, ScreeningResult

RESULTS = [
    ScreeningResult("L1", 0.9989, Decision.BLOCK, (
        Evidence("counterfeit_vocabulary", 0.9, "gucci", (24, 31),
                 msg("Counterfeit vocabulary: {word}", word="replica")),
        Evidence("price", 0.75, "gucci", None, msg("Price {price} is {pct}% of the reference {ref} for {product}",
                                                    price="30,000 KRW", pct=10, ref="299,000 KRW", product="Bag")),
        Evidence("seller", -0.2, None, None, msg("Seller account is {days} days old", days=3000)),
    ), "p1"),
    ScreeningResult("L2", 0.0, Decision.ALLOW, (), "p1"),
    ScreeningResult("L3", 0.55, Decision.REVIEW, (
        Evidence("brand_mention", 0.55, "nike", (0, 4), msg("Mentions {brand}", brand="Nike")),), "p1"),
    ScreeningResult("L4", 0.1, Decision.ALLOW, (
        Evidence("brand_mention", 0.1, "b0001", (3, 9), msg("A template with {missing} parameters")),), "p1"),
]


@pytest.mark.parametrize("lang", ["en", "ko", "ko-KR", "fr"])
def test_columns_give_result_records_in_arrow_and_jsonl(lang: str) -> None:
    cols = ResultColumns(lang)
    for r in RESULTS[:3]:
        cols.add(r)
    expected = [result_record(r, lang) for r in RESULTS[:3]]
    assert list(cols.records()) == expected
    assert list(cols.jsonl()) == [json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in expected]
    table = cols.to_table()
    assert table.schema == RESULT_SCHEMA
    assert [normalise(r) for r in table.to_pylist()] == [normalise(r) for r in expected]


def test_a_result_that_fails_to_render_leaves_nothing_behind() -> None:
    cols = ResultColumns("en")
    cols.add(RESULTS[0])
    with pytest.raises(KeyError):
        cols.add(RESULTS[3])  # result_record raises the same way: the row becomes a reject
    with pytest.raises(KeyError):
        result_record(RESULTS[3])
    cols.add(RESULTS[2])
    assert [r["id"] for r in cols.records()] == ["L1", "L3"]
    assert cols.to_table().num_rows == 2 and len(cols.evidence) == 4


def test_counts_are_those_of_flagged_results_suspicious_evidence() -> None:
    cols, stats = ResultColumns("en"), ScanStats()
    for r in RESULTS[:3]:
        cols.add(r)
    cols.count_into(stats)
    assert stats.screened == 3 and stats.decisions == {"block": 1, "allow": 1, "review": 1}
    assert stats.brands == {"gucci": 1, "nike": 1}  # once per listing, exculpatory evidence not counted
    assert stats.signals == {"counterfeit_vocabulary": 1, "price": 1, "brand_mention": 1}
    empty = ResultColumns("en").to_table()
    assert empty.num_rows == 0 and empty.schema == RESULT_SCHEMA


def test_arrow_rows_equal_clean_row_of_each_row() -> None:
    rows = [
        {"id": "L1", "title": "Gucci", "price": 1.5, "qty": 3, "ok": True, "dec": Decimal("12.50"),
         "created_at": dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC),
         "images": [{"path": "a.jpg", "sha256": None, "taken": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}],
         "meta": {"k": "v"}, "tags": ["a", "b"]},
        {"id": "L2", "title": None, "price": None, "qty": None, "ok": None, "dec": None, "created_at": None,
         "images": None, "meta": None, "tags": None},
    ]
    batch = pa.RecordBatch.from_pylist(rows)
    assert list(arrow_rows(batch)) == [clean_row(r) for r in batch.to_pylist()]
    assert list(arrow_rows(batch, skip=("id", "meta"))) == [
        clean_row({k: v for k, v in r.items() if k not in ("id", "meta")}) for r in batch.to_pylist()]
