"""Screening results as result.schema.json records (klean.adapters.results), and as Arrow (evidence: a list of
structs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

EVIDENCE_TYPE = pa.struct([
    pa.field("signal", pa.string(), nullable=False),
    pa.field("weight", pa.float64(), nullable=False),
    pa.field("brand_id", pa.string()),
    pa.field("span", pa.list_(pa.int64())),
    pa.field("reason", pa.string(), nullable=False),
])

RESULT_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("decision", pa.string(), nullable=False),
    pa.field("flagged", pa.bool_(), nullable=False),
    pa.field("evidence", pa.list_(EVIDENCE_TYPE), nullable=False),
])


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """A record with every evidence key present, so JSONL and Parquet outputs read back equal."""
    return {
        "id": record["id"], "score": float(record["score"]), "decision": record["decision"],
        "flagged": bool(record["flagged"]),
        "evidence": [
            {"signal": e["signal"], "weight": float(e["weight"]), "brand_id": e.get("brand_id"),
             "span": list(e["span"]) if e.get("span") is not None else None, "reason": e["reason"]}
            for e in record["evidence"]
        ],
    }


def records_to_table(records: Sequence[dict[str, Any]]) -> pa.Table:
    """Column by column from complete records (as result_record gives them)."""
    return pa.Table.from_arrays([
        pa.array([r["id"] for r in records], pa.string()),
        pa.array([float(r["score"]) for r in records], pa.float64()),
        pa.array([r["decision"] for r in records], pa.string()),
        pa.array([bool(r["flagged"]) for r in records], pa.bool_()),
        pa.array([r["evidence"] for r in records], RESULT_SCHEMA.field("evidence").type),
    ], schema=RESULT_SCHEMA)
