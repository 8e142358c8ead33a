"""Seller networks (`uow.seller_networks`): facts per seller, the facts other sellers share with one, networks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.enforcement import EnforcementActionRow
from klean.adapters.db.models.image_banks import ImageBankEntryRow
from klean.adapters.db.models.listings import ListingRow
from klean.adapters.db.models.registry import BrandImageRow, SellerRow
from klean.adapters.db.models.seller_networks import SellerFactRow, SellerNetworkRow
from klean.domain.seller_network import Fact, Standing, bands


class SellerNetworkRepository:
    REPOSITORY_NAME = "seller_networks"

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- facts ---------------------------------------------------------------------------------------------------

    def facts(self, seller_id: str, *, sources: Sequence[str] | None = None) -> list[Fact]:
        """The seller's facts; with `sources`, only those from them ("identity", "listing:L1", "proof:*")."""
        q = (select(SellerFactRow.kind, SellerFactRow.key, func.min(SellerFactRow.source))
             .where(SellerFactRow.seller_id == seller_id, *_from_sources(sources))
             .group_by(SellerFactRow.kind, SellerFactRow.key).order_by(SellerFactRow.kind, SellerFactRow.key))
        return [Fact(seller_id, k, key, src) for k, key, src in self.session.execute(q)]

    def add_facts(self, seller_id: str, rows: Iterable[tuple[str, str, str, str]]) -> int:
        """Store (kind, key, match, source) rows not held yet; return how many were new."""
        wanted = {(k, key, m): src for k, key, m, src in rows}
        if not wanted:
            return 0
        have = {(k, key, m) for k, key, m in self.session.execute(
            select(SellerFactRow.kind, SellerFactRow.key, SellerFactRow.match)
            .where(SellerFactRow.seller_id == seller_id, SellerFactRow.kind.in_({k for k, _, _ in wanted})))}
        new = [{"seller_id": seller_id, "kind": k, "key": key, "match": m, "source": src[:250], "created_at": utcnow()}
               for (k, key, m), src in wanted.items() if (k, key, m) not in have]
        if new:  # one executemany: a photo is eight rows, and the ORM would flush them one by one
            self.session.execute(insert(SellerFactRow), new)
        return len(new)

    def remove_facts(self, seller_id: str, *, source: str, keep: Iterable[tuple[str, str]] = ()) -> int:
        """Forget a source's facts (an identity changed, a listing edited) except those in keep ((kind, key))."""
        keep_set = set(keep)
        rows = self.session.scalars(select(SellerFactRow).where(SellerFactRow.seller_id == seller_id,
                                                                 SellerFactRow.source == source)).all()
        gone = [r.id for r in rows if (r.kind, r.key) not in keep_set]
        if gone:
            self.session.execute(delete(SellerFactRow).where(SellerFactRow.id.in_(gone)))
        return len(gone)

    def _match_counts(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Rows per (kind, match), one kind at a time so that the (kind, match) index serves the look-up."""
        by_kind: dict[str, set[str]] = {}
        for k, m in pairs:
            by_kind.setdefault(k, set()).add(m)
        out: dict[tuple[str, str], int] = {}
        for k, matches in by_kind.items():
            for chunk in _chunks(sorted(matches), 400):
                q = (select(SellerFactRow.match, func.count())
                     .where(SellerFactRow.kind == k, SellerFactRow.match.in_(chunk)).group_by(SellerFactRow.match))
                out.update({(k, m): int(n) for m, n in self.session.execute(q)})
        return out

    def shared_with(self, seller_id: str, *, limits: Mapping[str, int],
                    sources: Sequence[str] | None = None) -> list[Fact]:
        """Other sellers' facts that share a (kind, match) with this seller's: the candidates for its links.

        A key or band held by more rows than its kind's limit (max_sellers) is common and links nobody, so its
        holders are not read (a payment agent's account or a stock photo would otherwise be read every time).
        """
        mine = self.session.execute(select(SellerFactRow.kind, SellerFactRow.match)
                                    .where(SellerFactRow.seller_id == seller_id, *_from_sources(sources))
                                    .distinct()).all()
        counts = self._match_counts((k, m) for k, m in mine)
        followed: dict[str, list[str]] = {}
        for (k, m), n in counts.items():
            if 1 < n <= limits.get(k, 0):
                followed.setdefault(k, []).append(m)
        out: list[Fact] = []
        for k, matches in followed.items():
            for chunk in _chunks(sorted(matches), 400):
                q = (select(SellerFactRow.seller_id, SellerFactRow.key, func.min(SellerFactRow.source))
                     .where(SellerFactRow.kind == k, SellerFactRow.match.in_(chunk),
                            SellerFactRow.seller_id != seller_id)
                     .group_by(SellerFactRow.seller_id, SellerFactRow.key))
                out += [Fact(s, k, key, src) for s, key, src in self.session.execute(q)]
        return out

    def crowded(self, keys: Iterable[tuple[str, str]], *, limits: Mapping[str, int]) -> set[tuple[str, str]]:
        """The (kind, key) of photos and texts one of whose bands is held by more rows than the kind's limit: stock
        photos and copied descriptions, which link nobody."""
        matches = [(k, key, f"{k}:{b}") for k, key in set(keys) for b in bands(k, key)]
        counts = self._match_counts((k, m) for k, _, m in matches)
        return {(k, key) for k, key, m in matches if counts.get((k, m), 0) > limits.get(k, 0)}

    def all_facts(self, *, batch: int = 20_000) -> Iterator[Fact]:
        """Every fact, one row per (seller, kind, key), for the batch rebuild."""
        q = (select(SellerFactRow.seller_id, SellerFactRow.kind, SellerFactRow.key)
             .group_by(SellerFactRow.seller_id, SellerFactRow.kind, SellerFactRow.key)
             .execution_options(yield_per=batch))
        for s, k, key in self.session.execute(q):
            yield Fact(s, k, key)

    def count_facts(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(SellerFactRow)) or 0)

    # --- what Klean already stores, read as facts -------------------------------------------------------------

    def identity(self, seller_id: str) -> dict[str, object]:
        row = self.session.get(SellerRow, seller_id)
        return dict(row.identity or {}) if row is not None else {}

    def seller_ids(self) -> list[str]:
        sellers = set(self.session.scalars(select(SellerRow.id)))
        sellers |= set(self.session.scalars(select(ListingRow.seller_id).distinct()))
        return sorted(sellers)

    def official_hashes(self) -> list[str]:
        """PDQ hashes of photos that are nobody's own: brands' official images and the official and negative
        banks. Sellers posting them are honest resellers as often as not, so they never link anyone."""
        reg = self.session.scalars(select(BrandImageRow.pdq).where(BrandImageRow.kind == "official",
                                                                    BrandImageRow.pdq.is_not(None)))
        bank = self.session.scalars(select(ImageBankEntryRow.pdq).where(
            ImageBankEntryRow.bank.in_(("official", "negative")), ImageBankEntryRow.removed_at.is_(None),
            ImageBankEntryRow.pdq.is_not(None)))
        return sorted({h for h in [*reg, *bank] if h})

    # --- standing -------------------------------------------------------------------------------------------------

    def standings(self, seller_ids: Sequence[str]) -> dict[str, Standing]:
        """Status of each seller and since when (the earliest suspension or restriction still in force)."""
        if not seller_ids:
            return {}
        out: dict[str, Standing] = {}
        for chunk in _chunks(sorted(set(seller_ids)), 500):
            status = {s: st for s, st in self.session.execute(select(SellerRow.id, SellerRow.status)
                                                              .where(SellerRow.id.in_(chunk)))}
            since = {s: at for s, at in self.session.execute(
                select(EnforcementActionRow.seller_id, func.min(EnforcementActionRow.created_at))
                .where(EnforcementActionRow.seller_id.in_(chunk),
                       EnforcementActionRow.kind.in_(("suspension", "restriction")),
                       EnforcementActionRow.state == "active")
                .group_by(EnforcementActionRow.seller_id))}
            for s in chunk:
                at: datetime | None = since.get(s)
                out[s] = Standing(s, status.get(s, "active"), at.date().isoformat() if at else None)
        return out

    # --- networks -------------------------------------------------------------------------------------------------

    def network_of(self, seller_id: str) -> str | None:
        row = self.session.get(SellerNetworkRow, seller_id)
        return row.network_id if row is not None else None

    def members(self, network_id: str) -> list[str]:
        return list(self.session.scalars(select(SellerNetworkRow.seller_id)
                                         .where(SellerNetworkRow.network_id == network_id)
                                         .order_by(SellerNetworkRow.seller_id)))

    def merge(self, a: str, b: str) -> bool:
        """Put a and b in one network (incremental union): the smaller network takes the larger's id."""
        na, nb = self.network_of(a), self.network_of(b)
        if na is not None and na == nb:
            return False
        if na is None and nb is None:
            nid = f"net-{min(a, b)}"
            self.session.add_all([SellerNetworkRow(seller_id=a, network_id=nid),
                                  SellerNetworkRow(seller_id=b, network_id=nid)])
        elif na is None or nb is None:
            nid = na or nb
            assert nid is not None
            self.session.add(SellerNetworkRow(seller_id=a if na is None else b, network_id=nid))
        else:
            size_a, size_b = self._size(na), self._size(nb)
            keep, gone = (na, nb) if (size_a, nb) >= (size_b, na) else (nb, na)
            self.session.execute(update(SellerNetworkRow).where(SellerNetworkRow.network_id == gone)
                                 .values(network_id=keep, updated_at=utcnow()))
        self.session.flush()
        return True

    def _size(self, network_id: str) -> int:
        return int(self.session.scalar(select(func.count()).select_from(SellerNetworkRow)
                                       .where(SellerNetworkRow.network_id == network_id)) or 0)

    def replace_networks(self, components: Iterable[Sequence[str]]) -> int:
        """Replace every network by these components (the batch rebuild); return how many sellers are in one."""
        self.session.execute(delete(SellerNetworkRow))
        n = 0
        for members in components:
            nid = f"net-{min(members)}"
            self.session.add_all([SellerNetworkRow(seller_id=s, network_id=nid) for s in members])
            n += len(members)
        self.session.flush()
        return n


def _from_sources(sources: Sequence[str] | None) -> list[Any]:
    if sources is None:
        return []
    exact = [s for s in sources if not s.endswith("*")]
    prefixes = [s[:-1] for s in sources if s.endswith("*")]
    return [or_(SellerFactRow.source.in_(exact), *(SellerFactRow.source.startswith(p) for p in prefixes))]


def _chunks(items: Sequence[tuple[str, str]] | Sequence[str], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    for i in range(0, len(items), size):
        yield list(items[i:i + size])
