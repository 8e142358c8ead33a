"""What was validated about each stored upload (the bytes live on disk, by content hash)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from klean.adapters.db.models.blobs import BlobRow


class BlobRepository:
    REPOSITORY_NAME = "blobs"

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, *, sha256: str, media_type: str, size: int) -> None:
        """Remember a stored blob; recording the same content twice is a no-op."""
        if self.session.get(BlobRow, sha256) is None:
            self.session.add(BlobRow(sha256=sha256, media_type=media_type, size=size))
            self.session.flush()

    def media_type(self, sha256: str) -> str | None:
        row = self.session.get(BlobRow, sha256)
        return row.media_type if row is not None else None
