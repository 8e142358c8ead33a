"""`klean registry import FILE`, `klean registry export`, `klean registry snapshot`."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import typer

from klean.bootstrap import bootstrap
from klean.config import Settings
from klean.domain.errors import DomainError, ValidationError
from klean.domain.files import registry_to_dict, validate


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


def store_registry_images(data: Any, base_dir: Path, settings: Settings) -> int:
    """Validate and store the logo and official image files a registry file names (paths relative to its folder).

    Fills in each image's sha256 and PDQ hash so screening can use it. A file that is missing is acceptable only
    when its sha256 is given and already stored (an exported registry refers to stored images that way).
    Returns how many files were read. Raises ValidationError naming the image at fault.
    """
    from klean.adapters.blobs import BlobStore
    from klean.adapters.imaging import image_features  # numpy and OpenCV: loaded only when needed
    from klean.adapters.uploads import validate_image

    try:
        validate("registry", data)
    except ValidationError:
        return 0  # the import reports the schema error itself, with its place in the file
    store = BlobStore(settings)
    base = base_dir.resolve()
    n = 0
    for i, brand in enumerate(data["brands"]):
        for key in ("logos", "official_images"):
            for j, image in enumerate(brand.get(key, ())):
                where = f"brands/{i}/{key}/{j}/path"
                target = (base / image["path"]).resolve()
                if not target.is_relative_to(base):
                    raise ValidationError(f"{where}: must stay inside the registry file's folder", field=where)
                if not target.is_file():
                    if image.get("sha256") and store.exists(image["sha256"]):
                        continue
                    raise ValidationError(f"{where}: no file {image['path']!r} next to the registry file", field=where)
                raw = target.read_bytes()
                try:
                    info = validate_image(raw, settings, field=where)
                except ValidationError as exc:
                    raise ValidationError(f"{where}: {exc.message}", field=where) from exc
                sha = hashlib.sha256(raw).hexdigest()
                if image.get("sha256") and image["sha256"] != sha:
                    raise ValidationError(f"{where}: the file's sha256 is {sha}, not the {image['sha256']} given",
                                          field=where)
                store.put(raw, info.media_type)
                image["sha256"] = sha
                image.setdefault("pdq", image_features(raw, keypoints=False).pdq)
                n += 1
    return n


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
            images = store_registry_images(data, file.parent, k.settings)
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
        if images:
            typer.echo(f"images: {images} validated and stored")
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
