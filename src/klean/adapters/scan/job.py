"""What every engine does with rows: parse, screen, count; and the output folder every engine writes.

Output folder layout (files starting with "_" are ignored by Arrow, pandas and Spark readers):
    part-FFFFF-CCCCCC.parquet|jsonl   results of input file F, chunk C (result.schema.json)
    _rejects/part-FFFFF-CCCCCC.jsonl  rows that did not parse, with file and line/row number and reason
    _checkpoints/FFFFF-CCCCCC.json    written last, atomically: the chunk is done (and its counts)
    _scan.json                        the plan: input fingerprint, chunk size, format, language, versions
    _summary.json, _SUCCESS           when the scan has finished
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq

from klean.adapters.scan.records import RESULT_SCHEMA, ResultColumns, normalise
from klean.adapters.scan.rows import fast_listing
from klean.domain.errors import ValidationError
from klean.domain.files import listing_from_dict
from klean.domain.listing import Listing
from klean.domain.screening import ScreeningResult

FORMATS = ("parquet", "jsonl")
SAMPLES_PER_REASON = 3


class ScreenerLike(Protocol):
    def screen(self, listing: Listing) -> ScreeningResult: ...


class ListingFilter(Protocol):
    def matches(self, listing: Listing) -> bool: ...


@dataclass
class ScanStats:
    """Counts of a chunk or of a whole scan; they add up, so a resumed scan reports the whole run."""

    rows: int = 0
    screened: int = 0
    rejected: int = 0
    skipped: int = 0  # parsed but not affected by the change being rescanned (--only-affected-by)
    decisions: Counter[str] = field(default_factory=Counter)
    brands: Counter[str] = field(default_factory=Counter)
    signals: Counter[str] = field(default_factory=Counter)
    reject_reasons: Counter[str] = field(default_factory=Counter)
    reject_samples: dict[str, list[str]] = field(default_factory=dict)

    def add_reject(self, reason: str, message: str) -> None:
        self.rejected += 1
        self.reject_reasons[reason] += 1
        samples = self.reject_samples.setdefault(reason, [])
        if len(samples) < SAMPLES_PER_REASON:
            samples.append(message)

    def merge(self, other: ScanStats) -> None:
        self.rows += other.rows
        self.screened += other.screened
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.decisions.update(other.decisions)
        self.brands.update(other.brands)
        self.signals.update(other.signals)
        self.reject_reasons.update(other.reject_reasons)
        for reason, samples in other.reject_samples.items():
            mine = self.reject_samples.setdefault(reason, [])
            mine.extend(samples[: SAMPLES_PER_REASON - len(mine)])

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "screened": self.screened, "rejected": self.rejected, "skipped": self.skipped,
                "decisions": dict(self.decisions), "brands": dict(self.brands), "signals": dict(self.signals),
                "reject_reasons": dict(self.reject_reasons), "reject_samples": self.reject_samples}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ScanStats:
        return ScanStats(rows=d["rows"], screened=d["screened"], rejected=d["rejected"], skipped=d["skipped"],
                         decisions=Counter(d["decisions"]), brands=Counter(d["brands"]),
                         signals=Counter(d["signals"]), reject_reasons=Counter(d["reject_reasons"]),
                         reject_samples={k: list(v) for k, v in d["reject_samples"].items()})


def reject_record(where: str, error: Exception) -> dict[str, Any]:
    """A rejected row: where it is (file and line or row), why, and which input field is at fault."""
    if isinstance(error, ValidationError):
        message = error.message if error.message.startswith(where) else f"{where}: {error.message}"
        reason = error.field or "(row)"
        if reason == "(root)":  # e.g. a missing field: the schema's own words say which one
            reason = message.rpartition("(root): ")[2]
    else:  # the screener failed on this row: reported like a bad row rather than ending the scan
        message, reason = f"{where}: screening failed: {type(error).__name__}: {error}", "(screening failed)"
    file, _, position = where.rpartition(" ")
    file, _, unit = file.rpartition(" ")
    return {"file": file, unit: int(position), "reason": reason, "error": message}


def screen_rows(
    rows: Iterable[tuple[str, int, Any]], screener: ScreenerLike, *, lang: str = "en",
    only: ListingFilter | None = None, stats: ScanStats,
) -> tuple[ResultColumns, list[dict[str, Any]]]:
    """The results (as columns) and the reject records of (label, number, decoded row) rows, counted into
    `stats`; rows `only` does not match are skipped."""
    out = ResultColumns(lang)
    add, screen = out.add, screener.screen
    rejects: list[dict[str, Any]] = []
    count = skipped = 0
    for label, n, value in rows:
        count += 1
        try:
            listing = fast_listing(value)
            if listing is None:
                if isinstance(value, ValidationError):
                    raise value
                listing = listing_from_dict(value, where=f"{label}{n}")  # raises the schema's own message
            if only is not None and not only.matches(listing):
                skipped += 1
                continue
            add(screen(listing))  # complete: every evidence key, reasons rendered
        except Exception as exc:  # every failure becomes a reported reject, never a lost row
            reject = reject_record(f"{label}{n}", exc)
            stats.add_reject(reject["reason"], reject["error"])
            rejects.append(reject)
    stats.rows += count
    stats.skipped += skipped
    out.count_into(stats)
    return out, rejects


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary name in the same folder, then rename: readers see all or nothing."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    def go(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    _atomic_write(path, go)


def write_results(path: Path, results: ResultColumns, fmt: str) -> None:
    if fmt == "jsonl":
        def go(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as f:
                f.writelines(results.jsonl())
        _atomic_write(path, go)
    else:
        table = results.to_table()
        _atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_json(path: Path, value: Any) -> None:
    def go(tmp: Path) -> None:
        tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    _atomic_write(path, go)


@dataclass(frozen=True)
class OutputFolder:
    root: Path
    fmt: str

    def part(self, chunk_id: str) -> Path:
        return self.root / f"part-{chunk_id}.{self.fmt}"

    def rejects(self, chunk_id: str) -> Path:
        return self.root / "_rejects" / f"part-{chunk_id}.jsonl"

    def checkpoint(self, chunk_id: str) -> Path:
        return self.root / "_checkpoints" / f"{chunk_id}.json"

    @property
    def manifest(self) -> Path:
        return self.root / "_scan.json"

    def prepare(self) -> None:
        (self.root / "_rejects").mkdir(parents=True, exist_ok=True)
        (self.root / "_checkpoints").mkdir(parents=True, exist_ok=True)

    def finished(self, chunk_id: str) -> ScanStats | None:
        path = self.checkpoint(chunk_id)
        if not path.exists():
            return None
        return ScanStats.from_dict(json.loads(path.read_text("utf-8")))

    def commit_chunk(self, chunk_id: str, results: ResultColumns, rejects: list[dict[str, Any]],
                     stats: ScanStats) -> None:
        """Results, then rejects, then the checkpoint: a chunk killed half-way is redone under the same names."""
        write_results(self.part(chunk_id), results, self.fmt)
        if rejects:
            write_jsonl(self.rejects(chunk_id), rejects)
        else:
            self.rejects(chunk_id).unlink(missing_ok=True)
        write_json(self.checkpoint(chunk_id), stats.to_dict())


def part_files(root: Path, fmt: str) -> list[Path]:
    """Result part files in name order (ours: part-FFFFF-CCCCCC.fmt; Spark's: part-NNNNN-uuid...json|parquet)."""
    suffixes = (".parquet",) if fmt == "parquet" else (".jsonl", ".json")
    return sorted(p for p in root.iterdir() if p.name.startswith("part-") and p.name.endswith(suffixes))


def merge_parts(parts: list[Path], fmt: str, target: Path) -> None:
    """Concatenate part files into one file, part by part (bounded memory), atomically."""
    def go(tmp: Path) -> None:
        if fmt == "jsonl":
            with tmp.open("wb") as out:
                for p in parts:
                    with p.open("rb") as f:
                        while block := f.read(1 << 20):
                            out.write(block)
            return
        with pq.ParquetWriter(tmp, RESULT_SCHEMA, compression="zstd") as writer:
            for p in parts:
                table = pq.read_table(p)
                if table.num_rows:
                    writer.write_table(table.cast(RESULT_SCHEMA))
    _atomic_write(target, go)


def merge_rejects(paths: list[Path], target: Path) -> int:
    n = 0

    def go(tmp: Path) -> None:
        nonlocal n
        with tmp.open("wb") as out:
            for p in paths:
                data = p.read_bytes()
                n += data.count(b"\n")
                out.write(data)
    _atomic_write(target, go)
    return n


def read_results(path: Path) -> list[dict[str, Any]]:
    """Every result record in a results file or folder (JSONL or Parquet), normalised; for tests and tools."""
    def visible(p: Path) -> bool:
        return not any(s.startswith(("_", ".")) for s in p.relative_to(path).parts)

    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.is_file() and visible(p) and p.suffix in (".jsonl", ".json", ".parquet"))
    out: list[dict[str, Any]] = []
    for p in files:
        if p.suffix == ".parquet":
            out.extend(normalise(r) for r in pq.read_table(p).to_pylist())
        else:
            out.extend(normalise(json.loads(line)) for line in p.read_text("utf-8").splitlines() if line.strip())
    return out
