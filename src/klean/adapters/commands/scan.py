"""`klean scan INPUT -o OUTPUT`: screen a whole catalog file or folder, locally or on Spark."""

from __future__ import annotations

import hashlib
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from klean.domain.errors import DomainError


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class Lang(StrEnum):
    en = "en"
    ko = "ko"


class Format(StrEnum):
    parquet = "parquet"
    jsonl = "jsonl"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(EXIT_ERROR)


# `klean scan` exit codes (also in its --help).
EXIT_REJECTS = 1  # every readable row was screened, but some rows were rejected (see _rejects.jsonl)
EXIT_ERROR = 2  # the scan did not run: bad arguments, unreadable input or registry, or no usable database


def load_snapshot(registry_file: Path | None) -> Any:
    """The registry snapshot from a registry file (versioned by its content hash) or from the database."""
    if registry_file is None:
        from klean.adapters.db.migrate import database_problem
        from klean.bootstrap import bootstrap
        from klean.services.registry import registry_snapshot

        app = bootstrap()
        problem = database_problem(app.engine)
        if problem is not None:
            raise DomainError(f"{problem} (or pass --registry FILE to scan without a database)", field="database")
        return registry_snapshot(uow=app.uow_factory())
    from klean.domain.files import registry_from_dict

    raw = registry_file.read_bytes()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DomainError(f"{registry_file}: not a JSON registry file ({exc})", field="registry") from exc
    return registry_from_dict(data, version="file:" + hashlib.sha256(raw).hexdigest()[:16])


def build_screener(snapshot: Any) -> Any:
    """The production screener with the policy file's [screening] section."""
    from klean.config import get_settings
    from klean.domain.policy_file import read_policy

    try:
        from klean.domain.screening import ScreeningPolicy
        from klean.signals.screener import Screener
    except ImportError as exc:
        raise DomainError(f"the screening engine is not available in this build ({exc})", field="engine") from exc
    policy_doc = read_policy(get_settings().policy_path)
    policy = ScreeningPolicy.from_section(policy_doc.section("screening"), policy_doc.version)
    return Screener(snapshot, policy)


def register(app: typer.Typer) -> None:
    @app.command()
    def scan(
        input_path: Path = typer.Argument(..., metavar="INPUT", help="Listings: a .jsonl or .parquet file, or a "
                                          "folder of part files (listing.schema.json)"),
        output: Path = typer.Option(..., "-o", "--output", help="Results: a folder of part files, or one "
                                    ".jsonl/.parquet file (result.schema.json)"),
        engine: Engine = typer.Option(Engine.local, help="local (processes on this machine) or spark"),
        workers: int = typer.Option(0, min=0, help="Local engine: worker processes (0: one per CPU)"),
        registry: Path = typer.Option(None, "--registry", exists=True, dir_okay=False,
                                      help="Registry file (registry.schema.json) instead of the database"),
        lang: Lang = typer.Option(Lang.en, help="Language of the evidence reasons"),
        fmt: Format = typer.Option(None, "--format", help="Output format (default: from the output name, "
                                   "else parquet)"),
        resume: bool = typer.Option(False, "--resume", help="Local engine: continue a scan that was stopped"),
        only_affected_by: list[str] = typer.Option(None, "--only-affected-by", metavar="BRAND_ID",
                                                   help="Rescan only listings a change to this brand can affect "
                                                   "(repeatable)"),
        previous: Path = typer.Option(None, "--previous", exists=True, help="With --only-affected-by: earlier "
                                      "results; listings they cite for the brand are rescanned too"),
        chunk_rows: int = typer.Option(20_000, min=100, help="Local engine: JSONL lines per chunk (checkpoint)"),
        master: str = typer.Option("local[2]", help="Spark master (ignored under spark-submit, which sets its "
                                   "own)"),
        progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bar (default: on a "
                                      "terminal only)"),
        allow_rejects: bool = typer.Option(False, "--allow-rejects", help="Exit 0 even when rows were rejected"),
    ) -> None:
        """Screen every listing of a catalog file and write one result per listing; bad rows are reported.

        Exit codes: 0 every row was screened; 1 the scan finished but some rows were rejected (listed in
        _rejects.jsonl beside the output; --allow-rejects makes this 0); 2 the scan did not run (bad arguments,
        unreadable input or registry, or a database that is missing, not migrated or unreachable: the message says
        what to run)."""
        from klean.adapters.scan.affected import BrandMentionFilter, ids_citing
        from klean.adapters.scan.local import cpu_count, run_local

        try:
            snapshot = load_snapshot(registry)
            screener = build_screener(snapshot)
            # Image banks attached; images named in the catalog are hashed in parallel, cached by digest.
            from klean.adapters.image_index import scan_screener

            screener = scan_screener(screener, input_path=input_path, registry_file=registry)
            only = None
            if only_affected_by:
                also = ids_citing(previous, only_affected_by) if previous is not None else set()
                only = BrandMentionFilter(only_affected_by, snapshot, also_ids=also)
            if engine is Engine.spark:
                from klean.adapters.scan.spark import run_spark

                outcome = run_spark(input_path, output, screener, fmt=fmt.value if fmt else None, lang=lang.value,
                                    only=only, master=master)
            else:
                outcome = run_local(input_path, output, screener, fmt=fmt.value if fmt else None,
                                    workers=workers or cpu_count(), lang=lang.value, resume=resume,
                                    chunk_rows=chunk_rows, only=only, progress=progress, stream=sys.stderr)
        except DomainError as exc:
            _fail(exc.message)
            return
        typer.echo(outcome.summary())
        if only is not None:
            valid = outcome.stats.screened + outcome.stats.skipped
            typer.echo(f"rescanned {outcome.stats.screened:,} of {valid:,} listings (affected by "
                       f"{', '.join(only_affected_by)})")
        if outcome.stats.rejected and not allow_rejects:
            typer.secho(f"{outcome.stats.rejected:,} rows were rejected (see the rejects file); exit {EXIT_REJECTS} "
                        "(--allow-rejects to accept them)", fg=typer.colors.YELLOW, err=True)
            raise typer.Exit(EXIT_REJECTS)
