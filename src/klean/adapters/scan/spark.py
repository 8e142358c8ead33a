"""The Spark engine: the same parse -> screen -> record code as the local engine, inside mapInArrow.

The screener (registry snapshot and compiled context) is broadcast once; each Python worker
unpickles it once and reuses it for every batch. Input is read by Spark itself (so HDFS, S3 and
cluster file systems work): Parquet with its per-file row index, JSONL as text with per-file line
numbers rebuilt from per-block line counts. Rejected rows are written beside the results, with the
same file/line/reason records as the local engine. pyspark is an optional extra (`klean[spark]`).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from klean.adapters.scan.job import ListingFilter, ScanStats, ScreenerLike, screen_rows, write_json, write_jsonl
from klean.adapters.scan.local import ScanOutcome, Target, finish_output, screener_identity
from klean.adapters.scan.readers import input_files
from klean.adapters.scan.records import RESULT_SCHEMA
from klean.domain.errors import Conflict, ValidationError

_REJECT_FIELDS = [
    pa.field("reject_file", pa.string()),
    pa.field("reject_unit", pa.string()),
    pa.field("reject_position", pa.int64()),
    pa.field("reject_reason", pa.string()),
    pa.field("reject_error", pa.string()),
]
OUT_SCHEMA = pa.schema([*RESULT_SCHEMA, *_REJECT_FIELDS])
_META = ("_klean_file", "_klean_pos")


def _import_pyspark() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "pandas >= 3 not fully supported": we use Arrow only
            import pyspark.sql
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise ValidationError("the Spark engine needs pyspark: pip install 'klean[spark]'", field="engine") from exc
    return pyspark.sql


def spark_session(master: str | None = None) -> Any:
    """The active session (under spark-submit), or a new one; workers run this very interpreter."""
    sql = _import_pyspark()
    # Without this, Python workers run `python3` from PATH, which may lack pyarrow and klean.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = sql.SparkSession.builder.appName("klean-scan")
    # Under spark-submit the JVM started this interpreter (it sets PYSPARK_GATEWAY_PORT) with the master and
    # resources of the command line: keep them.
    if master and "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(master)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return builder.getOrCreate()


def _batch_rows(batch: pa.RecordBatch, unit: str, offsets: dict[tuple[str, int], int],
                running: dict[tuple[str, int], int], labels: dict[str, str]) -> Iterator[tuple[str, int, Any]]:
    """(label, line or row number, decoded row or the ValidationError why not) per row, column by column."""
    from klean.adapters.scan.readers import BLANK, decode_line
    from klean.adapters.scan.rows import arrow_rows

    files = batch.column("_klean_file").to_pylist()
    positions = batch.column("_klean_pos").to_pylist()

    def label(file: str) -> str:
        text = labels.get(file)
        if text is None:
            text = labels[file] = f"{file.rsplit('/', 1)[-1]} {unit} "
        return text

    if unit == "line":  # pos is the block start; line numbers continue across the block's rows
        for file, pos, raw in zip(files, positions, batch.column("value").to_pylist(), strict=True):
            key = (file, pos)
            seen = running[key] = running.get(key, 0) + 1
            n = offsets[key] + seen
            value = decode_line(raw, label(file), n)
            if value is not BLANK:
                yield label(file), n, value
    else:
        for file, pos, row in zip(files, positions, arrow_rows(batch, skip=_META), strict=True):
            yield label(file), pos + 1, row


def _screen_batches(batches: Iterator[pa.RecordBatch], screener: ScreenerLike, lang: str,
                    only: ListingFilter | None, unit: str, offsets: dict[tuple[str, int], int],
                    stats: ScanStats) -> Iterator[pa.RecordBatch]:
    """Runs in the Python workers: rows -> results (and rejects, in a batch of their own), batch by batch."""
    running: dict[tuple[str, int], int] = {}
    labels: dict[str, str] = {}
    for batch in batches:
        results, rejects = screen_rows(_batch_rows(batch, unit, offsets, running, labels), screener, lang=lang,
                                       only=only, stats=stats)
        n = len(results)
        yield pa.RecordBatch.from_arrays([*results.arrays(), *(pa.nulls(n, f.type) for f in _REJECT_FIELDS)],
                                         schema=OUT_SCHEMA)
        if rejects:
            out = []
            for reject in rejects:
                unit_name = "line" if "line" in reject else "row"
                out.append({"id": "", "score": 0.0, "decision": "", "flagged": False, "evidence": [],
                            "reject_file": reject["file"], "reject_unit": unit_name,
                            "reject_position": reject[unit_name], "reject_reason": reject["reason"],
                            "reject_error": reject["error"]})
            yield pa.RecordBatch.from_pylist(out, schema=OUT_SCHEMA)


def _line_offsets(text_df: Any) -> dict[tuple[str, int], int]:
    """Lines before each (file, block start): per-block counts summed in block order, on the driver."""
    counts = sorted((r[0], r[1], r[2]) for r in text_df.groupBy("_klean_file", "_klean_pos").count().collect())
    offsets: dict[tuple[str, int], int] = {}
    total: dict[str, int] = {}
    for file, start, n in counts:
        offsets[(file, start)] = total.get(file, 0)
        total[file] = total.get(file, 0) + n
    return offsets


def _spark_type() -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(OUT_SCHEMA)


def run_spark(
    input_path: Path | str, output: Path, screener: ScreenerLike, *, fmt: str | None = None, lang: str = "en",
    only: ListingFilter | None = None, master: str | None = "local[2]", spark: Any = None,
    batch_rows: int = 4096,
) -> ScanOutcome:
    """Scan a catalog on Spark (local mode, or the cluster of the active session) and return the counts."""
    _import_pyspark()
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    started = time.monotonic()
    target = Target.of(output, fmt)
    root = target.folder.root
    if root.exists() and any(root.iterdir()):
        raise Conflict(f"{root} exists; the Spark engine writes a new output (resume is the local engine's)",
                       field="output")
    files = input_files(Path(input_path))
    kind = files[0][1]
    paths = [str(p.resolve()) for p, _ in files]
    spark = spark or spark_session(master)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
    if kind == "parquet":
        df = spark.read.parquet(*paths)
        df = df.select("*", F.col("_metadata.file_path").alias("_klean_file"),
                       F.col("_metadata.row_index").alias("_klean_pos"))
        offsets: dict[tuple[str, int], int] = {}
        unit = "row"
    else:
        df = spark.read.option("lineSep", "\n").text(paths)
        df = df.select("value", F.col("_metadata.file_path").alias("_klean_file"),
                       F.col("_metadata.file_block_start").alias("_klean_pos"))
        offsets = _line_offsets(df)
        unit = "line"
    sc = spark.sparkContext
    shared = sc.broadcast((screener, only))
    offsets_bc = sc.broadcast(offsets)
    # The summary counts travel back with the tasks (no extra Spark jobs). Spark adds a task's update once
    # when the task succeeds; the output is persisted, so the screening runs once per row.
    counts = sc.accumulator(ScanStats().to_dict(), _StatsParam())

    def screen(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        s, o = shared.value
        _freeze_once()
        stats = ScanStats()
        yield from _screen_batches(batches, s, lang, o, unit, offsets_bc.value, stats)
        counts.add(stats.to_dict())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas >= 3 notice; mapInArrow does not use pandas
        # Persisted so the screening runs once for results and rejects; on local disk, not the executors' heap:
        # it is read back once or twice, and held in memory it grew the JVM past 2 GB on a 1M-row scan.
        out = df.mapInArrow(screen, _spark_type()).persist(StorageLevel.DISK_ONLY)
    try:
        results = out.filter(F.col("reject_error").isNull()).select(*RESULT_SCHEMA.names)
        writer = results.write.mode("errorifexists")
        if target.folder.fmt == "parquet":
            writer.option("compression", "zstd").parquet(str(root))
        else:
            writer.option("ignoreNullFields", "false").json(str(root))
        stats = ScanStats.from_dict(counts.value)
        if stats.rejected:
            rejects = out.filter(F.col("reject_error").isNotNull())
            _write_rejects(rejects, root)
            stats.reject_samples = _first_rejects(rejects, F)
    finally:
        out.unpersist()
        shared.unpersist()
        offsets_bc.unpersist()
    seconds = time.monotonic() - started
    write_json(root / "_scan.json", {"input": paths, "format": target.folder.fmt, "lang": lang, "engine": "spark",
                                      "only": repr(only) if only is not None else None,
                                      "screener": screener_identity(screener)})
    path, rejects_path = finish_output(target, stats, seconds)
    return ScanOutcome(stats=stats, output=path, rejects=rejects_path, seconds=seconds, chunks=0, chunks_resumed=0)


def _freeze_once() -> None:
    """In a Python worker (its own process, reused across tasks): keep the garbage collector off the screener
    unpickled from the broadcast, as the local engine does (full collections would walk all of it)."""
    import gc

    if not getattr(_freeze_once, "done", False):
        gc.freeze()
        _freeze_once.done = True  # type: ignore[attr-defined]


class _StatsParam:
    """Adds ScanStats (as dicts) for a Spark accumulator."""

    def zero(self, value: dict[str, Any]) -> dict[str, Any]:
        return ScanStats().to_dict()

    def addInPlace(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        total = ScanStats.from_dict(a)
        total.merge(ScanStats.from_dict(b))
        return total.to_dict()


def _first_rejects(rejects: Any, F: Any) -> dict[str, list[str]]:
    """The first rejected rows of each reason, in file and line order, as the summary's examples."""
    first = rejects.orderBy("reject_file", "reject_position").select("reject_reason", "reject_error").limit(200)
    samples: dict[str, list[str]] = {}
    for reason, error in first.collect():
        mine = samples.setdefault(reason, [])
        if len(mine) < 3:
            mine.append(error)
    return samples


def _write_rejects(rejects: Any, root: Path) -> None:
    """Rejects as _rejects/part-*.jsonl, the local engine's record shape ({"file", "line"|"row", ...})."""
    folder = root / "_rejects"
    folder.mkdir(exist_ok=True)
    rows = rejects.orderBy("reject_file", "reject_position").select(
        "reject_file", "reject_unit", "reject_position", "reject_reason", "reject_error").toLocalIterator()
    write_jsonl(folder / "part-spark.jsonl", (
        {"file": r[0], r[1]: r[2], "reason": r[3], "error": r[4]} for r in rows))
