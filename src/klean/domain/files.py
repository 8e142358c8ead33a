"""Parse and write the file contracts (../shared/schemas, bundled in klean/schemas) as domain objects.

Pure: takes already-decoded JSON values, validates them against the JSON Schema, and raises
ValidationError naming the record and field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from klean.domain.errors import ValidationError
from klean.domain.fx import fx_from_rows
from klean.domain.listing import ImageRef, Listing, Money, Seller
from klean.domain.registry import (
    DEFAULT_TERM_WEIGHT,
    Authorisation,
    Brand,
    BrandImage,
    BrandTerm,
    Product,
    RegistrySnapshot,
    TrademarkRegistration,
)


@cache
def schema(name: str) -> dict[str, Any]:
    """One of the bundled schemas: "registry", "listing" or "result"."""
    text = resources.files("klean.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema(name))
    return cls(schema(name), format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def _where(error: jsonschema.ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(root)"


def validate(name: str, value: Any, *, where: str = "") -> None:
    """Raise ValidationError for the first schema violation, naming the path to the field."""
    errors = sorted(_validator(name).iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        e = errors[0]
        field = _where(e)
        prefix = f"{where}: " if where else ""
        raise ValidationError(f"{prefix}{field}: {e.message}", field=field)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def brand_from_dict(d: Mapping[str, Any]) -> Brand:
    bid = d["id"]
    products = tuple(
        Product(
            id=p.get("id") or f"{bid}.{i}",
            brand_id=bid,
            name=p["name"],
            reference_price=Money.of(p["reference_price"]["amount"], p["reference_price"]["currency"],
                                     field="reference_price"),
            aliases=tuple(p.get("aliases", ())),
            category=p.get("category"),
        )
        for i, p in enumerate(d.get("products", ()))
    )
    auths = tuple(
        Authorisation(seller_id=a, brand_id=bid) if isinstance(a, str) else Authorisation(
            seller_id=a["seller_id"], brand_id=bid,
            valid_from=_date(a.get("valid_from")), valid_until=_date(a.get("valid_until")),
        )
        for a in d.get("authorized_sellers", ())
    )
    images = tuple(
        BrandImage(kind=kind, path=i.get("path"), sha256=i.get("sha256"), pdq=i.get("pdq"))
        for key, kind in (("logos", "logo"), ("official_images", "official"))
        for i in d.get(key, ())
    )
    regs = tuple(TrademarkRegistration(office=r.get("office", ""), number=r.get("number", ""))
                 for r in d.get("trademark_registrations", ()))
    return Brand(id=bid, name=d["name"], marks=tuple(d["marks"]), owner=d.get("owner"), products=products,
                 authorisations=auths, images=images, trademark_registrations=regs,
                 knowledge=knowledge_from_dict(d), use_pack=bool(d.get("pack", True)), kind=d.get("kind", "brand"))


# The registry file's keys for brand knowledge (an extension of registry.schema.json; see the README).
KNOWLEDGE_KEYS = {"nicknames": "nickname", "design_cues": "design_cue", "collisions": "collision"}


def knowledge_from_dict(d: Mapping[str, Any], *, source: str = "registry") -> tuple[BrandTerm, ...]:
    """`nicknames`, `design_cues` and `collisions` of a brand entry: each a string or {term, weight, with_product}."""
    out: list[BrandTerm] = []
    for key, kind in KNOWLEDGE_KEYS.items():
        for item in d.get(key, ()):
            if isinstance(item, str):
                out.append(BrandTerm(item, kind, DEFAULT_TERM_WEIGHT[kind], source=source))
            else:
                out.append(BrandTerm(item["term"], kind, float(item.get("weight", DEFAULT_TERM_WEIGHT[kind])),
                                     bool(item.get("with_product", False)), source=source))
    return tuple(out)


def knowledge_to_dict(terms: tuple[BrandTerm, ...]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, kind in KNOWLEDGE_KEYS.items():
        items: list[Any] = []
        for t in terms:
            if t.kind != kind:
                continue
            plain = kind == "collision" or (t.weight == DEFAULT_TERM_WEIGHT[kind] and not t.with_product)
            items.append(t.term if plain else {"term": t.term, "weight": t.weight,
                                                **({"with_product": True} if t.with_product else {})})
        if items:
            out[key] = items
    return out


def seller_from_dict(d: Mapping[str, Any]) -> Seller:
    return Seller(id=d["id"], name=d.get("name"), strikes=int(d.get("strikes", 0)),
                  account_age_days=d.get("account_age_days"))


def registry_from_dict(data: Any, *, version: str = "") -> RegistrySnapshot:
    """Validate a registry file's content and build the snapshot; duplicate ids are errors."""
    validate("registry", data)
    brands = [brand_from_dict(b) for b in data["brands"]]
    seen: set[str] = set()
    for i, b in enumerate(brands):
        if b.id in seen:
            raise ValidationError(f"brands/{i}/id: duplicate brand id {b.id!r}", field=f"brands/{i}/id")
        seen.add(b.id)
    sellers: dict[str, Seller] = {}
    for i, s in enumerate(data.get("sellers", ())):
        if s["id"] in sellers:
            raise ValidationError(f"sellers/{i}/id: duplicate seller id {s['id']!r}", field=f"sellers/{i}/id")
        sellers[s["id"]] = seller_from_dict(s)
    fx = fx_from_rows(data["fx_rates"], source="registry file") if data.get("fx_rates") else None
    return RegistrySnapshot(brands=tuple(brands), sellers=sellers, version=version, fx=fx)


