"""Content-addressed file storage: a blob's name is the SHA-256 of its bytes, never a client's file name."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from klean.config import Settings
from klean.domain.errors import NotFound, ValidationError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.resolved_blob_dir()

    @staticmethod
    def relative_path(sha256: str) -> str:
        """Where a blob lives under the store: "ab/cd/abcd…" (a fan-out keeps directories small)."""
        if not _SHA256.match(sha256):
            raise ValidationError("not a SHA-256 digest", field="sha256")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        return self.root / self.relative_path(sha256)

    def put(self, data: bytes, media_type: str) -> str:
        """Store bytes (already validated as `media_type`) and return their SHA-256; storing twice is a no-op."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file and concurrent writers of the same bytes agree.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def get(self, sha256: str) -> bytes:
        p = self.path(sha256)
        if not p.is_file():
            raise NotFound(f"no blob {sha256}", field="sha256")
        return p.read_bytes()
