"""The e-mail report channel's log of accepted mail that made no report: auto-replies, bounces, loops, empty mail.
With the reports themselves it accounts for every message the channel accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class MailRejectionRow(Base):
    __tablename__ = "mail_rejections"
    __table_args__ = (Index("ix_mail_rejections_sender_message", "sender", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sender: Mapped[str] = mapped_column(String(320))  # the envelope sender; empty for the null sender of bounces
    message_id: Mapped[str | None] = mapped_column(String(250))
    reason: Mapped[str] = mapped_column(String(40))  # automated | loop | empty
    detail: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    lang: Mapped[str] = mapped_column(String(5), default="en")
    answered: Mapped[bool] = mapped_column(default=False)
