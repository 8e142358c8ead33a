"""Uploaded files, stored on disk by content hash; this row records what was validated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from klean.adapters.db.base import Base, utcnow


class BlobRow(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))  # sniffed, never the client's claim
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
