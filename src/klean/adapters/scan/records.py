"""Screening results as result.schema.json records (klean.adapters.results), and as Arrow (evidence: a list of
structs).

A scan builds its output column by column (`ResultColumns`): one list per field, evidence flattened with
list offsets, reasons rendered with each template translated once. The Arrow table is made from those lists
in one call per column, and JSONL lines are the very records `result_record` gives, without a per-row dict
on the Parquet path.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from klean.adapters.i18n import gettext, normalise_lang
from klean.domain.messages import Message
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
_EVIDENCE_FIELDS = list(EVIDENCE_TYPE)
_EVIDENCE_LIST = RESULT_SCHEMA.field("evidence").type
_SPAN_TYPE = EVIDENCE_TYPE.field("span").type
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one encoder, not one per line


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


class Reasons:
    """Renders reasons exactly as klean.adapters.i18n.render does, looking each template up once per scan."""

    def __init__(self, lang: str) -> None:
        self.lang = normalise_lang(lang)
        self._templates: dict[str, str] = {}

    def __call__(self, message: Message) -> str:
        template = message.template
        translated = self._templates.get(template)
        if translated is None:
            translated = self._templates[template] = gettext(template, self.lang)
        params = message.params
        try:
            return translated.format_map(params)  # as format(**params), without copying the parameters
        except (KeyError, IndexError, ValueError):
            return template.format(**params)


class ResultColumns:
    """The results of a chunk (or batch) as columns, plus the counts the scan summary needs."""

    def __init__(self, lang: str) -> None:
        self.reason = Reasons(lang)
        self.ids: list[str] = []
        self.scores: list[float] = []
        self.decisions: list[str] = []
        self.flagged: list[bool] = []
        self.offsets: list[int] = [0]  # evidence of row i: evidence[offsets[i]:offsets[i + 1]]
        self.evidence: list[tuple[str, float, str | None, tuple[int, int] | None, str]] = []
        self.flagged_brands: Counter[str] = Counter()
        self.flagged_signals: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, result: ScreeningResult) -> None:
        """Append one result; if anything in it fails (e.g. a reason), nothing of it is kept and the error is
        raised, so the row is reported as a reject like any other failure."""
        render = self.reason
        evidence = [(e.signal, float(e.weight), e.brand_id,
                     (int(e.span[0]), int(e.span[1])) if e.span is not None else None, render(e.reason))
                    for e in result.evidence]
        listing_id, score, decision, flagged = (result.listing_id, float(result.score), result.decision.value,
                                                bool(result.flagged))
        self.ids.append(listing_id)
        self.scores.append(score)
        self.decisions.append(decision)
        self.flagged.append(flagged)
        if evidence:
            self.evidence.extend(evidence)
            if flagged:
                suspicious = [e for e in evidence if e[1] > 0]
                self.flagged_brands.update({e[2] for e in suspicious if e[2]})
                self.flagged_signals.update({e[0] for e in suspicious})
        self.offsets.append(len(self.evidence))

    def arrays(self) -> list[pa.Array]:
        """The five result columns (RESULT_SCHEMA), each converted in one call."""
        signals, weights, brand_ids, spans, reasons = zip(*self.evidence, strict=True) if self.evidence else [()] * 5
        values = pa.StructArray.from_arrays([
            pa.array(signals, pa.string()), pa.array(weights, pa.float64()), pa.array(brand_ids, pa.string()),
            pa.array(spans, _SPAN_TYPE), pa.array(reasons, pa.string())], fields=_EVIDENCE_FIELDS)
        return [pa.array(self.ids, pa.string()), pa.array(self.scores, pa.float64()),
                pa.array(self.decisions, pa.string()), pa.array(self.flagged, pa.bool_()),
                pa.ListArray.from_arrays(pa.array(self.offsets, pa.int32()), values, type=_EVIDENCE_LIST)]

    def to_table(self) -> pa.Table:
        return pa.Table.from_arrays(self.arrays(), schema=RESULT_SCHEMA)

    def records(self) -> Iterator[dict[str, Any]]:
        """The same records as klean.adapters.results.result_record, in order."""
        offsets, evidence = self.offsets, self.evidence
        for i, (listing_id, score, decision, flagged) in enumerate(
                zip(self.ids, self.scores, self.decisions, self.flagged, strict=True)):
            yield {"id": listing_id, "score": score, "decision": decision, "flagged": flagged,
                   "evidence": [{"signal": signal, "weight": weight, "brand_id": brand_id,
                                 "span": list(span) if span is not None else None, "reason": reason}
                                for signal, weight, brand_id, span, reason in evidence[offsets[i]:offsets[i + 1]]]}

    def jsonl(self) -> Iterator[str]:
        """One JSON line per result, as `json.dumps(record, ensure_ascii=False, separators=(",", ":"))`."""
        encode = _JSON.encode
        for record in self.records():
            yield encode(record) + "\n"

    def count_into(self, stats: Any) -> None:
        """Add this chunk's results to a ScanStats (screened, decisions, flagged brands and signals)."""
        stats.screened += len(self.ids)
        stats.decisions.update(self.decisions)
        stats.brands.update(self.flagged_brands)
        stats.signals.update(self.flagged_signals)
