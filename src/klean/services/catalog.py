"""Load a marketplace catalog (listings) into Klean, as the demo and first-time set-ups do."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from klean.domain.auth import Principal, Role
from klean.domain.events import canonical_json
from klean.domain.files import listing_to_dict
from klean.domain.listing import Listing
from klean.services.unit_of_work import AbstractUnitOfWork


def load_catalog(*, uow: AbstractUnitOfWork, listings: Iterable[Listing], actor: Principal | None,
                 status: str = "live") -> int:
    """Store listings as they are on the marketplace (all or nothing); return how many were stored.

    One event records the load with a digest of its content, so what was loaded can be proven later.
    """
    if actor is not None:
        actor.require(Role.ADMIN)
    digest = hashlib.sha256()
    n = 0
    with uow:
        for listing in listings:
            uow.listings.upsert(listing, status=status)
            digest.update(canonical_json(listing_to_dict(listing)))
            n += 1
        uow.events.append(type="catalog.loaded", actor=actor.user_id if actor else "operator",
                          subject_type="catalog", subject_id="catalog",
                          payload={"listings": n, "status": status, "sha256": digest.hexdigest()})
        uow.commit()
    return n
