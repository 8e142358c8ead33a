"""Read-only views the web portal needs that no feature service offers: a reviewer's item with its listing, a
seller's listings, a notifier's or seller's cases. Every view checks the principal like the API does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Forbidden, NotFound
from klean.domain.registry import Product
from klean.services.notices import case_view
from klean.services.review import item_view
from klean.services.unit_of_work import AbstractUnitOfWork

STAFF = (Role.REVIEWER, Role.ADMIN)
LISTING_KINDS = ("screening", "report")


@dataclass(frozen=True)
class ItemDetail:
    item: dict[str, Any]
    listing: Any | None  # the StoredListing the item is about, when it is about a listing
    reference_products: list[Product]  # products of the brands at issue, with their reference prices


def review_item(*, uow: AbstractUnitOfWork, principal: Principal, item_id: int) -> ItemDetail:
    """Show one review item with the listing it is about and the reference prices of the brands at issue."""
    principal.require(*STAFF)
    with uow:
        item = uow.queue.get(item_id)
        listing = None
        if item.subject_type == "listing":
            listing = uow.listings.get(item.subject_id)
        elif item.kind == "notice":
            case = uow.cases.get(int(item.subject_id))
            listing = uow.listings.get(case.listing_id) if case.listing_id else None
        products: list[Product] = []
        if listing is not None:
            brand_ids = {e.get("brand_id") for e in listing.evidence if e.get("brand_id")}
            for brand_id in sorted(brand_ids):
                brand = uow.brands.get(brand_id)
                if brand is not None:
                    products.extend(brand.products)
        return ItemDetail(item=item_view(item), listing=listing, reference_products=products)


def seller_listings(*, uow: AbstractUnitOfWork, principal: Principal, limit: int = 200) -> list[Any]:
    """List the signed-in seller's own listings, held and blocked first."""
    principal.require(Role.SELLER)
    if not principal.seller_id:
        return []
    order = {"blocked": 0, "held": 1, "removed": 2, "live": 3, "withdrawn": 4}
    with uow:
        found = uow.listings.list(seller_id=principal.seller_id, limit=limit)
    return sorted(found, key=lambda s: (order.get(s.status, 9), s.listing.id))


def my_cases(*, uow: AbstractUnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    """List the cases the principal is party to: as notifier, as seller, or all (staff)."""
    with uow:
        if principal.role in STAFF:
            cases = uow.cases.list()
        elif principal.role is Role.SELLER:
            if not principal.seller_id:
                return []
            cases = uow.cases.list(seller_id=principal.seller_id)
        elif principal.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER):
            cases = uow.cases.list(notifier_id=principal.user_id)
        else:
            raise Forbidden("cases are for notifiers, sellers and reviewers")
        return [case_view(c) for c in cases]


def require_found(value: Any, what: str) -> Any:
    if value is None:
        raise NotFound(f"no {what}")
    return value
