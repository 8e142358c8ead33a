"""`klean fx import FILE` and `klean fx show`: the exchange rates reference prices are converted with."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from klean.adapters.commands.core import fail
from klean.domain.errors import DomainError


def register(app: typer.Typer) -> None:
    fx_app = typer.Typer(help="Exchange rates for reference prices (shipped, or imported; never fetched).",
                         no_args_is_help=True)
    app.add_typer(fx_app, name="fx")

    @fx_app.command("import")
    def import_cmd(file: Path = typer.Argument(..., help="CSV with the header currency,per_usd,as_of "
                                               "(units of the currency for one US dollar, on that date)")) -> None:
        """Replace the registry's exchange rates with the table in FILE; the next screening converts with it."""
        from klean.bootstrap import bootstrap
        from klean.domain.fx import parse_fx_csv
        from klean.services.registry import import_fx_rates

        try:
            text = file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{file}: cannot read ({exc})")
        try:
            table = parse_fx_csv(text, source=file.name)
            result = import_fx_rates(uow=bootstrap().uow_factory(), table=table, actor=None)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"imported {result['currencies']} exchange rates as of {result['as_of']} from {file}")

    @fx_app.command("show")
    def show_cmd() -> None:
        """Print the rates screening converts with, and whether they were imported or shipped."""
        from klean.bootstrap import bootstrap
        from klean.services.registry import fx_rates

        try:
            table, imported = fx_rates(uow=bootstrap().uow_factory())
        except DomainError as exc:
            fail(exc.message)
        typer.echo(json.dumps({"source": table.source, "imported": imported, "rates": table.rows()},
                              ensure_ascii=False, indent=1))
