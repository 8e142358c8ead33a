"""The brand registry: brands, marks, products, images and authorised sellers; import, export, snapshot.

Who may do what:
- admin: everything, every brand. Operator at the command line (principal None): the same.
- rights_holder / trusted_partner: create brands for their own org and manage only brands whose
  owner is their org. Another owner's brand is answered 404, exactly as a brand that does not
  exist, so that brand ids of other owners do not leak.
- reviewer: reads every brand (to judge screening hits), changes none (403).
- seller, consumer, inspector: no access to the registry (403).

Import is all or nothing and idempotent: each brand and seller in the file is created or made equal
to the file (its marks, products, images and authorisations are exactly the file's); records not in
the file are left alone; importing the same file again changes nothing and appends no events.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from klean.domain.events import canonical_json
from klean.domain.files import KNOWLEDGE_KEYS, brand_to_dict, registry_from_dict, registry_to_dict
from klean.domain.fx import FxTable
from klean.domain.listing import Money, Seller
from klean.domain.registry import (
    DEFAULT_TERM_WEIGHT,
    KNOWLEDGE_KINDS,
    Authorisation,
    Brand,
    BrandImage,
    BrandTerm,
    Product,
    RegistrySnapshot,
)
from klean.domain.registry_rules import (
    MAX_BRAND_ID,
    MAX_BRAND_NAME,
    MAX_CATEGORY,
    MAX_OWNER,
    MAX_PRODUCT_ID,
    MAX_PRODUCT_NAME,
    MAX_SELLER_ID,
    MAX_SELLER_NAME,
    MAX_TERM,
    MAX_TERMS,
    brand_term_id,
    check_amount,
    check_id,
    check_mark,
    check_text,
    fold_mark,
    fold_term_key,
    slug,
)
from klean.services.unit_of_work import AbstractUnitOfWork
from klean.signals import lexicons
from klean.signals.text import fold_term

IMAGE_KINDS = ("logo", "official")
_READERS = (Role.ADMIN, Role.REVIEWER, Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER)
_EDITORS = (Role.ADMIN, Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER)


# --- access -------------------------------------------------------------------------------------------------

def _actor(principal: Principal | None) -> str:
    return principal.user_id if principal is not None else "operator"


def _may_read(principal: Principal | None, brand: Brand) -> bool:
    if principal is None or principal.role in (Role.ADMIN, Role.REVIEWER):
        return True
    return principal.may_manage_brand(brand.owner)


def _readable(uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str) -> Brand:
    if principal is not None:
        principal.require(*_READERS)
    brand = uow.brands.get(brand_id)
    if brand is None or not _may_read(principal, brand):
        raise NotFound(f"no brand {brand_id}", field="brand_id")
    return brand


def _editable(uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, *, lock: bool = False) -> Brand:
    if principal is not None:
        principal.require(*_EDITORS)
    brand = _readable(uow, principal, brand_id)
    if lock:  # read again holding the row: the change is computed from what no one else is changing
        brand = uow.brands.get(brand_id, lock=True) or brand
    if principal is not None and not principal.may_manage_brand(brand.owner):
        raise Forbidden("you may not change this brand")
    return brand


def _event(uow: AbstractUnitOfWork, principal: Principal | None, type: str, brand_id: str,
           payload: Mapping[str, Any] | None = None, reason: str | None = None) -> None:
    uow.events.append(type=type, actor=_actor(principal), subject_type="brand", subject_id=brand_id,
                      payload=dict(payload or {}), reason=reason)


# --- validation ---------------------------------------------------------------------------------------------

def _money(price: Money, field: str) -> Money:
    check_amount(price.amount, field=f"{field}/amount")
    if len(price.currency) != 3 or not price.currency.isascii() or not price.currency.isupper():
        raise ValidationError(f"{field}/currency: an ISO 4217 code like KRW", field=f"{field}/currency")
    return price


def _aliases(aliases: Iterable[str], field: str) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[str] = set()
    for i, a in enumerate(aliases):
        text = check_text(a, field=f"{field}/{i}", limit=MAX_PRODUCT_NAME)
        if fold_mark(text) not in seen:
            seen.add(fold_mark(text))
            out.append(text)
    return tuple(out)


def _dates(valid_from: date | None, valid_until: date | None, field: str) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError(f"{field}/valid_until: before valid_from", field=f"{field}/valid_until")


_FILE_KEY = {kind: key for key, kind in KNOWLEDGE_KEYS.items()}  # nickname -> nicknames (the registry file's keys)


def _check_term(t: BrandTerm, *, term_field: str, kind_field: str, weight_field: str) -> BrandTerm:
    """One nickname, design cue or collision of the rights holder's, cleaned (text stripped), or ValidationError."""
    if t.kind not in KNOWLEDGE_KINDS:
        raise ValidationError(f"{kind_field}: one of {', '.join(KNOWLEDGE_KINDS)} (got {t.kind!r})", field=kind_field)
    text = check_text(t.term, field=term_field, limit=MAX_TERM)
    if not fold_term_key(text):
        raise ValidationError(f"{term_field}: a term needs at least one visible character", field=term_field)
    weight = t.weight
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) \
            or not 0 <= weight <= 1:
        raise ValidationError(f"{weight_field}: a number from 0 to 1 (got {weight!r})", field=weight_field)
    if t.kind == "collision":
        # A collision marks text that is not the brand: it has no strength and needs no product next to it.
        return BrandTerm(text, t.kind, DEFAULT_TERM_WEIGHT["collision"], False, source="registry")
    return BrandTerm(text, t.kind, float(weight), bool(t.with_product), source="registry")


