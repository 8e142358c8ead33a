"""The brand registry: brands (with marks, products, images, authorisations) and sellers, as domain objects.

`save(brand)` makes the stored brand equal to the given one by difference (rows that did not change are
left alone), so services change a brand by building a new frozen Brand and saving it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.registry import (
    AuthorisationRow,
    BrandImageRow,
    BrandRow,
    MarkRow,
    ProductRow,
    SellerRow,
)
from klean.domain.errors import Conflict
from klean.domain.listing import Money, Seller
from klean.domain.registry import (
    Authorisation,
    Brand,
    BrandImage,
    BrandTerm,
    Product,
    TrademarkRegistration,
)
from klean.domain.registry_rules import fold_mark

_LOAD = (
    selectinload(BrandRow.marks),
    selectinload(BrandRow.products),
    selectinload(BrandRow.images),
    selectinload(BrandRow.authorisations),
)


def _amount(value: Decimal) -> Decimal:
    """1690000.0000 from a NUMERIC column reads back as 1690000, 9.9900 as 9.99."""
    d = Decimal(value)
    return d.quantize(Decimal(1)) if d == d.to_integral() else d.normalize()


def _terms(stored: list[Any] | None) -> tuple[BrandTerm, ...]:
    """The stored knowledge column as domain terms: the rights holder's own (source "registry")."""
    return tuple(BrandTerm(term=t["term"], kind=t["kind"], weight=float(t.get("weight", 0.0)),
                           with_product=bool(t.get("with_product", False)), source="registry")
                 for t in stored or ())


def _stored_terms(terms: Iterable[BrandTerm]) -> list[dict[str, Any]]:
    """Only the rights holder's own terms are stored; the pack's are data shipped with Klean."""
    return [{"term": t.term, "kind": t.kind, "weight": t.weight, "with_product": t.with_product}
            for t in terms if t.source == "registry"]


def _brand(r: BrandRow) -> Brand:
    return Brand(
        id=r.id, name=r.name, owner=r.owner,
        marks=tuple(m.text for m in r.marks),
        products=tuple(
            Product(id=p.id, brand_id=r.id, name=p.name,
                    reference_price=Money(_amount(p.reference_amount), p.reference_currency),
                    aliases=tuple(p.aliases or ()), category=p.category)
            for p in r.products
        ),
        authorisations=tuple(
            Authorisation(seller_id=a.seller_id, brand_id=r.id, valid_from=a.valid_from, valid_until=a.valid_until)
            for a in r.authorisations if a.revoked_at is None
        ),
        images=tuple(BrandImage(kind=i.kind, path=i.path, sha256=i.sha256, pdq=i.pdq) for i in r.images),
        trademark_registrations=tuple(
            TrademarkRegistration(office=t.get("office", ""), number=t.get("number", ""))
            for t in r.trademark_registrations or ()
        ),
        knowledge=_terms(r.knowledge), use_pack=bool(r.use_pack), kind=r.kind,
    )


def _image_key(kind: str, sha256: str | None, path: str | None) -> tuple[str, str]:
    return kind, sha256 or f"path:{path}"


