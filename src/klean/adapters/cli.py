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
    app()


if __name__ == "__main__":
    main()