def _clean_knowledge(terms: Sequence[BrandTerm], where: str) -> tuple[BrandTerm, ...]:
    """A brand's terms from a registry file, each checked; a term repeated within its kind (NFKC, casefolded) and
    more than MAX_TERMS in all are errors naming the entry, e.g. brands/3/nicknames/2."""
    out: list[BrandTerm] = []
    seen: dict[tuple[str, str], str] = {}
    position: dict[str, int] = {}
    for t in terms:
        j = position.get(t.kind, 0)
        position[t.kind] = j + 1
        field = f"{where}/{_FILE_KEY.get(t.kind, t.kind)}/{j}"
        if len(out) == MAX_TERMS:
            raise ValidationError(f"{field}: at most {MAX_TERMS} nicknames, design cues and collisions per brand",
                                  field=field)
        clean = _check_term(t, term_field=field, kind_field=field, weight_field=f"{field}/weight")
        key = (clean.kind, fold_term_key(clean.term))
        if key in seen:
            raise ValidationError(f"{field}: {clean.term!r} repeats {seen[key]}", field=field)
        seen[key] = field
        out.append(clean)
    return tuple(out)


def _clean_brand(b: Brand, where: str) -> tuple[Brand, int]:
    """Check every field of a brand from a file; drop repeated marks. Returns (brand, marks dropped)."""
    check_id(b.id, field=f"{where}/id", limit=MAX_BRAND_ID)
    name = check_text(b.name, field=f"{where}/name", limit=MAX_BRAND_NAME)
    owner = check_text(b.owner, field=f"{where}/owner", limit=MAX_OWNER) if b.owner is not None else None
    marks: list[str] = []
    folded: set[str] = set()
    for j, m in enumerate(b.marks):
        text = check_mark(m, field=f"{where}/marks/{j}")
        if fold_mark(text) not in folded:
            folded.add(fold_mark(text))
            marks.append(text)
    products = []
    seen_products: set[str] = set()
    for j, p in enumerate(b.products):
        f = f"{where}/products/{j}"
        pid = check_id(p.id, field=f"{f}/id", limit=MAX_PRODUCT_ID)
        if pid in seen_products:
            raise ValidationError(f"{f}/id: duplicate product id {pid!r}", field=f"{f}/id")
        seen_products.add(pid)
        products.append(dataclasses.replace(
            p, name=check_text(p.name, field=f"{f}/name", limit=MAX_PRODUCT_NAME),
            reference_price=_money(p.reference_price, f"{f}/reference_price"),
            aliases=_aliases(p.aliases, f"{f}/aliases"),
            category=check_text(p.category, field=f"{f}/category", limit=MAX_CATEGORY) if p.category else None,
        ))
    for j, a in enumerate(b.authorisations):
        check_id(a.seller_id, field=f"{where}/authorized_sellers/{j}/seller_id", limit=MAX_SELLER_ID)
        _dates(a.valid_from, a.valid_until, f"{where}/authorized_sellers/{j}")
    for j, img in enumerate(b.images):
        if img.path is not None:
            check_text(img.path, field=f"{where}/images/{j}/path", limit=1000)
    knowledge = _clean_knowledge(b.knowledge, where)
    cleaned = dataclasses.replace(b, name=name, owner=owner, marks=tuple(marks), products=tuple(products),
                                  knowledge=knowledge)
    return cleaned, len(b.marks) - len(marks)


