"""`klean`: the command line. Commands live in adapters/commands/<feature>.py and call services only."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from klean.adapters import commands

app = typer.Typer(
    name="klean",
    help="Klean: keep counterfeit goods off online marketplaces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_all() -> None:
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_all()


def main() -> None:
    try:
        app()
    except Exception as exc:  # a database a command cannot use: one line saying what to run, not a traceback
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            raise
        from klean.adapters.db.migrate import database_problem
        from klean.bootstrap import bootstrap

        try:
            problem = database_problem(bootstrap().engine)
        except Exception:
            problem = None
        typer.secho(f"error: {problem or 'the database refused the request: ' + str(exc).splitlines()[0]}",
                    fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
