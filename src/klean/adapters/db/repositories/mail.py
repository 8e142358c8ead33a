"""The e-mail report channel's rejections (`uow.mail_rejections`): accepted mail that made no report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from klean.adapters.db.models.mail import MailRejectionRow
from klean.domain.reports import MailRejection


def _rejection(r: MailRejectionRow) -> MailRejection:
    return MailRejection(id=r.id, received_at=r.received_at, sender=r.sender, message_id=r.message_id,
                         reason=r.reason, detail=r.detail, size=r.size, lang=r.lang, answered=r.answered)


class MailRejectionRepository:
    REPOSITORY_NAME = "mail_rejections"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, sender: str, message_id: str | None, reason: str, detail: str, size: int, lang: str,
            answered: bool, now: datetime) -> MailRejection:
        row = MailRejectionRow(sender=sender[:320], message_id=message_id[:250] if message_id else None,
                               reason=reason, detail=detail[:2000], size=size, lang=lang, answered=answered,
                               received_at=now)
        self.session.add(row)
        self.session.flush()
        return _rejection(row)

    def seen(self, sender: str, message_id: str) -> bool:
        """The same message (sender and Message-ID) was already taken: a second delivery of it."""
        return self.session.scalars(select(MailRejectionRow.id).where(
            MailRejectionRow.sender == sender[:320], MailRejectionRow.message_id == message_id[:250])).first() \
            is not None

    def recent(self, *, limit: int = 100) -> list[MailRejection]:
        rows = self.session.scalars(select(MailRejectionRow).order_by(MailRejectionRow.id.desc()).limit(limit))
        return [_rejection(r) for r in rows]