def _canonical_dict(b: Brand) -> dict[str, Any]:
    d = brand_to_dict(b)
    d["marks"] = sorted(d["marks"])
    for key in ("products", "authorized_sellers", "logos", "official_images", *KNOWLEDGE_KEYS):
        if key in d:
            d[key] = sorted(d[key], key=lambda v: canonical_json(v))
    return d


def _canonical(b: Brand) -> bytes:
    """A brand in an order-independent form, to tell whether an import changes it."""
    return canonical_json(_canonical_dict(b))


def _check_marks_free(uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str,
                      marks: Sequence[str]) -> None:
    holders = uow.brands.mark_owners(fold_mark(m) for m in marks)
    for i, m in enumerate(marks):
        holder = holders.get(fold_mark(m))
        if holder is not None and holder != brand_id:
            # Name the other brand only to those allowed to see every brand.
            other = f" ({holder})" if principal is None or principal.role is Role.ADMIN else ""
            raise Conflict(f"mark {m!r} is already registered to another brand{other}", field=f"marks/{i}")
    # A look-alike (Cyrillic С, l for I, 0 for O, full-width letters...) folds to another brand's mark: screening
    # would credit that brand's mentions to this one. The written mark already names the brand it imitates, so
    # naming it in the answer reveals nothing.
    skeletons = {fold_term(m): (i, m) for i, m in enumerate(marks)}
    for holder, text in uow.brands.mark_texts():
        hit = skeletons.get(fold_term(text)) if holder != brand_id else None
        if hit is not None:
            i, m = hit
            raise Conflict(f"mark {m!r} reads as {text!r}, a mark of brand {holder}: look-alike marks of another "
                           "brand are not accepted", field=f"marks/{i}")


# --- brands -------------------------------------------------------------------------------------------------

def create_brand(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, name: str,
                 marks: Sequence[str], owner: str | None = None) -> Brand:
    """Register a brand with its word marks (in any script)."""
    if principal is not None:
        principal.require(*_EDITORS)
        if principal.role is not Role.ADMIN:
            if owner is not None and owner != principal.org:
                raise Forbidden("you may only register brands for your own organisation", field="owner")
            owner = principal.org
    check_id(brand_id, field="id", limit=MAX_BRAND_ID)
    name = check_text(name, field="name", limit=MAX_BRAND_NAME)
    if owner is not None:
        owner = check_text(owner, field="owner", limit=MAX_OWNER)
    if not marks:
        raise ValidationError("marks: a brand needs at least one word mark", field="marks")
    cleaned = [check_mark(m, field=f"marks/{i}") for i, m in enumerate(marks)]
    folded = [fold_mark(m) for m in cleaned]
    for i, f in enumerate(folded):
        if f in folded[:i]:
            raise Conflict(f"marks/{i}: {cleaned[i]!r} repeats an earlier mark", field=f"marks/{i}")
    with uow:
        if uow.brands.exists(brand_id):
            raise Conflict(f"brand {brand_id} exists", field="id")
        _check_marks_free(uow, principal, brand_id, cleaned)
        brand = Brand(id=brand_id, name=name, marks=tuple(cleaned), owner=owner)
        uow.brands.add(brand)
        _event(uow, principal, "brand.created", brand_id, {"name": name, "marks": cleaned, "owner": owner})
        uow.commit()
    return brand


def require_editable(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str) -> None:
    """Check that the principal may change a brand (404 when it may not even see it, 403 when only see)."""
    with uow:
        _editable(uow, principal, brand_id)


def get_brand(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str) -> Brand:
    """Return one brand the principal may see."""
    with uow:
        return _readable(uow, principal, brand_id)


def list_brands(*, uow: AbstractUnitOfWork, principal: Principal | None, limit: int = 100,
                offset: int = 0) -> tuple[list[Brand], int]:
    """List the brands the principal may see, with their total count."""
    if principal is not None:
        principal.require(*_READERS)
    owner = None
    if principal is not None and principal.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER):
        if principal.org is None:
            return [], 0
        owner = principal.org
    with uow:
        return uow.brands.list(owner=owner, limit=limit, offset=offset), uow.brands.count(owner=owner)


