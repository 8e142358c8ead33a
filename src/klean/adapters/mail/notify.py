"""Deliver the e-mails use cases ask for (after their commit) through the outbound relay."""

from __future__ import annotations

import logging
from collections.abc import Callable

from klean.adapters.i18n import render
from klean.config import Settings
from klean.domain.cases import Mail

log = logging.getLogger(__name__)


def mailer(settings: Settings) -> Callable[[Mail], None]:
    """A notify callback for services: sends through klean.adapters.mail.outbound when it is installed."""

    def send(mail: Mail) -> None:
        try:
            from klean.adapters.mail.outbound import send_mail
        except ImportError:  # outbound mail not part of this deployment
            log.warning("no outbound mail: not sending %r to %s", mail.subject, mail.to)
            return
        subject, text = mail.subject, mail.text
        if mail.messages:  # rendered in the recipient's language: the subject, then the body's paragraphs
            subject = render(mail.messages[0], mail.lang)
            text = " ".join(render(m, mail.lang) for m in mail.messages[1:])
        send_mail(settings, to=mail.to, subject=subject, text=text)

    return send
