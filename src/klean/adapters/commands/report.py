"""`klean report transparency` and `klean report statements`: public figures and DSA statements of reasons."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from klean.bootstrap import bootstrap
from klean.domain.errors import DomainError


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: a date as YYYY-MM-DD, got {value!r}")
    raise AssertionError("unreachable")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"{output}: {len(text.encode())} bytes", err=True)


def register(app: typer.Typer) -> None:
    report = typer.Typer(help="Transparency reports and statements of reasons.", no_args_is_help=True)
    app.add_typer(report, name="report")

    @report.command("transparency")
    def transparency(
        start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC)."),
        end: str = typer.Option(None, "--to", help="Last day, included (default today)."),
        fmt: str = typer.Option("json", "--format", help="json, csv or html."),
        lang: str = typer.Option("en", "--lang", help="Language of the HTML report: en or ko."),
        output: Path = typer.Option(None, "-o", "--output", help="File to write (default standard output)."),
    ) -> None:
        """Listings blocked and taken down by source, signal, brand and category; time to action; appeals..."""
        from klean.adapters import transparency_render as render
        from klean.services import transparency as service

        if fmt not in ("json", "csv", "html"):
            fail("--format must be json, csv or html")
        k = bootstrap()
        try:
            figures = service.transparency_report(uow=k.uow_factory(), start=_day(start, "--from"),
                                                  end=_day(end, "--to") if end else datetime.now(UTC).date(),
                                                  policy_version=k.policy.version)
        except DomainError as exc:
            fail(exc.message)
        text = (render.report_json(figures) + "\n" if fmt == "json" else render.report_csv(figures)
                if fmt == "csv" else render.report_html(figures, lang if lang in ("en", "ko") else "en"))
        _write(text, output)

    @report.command("statements")
    def statements(
        start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC)."),
        end: str = typer.Option(None, "--to", help="Last day, included (default today)."),
        fmt: str = typer.Option("jsonl", "--format",
                                help="jsonl (one TDB API body per line), bulk (the bulk endpoint's bodies, "
                                     "{\"statements\": [1..100]} per line) or csv."),
        territory: str = typer.Option(None, "--territory",
                                      help="Comma-separated EU/EEA country codes, or EU or EEA (default EEA)."),
        output: Path = typer.Option(None, "-o", "--output", help="File to write (default standard output)."),
    ) -> None:
        """One DSA Transparency Database statement of reasons per action, checked against the database's rules:
        one it would refuse is not written but reported with why (exit 1)."""
        from klean.adapters import transparency_render as render
        from klean.domain.dsa import batches
        from klean.services import dsa

        if fmt not in ("jsonl", "bulk", "csv"):
            fail("--format must be jsonl, bulk or csv")
        k = bootstrap()
        try:
            built = dsa.export_statements(
                uow=k.uow_factory(), principal=None, start=_day(start, "--from"),
                end=_day(end, "--to") if end else datetime.now(UTC).date(), territorial_scope=territory,
                base_url=k.settings.public_url)
        except DomainError as exc:
            fail(exc.message)
        valid = [s for s in built if not s.problems]
        if fmt == "jsonl":
            text = "".join(json.dumps(s.body, ensure_ascii=False) + "\n" for s in valid)
        elif fmt == "bulk":
            text = "".join(json.dumps({"statements": [s.body for s in chunk]}, ensure_ascii=False) + "\n"
                           for chunk in batches(valid))
        else:
            text = render.statements_csv([{**s.body, "redress": s.redress} for s in valid])
        _write(text, output)
        refused = [s for s in built if s.problems]
        for s in refused:
            typer.secho(f"not written: {s.puid} (event {s.event_seq}) would be refused: {'; '.join(s.problems)}",
                        fg=typer.colors.RED, err=True)
        if refused:
            typer.secho(f"{len(refused)} of {len(built)} statements not written", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