def update_brand(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, name: str | None = None,
                 owner: str | None = None) -> Brand:
    """Rename a brand or (admin only) give it to another owner."""
    with uow:
        brand = _editable(uow, principal, brand_id)
        changes: dict[str, Any] = {}
        if name is not None:
            name = check_text(name, field="name", limit=MAX_BRAND_NAME)
            if name != brand.name:
                changes["name"] = name
        if owner is not None and owner != brand.owner:
            if principal is not None and principal.role is not Role.ADMIN:
                raise Forbidden("only an admin may change a brand's owner", field="owner")
            changes["owner"] = check_text(owner, field="owner", limit=MAX_OWNER)
        if changes:
            brand = dataclasses.replace(brand, **changes)
            uow.brands.save(brand)
            _event(uow, principal, "brand.updated", brand_id, changes)
            uow.commit()
        return brand


def delete_brand(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str) -> None:
    """Remove a brand from the registry (its history stays in the event log)."""
    with uow:
        brand = _editable(uow, principal, brand_id)
        uow.brands.delete(brand_id)
        _event(uow, principal, "brand.deleted", brand_id, {"export": brand_to_dict(brand)})
        uow.commit()


# --- marks --------------------------------------------------------------------------------------------------

def add_mark(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, mark: str) -> Brand:
    """Add a word mark to a brand; a mark already held (in any folded form) is a conflict."""
    mark = check_mark(mark, field="mark")
    with uow:
        brand = _editable(uow, principal, brand_id)
        if fold_mark(mark) in {fold_mark(m) for m in brand.marks}:
            raise Conflict(f"{brand_id} already has the mark {mark!r}", field="mark")
        _check_marks_free(uow, principal, brand_id, [mark])
        brand = dataclasses.replace(brand, marks=(*brand.marks, mark))
        uow.brands.save(brand)
        _event(uow, principal, "brand.mark_added", brand_id, {"mark": mark})
        uow.commit()
        return brand


def remove_mark(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, mark: str) -> Brand:
    """Remove a word mark (matched in folded form); the last mark cannot go."""
    with uow:
        brand = _editable(uow, principal, brand_id)
        kept = tuple(m for m in brand.marks if fold_mark(m) != fold_mark(mark))
        if len(kept) == len(brand.marks):
            raise NotFound(f"{brand_id} has no mark {mark!r}", field="mark")
        if not kept:
            raise ValidationError("a brand keeps at least one mark", field="mark")
        brand = dataclasses.replace(brand, marks=kept)
        uow.brands.save(brand)
        _event(uow, principal, "brand.mark_removed", brand_id, {"mark": mark})
        uow.commit()
        return brand


# --- products -----------------------------------------------------------------------------------------------

def add_product(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, name: str,
                reference_price: Money, aliases: Sequence[str] = (), category: str | None = None,
                product_id: str | None = None) -> Product:
    """Add a product with its reference price (what the genuine article sells for)."""
    name = check_text(name, field="name", limit=MAX_PRODUCT_NAME)
    _money(reference_price, "reference_price")
    clean_aliases = _aliases(aliases, "aliases")
    category = check_text(category, field="category", limit=MAX_CATEGORY) if category else None
    with uow:
        brand = _editable(uow, principal, brand_id)
        if product_id is None:
            base = f"{brand_id}.{slug(name) or 'product'}"[:MAX_PRODUCT_ID - 4]
            product_id, n = base, 1
            while uow.brands.product_brand(product_id) is not None:
                n += 1
                product_id = f"{base}-{n}"
        else:
            check_id(product_id, field="id", limit=MAX_PRODUCT_ID)
            if uow.brands.product_brand(product_id) is not None:
                raise Conflict(f"product {product_id} exists", field="id")
        product = Product(id=product_id, brand_id=brand_id, name=name, reference_price=reference_price,
                          aliases=clean_aliases, category=category)
        uow.brands.save(dataclasses.replace(brand, products=(*brand.products, product)))
        _event(uow, principal, "brand.product_added", brand_id,
               {"product_id": product_id, "name": name, "reference_price": str(reference_price)})
        uow.commit()
        return product


