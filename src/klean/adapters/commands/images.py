"""`klean images import-bank FILE --bank ...`, `export-bank`, `hash`, `fill-hashes`, `check-floods`, `counts`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from klean.adapters.commands.core import fail
from klean.bootstrap import bootstrap
from klean.domain.errors import DomainError
from klean.domain.images import BANKS

_BANK_HELP = f"Which bank: {', '.join(BANKS)}"


def register(app: typer.Typer) -> None:
    images = typer.Typer(help="Image hash banks (PDQ) and image hashing.", no_args_is_help=True)
    app.add_typer(images, name="images")

    @images.command("import-bank")
    def import_bank(
        file: Path = typer.Argument(..., help="Plain PDQ hex: one 64-hex hash per line, optional ,quality,brand,ref"),
        bank: str = typer.Option(..., "--bank", help=_BANK_HELP),
        brand: str = typer.Option(None, "--brand", help="Brand id for lines that name none (official bank)"),
    ) -> None:
        """Import a bank file, all or nothing; a bad line is named (FILE:LINE)."""
        from klean.services import image_banks

        try:
            text = file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{file}: cannot read ({exc})")
        k = bootstrap()
        try:
            result = image_banks.import_bank(uow=k.uow_factory(), principal=None, bank=bank, text=text,
                                             source=file.name, brand_id=brand)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"{file}: {result.lines} hashes, {result.added} added, {result.already_present} already in the "
                   f"{bank} bank")

    @images.command("export-bank")
    def export_bank(
        bank: str = typer.Option(..., "--bank", help=_BANK_HELP),
        brand: str = typer.Option(None, "--brand", help="Only this brand's entries"),
        output: Path = typer.Option(None, "-o", "--output", help="Write here instead of standard output"),
    ) -> None:
        """Export a bank in plain PDQ hex (`pdq,quality,brand_id,source_ref` per line)."""
        from klean.services import image_banks

        k = bootstrap()
        try:
            text = image_banks.export_bank(uow=k.uow_factory(), principal=None, bank=bank, brand_id=brand)
        except DomainError as exc:
            fail(exc.message)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, "utf-8")
            typer.echo(f"wrote {text.count(chr(10)) - 2} hashes to {output}", err=True)

    @images.command("hash")
    def hash_files(files: list[Path] = typer.Argument(..., help="Image files")) -> None:
        """Print the PDQ hash, quality and size of image files (one JSON object per line)."""
        from klean.adapters.imaging import ImageRejected, image_features

        bad = 0
        for f in files:
            try:
                data = f.read_bytes()
                feats = image_features(data, keypoints=False)
                typer.echo(json.dumps({"file": str(f), "pdq": feats.pdq, "quality": feats.quality,
                                       "sha256": feats.sha256, "width": feats.width, "height": feats.height}))
            except (OSError, ImageRejected) as exc:
                bad += 1
                reason = getattr(exc, "reason", "unreadable_path")
                typer.echo(json.dumps({"file": str(f), "error": reason, "message": str(exc)}))
        if bad:
            raise typer.Exit(1)

    @images.command("fill-hashes")
    def fill_hashes() -> None:
        """Compute PDQ hashes of official images and of bank entries added by digest only."""
        from klean.adapters.image_index import blob_hasher
        from klean.services import image_banks

        k = bootstrap()
        hasher = blob_hasher(k.settings, image_banks.image_policy(k.policy))
        official = image_banks.fill_official_hashes(uow=k.uow_factory(), hasher=hasher)
        pending = image_banks.fill_pending(uow=k.uow_factory(), hasher=hasher)
        typer.echo(f"hashed {official} official images and {pending} pending bank entries")

    @images.command("check-floods")
    def check_floods() -> None:
        """Re-run the flood guard: entries matching far more listings than usual go to review."""
        from klean.services import image_banks

        k = bootstrap()
        result = image_banks.check_floods(uow=k.uow_factory(), policy=image_banks.image_policy(k.policy))
        typer.echo(json.dumps(result))

    @images.command("counts")
    def counts() -> None:
        """Live hashes per bank."""
        from klean.services import image_banks

        k = bootstrap()
        typer.echo(json.dumps(dict(image_banks.bank_counts(uow=k.uow_factory()))))
