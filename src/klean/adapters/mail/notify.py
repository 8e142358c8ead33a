"""Deliver the e-mails use cases ask for (after their commit) through the outbound relay."""

from __future__ import annotations

import logging
from collections.abc import Callable

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
        send_mail(settings, to=mail.to, subject=mail.subject, text=mail.text)

    return send
