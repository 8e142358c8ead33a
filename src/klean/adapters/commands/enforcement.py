"""`klean enforcement check-policy [FILE]`, `klean enforcement standing SELLER`, `klean enforcement check-totals`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from klean.domain.errors import DomainError


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The enforcement policy and seller standing.", no_args_is_help=True)
    app.add_typer(group, name="enforcement")

    @group.command("check-policy")
    def check_policy(path: Path = typer.Argument(None, help="Policy file (TOML or YAML); default: the one in force",
                                                 exists=True, dir_okay=False)) -> None:
        """Validate a policy file's [enforcement] section and print the ladder it declares."""
        from klean.config import get_settings
        from klean.domain.policy_file import read_policy
        from klean.services.enforcement import policy_of, policy_summary

        try:
            doc = read_policy(path or get_settings().policy_path)
            summary = policy_summary(policy_of(doc))
        except DomainError as exc:
            typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        except (OSError, UnicodeDecodeError) as exc:
            typer.secho(f"error: cannot read {path}: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"policy {doc.version} ({doc.source}): enforcement section valid")
        for step in summary["ladder"]:
            scope = f" ({step['scope']})" if step["scope"] else ""
            days = f" for {step['duration_days']} days" if step["duration_days"] else ""
            typer.echo(f"  {step['points']:>3} points: {step['action']}{scope}{days}")

    @group.command("standing")
    def standing(seller_id: str = typer.Argument(..., help="Seller id")) -> None:
        """Print a seller's standing (status, points, strikes with expiry, open actions) as JSON."""
        from klean.bootstrap import bootstrap
        from klean.domain.auth import Principal, Role
        from klean.services import enforcement

        k = bootstrap()
        operator = Principal("operator", Role.ADMIN)  # the operator at the command line may see any seller
        try:
            result = enforcement.standing(uow=k.uow_factory(), principal=operator, seller_id=seller_id,
                                          policy=enforcement.policy_of(k.policy))
        except DomainError as exc:
            typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))

    @group.command("check-totals")
    def check_totals(fix: bool = typer.Option(False, "--fix", help="Overwrite drifted totals with recomputed ones"),
                     ) -> None:
        """Recompute every seller's running strike totals from its actions; report drift (exit 1), or fix it."""
        from klean.bootstrap import bootstrap
        from klean.services import enforcement

        k = bootstrap()
        drift = enforcement.check_totals(uow=k.uow_factory(), fix=fix)
        for d in drift:
            typer.echo(json.dumps(d, ensure_ascii=False))
        if not drift:
            typer.echo("running totals: no drift")
            return
        typer.echo(f"running totals: {len(drift)} seller(s) drifted" + ("; fixed" if fix else ""))
        if not fix:
            raise typer.Exit(1)
