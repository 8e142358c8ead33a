"""`klean qa sample` and `klean qa report`: test-buy sampling from the command line (as the operator)."""

from __future__ import annotations

import json

import typer

from klean.adapters.commands.core import fail
from klean.bootstrap import bootstrap
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError
from klean.domain.qa import QaPolicy

OPERATOR = Principal(user_id="operator", role=Role.ADMIN)  # whoever runs the CLI on the server may do anything


def register(app: typer.Typer) -> None:
    qa_app = typer.Typer(help="Mystery-shopper test buys.", no_args_is_help=True)
    app.add_typer(qa_app, name="qa")

    @qa_app.command("sample")
    def sample_cmd(
        period: str = typer.Option(..., help="YYYY-MM"),
        seed: int = typer.Option(..., help="Same seed over the same listings: same picks"),
        count: int = typer.Option(None, help="Budget: number of test buys (default: policy [qa])"),
        money: str = typer.Option(None, help="Budget: money (default: policy [qa])"),
        currency: str = typer.Option(None, help="Budget currency (default: policy [qa])"),
    ) -> None:
        """Sample a period's test buys and print each pick with why it was chosen."""
        from klean.services import qa

        k = bootstrap()
        try:
            policy = QaPolicy.from_section(k.policy.section("qa"), k.policy.version)
            budget = qa.budget_from(count=count, money=money, currency=currency, policy=policy)
            picks = qa.run_sample(uow=k.uow_factory(), principal=OPERATOR, period=period, seed=seed, policy=policy,
                                  budget=budget)
        except DomainError as exc:
            fail(exc.message)
            return
        for p in picks:
            why = "; ".join(str(r.get("text", "")) for r in p.reasons)
            typer.echo(f"{p.id}\t{p.listing_id}\t{p.method}\t{p.band}\t{p.price.normalize():f} {p.currency}\t{why}")
        typer.echo(f"{len(picks)} picks, cost {sum(p.price for p in picks).normalize():f} {budget.currency}", err=True)

    @qa_app.command("report")
    def report_cmd(period: str = typer.Option(..., help="YYYY-MM")) -> None:
        """Print a period's report (JSON): picks, cost, hit rate by risk band versus random controls."""
        from klean.services import qa

        k = bootstrap()
        try:
            body = qa.report(uow=k.uow_factory(), principal=OPERATOR, period=period)
        except DomainError as exc:
            fail(exc.message)
            return
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
