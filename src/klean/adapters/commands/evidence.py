"""`klean evidence keygen | export | verify`: signed, tamper-evident evidence packages."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from klean.bootstrap import bootstrap
from klean.domain.errors import DomainError


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    evidence = typer.Typer(help="Tamper-evident evidence packages for courts and customs.", no_args_is_help=True)
    app.add_typer(evidence, name="evidence")

    @evidence.command("keygen")
    def keygen(
        path: Path = typer.Option(None, "--path", help="Where to write the key (default KLEAN_SIGNING_KEY_PATH)."),
        force: bool = typer.Option(False, "--force", help="Replace an existing key."),
    ) -> None:
        """Create the platform's Ed25519 signing key (PEM, mode 0600) and print its public key."""
        from klean.adapters import evidence_package
        from klean.config import get_settings

        target = path or get_settings().signing_key_path
        if target is None:
            fail("no key path: pass --path or set KLEAN_SIGNING_KEY_PATH")
            return
        try:
            public = evidence_package.keygen(target, force=force)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"signing key written to {target} (mode 0600); its public key, to give to verifiers:")
        typer.echo(public.decode(), nl=False)

    @evidence.command("export")
    def export(
        output: Path = typer.Option(..., "-o", "--output", help="The .zip to write."),
        case: str = typer.Option(None, "--case", help="A case id."),
        listing: str = typer.Option(None, "--listing", help="A listing id."),
        seller: str = typer.Option(None, "--seller", help="A seller id."),
        lang: str = typer.Option("en", "--lang", help="Language of the summary: en or ko."),
    ) -> None:
        """Export everything about a case, a listing or a seller as one signed archive."""
        from klean.adapters import evidence_package

        chosen = [(t, v) for t, v in (("case", case), ("listing", listing), ("seller", seller)) if v]
        if len(chosen) != 1:
            fail("give exactly one of --case, --listing, --seller")
        if lang not in ("en", "ko"):
            fail("--lang must be en or ko")
        subject_type, subject_id = chosen[0]
        k = bootstrap()
        try:
            data, manifest_sha = evidence_package.export_package(k, principal=None, subject_type=subject_type,
                                                                 subject_id=subject_id, lang=lang)
        except DomainError as exc:
            fail(exc.message)
        output.write_bytes(data)
        typer.echo(f"{output}: {len(data)} bytes, manifest SHA-256 {manifest_sha}")

    @evidence.command("verify")
    def verify(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The package (.zip)."),
        public_key: Path = typer.Option(None, "--public-key", exists=True, dir_okay=False,
                                        help="A PEM public key you trust; without it the embedded key is used."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Check every hash, the event chain and the signature; name whatever was altered, added or removed.

        Exit codes: 0 verified, 1 verification failed (the findings say what), 2 the package could not be read.
        Without --public-key the signature is only checked against the key inside the package, which whoever
        re-signs a package replaces too: the key's fingerprint is printed with a warning, to compare with the
        platform's published one."""
        from klean.adapters import evidence_package

        try:
            report = evidence_package.verify_zip(file.read_bytes(),
                                                 public_key.read_bytes() if public_key else None)
        except DomainError as exc:
            fail(f"cannot read the package: {exc.message}")
        except MemoryError:
            fail("cannot read the package: it is too large to check in this machine's memory")
        if public_key is None:
            typer.secho("WARNING: no --public-key given. The signature was checked only against the key inside the "
                        "package, and anyone who alters a package can sign it again with a key of their own. "
                        f"Compare this key fingerprint with the platform's published one: {report.key_fingerprint}",
                        fg=typer.colors.YELLOW, bold=True, err=True)
        if as_json:
            typer.echo(json.dumps({"ok": report.ok, "subject": report.subject, "files": report.files_checked,
                                   "events": report.events_checked, "merkle_root": report.merkle_root,
                                   "key_fingerprint": report.key_fingerprint, "key_trusted": public_key is not None,
                                   "findings": [vars(f) for f in report.findings]}, ensure_ascii=False, indent=2))
        else:
            for f in report.findings:
                typer.echo(str(f))
            state = "OK" if report.ok else f"FAILED ({len(report.findings)} findings)"
            typer.echo(f"{state}: {report.subject}; {report.files_checked} files, {report.events_checked} events, "
                       f"Merkle root {report.merkle_root}, key {report.key_fingerprint[:16]}"
                       + (" (trusted key given)" if public_key else " (embedded key: pass --public-key to pin it)"))
        if not report.ok:
            raise typer.Exit(1)
