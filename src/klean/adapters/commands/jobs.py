"""`klean jobs run`: expire proofs and sanctions, warn sellers by e-mail, rescan, flag unverified sellers."""

from __future__ import annotations

import json

import typer

from klean.bootstrap import bootstrap


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Scheduled jobs (also run by `klean serve` every KLEAN_JOBS_INTERVAL_SECONDS).",
                        no_args_is_help=True)
    app.add_typer(group, name="jobs")

    @group.command("run")
    def run() -> None:
        """Run every scheduled job once and print what it did (JSON)."""
        from klean.adapters.jobs import run_once
        from klean.domain.errors import DomainError

        try:
            report = run_once(bootstrap())
        except DomainError as exc:  # e.g. a malformed policy file: say which key, do not print a traceback
            typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if report.mail_failures:
            raise typer.Exit(1)
