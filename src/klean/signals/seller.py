"""Seller risk: brand goods from a seller with no authorisation valid today, prior strikes, a new account.

An authorised seller selling its brand's product is strong evidence the other way: the rights holder vouches
for the stock (sales, refurbished units, rentals and carrier deals included).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from klean.domain.listing import Listing
from klean.domain.messages import msg
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals.analysis import analyse
from klean.signals.context import INDEX_KEY
from klean.signals.examples import listing

# Weights; each can be set in policy.toml [screening.seller].
DEFAULTS: dict[str, Any] = {
    "authorised": -0.9,  # the rights holder vouches for the stock
    "lapsed": 0.2,  # an authorisation on file, not valid today
    "unauthorised": 0.05,  # new goods of a protected brand from a seller without one
    "strike": 0.12,  # per prior strike
    "strikes_max": 0.36,
    "new_account": ((30, 0.25), (90, 0.15)),  # (account younger than N days, weight)
}


class SellerRisk:
    name: ClassVar[str] = "seller"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        p = ctx.settings.get(self.name) or DEFAULTS
        a = analyse(listing, ctx)
        brand_id = a.primary_brand()
        if brand_id is None:
            return ()
        idx = ctx.indexes[INDEX_KEY]
        brand = idx.brand_names.get(brand_id, brand_id)
        sid = listing.seller_id
        auths = idx.authorisations.get((sid, brand_id), ())
        valid = [x for x in auths if x.valid_on(ctx.today)]
        if valid:
            until = valid[0].valid_until
            reason = msg("Seller {seller} is authorised by {brand} until {until}", seller=sid, brand=brand,
                         until=until.isoformat()) if until else \
                msg("Seller {seller} is authorised by {brand}", seller=sid, brand=brand)
            return (Evidence(self.name, p["authorised"], brand_id, None, reason, code="authorised"),)
        out: list[Evidence] = []
        if auths:
            out.append(Evidence(self.name, p["lapsed"], brand_id, None,
                                msg("Seller {seller}'s authorisation for {brand} is not valid today",
                                    seller=sid, brand=brand), code="lapsed"))
        elif listing.condition != "used":
            out.append(Evidence(self.name, p["unauthorised"], brand_id, None,
                                msg("Seller {seller} is not authorised by {brand}", seller=sid,
                                    brand=brand), code="unauthorised"))
        seller = ctx.snapshot.sellers.get(sid)
        if seller is not None:
            if seller.strikes > 0:
                out.append(Evidence(self.name, min(p["strikes_max"], p["strike"] * seller.strikes), brand_id, None,
                                    msg("Seller has {n} prior strikes", n=seller.strikes), code="strikes"))
            age = seller.account_age_days
            if age is not None:
                w = next((w for days, w in p["new_account"] if age < days), 0.0)
                if w:
                    out.append(Evidence(self.name, w, brand_id, None,
                                        msg("Seller account is {days} days old", days=age), code="new_account"))
        return out

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return (
            (listing("Nike Dunk Low Panda", 55000, seller="putian_kicks"), True),
            (listing("Galaxy Watch6 40mm", 290000, seller="newshop"), True),
            (listing("Galaxy Watch6 40mm", 290000, seller="old_partner"), True),
            (listing("Galaxy Watch6 40mm", 299000, seller="samsung_official"), False),
            (listing("Plain canvas tote bag, no brand", 9900, seller="putian_kicks"), False),
        )
