"""`klean backup` / `klean restore` of the SQLite default: round trip, integrity check, no silent overwrite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def klean(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KLEAN_HOME": str(home), "KLEAN_LOG_JSON": "false"}
    env.pop("KLEAN_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def users(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in con.execute("SELECT id FROM users"))
    finally:
        con.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    assert klean(h, "init").returncode == 0
    assert klean(h, "users", "create", "hana", "--role", "reviewer").returncode == 0
    return h


def test_backup_and_restore_round_trip(home: Path, tmp_path: Path) -> None:
    backup = tmp_path / "nightly" / "klean-2025-11-24.db"
    r = klean(home, "backup", "-o", str(backup))
    assert r.returncode == 0, r.stderr
    assert "integrity ok" in r.stdout
    assert users(backup) == ["hana"]

    # After the backup a user is added, then the backup is restored: the database is back to the backup.
    added = klean(home, "users", "create", "dong-hyun", "--role", "seller", "--seller-id", "busan-shades")
    assert added.returncode == 0
    assert users(home / "klean.db") == ["dong-hyun", "hana"]
    refused = klean(home, "restore", str(backup))
    assert refused.returncode == 2 and "--force" in refused.stderr
    r = klean(home, "restore", str(backup), "--force")
    assert r.returncode == 0, r.stderr
    assert users(home / "klean.db") == ["hana"]

    # Restoring into an empty home needs no --force.
    fresh = tmp_path / "fresh"
    assert klean(fresh, "restore", str(backup)).returncode == 0
    assert users(fresh / "klean.db") == ["hana"]


def test_backup_refuses_to_overwrite_without_force(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    assert klean(home, "backup", "-o", str(target)).returncode == 0
    r = klean(home, "backup", "-o", str(target))
    assert r.returncode == 2 and "exists" in r.stderr
    assert klean(home, "backup", "-o", str(target), "--force").returncode == 0


def test_restore_refuses_a_corrupt_or_foreign_file(home: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    r = klean(home, "restore", str(corrupt), "--force")
    assert r.returncode == 2 and "not a sound Klean backup" in r.stderr
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE recipes (name TEXT)")
    con.commit()
    con.close()
    r = klean(home, "restore", str(foreign), "--force")
    assert r.returncode == 2 and "not a Klean database" in r.stderr
    assert users(home / "klean.db") == ["hana"]  # untouched


def test_postgres_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    env = {**os.environ, "KLEAN_HOME": str(tmp_path), "KLEAN_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/none"}
    r = subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", "backup", "-o",
                        str(tmp_path / "x.db")], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "pg_dump" in r.stderr
