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

    assert done.returncode == 1, done.stderr  # finished, but rows were rejected: a script must notice
    assert "2 rows were rejected" in done.stderr and "--allow-rejects" in done.stderr
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
                   "--only-affected-by", "chanel", "--allow-rejects", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    chanel = sum(any(m in r["title"] for m in ("Chanel", "샤넬", "香奈儿")) for r in rows)
    assert f"rescanned {chanel:,} of 398 listings (affected by chanel)" in again.stdout

    refused = _klean("scan", "catalog.jsonl", "-o", "results", "--registry", "registry.json", cwd=tmp_path)
    assert refused.returncode == 2 and "--resume" in refused.stderr


def test_scan_and_init_say_in_one_line_what_is_wrong_with_the_database(tmp_path: Path) -> None:
    """A missing, unmigrated or unreachable database: one line saying what to run, no traceback, exit 2."""
    import sqlite3

    (tmp_path / "catalog.jsonl").write_text('{"id": "a", "title": "Chanel bag", "price": 1000, "currency": "KRW", '
                                            '"seller_id": "s"}\n', "utf-8")

    def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KLEAN_HOME": str(tmp_path / ".klean"), "KLEAN_DATABASE_URL": url}
        return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)

    missing = f"sqlite:///{tmp_path / 'nowhere.db'}"
    sqlite3.connect(tmp_path / "empty.db").close()
    cases = [
        (missing, ("scan", "catalog.jsonl", "-o", "out.jsonl"), "there is no database at", "klean init"),
        (f"sqlite:///{tmp_path / 'empty.db'}", ("scan", "catalog.jsonl", "-o", "out.jsonl"), "no Klean tables",
         "klean init"),
        ("postgresql+psycopg://klean@127.0.0.1:9/klean", ("scan", "catalog.jsonl", "-o", "out.jsonl"),
         "cannot reach the database", "KLEAN_DATABASE_URL"),
        ("postgresql+psycopg://klean@127.0.0.1:9/klean", ("init",), "cannot reach the database", "KLEAN_DATABASE_URL"),
        (f"sqlite:///{tmp_path / 'no-such-folder' / 'k.db'}", ("init",), "does not exist", "KLEAN_DATABASE_URL"),
        # any other command: the same one line, from the entry point (SQLite has made an empty file by then)
        (f"sqlite:///{tmp_path / 'other.db'}", ("users", "create", "ada", "--role", "admin"), "database",
         "klean init"),
    ]
    for url, args, what, todo in cases:
        done = run(url, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert what in done.stderr and todo in done.stderr, done.stderr
    assert not (tmp_path / "nowhere.db").exists()  # asking did not create an empty database
    assert run(missing, "init").returncode == 0
    done = run(missing, "scan", "catalog.jsonl", "-o", "out.jsonl")
    assert done.returncode == 0, done.stderr
