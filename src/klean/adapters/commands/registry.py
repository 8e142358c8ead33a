"""`klean registry import FILE`, `klean registry export`, `klean registry snapshot`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from klean.bootstrap import bootstrap
from klean.domain.errors import DomainError
from klean.domain.files import registry_to_dict


def read_registry_file(path: Path) -> tuple[str, Any]:
    """The text and decoded JSON of a registry file; a syntax error names the file and line."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Failed(f"{path}: cannot read ({exc})") from exc
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Failed(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from exc


class _Failed(Exception):
    pass


_WS = " \t\n\r"


def line_of(text: str, path: str | None) -> int | None:
    """The line where the value at a slash path ("brands/3/marks/0") starts in a JSON text, if it can be found."""
    if not path or path == "(root)":
        return None
    decoder = json.JSONDecoder()

    def skip_ws(i: int) -> int:
        while i < len(text) and text[i] in _WS:
            i += 1
        return i

    pos = skip_ws(0)
    try:
        for part in path.split("/"):
            if text[pos] == "{":
                pos = skip_ws(pos + 1)
                while text[pos] != "}":
                    key, pos = decoder.raw_decode(text, pos)
                    pos = skip_ws(skip_ws(pos) + 1)  # past the colon
                    if key == part:
                        break
                    _, pos = decoder.raw_decode(text, pos)
                    pos = skip_ws(pos)
                    if text[pos] == ",":
                        pos = skip_ws(pos + 1)
                else:
                    return None
            elif text[pos] == "[" and part.isdigit():
                pos = skip_ws(pos + 1)
                for _ in range(int(part)):
                    _, pos = decoder.raw_decode(text, pos)
                    pos = skip_ws(skip_ws(pos) + 1)  # past the comma
                if text[pos] == "]":
                    return None
            else:
                return None
    except (IndexError, ValueError):
        return None
    return text.count("\n", 0, pos) + 1


def _write(data: dict[str, Any], output: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, "utf-8")


def register(app: typer.Typer) -> None:
    reg = typer.Typer(help="The brand registry: import and export registry files (registry.schema.json).",
                      no_args_is_help=True)
    app.add_typer(reg, name="registry")

    @reg.command("import")
    def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Registry JSON file")) -> None:
        """Import brands and sellers: all or nothing; importing the same file again changes nothing."""
        from klean.services import registry

        k = bootstrap()
        text = ""
        try:
            text, data = read_registry_file(file)
            result = registry.import_registry(uow=k.uow_factory(), data=data, actor=None)
        except _Failed as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None
        except DomainError as exc:
            line = line_of(text, exc.field)
            where = f" (line {line})" if line else ""
            typer.secho(f"error: {file}: {exc.message}{where}", fg=typer.colors.RED, err=True)
            typer.secho("nothing was imported", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"brands: {result.brands_created} created, {result.brands_updated} updated, "
                   f"{result.brands_unchanged} unchanged; sellers: {result.sellers_created} created, "
                   f"{result.sellers_updated} updated, {result.sellers_unchanged} unchanged"
                   + (f"; {result.duplicate_marks_dropped} repeated marks dropped"
                      if result.duplicate_marks_dropped else ""))
        typer.echo(f"registry version {result.version}")

    @reg.command("export")
    def export(output: Path = typer.Option(None, "-o", "--output", help="File to write (default: stdout)")) -> None:
        """Write the whole registry as a registry file."""
        from klean.services import registry

        _write(registry.export_registry(uow=bootstrap().uow_factory(), principal=None), output)

    @reg.command("snapshot")
    def snapshot(output: Path = typer.Option(..., "-o", "--output", help="File to write")) -> None:
        """Write what screening reads from the registry, as one registry file, for batch workers."""
        from klean.services import registry

        snap = registry.registry_snapshot(uow=bootstrap().uow_factory())
        _write(registry_to_dict(snap), output)
        typer.echo(f"registry version {snap.version}: {len(snap.brands)} brands, {len(snap.sellers)} sellers "
                   f"-> {output}", err=True)
