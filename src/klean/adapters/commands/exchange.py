"""`klean exchange identity|peer-add|export|revoke|receive`: the Klean-to-Klean exchange from the command line (as
the operator), for moving signed envelopes as files between servers that do not reach each other."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from klean.adapters.commands.core import fail
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError

OPERATOR = Principal(user_id="operator", role=Role.ADMIN)  # whoever runs the CLI on the server may do anything


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Klean-to-Klean exchange: signed registry entries between Kleans.", no_args_is_help=True)
    app.add_typer(group, name="exchange")

    @group.command("identity")
    def identity_cmd() -> None:
        """Print this Klean's exchange name and Ed25519 public key (JSON), for its peers to register."""
        from klean.adapters.exchange_keys import exchange_key
        from klean.bootstrap import bootstrap
        from klean.services.exchange import public_key_hex

        k = bootstrap()
        typer.echo(json.dumps({"name": k.settings.exchange_name,
                               "public_key": public_key_hex(exchange_key(k.settings))}))

    @group.command("peer-add")
    def peer_add_cmd(name: str = typer.Argument(..., help="The peer's exchange name"),
                     public_key: str = typer.Argument(..., help="The peer's Ed25519 public key (hex)"),
                     trust: str = typer.Option("review", help="review (a reviewer accepts each item) or live"),
                     note: str = typer.Option(None, help="Who the peer is")) -> None:
        """Register another Klean as a peer."""
        from klean.bootstrap import bootstrap
        from klean.services import exchange

        k = bootstrap()
        try:
            peer = exchange.register_peer(uow=k.uow_factory(), principal=OPERATOR, name=name, public_key=public_key,
                                          trust=trust, note=note)
        except DomainError as exc:
            fail(exc.message)
            return
        typer.echo(json.dumps(peer, ensure_ascii=False))

    def sign_to_file(action: str, brand_ids: list[str], output: Path, noun: str) -> None:
        """Sign brands' entries (export) or their revocation (revoke) into a file for a peer."""
        from klean.adapters.exchange_keys import exchange_key
        from klean.bootstrap import bootstrap
        from klean.services import exchange

        k = bootstrap()
        sign = exchange.export_brands if action == "export" else exchange.revoke_brands
        try:
            signed = sign(uow=k.uow_factory(), principal=OPERATOR, sender=k.settings.exchange_name,
                          key=exchange_key(k.settings), brand_ids=brand_ids)
        except DomainError as exc:
            fail(exc.message)
            return
        output.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
        typer.echo(f"{len(signed['payload']['items'])} {noun}, sequence {signed['payload']['sequence']}, {output}")

    @group.command("export")
    def export_cmd(brand: list[str] = typer.Option(..., "--brand", help="A brand to send (repeat)"),
                   output: Path = typer.Option(..., "-o", "--output", help="Where to write the signed envelope")
                   ) -> None:
        """Sign the registry entries of brands into a file for a peer's `klean exchange receive`."""
        sign_to_file("export", brand, output, "items")

    @group.command("revoke")
    def revoke_cmd(brand: list[str] = typer.Option(..., "--brand", help="A brand to revoke (repeat)"),
                   output: Path = typer.Option(..., "-o", "--output", help="Where to write the signed envelope")
                   ) -> None:
        """Sign a revocation of brands sent before into a file."""
        sign_to_file("revoke", brand, output, "revocations")

    @group.command("receive")
    def receive_cmd(path: Path = typer.Argument(..., help="A signed envelope from a peer")) -> None:
        """Verify and apply a peer's signed envelope (a forged or replayed one changes nothing; exit 2)."""
        from klean.bootstrap import bootstrap
        from klean.services import exchange

        k = bootstrap()
        try:
            message = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{path}: not a readable JSON envelope ({exc})")
            return
        try:
            result = exchange.receive(uow=k.uow_factory(), principal=OPERATOR, message=message)
        except DomainError as exc:
            fail(exc.message)
            return
        if result["brand_ids"]:
            from klean.adapters.screening_runtime import rescan_after_change

            rescan_after_change(k, brand_ids=result["brand_ids"])
        typer.echo(json.dumps(result, ensure_ascii=False))
