"""Outbound e-mail through the configured SMTP relay (settings.smtp_relay_host / smtp_relay_port).

Every person-facing notice (proof expiry warnings, statements of reasons, notice acknowledgements) goes out
through `send_mail`. Messages are proper MIME with UTF-8 bodies and RFC 2047 encoded headers, so Korean
subjects and names survive any relay.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from klean.config import Settings

SMTP_TIMEOUT_SECONDS = 10.0


class MailError(RuntimeError):
    """The relay refused or could not be reached; callers decide whether to retry."""


def build_message(settings: Settings, *, to: str | Sequence[str], subject: str, text: str,
                  html: str | None = None, headers: Mapping[str, str] | None = None) -> EmailMessage:
    """Build the MIME message send_mail would send (exposed so it can be checked without a relay)."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("send_mail needs at least one recipient")
    for addr in [settings.mail_from, *recipients]:
        # Header injection guard: an address or subject with a line break could add headers.
        if "\n" in addr or "\r" in addr:
            raise ValueError(f"invalid e-mail address: {addr!r}")
    if "\n" in subject or "\r" in subject:
        raise ValueError("subject must be one line")
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or "klean.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        if "\n" in value or "\r" in value or "\n" in name or ":" in name:
            raise ValueError(f"invalid header {name!r}")
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for name, value in (headers or {}).items():  # after the content, which would drop Content-Language
        if name.lower() == "message-id":  # the caller's own id (a reply that must be found again by it)
            msg.replace_header("Message-ID", value)
        else:
            msg[name] = value
    # Headers are not folded below the RFC 5322 limit: Python 3.11 folds a long Korean subject between two
    # encoded words at a space and the space is lost ("보내신 메일" arrives as "보내신메일"). The body was
    # encoded above, under the default policy.
    msg.policy = msg.policy.clone(max_line_length=998)
    return msg


def send_mail(settings: Settings, *, to: str | Sequence[str], subject: str, text: str,
              html: str | None = None, headers: Mapping[str, str] | None = None) -> None:
    """Send one e-mail through the configured relay; raise MailError when it cannot be delivered."""
    msg = build_message(settings, to=to, subject=subject, text=text, html=html, headers=headers)
    recipients = [to] if isinstance(to, str) else list(to)
    try:
        with smtplib.SMTP(settings.smtp_relay_host, settings.smtp_relay_port,
                          timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.ehlo()
            refused = smtp.send_message(msg, from_addr=settings.mail_from, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail via {settings.smtp_relay_host}:{settings.smtp_relay_port}: {exc}") \
            from exc
    if refused:
        raise MailError(f"relay refused recipients: {sorted(refused)}")


__all__ = ["SMTP_TIMEOUT_SECONDS", "MailError", "build_message", "send_mail"]
