"""Screening results as result.schema.json records, and as Arrow (evidence: a list of structs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pyarrow as pa

from klean.domain.screening import ScreeningResult

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


@cache
def _shared_renderer() -> Callable[[ScreeningResult, str], dict[str, Any]] | None:
    try:
        from klean.adapters.results import result_record as shared
    except ImportError:
        return None
    return shared  # type: ignore[no-any-return]


def result_record(result: ScreeningResult, lang: str = "en") -> dict[str, Any]:
    """One result.schema.json record, through the screening adapter when it is installed."""
    shared = _shared_renderer()
    if shared is not None:
        return shared(result, lang)  # type: ignore[no-any-return]
    # Until the shared renderer exists, reasons are rendered from their English template only.
    return {
        "id": result.listing_id,
        "score": float(result.score),
        "decision": str(result.decision.value),
        "flagged": result.flagged,
        "evidence": [
            {"signal": e.signal, "weight": float(e.weight), "brand_id": e.brand_id,
             "span": list(e.span) if e.span is not None else None, "reason": e.reason.render_en()}
            for e in result.evidence
        ],
    }


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
    return pa.Table.from_pylist([normalise(r) for r in records], schema=RESULT_SCHEMA)
