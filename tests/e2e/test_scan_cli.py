"""`klean scan` from the command line, with the real screener and a registry file: no database needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from scan_support import BAD_LINES_CLI, REGISTRY, write_catalog

from klean.domain.files import schema

CLI = [sys.executable, "-c", "from klean.adapters.cli import main; main()"]


def _klean(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KLEAN_HOME": str(cwd / ".klean")}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_klean_scan_writes_valid_results_reports_bad_lines_and_draws_no_bar_when_piped(tmp_path: Path) -> None:
    (tmp_path / "registry.json").write_text(json.dumps(REGISTRY, ensure_ascii=False), "utf-8")
    rows = write_catalog(tmp_path / "catalog.jsonl", 400, bad=BAD_LINES_CLI)

    done = _klean("scan", "catalog.jsonl", "-o", "results.jsonl", "--registry", "registry.json", "--workers", "2",
                  "--chunk-rows", "100", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "rows/s" not in done.stderr and "ETA" not in done.stderr  # stderr is a pipe: no progress bar
    assert "scanned 400 rows: 398 screened, 2 rejected" in done.stdout
    assert "catalog.jsonl line 7: not JSON" in done.stdout and "catalog.jsonl line 31: currency" in done.stdout
    validator = jsonschema.Draft202012Validator(schema("result"))
    results = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text("utf-8").splitlines()]
    for r in results:
        validator.validate(r)
    assert [r["id"] for r in results] == [r["id"] for r in rows]
    by_title = {row["title"]: res for row, res in zip(rows, results, strict=True)}
    assert by_title["샤넬 클래식 플랩 정품급 미러급"]["flagged"]
    assert by_title["Handmade leather wallet, no brand"]["decision"] == "allow"

    again = _klean("scan", "catalog.jsonl", "-o", "results", "--registry", "registry.json", "--workers", "1",
                   "--only-affected-by", "chanel", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    chanel = sum(any(m in r["title"] for m in ("Chanel", "샤넬", "香奈儿")) for r in rows)
    assert f"rescanned {chanel:,} of 398 listings (affected by chanel)" in again.stdout

    refused = _klean("scan", "catalog.jsonl", "-o", "results", "--registry", "registry.json", cwd=tmp_path)
    assert refused.returncode == 2 and "--resume" in refused.stderr