def update_product(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, product_id: str,
                   name: str | None = None, reference_price: Money | None = None,
                   aliases: Sequence[str] | None = None, category: str | None = None) -> Product:
    """Change a product's name, reference price, aliases or category."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = check_text(name, field="name", limit=MAX_PRODUCT_NAME)
    if reference_price is not None:
        changes["reference_price"] = _money(reference_price, "reference_price")
    if aliases is not None:
        changes["aliases"] = _aliases(aliases, "aliases")
    if category is not None:
        changes["category"] = check_text(category, field="category", limit=MAX_CATEGORY, required=False) or None
    with uow:
        brand = _editable(uow, principal, brand_id)
        current = next((p for p in brand.products if p.id == product_id), None)
        if current is None:
            raise NotFound(f"{brand_id} has no product {product_id}", field="product_id")
        product = dataclasses.replace(current, **changes)
        if product != current:
            uow.brands.save(dataclasses.replace(
                brand, products=tuple(product if p.id == product_id else p for p in brand.products)))
            _event(uow, principal, "brand.product_updated", brand_id,
                   {"product_id": product_id, **{k: str(v) if isinstance(v, Money) else v
                                                 for k, v in changes.items()}})
            uow.commit()
        return product


def remove_product(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, product_id: str) -> None:
    """Remove a product from a brand."""
    with uow:
        brand = _editable(uow, principal, brand_id)
        if not any(p.id == product_id for p in brand.products):
            raise NotFound(f"{brand_id} has no product {product_id}", field="product_id")
        uow.brands.save(dataclasses.replace(brand, products=tuple(p for p in brand.products if p.id != product_id)))
        _event(uow, principal, "brand.product_removed", brand_id, {"product_id": product_id})
        uow.commit()


# --- images -------------------------------------------------------------------------------------------------

def add_brand_image(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, kind: str,
                    sha256: str, media_type: str, size: int, width: int, height: int, path: str,
                    pdq: str | None = None) -> BrandImage:
    """Attach a validated, stored image (logo or official product photo) to a brand."""
    if kind not in IMAGE_KINDS:
        raise ValidationError(f"kind: one of {', '.join(IMAGE_KINDS)}", field="kind")
    with uow:
        brand = _editable(uow, principal, brand_id)
        image = BrandImage(kind=kind, path=path, sha256=sha256, pdq=pdq)
        uow.blobs.record(sha256=sha256, media_type=media_type, size=size)
        if any(i.kind == kind and i.sha256 == sha256 for i in brand.images):
            return image  # the same picture again: nothing to add
        uow.brands.save(dataclasses.replace(brand, images=(*brand.images, image)),
                        image_sizes={sha256: (width, height)})
        _event(uow, principal, "brand.image_added", brand_id,
               {"kind": kind, "sha256": sha256, "media_type": media_type, "width": width, "height": height})
        uow.commit()
        return image


def remove_brand_image(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str,
                       sha256: str) -> None:
    """Detach an image (by content hash) from a brand."""
    with uow:
        brand = _editable(uow, principal, brand_id)
        kept = tuple(i for i in brand.images if i.sha256 != sha256)
        if len(kept) == len(brand.images):
            raise NotFound(f"{brand_id} has no image {sha256}", field="sha256")
        uow.brands.save(dataclasses.replace(brand, images=kept))
        _event(uow, principal, "brand.image_removed", brand_id, {"sha256": sha256})
        uow.commit()


# --- authorised sellers -------------------------------------------------------------------------------------

def add_authorised_seller(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str,
                          seller_id: str, valid_from: date | None = None,
                          valid_until: date | None = None) -> Authorisation:
    """Authorise a seller to sell a brand, optionally only between two dates (inclusive)."""
    check_id(seller_id, field="seller_id", limit=MAX_SELLER_ID)
    _dates(valid_from, valid_until, "")
    with uow:
        brand = _editable(uow, principal, brand_id)
        auth = Authorisation(seller_id=seller_id, brand_id=brand_id, valid_from=valid_from, valid_until=valid_until)
        if auth in brand.authorisations:
            raise Conflict(f"{seller_id} already holds this authorisation for {brand_id}", field="seller_id")
        uow.brands.save(dataclasses.replace(brand, authorisations=(*brand.authorisations, auth)))
        _event(uow, principal, "brand.seller_authorised", brand_id, {
            "seller_id": seller_id, "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_until": valid_until.isoformat() if valid_until else None})
        uow.commit()
        return auth


def remove_authorised_seller(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str,
                             seller_id: str) -> int:
    """Withdraw every authorisation a seller holds for a brand; return how many ended."""
    with uow:
        brand = _editable(uow, principal, brand_id)
        kept = tuple(a for a in brand.authorisations if a.seller_id != seller_id)
        ended = len(brand.authorisations) - len(kept)
        if not ended:
            raise NotFound(f"{seller_id} is not authorised for {brand_id}", field="seller_id")
        uow.brands.save(dataclasses.replace(brand, authorisations=kept))
        _event(uow, principal, "brand.seller_deauthorised", brand_id, {"seller_id": seller_id, "ended": ended})
        uow.commit()
        return ended


# --- brand knowledge: nicknames, design cues, collisions -----------------------------------------------------

@dataclass(frozen=True)
class BrandKnowledge:
    """A brand's terms: its rights holder's own, and those Klean's default pack holds for it (screening uses the
    pack's only while use_pack is on; a term the rights holder registers replaces the pack's same term)."""

    brand_id: str
    use_pack: bool
    own: tuple[BrandTerm, ...]
    pack: tuple[BrandTerm, ...]
    pack_version: str


def _knowledge(brand: Brand) -> BrandKnowledge:
    pack = lexicons.brand_pack()
    # Ask as if the pack were on, so that a rights holder who turned it off still sees what it would add.
    merged = lexicons.brand_knowledge(dataclasses.replace(brand, use_pack=True), pack)
    return BrandKnowledge(brand_id=brand.id, use_pack=brand.use_pack, own=brand.knowledge,
                          pack=tuple(t for t in merged if t.source != "registry"), pack_version=pack.version)


def get_brand_knowledge(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str) -> BrandKnowledge:
    """Return a brand's nicknames, design cues and collisions: its own and the default pack's."""
    with uow:
        return _knowledge(_readable(uow, principal, brand_id))


def add_brand_term(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str, term: str, kind: str,
                   weight: float | None = None, with_product: bool = False) -> BrandTerm:
    """Add a nickname, design cue or collision to a brand; the same term of the same kind again is a conflict."""
    if kind not in KNOWLEDGE_KINDS:
        raise ValidationError(f"kind: one of {', '.join(KNOWLEDGE_KINDS)} (got {kind!r})", field="kind")
    clean = _check_term(BrandTerm(term, kind, DEFAULT_TERM_WEIGHT[kind] if weight is None else weight, with_product),
                        term_field="term", kind_field="kind", weight_field="weight")
    with uow:
        brand = _editable(uow, principal, brand_id, lock=True)
        key = (clean.kind, fold_term_key(clean.term))
        if any((t.kind, fold_term_key(t.term)) == key for t in brand.knowledge):
            raise Conflict(f"term: {brand_id} already has the {kind.replace('_', ' ')} {clean.term!r}", field="term")
        if len(brand.knowledge) >= MAX_TERMS:
            raise ValidationError(f"term: at most {MAX_TERMS} nicknames, design cues and collisions per brand",
                                  field="term")
        uow.brands.save(dataclasses.replace(brand, knowledge=(*brand.knowledge, clean)))
        _event(uow, principal, "brand.term_added", brand_id, {
            "term_id": brand_term_id(clean.kind, clean.term), "term": clean.term, "kind": clean.kind,
            "weight": clean.weight, "with_product": clean.with_product})
        uow.commit()
        return clean


def remove_brand_term(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str,
                      term_id: str) -> BrandTerm:
    """Remove one of the rights holder's own terms from a brand, by its id."""
    with uow:
        brand = _editable(uow, principal, brand_id, lock=True)
        gone = next((t for t in brand.knowledge if brand_term_id(t.kind, t.term) == term_id), None)
        if gone is None:
            if any(brand_term_id(t.kind, t.term) == term_id for t in _knowledge(brand).pack):
                raise Conflict("term_id: this term comes from Klean's default pack: turn the pack off for the brand, "
                               "or register the term yourself with the weight you want", field="term_id")
            raise NotFound(f"term_id: {brand_id} has no term {term_id}", field="term_id")
        uow.brands.save(dataclasses.replace(brand, knowledge=tuple(t for t in brand.knowledge if t is not gone)))
        _event(uow, principal, "brand.term_removed", brand_id, {
            "term_id": term_id, "term": gone.term, "kind": gone.kind})
        uow.commit()
        return gone


