"""`klean backup` and `klean restore` for the SQLite default (PostgreSQL: pg_dump / pg_restore, see README)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from klean.adapters.commands.core import fail
from klean.config import get_settings


def sqlite_path(database_url: str) -> Path:
    """The file behind a sqlite:/// URL, or an error for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValueError("klean backup/restore handle the SQLite file database only; for PostgreSQL use "
                         "pg_dump -Fc and pg_restore (see the README)")
    return Path(url.database)


def integrity_errors(path: Path) -> list[str]:
    """PRAGMA integrity_check of a SQLite file; an empty list when it is sound."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()
    errors = [r for r in rows if r != "ok"]
    if "alembic_version" not in tables:
        errors.append("not a Klean database (no alembic_version table)")
    return errors


def copy_database(source: Path, target: Path) -> None:
    """Copy with SQLite's online backup API: consistent even while the server keeps writing to `source`."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        with dst:
            src.backup(dst, pages=1024)
    finally:
        src.close()
        dst.close()


def backup(database_url: str, output: Path, *, force: bool = False) -> Path:
    source = sqlite_path(database_url)
    if not source.exists():
        raise ValueError(f"no database at {source}")
    if output.exists() and not force:
        raise ValueError(f"{output} exists; pass --force to overwrite it")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    copy_database(source, partial)
    errors = integrity_errors(partial)
    if errors:
        partial.unlink(missing_ok=True)
        raise ValueError("backup failed its integrity check: " + "; ".join(errors[:5]))
    partial.replace(output)  # a backup file is either whole or absent
    return output


def restore(database_url: str, backup_file: Path, *, force: bool = False) -> Path:
    target = sqlite_path(database_url)
    if not backup_file.exists():
        raise ValueError(f"no backup at {backup_file}")
    errors = integrity_errors(backup_file)
    if errors:
        raise ValueError(f"{backup_file} is not a sound Klean backup: " + "; ".join(errors[:5]))
    if target.exists() and target.stat().st_size > 0 and not force:
        raise ValueError(f"{target} exists; stop the server and pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Backup API into the live file (not a rename): open connections see a consistent switch, and the WAL/
    # journal of the old database cannot be replayed over the restored one.
    copy_database(backup_file, target)
    return target


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup_cmd(
        output: Path = typer.Option(..., "-o", "--output", help="Backup file to write"),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing backup file"),
    ) -> None:
        """Back up the SQLite database (online: the server may keep running), then check the copy's integrity."""
        try:
            path = backup(get_settings().resolved_database_url(), output, force=force)
        except ValueError as exc:
            fail(str(exc))
        typer.echo(f"backed up to {path} ({path.stat().st_size:,} bytes, integrity ok)")

    @app.command("restore")
    def restore_cmd(
        backup_file: Path = typer.Argument(..., help="A file written by klean backup"),
        force: bool = typer.Option(False, "--force", help="Replace the existing database"),
    ) -> None:
        """Restore the SQLite database from a backup (integrity-checked first; stop the server before)."""
        try:
            path = restore(get_settings().resolved_database_url(), backup_file, force=force)
        except ValueError as exc:
            fail(str(exc))
        typer.echo(f"restored {backup_file} into {path}")
