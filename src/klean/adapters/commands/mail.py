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
        max_bytes: int = typer.Option(512 * 1024, help="Largest message accepted (SMTP SIZE and data check)."),
        rate: int = typer.Option(5, help="Reports accepted per sender per window."),
        rate_window: float = typer.Option(3600.0, help="Rate-limit window in seconds."),
    ) -> None:
        """Accept reports by e-mail at KLEAN_REPORT_ADDRESS; answer each with its case number."""
        from klean.adapters.mail.inbound import MailServer

        k = bootstrap()
        server = MailServer(k, host=host, port=port, max_bytes=max_bytes, rate=rate, rate_window=rate_window)
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
