"""`klean networks rebuild`, `klean networks show SELLER`."""

from __future__ import annotations

import json

import typer

from klean.domain.errors import DomainError


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Seller networks: accounts tied together by shared facts.", no_args_is_help=True)
    app.add_typer(group, name="networks")

    @group.command("rebuild")
    def rebuild() -> None:
        """Read every fact from stored identities, listings and proofs, and recompute every network."""
        from klean.adapters.scan.networks import columnar_engine
        from klean.bootstrap import bootstrap
        from klean.services import seller_networks

        k = bootstrap()
        result = seller_networks.rebuild(uow=k.uow_factory(), policy=seller_networks.policy_of(k.policy),
                                         engine=columnar_engine)
        typer.echo(json.dumps(result, ensure_ascii=False))

    @group.command("show")
    def show(seller_id: str = typer.Argument(..., help="Seller id")) -> None:
        """Print a seller's network (accounts, links, the facts shared, standing) as JSON, personal data shown."""
        from klean.bootstrap import bootstrap
        from klean.domain.auth import Principal, Role
        from klean.services import seller_networks

        k = bootstrap()
        operator = Principal("operator", Role.ADMIN)  # the operator at the command line may see any seller
        try:
            result = seller_networks.network_view(uow=k.uow_factory(), principal=operator, seller_id=seller_id,
                                                  policy=seller_networks.policy_of(k.policy))
        except DomainError as exc:
            typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