def _money(m: Money) -> dict[str, Any]:
    amount = int(m.amount) if m.amount == m.amount.to_integral() else float(m.amount)
    return {"amount": amount, "currency": m.currency}


def brand_to_dict(b: Brand) -> dict[str, Any]:
    d: dict[str, Any] = {"id": b.id, "name": b.name, "marks": list(b.marks)}
    if b.owner:
        d["owner"] = b.owner
    if b.trademark_registrations:
        d["trademark_registrations"] = [{"office": r.office, "number": r.number} for r in b.trademark_registrations]
    if b.products:
        d["products"] = [
            {"id": p.id, "name": p.name, "aliases": list(p.aliases),
             **({"category": p.category} if p.category else {}), "reference_price": _money(p.reference_price)}
            for p in b.products
        ]
    if b.authorisations:
        d["authorized_sellers"] = [
            a.seller_id if a.valid_from is None and a.valid_until is None else {
                "seller_id": a.seller_id,
                **({"valid_from": a.valid_from.isoformat()} if a.valid_from else {}),
                **({"valid_until": a.valid_until.isoformat()} if a.valid_until else {}),
            }
            for a in b.authorisations
        ]
    for key, kind in (("logos", "logo"), ("official_images", "official")):
        imgs = [{k: v for k, v in (("path", i.path), ("sha256", i.sha256), ("pdq", i.pdq)) if v}
                for i in b.images if i.kind == kind]
        if imgs:
            d[key] = imgs
    d.update(knowledge_to_dict(tuple(t for t in b.knowledge if t.source == "registry")))
    if not b.use_pack:
        d["pack"] = False
    if b.kind != "brand":
        d["kind"] = b.kind
    return d


def registry_to_dict(snapshot: RegistrySnapshot) -> dict[str, Any]:
    out: dict[str, Any] = {"brands": [brand_to_dict(b) for b in snapshot.brands]}
    if snapshot.fx is not None and snapshot.fx.rates:
        out["fx_rates"] = snapshot.fx.rows()
    if snapshot.sellers:
        out["sellers"] = [
            {"id": s.id, **({"name": s.name} if s.name else {}), "strikes": s.strikes,
             **({"account_age_days": s.account_age_days} if s.account_age_days is not None else {})}
            for s in snapshot.sellers.values()
        ]
    return out


def listing_from_dict(d: Any, *, where: str = "") -> Listing:
    """Validate one listing record (listing.schema.json) and build the domain object."""
    validate("listing", d, where=where)
    created = d.get("created_at")
    try:
        created_at = datetime.fromisoformat(created) if created else None
    except ValueError as exc:
        raise ValidationError(f"{where + ': ' if where else ''}created_at: not an ISO date-time",
                              field="created_at") from exc
    try:
        price = Money.of(d["price"], d["currency"], field="price")
    except ValidationError as exc:
        raise ValidationError(f"{where + ': ' if where else ''}{exc.message}", field=exc.field) from None
    return Listing(
        id=d["id"], title=d["title"], price=price, seller_id=d["seller_id"],
        description=d.get("description") or "", category=d.get("category"), condition=d.get("condition"),
        images=tuple(ImageRef(path=i.get("path"), sha256=i.get("sha256"), pdq=i.get("pdq"))
                     for i in d.get("images") or ()),
        url=d.get("url"), created_at=created_at,
    )


def listing_to_dict(listing: Listing) -> dict[str, Any]:
    d: dict[str, Any] = {"id": listing.id, "title": listing.title, "description": listing.description,
                         "price": _money(listing.price)["amount"], "currency": listing.price.currency,
                         "seller_id": listing.seller_id}
    for key in ("category", "condition", "url"):
        if getattr(listing, key):
            d[key] = getattr(listing, key)
    if listing.images:
        d["images"] = [{k: v for k, v in (("path", i.path), ("sha256", i.sha256), ("pdq", i.pdq)) if v}
                       for i in listing.images]
    if listing.created_at:
        d["created_at"] = listing.created_at.isoformat()
    return d


def iter_jsonl(lines: Iterable[str]) -> Iterable[tuple[int, Any | ValidationError]]:
    """(line number, decoded value or the error) for each non-blank line."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, ValidationError(f"line {n}: not JSON ({exc.msg})", field=f"line {n}")
