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

        report = run_once(bootstrap())
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if report.mail_failures:
            raise typer.Exit(1)
