"""`klean scan` local engine: JSONL and Parquet in and out, bad rows reported, resume after SIGKILL, progress."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scan_support import REGISTRY, word_screener, write_catalog

from klean.adapters.scan.affected import BrandMentionFilter
from klean.adapters.scan.job import read_results
from klean.adapters.scan.local import run_local
from klean.domain.errors import Conflict
from klean.domain.files import registry_from_dict, schema

HERE = Path(__file__).resolve().parent
BAD_LINES = {
    4: '{"id": "L0000004", "title": "Gucci bag", "price": -5, "currency": "KRW", "seller_id": "s1"}',
    9: '{"id": "L0000009", "title": "Nike Dunk", "price": 99000, "currency": "KRW"',
    17: '{"id": "L0000017", "title": "Chanel flap", "price": 1200, "currency": "usd", "seller_id": "s1"}',
    23: '{"id": "L0000023", "title": "CRASH THE SCREENER", "price": 1, "currency": "KRW", "seller_id": "s9"}',
}


def _by_id(records: list[dict]) -> dict[str, dict]:
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "a result was written twice"
    return {r["id"]: r for r in records}


def test_jsonl_in_jsonl_and_parquet_out_with_bad_rows_reported_by_line(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.jsonl"
    rows = write_catalog(catalog, 500, bad=BAD_LINES)
    with catalog.open("a", encoding="utf-8") as f:
        f.write("\n\n")  # blank lines are skipped, not counted as rows

    as_jsonl = run_local(catalog, tmp_path / "results.jsonl", word_screener(), chunk_rows=64, progress=False)
    as_parquet = run_local(catalog, tmp_path / "results", word_screener(), chunk_rows=64, workers=2,
                           progress=False)

    validator = jsonschema.Draft202012Validator(schema("result"))
    lines = (tmp_path / "results.jsonl").read_text("utf-8").splitlines()
    for line in lines:
        validator.validate(json.loads(line))
    jsonl_results = _by_id(read_results(tmp_path / "results.jsonl"))
    parquet_results = _by_id(read_results(tmp_path / "results"))
    assert jsonl_results == parquet_results
    assert set(jsonl_results) == {r["id"] for r in rows}  # every good row once, in the input's order
    assert [json.loads(x)["id"] for x in lines] == [r["id"] for r in rows]
    evidence = pq.read_schema(next((tmp_path / "results").glob("part-*.parquet"))).field("evidence").type
    assert [(f.name, str(f.type)) for f in evidence.value_type] == [  # a list of structs, typed
        ("signal", "string"), ("weight", "double"), ("brand_id", "string"), ("span", "list<element: int64>"),
        ("reason", "string")]

    rejects = [json.loads(x) for x in (tmp_path / "results.jsonl.rejects.jsonl").read_text("utf-8").splitlines()]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (4, "price"), (9, "(not JSON)"), (17, "currency"), (23, "(screening failed)")]
    assert rejects[0]["error"].startswith("catalog.jsonl line 4: price:")
    for outcome in (as_jsonl, as_parquet):
        assert (outcome.stats.rows, outcome.stats.screened, outcome.stats.rejected) == (500, 496, 4)
        summary = outcome.summary()
        assert "4 rejected" in summary and "catalog.jsonl line 9: not JSON" in summary
        assert "decisions: allow" in summary and "top brands" in summary and "counterfeit_vocabulary" in summary

    kr_replica = jsonl_results[next(r["id"] for r in rows if r["title"].startswith("구찌 마몬트"))]
    assert kr_replica["decision"] == "block" and kr_replica["evidence"][0]["brand_id"] == "gucci"


def test_parquet_folder_gives_the_same_results_and_numbers_bad_rows(tmp_path: Path) -> None:
    rows = write_catalog(tmp_path / "catalog.jsonl", 300)
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "_SUCCESS").touch()  # markers of the writer are not part files
    part_rows = [dict(r, category=None) for r in rows]  # a null column is an absent field
    part_rows[10] = dict(part_rows[10], price=None)  # row 11 of the first part: no price
    for i in range(3):
        pq.write_table(pa.Table.from_pylist(part_rows[i * 100:(i + 1) * 100]), folder / f"part-{i:05d}.parquet",
                       row_group_size=40)

    outcome = run_local(folder, tmp_path / "out.parquet", word_screener(), workers=2, progress=False)
    from_jsonl = run_local(tmp_path / "catalog.jsonl", tmp_path / "ref.jsonl", word_screener(), progress=False)

    got = _by_id(read_results(tmp_path / "out.parquet"))
    expected = _by_id(read_results(tmp_path / "ref.jsonl"))
    del expected[rows[10]["id"]]
    assert got == expected
    assert outcome.chunks == 9  # one chunk per row group
    reject = json.loads((tmp_path / "out.parquet.rejects.jsonl").read_text("utf-8"))
    assert (reject["file"], reject["row"], reject["reason"]) == ("part-00000.parquet", 11,
                                                                  "'price' is a required property")
    assert from_jsonl.stats.rejected == 0


def test_a_scan_killed_midway_resumes_without_writing_any_result_twice(tmp_path: Path) -> None:
    rows = write_catalog(tmp_path / "catalog.jsonl", 120_000)
    out = tmp_path / "results"
    script = (
        "import sys; from pathlib import Path; from scan_support import word_screener; "
        "from klean.adapters.scan.local import run_local; "
        f"run_local(Path({str(tmp_path / 'catalog.jsonl')!r}), Path({str(out)!r}), word_screener(), "
        "workers=2, chunk_rows=1000, progress=False)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "_checkpoints").glob("*.json"))) < 5:
            assert proc.poll() is None, "the scan ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the scan and its pool workers, mid-write
        proc.wait()
    assert not (out / "_SUCCESS").exists()
    done_before = len(list((out / "_checkpoints").glob("*.json")))
    assert done_before < 120

    with pytest.raises(Conflict, match="--resume"):
        run_local(tmp_path / "catalog.jsonl", out, word_screener(), workers=2, chunk_rows=1000, progress=False)
    with pytest.raises(Conflict, match="changed: chunk_rows"):
        run_local(tmp_path / "catalog.jsonl", out, word_screener(), chunk_rows=500, resume=True, progress=False)
    (out / ".part-00000-000099.parquet.4242.tmp").write_bytes(b"PAR1 half a file")  # as SIGKILL may leave
    outcome = run_local(tmp_path / "catalog.jsonl", out, word_screener(), workers=2, chunk_rows=1000,
                        resume=True, progress=False)

    assert outcome.chunks_resumed == done_before
    assert list(out.glob(".*.tmp")) == []
    results = _by_id(read_results(out))
    assert list(results) == [r["id"] for r in rows]
    assert outcome.stats.rows == outcome.stats.screened == 120_000
    assert sum(outcome.stats.decisions.values()) == 120_000


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    write_catalog(tmp_path / "catalog.jsonl", 3000)
    piped, terminal = io.StringIO(), _Terminal()
    run_local(tmp_path / "catalog.jsonl", tmp_path / "a", word_screener(), chunk_rows=500, stream=piped)
    run_local(tmp_path / "catalog.jsonl", tmp_path / "b", word_screener(), chunk_rows=500, stream=terminal)
    assert piped.getvalue() == ""
    drawn = terminal.getvalue()
    assert "rows/s" in drawn and "ETA" in drawn and "3,000/3,000 rows" in drawn


def test_rescan_only_listings_a_brand_change_can_affect(tmp_path: Path) -> None:
    rows = write_catalog(tmp_path / "catalog.jsonl", 1000)
    snapshot = registry_from_dict(REGISTRY)
    only = BrandMentionFilter(["chanel"], snapshot)
    outcome = run_local(tmp_path / "catalog.jsonl", tmp_path / "rescan.jsonl", word_screener(), only=only,
                        progress=False)
    chanel = {r["id"] for r in rows if any(m in r["title"] for m in ("Chanel", "샤넬", "香奈儿"))}
    assert {r["id"] for r in read_results(tmp_path / "rescan.jsonl")} == chanel
    assert outcome.stats.screened == len(chanel) and outcome.stats.skipped == 1000 - len(chanel)
    assert f"{1000 - len(chanel):,} not affected (skipped)" in outcome.summary()

    disguised = tmp_path / "disguised.jsonl"
    disguised.write_text(json.dumps({"id": "D1", "title": "C.H.A.N.E.L 클래식 플랩 정품급", "price": 300,
                                     "currency": "USD", "seller_id": "s1"}) + "\n", "utf-8")
    assert run_local(disguised, tmp_path / "d.jsonl", word_screener(), only=only, progress=False).stats.screened == 1
