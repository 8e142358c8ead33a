"""`klean agency report AGENCY`, `klean agency mandates`, `klean agency expire`: agencies from the command line
(as the operator)."""

from __future__ import annotations

import json
from datetime import datetime

import typer

from klean.adapters.commands.core import fail
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError

OPERATOR = Principal(user_id="operator", role=Role.ADMIN)  # whoever runs the CLI on the server may see any agency


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Agencies acting for many brands under mandates.", no_args_is_help=True)
    app.add_typer(group, name="agency")

    @group.command("report")
    def report_cmd(agency: str = typer.Argument(..., help="The agency's org, as its users carry it"),
                   member: str = typer.Option(None, help="Only this member (a brand owner)"),
                   since: str = typer.Option(None, help="Only notices received since (ISO date or time)"),
                   as_json: bool = typer.Option(False, "--json", help="Print the report as JSON")) -> None:
        """Per member brand: notices, listings removed, sellers restricted, time to action."""
        from klean.bootstrap import bootstrap
        from klean.services import agencies

        k = bootstrap()
        try:
            start = datetime.fromisoformat(since) if since else None
            report = agencies.member_report(uow=k.uow_factory(), principal=OPERATOR, agency=agency, member=member,
                                            since=start)
        except ValueError:
            fail("--since: an ISO date or time, e.g. 2026-11-01")
            return
        except DomainError as exc:
            fail(exc.message)
            return
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
            return
        typer.echo("member\tbrand\tmandate\tnotices\tcases\tremoved\tsellers restricted\ttime to action (median h)")
        for m in report["members"]:
            for b in m["brands"]:
                tta = b["time_to_action_median_seconds"]
                typer.echo(f"{m['member']}\t{b['brand_id']}\t{'live' if b['mandate_live'] else 'not live'}\t"
                           f"{b['notices']}\t{b['cases']}\t{b['listings_removed']}\t{b['sellers_restricted']}\t"
                           f"{'-' if tta is None else f'{tta / 3600:.2f}'}")

    @group.command("mandates")
    def mandates_cmd(state: str = typer.Option(None, help="submitted, approved, rejected, expired or ended")) -> None:
        """Print every mandate (JSON lines), with whether it is live today."""
        from klean.bootstrap import bootstrap
        from klean.services import agencies

        k = bootstrap()
        for m in agencies.list_mandates(uow=k.uow_factory(), principal=OPERATOR, state=state):
            typer.echo(json.dumps(m, ensure_ascii=False))

    @group.command("expire")
    def expire_cmd() -> None:
        """Mark mandates past their end date expired (also done by `klean jobs run`)."""
        from klean.bootstrap import bootstrap
        from klean.services import agencies

        k = bootstrap()
        typer.echo(f"{agencies.expire_mandates(uow=k.uow_factory())} mandates expired")
