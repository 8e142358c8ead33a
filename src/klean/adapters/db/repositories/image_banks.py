"""Image hash banks (`uow.image_banks`): entries in, BankEntry out; matches recorded for the flood guard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.image_banks import ImageBankEntryRow, ImageBankMatchRow
from klean.adapters.db.models.registry import BrandImageRow
from klean.domain.errors import NotFound, ValidationError
from klean.domain.images import BANKS, BankEntry, normalise_pdq


def _entry(r: ImageBankEntryRow) -> BankEntry:
    return BankEntry(id=r.id, bank=r.bank, pdq=r.pdq or "", quality=r.quality, brand_id=r.brand_id,
                     source_ref=r.source_ref)


class ImageBankRepository:
    REPOSITORY_NAME = "image_banks"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, bank: str, pdq: str | None = None, brand_id: str | None = None, source_ref: str | None = None,
            quality: int | None = None, sha256: str | None = None, added_by: str = "operator",
            note: str | None = None) -> BankEntry:
        """Add a hash to a bank, or return the live entry already holding it (same bank, hash and brand).

        With only `sha256` (no PDQ yet) the entry is pending until klean.services.image_banks.fill_pending
        computes its hash; pending entries are never matched.
        """
        if bank not in BANKS:
            raise ValidationError(f"bank: one of {', '.join(BANKS)}", field="bank")
        if pdq is None and sha256 is None:
            raise ValidationError("a bank entry needs a pdq hash (or the sha256 of a stored image)", field="pdq")
        pdq = normalise_pdq(pdq) if pdq is not None else None
        if quality is not None and not 0 <= quality <= 100:
            raise ValidationError("quality: 0..100", field="quality")
        q = select(ImageBankEntryRow).where(ImageBankEntryRow.bank == bank, ImageBankEntryRow.removed_at.is_(None))
        q = q.where(ImageBankEntryRow.pdq == pdq) if pdq is not None else q.where(ImageBankEntryRow.sha256 == sha256)
        q = q.where(ImageBankEntryRow.brand_id == brand_id) if brand_id is not None else \
            q.where(ImageBankEntryRow.brand_id.is_(None))
        existing = self.session.scalars(q.limit(1)).first()
        if existing is not None:
            return _entry(existing)
        row = ImageBankEntryRow(bank=bank, pdq=pdq, sha256=sha256, quality=quality, brand_id=brand_id,
                                source_ref=source_ref, added_by=added_by, note=note)
        self.session.add(row)
        self.session.flush()
        return _entry(row)

    def exists(self, *, bank: str, pdq: str, brand_id: str | None) -> bool:
        q = select(ImageBankEntryRow.id).where(ImageBankEntryRow.bank == bank, ImageBankEntryRow.pdq == pdq,
                                               ImageBankEntryRow.removed_at.is_(None))
        q = q.where(ImageBankEntryRow.brand_id == brand_id) if brand_id is not None else \
            q.where(ImageBankEntryRow.brand_id.is_(None))
        return self.session.scalars(q.limit(1)).first() is not None

    def get(self, entry_id: int) -> BankEntry:
        row = self.session.get(ImageBankEntryRow, entry_id)
        if row is None or row.removed_at is not None:
            raise NotFound(f"no image bank entry {entry_id}", field="entry_id")
        return _entry(row)

    def remove(self, entry_id: int, *, removed_by: str) -> BankEntry:
        """Take an entry out of matching (kept on record with who removed it and when)."""
        row = self.session.get(ImageBankEntryRow, entry_id)
        if row is None or row.removed_at is not None:
            raise NotFound(f"no image bank entry {entry_id}", field="entry_id")
        row.removed_at, row.removed_by = utcnow(), removed_by
        self.session.flush()
        return _entry(row)

    def entries(self, *, bank: str | None = None, brand_id: str | None = None, limit: int | None = None,
                offset: int = 0, after_id: int = 0) -> list[BankEntry]:
        """Live entries with a hash, oldest first."""
        q = select(ImageBankEntryRow).where(ImageBankEntryRow.removed_at.is_(None), ImageBankEntryRow.pdq.is_not(None),
                                            ImageBankEntryRow.id > after_id)
        if bank is not None:
            q = q.where(ImageBankEntryRow.bank == bank)
        if brand_id is not None:
            q = q.where(ImageBankEntryRow.brand_id == brand_id)
        q = q.order_by(ImageBankEntryRow.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return [_entry(r) for r in self.session.scalars(q)]

    def count(self, *, bank: str | None = None) -> int:
        q = select(func.count(ImageBankEntryRow.id)).where(ImageBankEntryRow.removed_at.is_(None))
        if bank is not None:
            q = q.where(ImageBankEntryRow.bank == bank)
        return int(self.session.scalar(q) or 0)

    def pending(self, limit: int = 1000) -> list[tuple[int, str]]:
        """(entry id, sha256) of live entries still waiting for their PDQ hash."""
        q = select(ImageBankEntryRow.id, ImageBankEntryRow.sha256).where(
            ImageBankEntryRow.removed_at.is_(None), ImageBankEntryRow.pdq.is_(None)).order_by(ImageBankEntryRow.id)
        return [(i, s) for i, s in self.session.execute(q.limit(limit)) if s]

    def set_hash(self, entry_id: int, *, pdq: str, quality: int) -> None:
        row = self.session.get(ImageBankEntryRow, entry_id)
        if row is None:
            raise NotFound(f"no image bank entry {entry_id}", field="entry_id")
        row.pdq, row.quality = normalise_pdq(pdq), quality
        self.session.flush()

    def state(self) -> tuple[int, int, int, tuple[int, ...]]:
        """(highest entry id, removed entries, hashed entries, flooded ids): what decides a rebuild vs an add."""
        max_id, removed, hashed = self.session.execute(select(
            func.max(ImageBankEntryRow.id), func.count(ImageBankEntryRow.removed_at),
            func.count(ImageBankEntryRow.pdq))).one()
        return int(max_id or 0), int(removed), int(hashed), tuple(self.flooded_ids())

    def version(self) -> str:
        """Changes whenever an entry is added, removed, hashed, or flooded/unflooded."""
        total, max_id, removed, hashed, flooded = self.session.execute(select(
            func.count(ImageBankEntryRow.id), func.max(ImageBankEntryRow.id),
            func.count(ImageBankEntryRow.removed_at), func.count(ImageBankEntryRow.pdq),
            func.count(ImageBankEntryRow.flooded_at))).one()
        flooded_ids = ",".join(str(i) for i in self.flooded_ids())
        return f"{total}.{max_id or 0}.{removed}.{hashed}.{flooded}:{flooded_ids}"

    # --- matches and the flood guard ---------------------------------------------------------------------------

    def record_match(self, entry_id: int, listing_id: str, at: datetime | None = None) -> bool:
        """Record that an entry matched a listing (once per listing); True when it is new."""
        found = self.session.scalars(select(ImageBankMatchRow.id).where(
            ImageBankMatchRow.entry_id == entry_id, ImageBankMatchRow.listing_id == listing_id).limit(1)).first()
        if found is not None:
            return False
        if self.session.get(ImageBankEntryRow, entry_id) is None:
            return False  # an entry from the registry snapshot (negative id) or one since deleted
        self.session.add(ImageBankMatchRow(entry_id=entry_id, listing_id=listing_id, at=at or utcnow()))
        self.session.flush()
        return True

    def match_times(self, *, since: datetime, entry_ids: list[int] | None = None) -> list[tuple[int, datetime]]:
        q = select(ImageBankMatchRow.entry_id, ImageBankMatchRow.at).where(ImageBankMatchRow.at > since)
        if entry_ids is not None:
            q = q.where(ImageBankMatchRow.entry_id.in_(entry_ids))
        return [(int(e), a) for e, a in self.session.execute(q)]

    def matches_of(self, entry_id: int, limit: int = 100) -> list[tuple[str, datetime]]:
        q = select(ImageBankMatchRow.listing_id, ImageBankMatchRow.at).where(
            ImageBankMatchRow.entry_id == entry_id).order_by(ImageBankMatchRow.at.desc()).limit(limit)
        return [(str(listing), at) for listing, at in self.session.execute(q)]

    def flooded_ids(self) -> list[int]:
        q = select(ImageBankEntryRow.id).where(ImageBankEntryRow.flooded_at.is_not(None),
                                               ImageBankEntryRow.removed_at.is_(None)).order_by(ImageBankEntryRow.id)
        return list(self.session.scalars(q))

    def set_flooded(self, entry_id: int, flooded: bool) -> bool:
        """Mark or clear an entry as flooded; True when that changed its state."""
        row = self.session.get(ImageBankEntryRow, entry_id)
        if row is None or (row.flooded_at is not None) == flooded:
            return False
        row.flooded_at = utcnow() if flooded else None
        self.session.flush()
        return True

    # --- the registry's official images (rows owned by the registry; only their pdq is filled here) -------

    def brand_images_without_pdq(self, kind: str = "official", limit: int = 1000) -> list[tuple[int, str, str]]:
        """(row id, brand id, sha256) of brand images whose PDQ hash has not been computed yet."""
        q = select(BrandImageRow.id, BrandImageRow.brand_id, BrandImageRow.sha256).where(
            BrandImageRow.kind == kind, BrandImageRow.pdq.is_(None), BrandImageRow.sha256.is_not(None)
        ).order_by(BrandImageRow.id).limit(limit)
        return [(int(i), str(b), str(s)) for i, b, s in self.session.execute(q)]

    def set_brand_image_pdq(self, row_id: int, pdq: str) -> None:
        row = self.session.get(BrandImageRow, row_id)
        if row is None:
            raise NotFound(f"no brand image {row_id}")
        row.pdq = normalise_pdq(pdq)
        self.session.flush()

    def brand_images(self, kind: str = "logo") -> list[tuple[str, str]]:
        """(brand id, sha256) of the registry's images of a kind (logos, for logo matching)."""
        q = select(BrandImageRow.brand_id, BrandImageRow.sha256).where(
            BrandImageRow.kind == kind, BrandImageRow.sha256.is_not(None)).order_by(BrandImageRow.id)
        return [(str(b), str(s)) for b, s in self.session.execute(q)]
