"""`klean mail serve`: the e-mail report channel; `klean notices deadlines`: restore after counter-notice windows."""

from __future__ import annotations

import signal
import threading

import typer

from klean.bootstrap import bootstrap


def register(app: typer.Typer) -> None:
    mail = typer.Typer(help="The e-mail report channel.", no_args_is_help=True)
    app.add_typer(mail, name="mail")
    notices = typer.Typer(help="Takedown notices and their cases.", no_args_is_help=True)
    app.add_typer(notices, name="notices")

    @mail.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(2525, help="SMTP port."),
        max_bytes: int = typer.Option(25 * 1024 * 1024, help="Largest message accepted, photos included (SMTP "
                                                              "SIZE and data check)."),
        rate: int = typer.Option(5, help="Mails accepted per sender per window."),
        rate_window: float = typer.Option(3600.0, help="Rate-limit window in seconds."),
    ) -> None:
        """Accept reports by e-mail at KLEAN_REPORT_ADDRESS; answer each in the sender's language with its case
        number, the listings linked, and a question when it cannot tell which listing is meant."""
        from klean.adapters.mail.inbound import MailServer
        from klean.domain.errors import DomainError

        k = bootstrap()
        try:  # the marketplace's listing shapes ([reports] in the policy) are checked before taking any mail
            server = MailServer(k, host=host, port=port, max_bytes=max_bytes, rate=rate, rate_window=rate_window)
        except DomainError as exc:
            typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        server.start()
        typer.echo(f"accepting reports for <{k.settings.report_address}> on {host}:{port} (Ctrl-C to stop)")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()

    @notices.command("deadlines")
    def deadlines() -> None:
        """Restore listings whose counter-notice window passed without court action."""
        from klean.adapters.mail.notify import mailer
        from klean.services.notices import notice_policy, process_counter_notice_deadlines

        k = bootstrap()
        n = process_counter_notice_deadlines(uow=k.uow_factory(), policy=notice_policy(k.policy),
                                             notify=mailer(k.settings))
        typer.echo(f"restored {n} listing(s)")