class BrandRepository:
    REPOSITORY_NAME = "brands"

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, brand_id: str, *, lock: bool = False) -> BrandRow | None:
        return self.session.get(BrandRow, brand_id, with_for_update=lock or None)

    def get(self, brand_id: str, *, lock: bool = False) -> Brand | None:
        """One brand; lock=True holds its row until commit (SELECT ... FOR UPDATE where the backend has it), so
        that read-change-save of a column such as `knowledge` cannot lose a concurrent change."""
        row = self._row(brand_id, lock=lock)
        return _brand(row) if row is not None else None

    def exists(self, brand_id: str) -> bool:
        return self._row(brand_id) is not None

    def list(self, *, owner: str | None = None, limit: int | None = None, offset: int = 0) -> list[Brand]:
        """Brands ordered by id; only `owner`'s when given."""
        q = select(BrandRow).options(*_LOAD).order_by(BrandRow.id).offset(offset)
        if owner is not None:
            q = q.where(BrandRow.owner == owner)
        if limit is not None:
            q = q.limit(limit)
        return [_brand(r) for r in self.session.scalars(q)]

    def all(self) -> list[Brand]:
        """Every brand, read with one plain query per table (no ORM objects): what a registry snapshot needs."""
        marks: dict[str, list[str]] = defaultdict(list)
        for bid, text in self.session.execute(select(MarkRow.brand_id, MarkRow.text).order_by(MarkRow.id)):
            marks[bid].append(text)
        products: dict[str, list[Product]] = defaultdict(list)
        for pr in self.session.execute(select(
                ProductRow.id, ProductRow.brand_id, ProductRow.name, ProductRow.aliases, ProductRow.category,
                ProductRow.reference_amount, ProductRow.reference_currency).order_by(ProductRow.id)):
            products[pr.brand_id].append(Product(
                id=pr.id, brand_id=pr.brand_id, name=pr.name, aliases=tuple(pr.aliases or ()), category=pr.category,
                reference_price=Money(_amount(pr.reference_amount), pr.reference_currency)))
        images: dict[str, list[BrandImage]] = defaultdict(list)
        for im in self.session.execute(select(BrandImageRow.brand_id, BrandImageRow.kind, BrandImageRow.path,
                                              BrandImageRow.sha256, BrandImageRow.pdq).order_by(BrandImageRow.id)):
            images[im.brand_id].append(BrandImage(kind=im.kind, path=im.path, sha256=im.sha256, pdq=im.pdq))
        auths: dict[str, list[Authorisation]] = defaultdict(list)
        for a in self.session.execute(
                select(AuthorisationRow.brand_id, AuthorisationRow.seller_id, AuthorisationRow.valid_from,
                       AuthorisationRow.valid_until).where(AuthorisationRow.revoked_at.is_(None))
                .order_by(AuthorisationRow.id)):
            auths[a.brand_id].append(Authorisation(seller_id=a.seller_id, brand_id=a.brand_id,
                                                   valid_from=a.valid_from, valid_until=a.valid_until))
        rows = self.session.execute(select(BrandRow.id, BrandRow.name, BrandRow.owner,
                                           BrandRow.trademark_registrations, BrandRow.knowledge,
                                           BrandRow.use_pack, BrandRow.kind).order_by(BrandRow.id))
        return [
            Brand(id=b.id, name=b.name, owner=b.owner, marks=tuple(marks[b.id]), products=tuple(products[b.id]),
                  authorisations=tuple(auths[b.id]), images=tuple(images[b.id]),
                  trademark_registrations=tuple(TrademarkRegistration(office=t.get("office", ""),
                                                                      number=t.get("number", ""))
                                                for t in b.trademark_registrations or ()),
                  knowledge=_terms(b.knowledge), use_pack=bool(b.use_pack), kind=b.kind)
            for b in rows
        ]

    def mark_texts(self) -> list[tuple[str, str]]:
        """(brand id, mark as written) for every registered mark: one plain query."""
        return [(b, t) for b, t in self.session.execute(select(MarkRow.brand_id, MarkRow.text))]

    def count(self, *, owner: str | None = None) -> int:
        q = select(func.count()).select_from(BrandRow)
        if owner is not None:
            q = q.where(BrandRow.owner == owner)
        return int(self.session.scalar(q) or 0)

    def mark_owners(self, folded: Iterable[str]) -> dict[str, str]:
        """Which brand holds each folded mark (folded -> brand id), for the marks already registered."""
        wanted = sorted(set(folded))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 500):  # keep IN lists short on every backend
            rows = self.session.execute(
                select(MarkRow.folded, MarkRow.brand_id).where(MarkRow.folded.in_(wanted[i:i + 500]))
            )
            for f, bid in rows:
                found.setdefault(f, bid)
        return found

    def product_brand(self, product_id: str) -> str | None:
        """The brand a product id belongs to, or None."""
        row = self.session.get(ProductRow, product_id)
        return row.brand_id if row is not None else None

    def add(self, brand: Brand) -> None:
        """Insert a new brand with everything it holds."""
        if self._row(brand.id) is not None:
            raise Conflict(f"brand {brand.id} exists", field="id")
        self.session.add(BrandRow(id=brand.id, name=brand.name, owner=brand.owner, trademark_registrations=[],
                                  knowledge=[], use_pack=brand.use_pack, kind=brand.kind))
        self.session.flush()
        self.save(brand)

    def save(self, brand: Brand, *, image_sizes: dict[str, tuple[int, int]] | None = None) -> None:
        """Make the stored brand equal to `brand`, changing only the rows that differ."""
        row = self._row(brand.id)
        if row is None:
            raise Conflict(f"brand {brand.id} does not exist", field="id")
        row.name, row.owner = brand.name, brand.owner
        regs = [{"office": t.office, "number": t.number} for t in brand.trademark_registrations]
        if regs != list(row.trademark_registrations or []):
            row.trademark_registrations = regs
        terms = _stored_terms(brand.knowledge)
        if terms != list(row.knowledge or []):
            row.knowledge = terms  # a new list: a JSON column notices assignment, not changes inside it
        if row.use_pack != brand.use_pack:
            row.use_pack = brand.use_pack
        if row.kind != brand.kind:
            row.kind = brand.kind
        self._sync_marks(row, brand.marks)
        self._sync_products(row, brand.products)
        self._sync_images(row, brand.images, image_sizes or {})
        self._sync_authorisations(row, brand.authorisations)
        row.updated_at = utcnow()
        self.session.flush()

    def _sync_marks(self, row: BrandRow, marks: Iterable[str]) -> None:
        wanted: dict[str, str] = {}
        for text in marks:
            wanted.setdefault(fold_mark(text), text)
        existing = {m.folded: m for m in row.marks}
        for folded, m in existing.items():
            if folded not in wanted:
                row.marks.remove(m)
            elif m.text != wanted[folded]:
                m.text = wanted[folded]
        self.session.flush()  # deletes before inserts: the (brand, folded) constraint must not trip
        for folded, text in wanted.items():
            if folded not in existing:
                row.marks.append(MarkRow(text=text, folded=folded))

    def _sync_products(self, row: BrandRow, products: Iterable[Product]) -> None:
        wanted = {p.id: p for p in products}
        existing = {pr.id: pr for pr in row.products}
        for pid, gone in existing.items():
            if pid not in wanted:
                row.products.remove(gone)
        self.session.flush()
        for pid, product in wanted.items():
            pr = existing.get(pid)
            if pr is None:
                other = self.session.get(ProductRow, pid)
                if other is not None:
                    raise Conflict(f"product id {pid} belongs to brand {other.brand_id}", field="products/id")
                pr = ProductRow(id=pid)
                row.products.append(pr)
            pr.name, pr.category = product.name, product.category
            if list(pr.aliases or []) != list(product.aliases):
                pr.aliases = list(product.aliases)
            if pr.reference_amount is None or Decimal(pr.reference_amount) != product.reference_price.amount:
                pr.reference_amount = product.reference_price.amount
            pr.reference_currency = product.reference_price.currency

    def _sync_images(self, row: BrandRow, images: Iterable[BrandImage], sizes: dict[str, tuple[int, int]]) -> None:
        wanted = {_image_key(i.kind, i.sha256, i.path): i for i in images}
        existing = {_image_key(ir.kind, ir.sha256, ir.path): ir for ir in row.images}
        for key, gone in existing.items():
            if key not in wanted:
                row.images.remove(gone)
        self.session.flush()
        for key, img in wanted.items():
            ir = existing.get(key)
            if ir is None:
                ir = BrandImageRow(kind=img.kind, sha256=img.sha256)
                if img.sha256 in sizes:
                    ir.width, ir.height = sizes[img.sha256]
                row.images.append(ir)
            ir.path, ir.pdq = img.path, img.pdq

    def _sync_authorisations(self, row: BrandRow, auths: Iterable[Authorisation]) -> None:
        """A dropped authorisation is revoked (revoked_at set), not deleted: when it ended stays on record."""
        wanted = {(a.seller_id, a.valid_from, a.valid_until) for a in auths}
        present = set()
        for a in row.authorisations:
            if a.revoked_at is not None:
                continue
            key = (a.seller_id, a.valid_from, a.valid_until)
            if key in wanted and key not in present:
                present.add(key)
            else:
                a.revoked_at = utcnow()
        for seller_id, valid_from, valid_until in sorted(wanted - present, key=str):
            row.authorisations.append(AuthorisationRow(seller_id=seller_id, valid_from=valid_from,
                                                       valid_until=valid_until, source="registry"))

    def delete(self, brand_id: str) -> None:
        row = self._row(brand_id)
        if row is not None:
            self.session.delete(row)
            self.session.flush()

    def image_size(self, brand_id: str, sha256: str) -> tuple[int | None, int | None] | None:
        row = self.session.scalars(select(BrandImageRow).where(BrandImageRow.brand_id == brand_id,
                                                               BrandImageRow.sha256 == sha256)).first()
        return (row.width, row.height) if row is not None else None


