"""Screening results as result.schema.json records, reasons rendered in the language asked for."""

from __future__ import annotations

from typing import Any

from klean.adapters.i18n import normalise_lang, render
from klean.domain.screening import Evidence, ScreeningResult


def evidence_record(e: Evidence, lang: str = "en") -> dict[str, Any]:
    return {"signal": e.signal, "weight": float(e.weight), "brand_id": e.brand_id,
            "span": [int(e.span[0]), int(e.span[1])] if e.span is not None else None,
            "reason": render(e.reason, lang)}


def result_record(result: ScreeningResult, lang: str = "en") -> dict[str, Any]:
    """One result.schema.json record: id, score, decision, flagged and the evidence with rendered reasons."""
    lang = normalise_lang(lang)
    record: dict[str, Any] = {
        "id": result.listing_id,
        "score": float(result.score),
        "decision": result.decision.value,
        "flagged": result.flagged,
        "evidence": [evidence_record(e, lang) for e in result.evidence],
    }
    record.update(result.model_info())
    return record