def set_brand_pack(*, uow: AbstractUnitOfWork, principal: Principal | None, brand_id: str,
                   use_pack: bool) -> BrandKnowledge:
    """Turn Klean's default brand pack on or off for a brand."""
    with uow:
        brand = _editable(uow, principal, brand_id, lock=True)
        if brand.use_pack != use_pack:
            brand = dataclasses.replace(brand, use_pack=use_pack)
            uow.brands.save(brand)
            _event(uow, principal, "brand.pack_changed", brand_id,
                   {"use_pack": use_pack, "pack_version": lexicons.brand_pack().version})
            uow.commit()
        return _knowledge(brand)


# --- import, export, snapshot -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    brands_created: int = 0
    brands_updated: int = 0
    brands_unchanged: int = 0
    sellers_created: int = 0
    sellers_updated: int = 0
    sellers_unchanged: int = 0
    duplicate_marks_dropped: int = 0
    version: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _file_error(exc: ValidationError, where: str) -> ValidationError:
    return ValidationError(exc.message if exc.message.startswith(where) else f"{where}: {exc.message}",
                           field=exc.field if exc.field and exc.field.startswith(where) else where)


def _check_file(uow: AbstractUnitOfWork, data: Any) -> tuple[RegistrySnapshot, int]:
    """Validate a registry file completely (schema, fields, duplicates, conflicts with stored brands)."""
    try:
        snap = registry_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:  # what the schema lets through but the domain refuses
        raise ValidationError(f"(root): {exc}", field="(root)") from exc
    brands: list[Brand] = []
    dropped = 0
    mark_at: dict[str, str] = {}
    product_at: dict[str, str] = {}
    for i, b in enumerate(snap.brands):
        cleaned, n = _clean_brand(b, f"brands/{i}")
        dropped += n
        brands.append(cleaned)
        for j, m in enumerate(b.marks):
            f, where = fold_mark(m), f"brands/{i}/marks/{j}"
            if f in mark_at and not mark_at[f].startswith(f"brands/{i}/"):
                raise ValidationError(f"{where}: mark {m!r} is also a mark of {mark_at[f].rsplit('/', 2)[0]}",
                                      field=where)
            mark_at.setdefault(f, where)
        for j, p in enumerate(cleaned.products):
            where = f"brands/{i}/products/{j}/id"
            if p.id in product_at:
                raise ValidationError(f"{where}: product id {p.id!r} also used at {product_at[p.id]}", field=where)
            product_at[p.id] = where
    for i, s in enumerate(snap.sellers.values()):
        check_id(s.id, field=f"sellers/{i}/id", limit=MAX_SELLER_ID)
        if s.name is not None:
            check_text(s.name, field=f"sellers/{i}/name", limit=MAX_SELLER_NAME, required=False)
    in_file = {b.id for b in brands}
    holders = uow.brands.mark_owners(mark_at)
    for f, where in mark_at.items():
        holder = holders.get(f)
        if holder is not None and holder not in in_file:
            raise ValidationError(f"{where}: mark already registered to brand {holder}", field=where)
    for pid, where in product_at.items():
        holder = uow.brands.product_brand(pid)
        if holder is not None and holder not in in_file:
            raise ValidationError(f"{where}: product id {pid!r} belongs to brand {holder}", field=where)
    return RegistrySnapshot(brands=tuple(brands), sellers=snap.sellers), dropped


