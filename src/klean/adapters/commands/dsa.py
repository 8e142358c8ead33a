"""`klean dsa submit` and `klean dsa status`: statements of reasons to the EU DSA Transparency Database."""

from __future__ import annotations

import json
from datetime import date

import typer

from klean.bootstrap import App, bootstrap
from klean.domain.errors import DomainError


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _target(k: App) -> str:
    from klean.adapters.dsa_client import api_base

    if not k.settings.dsa_tdb_url:
        fail("set KLEAN_DSA_TDB_URL (the Transparency Database's address, sandbox or production)")
    try:
        return api_base(k.settings.dsa_tdb_url)
    except ValueError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Statements of reasons to the EU DSA Transparency Database.", no_args_is_help=True)
    app.add_typer(group, name="dsa")

    @group.command("submit")
    def submit_command(
        batch_size: int = typer.Option(100, "--batch-size", min=1, max=100, help="Statements per request (1-100)."),
        max_batches: int = typer.Option(None, "--max-batches", min=1, help="Stop after this many requests."),
        retries: int = typer.Option(None, "--retries", min=0,
                                    help="Tries again after a failure (default KLEAN_DSA_RETRIES)."),
        since: str = typer.Option(None, "--since",
                                  help="First run only: leave out actions before this day (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print the run's report as JSON."),
    ) -> None:
        """Send every new statement of reasons (checked against the database's rules first) to KLEAN_DSA_TDB_URL
        with KLEAN_DSA_TDB_TOKEN, in batches of up to 100, each exactly once; record each one's outcome; say what
        is left. Exit 1 when some were refused or are still waiting."""
        from klean.adapters.dsa_client import submit_configured

        k = bootstrap()
        first = None
        if since:
            try:
                first = date.fromisoformat(since)
            except ValueError:
                fail(f"--since: a date as YYYY-MM-DD, got {since!r}")
        try:
            report = submit_configured(k, retries=retries, max_batches=max_batches, batch_size=batch_size,
                                       since=first)
        except (ValueError, DomainError) as exc:
            fail(getattr(exc, "message", None) or str(exc))
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(f"{report.target}: {report.recorded} new statements written, {report.submitted} submitted in "
                       f"{report.batches} requests ({report.duplicates} already there, {report.found} found after an "
                       f"interrupted run), {len(report.refused)} refused, {len(report.invalid)} not sent "
                       f"(would be refused), {report.pending} waiting")
            for puid, message in report.refused:
                typer.secho(f"  refused  {puid}: {message}", fg=typer.colors.RED)
            for puid, message in report.invalid:
                typer.secho(f"  invalid  {puid}: {message}", fg=typer.colors.RED)
            if report.stopped:
                typer.secho(f"  stopped: {report.stopped}", fg=typer.colors.YELLOW)
            if report.pending and report.next_attempt_at:
                typer.echo(f"  next attempt after {report.next_attempt_at}")
        if report.refused or report.invalid or report.pending:
            raise typer.Exit(1)

    @group.command("status")
    def status_command(
        limit: int = typer.Option(20, "--limit", min=1, max=1000, help="Statements listed per state."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """What the database at KLEAN_DSA_TDB_URL has from this Klean, what it refused and why, what is waiting."""
        from klean.services import dsa

        k = bootstrap()
        status = dsa.outbox_status(uow=k.uow_factory(), target=_target(k), limit=limit)
        if as_json:
            typer.echo(json.dumps(status, ensure_ascii=False, indent=2))
            return
        counts = status["counts"]
        typer.echo(f"{status['target']}: {counts.get('submitted', 0)} submitted, {counts.get('refused', 0)} "
                   f"refused, {counts.get('invalid', 0)} not sent (would be refused), {status['pending']} waiting")
        for key, label in (("refused", "refused"), ("invalid", "invalid"), ("waiting", "waiting")):
            for s in status[key]:
                typer.echo(f"  {label:<8} {s['puid']} (event {s['event_seq']}, {s['attempts']} attempts)"
                           + (f": {s['message']}" if s.get("message") else ""))
        if status["next_attempt_at"]:
            typer.echo(f"  next attempt after {status['next_attempt_at']}")
