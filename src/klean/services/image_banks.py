"""Image hash banks: add, remove, list, import and export; fill hashes; record matches; the flood guard.

Who may do what: admins and reviewers manage every bank; a rights holder (or trusted partner) may add,
list and export the official bank of its own brands only (its official photos normally arrive through the
registry's image upload). Each change appends an event. The bank file format is documented in
klean.domain.images (one 64-hex PDQ hash per line, optional metadata after a comma or tab).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Forbidden, NotFound, ValidationError
from klean.domain.images import (
    BANKS,
    BankEntry,
    ImageBanks,
    ImagePolicy,
    LogoTemplate,
    flooded_entries,
    format_bank_line,
    parse_bank_lines,
)
from klean.domain.policy_file import PolicyDocument
from klean.domain.screening import Evidence
from klean.services.unit_of_work import AbstractUnitOfWork

IMAGE_SIGNALS = ("official_image_reuse", "known_fake_image")
MAX_IMPORT_LINES = 2_000_000
Hasher = Callable[[str], tuple[str, int] | None]  # sha256 of a stored image -> (pdq, quality), None if unusable


def image_policy(policy: PolicyDocument) -> ImagePolicy:
    """The [images] section of the policy file, validated."""
    return ImagePolicy.from_section(policy.section("images"), policy.version)


def _actor(principal: Principal | None) -> str:
    return principal.user_id if principal is not None else "operator"


def _check_bank(bank: str) -> None:
    if bank not in BANKS:
        raise ValidationError(f"bank: one of {', '.join(BANKS)}", field="bank")


def _may_manage(uow: AbstractUnitOfWork, principal: Principal | None, bank: str, brand_id: str | None) -> None:
    """Admins and reviewers manage all banks; a brand's rights holder only that brand's official bank."""
    if principal is None or principal.role in (Role.ADMIN, Role.REVIEWER):
        if brand_id is not None and bank == "official" and uow.brands.get(brand_id) is None:
            raise NotFound(f"no brand {brand_id}", field="brand_id")
        return
    principal.require(Role.ADMIN, Role.REVIEWER, Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER)
    if bank != "official":
        raise Forbidden(f"only admins and reviewers manage the {bank} bank")
    if brand_id is None:
        raise ValidationError("brand_id: which of your brands the official images belong to", field="brand_id")
    brand = uow.brands.get(brand_id)
    if brand is None or not principal.may_manage_brand(brand.owner):
        raise NotFound(f"no brand {brand_id}", field="brand_id")


def _entry_event(uow: AbstractUnitOfWork, type: str, principal: Principal | None, entry: BankEntry,
                 reason: str | None = None, **extra: Any) -> None:
    uow.events.append(type=type, actor=_actor(principal), subject_type="image_bank_entry", subject_id=str(entry.id),
                      payload={"bank": entry.bank, "pdq": entry.pdq or None, "brand_id": entry.brand_id,
                               "source_ref": entry.source_ref, **extra}, reason=reason)


def require_manager(*, uow: AbstractUnitOfWork, principal: Principal | None, bank: str,
                    brand_id: str | None = None) -> None:
    """Check that the principal may change this bank (before an uploaded image is even decoded)."""
    _check_bank(bank)
    with uow:
        _may_manage(uow, principal, bank, brand_id)


def add_entry(*, uow: AbstractUnitOfWork, principal: Principal | None, bank: str, pdq: str | None = None,
              brand_id: str | None = None, source_ref: str | None = None, quality: int | None = None,
              sha256: str | None = None, note: str | None = None) -> BankEntry:
    """Add a hash to a bank (returns the existing entry when it is already there)."""
    _check_bank(bank)
    if bank == "official" and brand_id is None:
        raise ValidationError("brand_id: an official image belongs to a brand", field="brand_id")
    with uow:
        _may_manage(uow, principal, bank, brand_id)
        known = pdq is not None and uow.image_banks.exists(bank=bank, pdq=pdq.strip().lower(), brand_id=brand_id)
        entry = uow.image_banks.add(bank=bank, pdq=pdq, brand_id=brand_id, source_ref=source_ref, quality=quality,
                                    sha256=sha256, added_by=_actor(principal), note=note)
        if not known:
            _entry_event(uow, "image_bank.entry_added", principal, entry, reason=note)
        uow.commit()
        return entry


def remove_entry(*, uow: AbstractUnitOfWork, principal: Principal | None, entry_id: int,
                 reason: str | None = None) -> BankEntry:
    """Take an entry out of a bank (it stays on record)."""
    with uow:
        entry = uow.image_banks.get(entry_id)
        _may_manage(uow, principal, entry.bank, entry.brand_id)
        uow.image_banks.remove(entry_id, removed_by=_actor(principal))
        _entry_event(uow, "image_bank.entry_removed", principal, entry, reason=reason)
        uow.commit()
        return entry


def list_entries(*, uow: AbstractUnitOfWork, principal: Principal | None, bank: str | None = None,
                 brand_id: str | None = None, limit: int = 100, offset: int = 0) -> list[BankEntry]:
    """List live bank entries."""
    if bank is not None:
        _check_bank(bank)
    if not 1 <= limit <= 1000 or offset < 0:
        raise ValidationError("limit: 1..1000; offset >= 0", field="limit")
    with uow:
        if principal is not None and principal.role not in (Role.ADMIN, Role.REVIEWER):
            _may_manage(uow, principal, bank or "official", brand_id)
            bank = "official"
        return list(uow.image_banks.entries(bank=bank, brand_id=brand_id, limit=limit, offset=offset))


@dataclass(frozen=True)
class BankImport:
    bank: str
    lines: int  # hashes in the file
    added: int
    already_present: int
    sha256: str  # of the file, recorded in the event

    def as_dict(self) -> dict[str, Any]:
        return {"bank": self.bank, "lines": self.lines, "added": self.added, "already_present": self.already_present,
                "sha256": self.sha256}


def import_bank(*, uow: AbstractUnitOfWork, principal: Principal | None, bank: str, text: str,
                source: str = "<upload>", brand_id: str | None = None) -> BankImport:
    """Import a bank file (plain PDQ hex, one hash per line); all or nothing, bad lines named."""
    _check_bank(bank)
    lines = text.splitlines()
    if len(lines) > MAX_IMPORT_LINES:
        raise ValidationError(f"{source}: more than {MAX_IMPORT_LINES:,} lines; split the file", field="file")
    parsed = list(parse_bank_lines(lines, source=source))
    with uow:
        brands = {line.brand_id or brand_id for line in parsed}
        if bank == "official" and None in brands:
            raise ValidationError(f"{source}: official hashes need a brand_id (third field or --brand)",
                                  field="brand_id")
        for b in sorted(x for x in brands if x is not None) or [None]:
            _may_manage(uow, principal, bank, b)
        added = present = 0
        for line in parsed:
            owner = line.brand_id or brand_id
            if uow.image_banks.exists(bank=bank, pdq=line.pdq, brand_id=owner):
                present += 1
                continue
            uow.image_banks.add(bank=bank, pdq=line.pdq, brand_id=owner, quality=line.quality,
                                source_ref=line.source_ref or f"import:{source[-150:]}", added_by=_actor(principal))
            added += 1
        result = BankImport(bank=bank, lines=len(parsed), added=added, already_present=present,
                            sha256=hashlib.sha256(text.encode()).hexdigest())
        uow.events.append(type="image_bank.imported", actor=_actor(principal), subject_type="image_bank",
                          subject_id=bank, payload={**result.as_dict(), "source": source[-200:]})
        uow.commit()
        return result


def export_bank(*, uow: AbstractUnitOfWork, principal: Principal | None, bank: str,
                brand_id: str | None = None) -> str:
    """Export a bank as plain PDQ hex lines: `pdq,quality,brand_id,source_ref`."""
    _check_bank(bank)
    with uow:
        if principal is not None and principal.role not in (Role.ADMIN, Role.REVIEWER):
            _may_manage(uow, principal, bank, brand_id)
        out = [f"# klean image bank: {bank}" + (f" (brand {brand_id})" if brand_id else ""),
               "# pdq,quality,brand_id,source_ref"]
        after = 0
        while True:
            batch = uow.image_banks.entries(bank=bank, brand_id=brand_id, limit=10_000, after_id=after)
            if not batch:
                break
            out.extend(format_bank_line(e) for e in batch)
            after = batch[-1].id
        return "\n".join(out) + "\n"


def fill_official_hashes(*, uow: AbstractUnitOfWork, hasher: Hasher, limit: int = 1000) -> int:
    """Compute the PDQ hash of registry official images that lack one; return how many were filled."""
    filled = 0
    with uow:
        for row_id, brand_id, sha256 in uow.image_banks.brand_images_without_pdq("official", limit):
            got = hasher(sha256)
            if got is None:
                continue
            uow.image_banks.set_brand_image_pdq(row_id, got[0])
            uow.events.append(type="brand.image_hashed", actor="operator", subject_type="brand", subject_id=brand_id,
                              payload={"sha256": sha256, "pdq": got[0], "quality": got[1]})
            filled += 1
        uow.commit()
    return filled


def fill_pending(*, uow: AbstractUnitOfWork, hasher: Hasher, limit: int = 1000) -> int:
    """Compute the PDQ hash of bank entries added with only an image digest; return how many were filled."""
    filled = 0
    with uow:
        for entry_id, sha256 in uow.image_banks.pending(limit):
            got = hasher(sha256)
            if got is None:
                continue
            uow.image_banks.set_hash(entry_id, pdq=got[0], quality=got[1])
            filled += 1
        uow.commit()
    return filled


def _matched_entry_ids(evidence: Iterable[Evidence]) -> list[int]:
    ids = []
    for e in evidence:
        if e.signal in IMAGE_SIGNALS:
            entry_id = e.reason.params.get("entry_id")
            if isinstance(entry_id, int) and entry_id > 0:
                ids.append(entry_id)
    return sorted(set(ids))


def _update_floods(uow: AbstractUnitOfWork, policy: ImagePolicy, now: datetime, entry_ids: list[int] | None,
                   actor: str) -> tuple[list[int], list[int]]:
    since = now - timedelta(hours=policy.flood_window_hours) - timedelta(days=policy.flood_baseline_days)
    flooded = flooded_entries(uow.image_banks.match_times(since=since, entry_ids=entry_ids), now=now, policy=policy)
    started, ended = [], []
    candidates = set(entry_ids) if entry_ids is not None else flooded | set(uow.image_banks.flooded_ids())
    for entry_id in sorted(candidates):
        if uow.image_banks.set_flooded(entry_id, entry_id in flooded):
            (started if entry_id in flooded else ended).append(entry_id)
            uow.events.append(
                type="image_bank.flood_started" if entry_id in flooded else "image_bank.flood_ended", actor=actor,
                subject_type="image_bank_entry", subject_id=str(entry_id), policy_version=policy.version,
                payload={"window_hours": policy.flood_window_hours, "min_matches": policy.flood_min_matches,
                         "ratio": policy.flood_ratio},
                reason="matches far more listings than usual: its matches go to review" if entry_id in flooded
                else "back to its usual rate")
    return started, ended


def record_image_matches(*, uow: AbstractUnitOfWork, listing_id: str, evidence: Sequence[Evidence],
                         policy: ImagePolicy, now: datetime | None = None) -> list[int]:
    """Record which bank entries a screened listing matched and apply the flood guard to them.

    Joins the caller's transaction (does not commit). Returns entries that started flooding now.
    """
    ids = _matched_entry_ids(evidence)
    if not ids:
        return []
    now = now or datetime.now(UTC)
    fresh = [i for i in ids if uow.image_banks.record_match(i, listing_id, at=now)]
    if not fresh:
        return []
    started, _ = _update_floods(uow, policy, now, fresh, "rule:image_flood_guard")
    return started


def check_floods(*, uow: AbstractUnitOfWork, policy: ImagePolicy, now: datetime | None = None) -> dict[str, list[int]]:
    """Re-evaluate the flood guard for every entry (start and end floods); return what changed."""
    with uow:
        started, ended = _update_floods(uow, policy, now or datetime.now(UTC), None,
                                        "rule:image_flood_guard")
        uow.commit()
        return {"started": started, "ended": ended, "flooded": list(uow.image_banks.flooded_ids())}


def bank_snapshot(*, uow: AbstractUnitOfWork, logos: Sequence[LogoTemplate] = ()) -> ImageBanks:
    """Every live, hashed bank entry and the flooded ones, as plain data for building the image index."""
    with uow:
        entries: list[BankEntry] = []
        after = 0
        while True:
            batch = uow.image_banks.entries(limit=50_000, after_id=after)
            if not batch:
                break
            entries.extend(batch)
            after = batch[-1].id
        return ImageBanks(entries=tuple(entries), logos=tuple(logos),
                          flooded=frozenset(uow.image_banks.flooded_ids()), version=uow.image_banks.version())


def bank_state(*, uow: AbstractUnitOfWork) -> tuple[int, int, int, tuple[int, ...]]:
    """(highest entry id, removed, hashed, flooded ids) of the banks: an index built at one state can catch up with
    a later one by adding the new entries, as long as nothing was removed, re-hashed or (un)flooded in between."""
    with uow:
        return tuple(uow.image_banks.state())  # type: ignore[return-value]


def entries_after(*, uow: AbstractUnitOfWork, after_id: int) -> list[BankEntry]:
    """Live, hashed entries added after an entry id (for adding to a built index)."""
    with uow:
        return list(uow.image_banks.entries(after_id=after_id))


def logo_images(*, uow: AbstractUnitOfWork) -> list[tuple[str, str]]:
    """(brand id, sha256) of every registered logo image."""
    with uow:
        return list(uow.image_banks.brand_images("logo"))


def bank_version(*, uow: AbstractUnitOfWork) -> str:
    """A string that changes whenever the banks or their flood state change."""
    with uow:
        return str(uow.image_banks.version())


def bank_counts(*, uow: AbstractUnitOfWork) -> Mapping[str, int]:
    """Live entries per bank."""
    with uow:
        return {bank: uow.image_banks.count(bank=bank) for bank in BANKS}


def record_screening_matches(*, uow: AbstractUnitOfWork, context: Any, listing_id: str,
                             evidence: Sequence[Evidence]) -> list[int]:
    """record_image_matches with the policy the screener's image index was built with (joins the transaction)."""
    index = getattr(context, "indexes", {}).get("images")
    policy = getattr(index, "policy", None)
    if not isinstance(policy, ImagePolicy) or not _matched_entry_ids(evidence):
        return []
    return record_image_matches(uow=uow, listing_id=listing_id, evidence=evidence, policy=policy)
