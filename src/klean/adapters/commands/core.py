"""`klean init`, `klean serve`, `klean users create`."""

from __future__ import annotations

from typing import Any

import typer

from klean.bootstrap import bootstrap
from klean.config import Settings
from klean.domain.auth import Role
from klean.domain.errors import DomainError


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's X-Forwarded-For/-Proto handling: off unless KLEAN_TRUSTED_PROXIES names the proxies in front
    (uvicorn's own default would believe any client connecting from 127.0.0.1)."""
    trusted = [h.strip() for h in settings.trusted_proxies.split(",") if h.strip()]
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Users and API keys.", no_args_is_help=True)
    app.add_typer(users, name="users")

    @app.command()
    def init() -> None:
        """Create or migrate the database (KLEAN_DATABASE_URL; default a SQLite file in ./.klean)."""
        from sqlalchemy.exc import SQLAlchemyError

        from klean.adapters.db import migrate

        k = bootstrap()
        problem = migrate.reachability_problem(k.engine)
        if problem is not None:
            fail(problem)
        try:
            migrate.upgrade(k.engine)
        except SQLAlchemyError as exc:
            fail(f"could not migrate {k.engine.url!r}: {migrate.error_reason(exc)}")
        typer.echo(f"database at revision {migrate.current_revision(k.engine)}: {k.engine.url!r}")

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port."),
        workers: int = typer.Option(1, help="Worker processes (PostgreSQL recommended above 1)."),
        jobs_interval: int = typer.Option(3600, envvar="KLEAN_JOBS_INTERVAL_SECONDS",
                                          help="Run scheduled jobs every N seconds (0: never)."),
        screener_recheck: float = typer.Option(1.0, envvar="KLEAN_SCREENER_RECHECK_SECONDS",
                                               help="Seconds a worker reuses its screener before re-reading the "
                                                    "registry; registry changes reach other workers within it."),
    ) -> None:
        """Serve the API (docs at /docs) and the portal. Behind a reverse proxy, set KLEAN_TRUSTED_PROXIES to its
        address so that X-Forwarded-For is believed from it (and from nobody else)."""
        import os

        import uvicorn

        os.environ["KLEAN_JOBS_INTERVAL_SECONDS"] = str(jobs_interval)  # read by the app factory in each worker
        os.environ["KLEAN_SCREENER_RECHECK_SECONDS"] = str(screener_recheck)

        # uvloop and httptools (uvicorn[standard]) when installed. No uvicorn access log: every request is already
        # logged once, as JSON with its request id, status and duration, by adapters/api/observability.py.
        from klean.config import get_settings

        uvicorn.run("klean.adapters.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="info", access_log=False, **proxy_options(get_settings()))

    @users.command("create")
    def users_create(
        user_id: str = typer.Argument(..., help="Login id, e.g. alice"),
        role: Role = typer.Option(..., "--role", help="admin, rights_holder, trusted_partner, seller, ..."),
        name: str = typer.Option("", help="Display name"),
        org: str = typer.Option(None, help="Brand owner (rights holders) or firm (inspectors)"),
        seller_id: str = typer.Option(None, help="Seller account (sellers)"),
        email: str = typer.Option(None, help="E-mail"),
    ) -> None:
        """Create a user and print its API key (shown only once)."""
        from klean.services import accounts

        k = bootstrap()
        try:
            _, key = accounts.create_user(uow=k.uow_factory(), actor=None, user_id=user_id, name=name or user_id,
                                          role=role, org=org, seller_id=seller_id, email=email)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(key)

    @users.command("set-password")
    def users_set_password(
        user_id: str = typer.Argument(..., help="Login id"),
        password: str = typer.Option(..., prompt=True, hide_input=True, help="At least 8 characters"),
    ) -> None:
        """Set a user's portal password."""
        from klean.services import accounts

        k = bootstrap()
        try:
            accounts.set_password(uow=k.uow_factory(), actor=None, user_id=user_id, password=password)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"password set for {user_id}")

    @users.command("set-role")
    def users_set_role(
        user_id: str = typer.Argument(..., help="Login id"),
        role: Role = typer.Option(..., "--role", help="admin, rights_holder, trusted_partner, seller, ..."),
        org: str = typer.Option(None, help="Brand owner (rights holders) or firm (inspectors)"),
        seller_id: str = typer.Option(None, help="Seller account (sellers)"),
    ) -> None:
        """Change a user's role; its portal sessions end."""
        from klean.services import accounts

        k = bootstrap()
        try:
            accounts.update_user(uow=k.uow_factory(), actor=None, user_id=user_id, role=role, org=org,
                                 seller_id=seller_id)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"{user_id} is now {role.value}")

    @users.command("disable")
    def users_disable(user_id: str = typer.Argument(..., help="Login id")) -> None:
        """Disable a user: its API keys and portal sessions stop working."""
        from klean.services import accounts

        k = bootstrap()
        try:
            accounts.update_user(uow=k.uow_factory(), actor=None, user_id=user_id, active=False)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"{user_id} disabled")

    @users.command("enable")
    def users_enable(user_id: str = typer.Argument(..., help="Login id")) -> None:
        """Enable a disabled user again (sessions from before it was disabled stay ended)."""
        from klean.services import accounts

        k = bootstrap()
        try:
            accounts.update_user(uow=k.uow_factory(), actor=None, user_id=user_id, active=True)
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"{user_id} enabled")