def import_registry(*, uow: AbstractUnitOfWork, data: Any, actor: Principal | None) -> ImportResult:
    """Import a registry file (registry.schema.json): all or nothing, idempotent."""
    if actor is not None:
        actor.require(Role.ADMIN)
    counts = dict.fromkeys(("brands_created", "brands_updated", "brands_unchanged", "sellers_created",
                            "sellers_updated", "sellers_unchanged"), 0)
    with uow:
        snap, dropped = _check_file(uow, data)
        # Marks move between brands of the same file only after every brand has let go of its old ones.
        old = {b.id: uow.brands.get(b.id) for b in snap.brands}
        for b in snap.brands:
            prev = old[b.id]
            if prev is not None and _canonical(prev) != _canonical(b):
                folded = {fold_mark(x) for x in b.marks}
                product_ids = {p.id for p in b.products}
                uow.brands.save(dataclasses.replace(
                    prev, marks=tuple(m for m in prev.marks if fold_mark(m) in folded),
                    products=tuple(p for p in prev.products if p.id in product_ids)))
        for b in snap.brands:
            prev = old[b.id]
            if prev is None:
                uow.brands.add(b)
                counts["brands_created"] += 1
                _event(uow, actor, "brand.created", b.id, {"name": b.name, "marks": list(b.marks),
                                                           "owner": b.owner}, reason="registry import")
            elif _canonical(prev) == _canonical(b):
                counts["brands_unchanged"] += 1
            else:
                uow.brands.save(b)
                counts["brands_updated"] += 1
                _event(uow, actor, "brand.updated", b.id, {"import": brand_to_dict(b)}, reason="registry import")
        if snap.fx is not None:  # the file's exchange rates replace the registry's
            uow.fx_rates.replace(snap.fx)
        for s in snap.sellers.values():
            existed = uow.sellers.get(s.id) is not None
            if uow.sellers.upsert(s):
                counts["sellers_updated" if existed else "sellers_created"] += 1
                uow.events.append(type="seller.updated" if existed else "seller.created", actor=_actor(actor),
                                  subject_type="seller", subject_id=s.id, reason="registry import",
                                  payload={"name": s.name, "strikes": s.strikes,
                                           "account_age_days": s.account_age_days})
            else:
                counts["sellers_unchanged"] += 1
        version = _version(_snapshot(uow))
        if counts["brands_created"] + counts["brands_updated"] + counts["sellers_created"] + \
                counts["sellers_updated"]:
            uow.events.append(type="registry.imported", actor=_actor(actor), subject_type="registry",
                              subject_id="registry", payload={**counts, "version": version})
        uow.commit()
    return ImportResult(**counts, duplicate_marks_dropped=dropped, version=version)


