"""`klean scan --engine spark`: Spark local[2] with mapInArrow gives the local engine's results, row for row."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scan_support import word_screener, write_catalog
from test_scan_local import BAD_LINES

from klean.adapters.scan.job import read_results
from klean.adapters.scan.local import run_local

pytestmark = [pytest.mark.spark, pytest.mark.slow]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] session for all Spark tests; its Python workers can import the test screener."""
    pytest.importorskip("pyspark")
    from klean.adapters.scan.spark import spark_session

    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "PYSPARK_PYTHON")}
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), saved["PYTHONPATH"]) if p)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = spark_session("local[2]")
    yield session
    session.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _sorted(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: r["id"])


def _rejects(path: Path) -> list[tuple[str, int, str, str]]:
    recs = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    return [(r["file"], r.get("line", r.get("row")), r["reason"], r["error"]) for r in recs]


def test_spark_and_local_engines_agree_on_jsonl_and_parquet(spark: Any, tmp_path: Path) -> None:
    from klean.adapters.scan.spark import run_spark

    catalog = tmp_path / "catalog.jsonl"
    rows = write_catalog(catalog, 2000, bad=BAD_LINES)
    local = run_local(catalog, tmp_path / "local.jsonl", word_screener(), workers=2, chunk_rows=300,
                      progress=False)
    on_spark = run_spark(catalog, tmp_path / "spark.jsonl", word_screener(), spark=spark)

    assert _sorted(read_results(tmp_path / "spark.jsonl")) == _sorted(read_results(tmp_path / "local.jsonl"))
    assert len(read_results(tmp_path / "spark.jsonl")) == len(rows)
    assert _rejects(tmp_path / "spark.jsonl.rejects.jsonl") == _rejects(tmp_path / "local.jsonl.rejects.jsonl")
    for key in ("rows", "screened", "rejected", "decisions", "brands", "signals", "reject_reasons"):
        assert getattr(on_spark.stats, key) == getattr(local.stats, key), key

    folder = tmp_path / "parquet"
    folder.mkdir()
    for i in range(2):
        pq.write_table(pa.Table.from_pylist(rows[i * 1000:(i + 1) * 1000]), folder / f"part-{i}.parquet",
                       row_group_size=250)
    run_spark(folder, tmp_path / "spark-parquet", word_screener(), spark=spark)
    assert _sorted(read_results(tmp_path / "spark-parquet")) == _sorted(read_results(tmp_path / "local.jsonl"))
    assert (tmp_path / "spark-parquet" / "_SUCCESS").exists()