def _seller(r: SellerRow) -> Seller:
    return Seller(id=r.id, name=r.name, strikes=r.strikes or 0, account_age_days=r.account_age_days)


class SellerRepository:
    REPOSITORY_NAME = "sellers"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, seller_id: str) -> Seller | None:
        row = self.session.get(SellerRow, seller_id)
        return _seller(row) if row is not None else None

    def status(self, seller_id: str) -> str | None:
        row = self.session.get(SellerRow, seller_id)
        return row.status if row is not None else None

    def upsert(self, seller: Seller) -> bool:
        """Insert or update a seller's registry fields; True when something changed."""
        row = self.session.get(SellerRow, seller.id)
        if row is None:
            self.session.add(SellerRow(id=seller.id, name=seller.name, strikes=seller.strikes,
                                       account_age_days=seller.account_age_days, identity={}))
            self.session.flush()
            return True
        changed = (row.name, row.strikes, row.account_age_days) != (seller.name, seller.strikes,
                                                                     seller.account_age_days)
        if changed:
            row.name, row.strikes, row.account_age_days = seller.name, seller.strikes, seller.account_age_days
            self.session.flush()
        return changed

    def list(self, *, limit: int | None = None, offset: int = 0) -> list[Seller]:
        q = select(SellerRow).order_by(SellerRow.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return [_seller(r) for r in self.session.scalars(q)]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(SellerRow)) or 0)

    def all(self) -> list[Seller]:
        """Every seller, read with one plain query (no ORM objects)."""
        rows = self.session.execute(select(SellerRow.id, SellerRow.name, SellerRow.strikes,
                                           SellerRow.account_age_days).order_by(SellerRow.id))
        return [Seller(id=r.id, name=r.name, strikes=r.strikes or 0, account_age_days=r.account_age_days)
                for r in rows]