def export_registry(*, uow: AbstractUnitOfWork, principal: Principal | None) -> dict[str, Any]:
    """Export the registry as a registry file: everything for admins, one's own brands otherwise."""
    if principal is not None:
        principal.require(*_READERS)
    with uow:
        if principal is None or principal.role in (Role.ADMIN, Role.REVIEWER):
            return registry_to_dict(_snapshot(uow))
        brands = uow.brands.list(owner=principal.org) if principal.org else []
        return registry_to_dict(RegistrySnapshot(brands=tuple(brands)))


def _snapshot(uow: AbstractUnitOfWork) -> RegistrySnapshot:
    brands = tuple(uow.brands.all())
    sellers: dict[str, Seller] = {s.id: s for s in uow.sellers.all()}
    return RegistrySnapshot(brands=brands, sellers=sellers, fx=uow.fx_rates.table())


def _version(snap: RegistrySnapshot) -> str:
    """The hash of the registry's content in a canonical order: equal content, equal version."""
    content = {
        "brands": sorted((_canonical_dict(b) for b in snap.brands), key=lambda d: d["id"]),
        "sellers": sorted(registry_to_dict(RegistrySnapshot(brands=(), sellers=snap.sellers)).get("sellers", []),
                          key=lambda d: d["id"]),
        "fx_rates": snap.fx.rows() if snap.fx is not None else [],
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()[:16]


def registry_snapshot(*, uow: AbstractUnitOfWork) -> RegistrySnapshot:
    """Return what screening needs from the registry; its version is the hash of its content."""
    with uow:
        snap = _snapshot(uow)
    return dataclasses.replace(snap, version=_version(snap))


def import_fx_rates(*, uow: AbstractUnitOfWork, table: FxTable, actor: Principal | None) -> dict[str, Any]:
    """Replace the registry's exchange rates with an imported table (an audited event; screening uses it next)."""
    if actor is not None:
        actor.require(Role.ADMIN)
    with uow:
        before = uow.fx_rates.table()
        uow.fx_rates.replace(table)
        uow.events.append(type="fx.imported", actor=_actor(actor), subject_type="fx_rates", subject_id="registry",
                          payload={"source": table.source, "rates": table.rows(),
                                   "replaced": before.rows() if before is not None else None},
                          reason="exchange rates imported")
        uow.commit()
    return {"currencies": len(table.rates), "as_of": max(r.as_of for r in table.rates.values()).isoformat(),
            "source": table.source}


def fx_rates(*, uow: AbstractUnitOfWork) -> tuple[FxTable, bool]:
    """The rates screening converts with, and whether they were imported (False: the shipped table)."""
    with uow:
        table = uow.fx_rates.table()
    return (table, True) if table is not None else (lexicons.shipped_fx(), False)
