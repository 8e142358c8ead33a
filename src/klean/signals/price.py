"""Price anomaly: new branded goods far below the brand's reference price for that product.

The listing is matched to one of the brand's products by name or alias; without a match, the brand's
price floor in the listing's category (its cheapest product there) stands in, with less weight. Bundles
("10瓶", "2개 세트", "bulk 10pcs") are compared per unit. A 20-40% sale is normal and gives nothing; wording
that explains a low price (second-hand with wear described, parts only, refills, rentals, carrier plans,
auction starts, repair services) lowers or removes the weight. Prices of 0 or 1 are placeholders, not prices.
Authorised sellers are left to the seller signal: their prices are theirs to set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar

from klean.domain.listing import Listing, Money
from klean.domain.messages import msg
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals import lexicons
from klean.signals.analysis import Analysis, analyse
from klean.signals.context import INDEX_KEY
from klean.signals.examples import listing
from klean.signals.money_text import StatedPrice, stated_prices
from klean.signals.products import sold_part

# The signal's weights and limits; each can be set in policy.toml [screening.price] (a change bumps the policy
# version, and every decision records the version it was made under).
DEFAULTS: dict[str, Any] = {
    # (share of the reference price below which, weight): the first band that holds applies
    "bands": ((0.2, 0.85), (0.35, 0.75), (0.5, 0.4), (0.6, 0.15)),
    "fallback": 0.8,  # no product matched: the brand's category floor is a coarser reference
    "used_credible": 0.15,  # second-hand with wear or proof described
    "used_bare": 0.35,  # "used" and nothing more: second-hand goods do resell at a fifth to a half of retail
    "used_floor": 0.2,  # below a fifth of retail even worn goods of a protected brand do not resell
    "used_floor_heavy_wear": 0.08,  # ... unless the wear described is heavy (faded, torn, creased)
    "used_impossible": 0.9,  # multiplier below the floor: "used" explains nothing there
    "refurbished": 0.5,
    "partial": 0.1,  # a part, refill, sample or packaging is not the product
    "documented_import": 0.3,  # parallel imports with customs papers are legal (labelling policy rule 8)
    # A sales story near the real price (overseas receipt, purchase agency, duty-free, serial look-up, factory
    # overrun, no local warranty, every size in stock) from a seller the brand has not authorised: the classic cover
    # for high-grade fakes. Weighted by the number of distinct stories told (0, 1, 2, 3 or more), within a band of
    # shares of the reference price, plus a little when the seller also insists the goods are genuine.
    "near_band": (0.45, 0.95),
    "near_story": (0.0, 0.35, 0.55, 0.7),
    "near_story_genuine": 0.15,
}

def _words(kind: str) -> list[str]:
    """Cue words of one kind from every language's data, longest first (so "개입" wins over "개"), with and without
    accents (lexicons.regex_words)."""
    return lexicons.regex_words(kind)


# Bundle wording is language data (data/<lang>/cues.tsv): `unit` words after a number (3 pcs, 10瓶, 5 chiếc),
# `pack_of` words before one (pack of 10, 批发 10), and `count:N` words that are a number by themselves (twin pack,
# 1+1, lusin = a dozen).
_UNIT = "(?:" + "|".join(map(re.escape, _words("unit"))) + ")"
_COUNT_RE = re.compile(r"(\d{1,3})\s*" + _UNIT + r"(?![a-zA-Z월])", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(r"[\d.,]")
_PACK_WORDS = _words("pack_of")
_PACK_RE = re.compile("(?:" + "|".join(map(re.escape, _PACK_WORDS)) + r")\s*(\d{1,3})(?!\d)", re.IGNORECASE)
_WORD_COUNTS = {t.lower(): int(k.partition(":")[2]) for k, t in lexicons.cues() if k.startswith("count:")}
# One scan each for "any of these words?", so the per-word loops run only where one occurs.
_WORD_COUNTS_HINT = re.compile("|".join(map(re.escape, sorted(_WORD_COUNTS, key=len, reverse=True))) or "(?!)")
_PACK_HINT = re.compile("|".join(map(re.escape, _PACK_WORDS)) or "(?!)")
_PER_UNIT_AFTER = re.compile(r"^\s*(?:이상|or more|\+\s*구매)", re.IGNORECASE)


# Sizes written in product names and listing titles (70ml, 20 g, 1.5L, 15ml x2): a smaller size of the same
# product is priced by the share of the size it is (a travel size, a mini, a gift-with-purchase set).
_SIZE_RE = re.compile(r"(?<![\d.,])(\d{1,4}(?:[.,]\d{1,2})?)\s*(ml|mℓ|l|g|gr|gram|grams|kg)(?![a-zA-Z])"
                      r"(?:\s*[x×*]\s*(\d{1,2})(?!\d))?", re.IGNORECASE)
_TO_BASE = {"ml": 1.0, "mℓ": 1.0, "l": 1000.0, "g": 1.0, "gr": 1.0, "gram": 1.0, "grams": 1.0, "kg": 1000.0}
_MEASURE = {"ml": "ml", "mℓ": "ml", "l": "ml", "g": "g", "gr": "g", "gram": "g", "grams": "g", "kg": "g"}


def size_of(text: str) -> tuple[float, str] | None:
    """The first size written in a text, in ml or g (a multiplier after it counts: 15ml x2 is 30 ml)."""
    m = _SIZE_RE.search(text)
    if m is None:
        return None
    unit = m.group(2).lower()
    amount = float(m.group(1).replace(",", ".")) * _TO_BASE[unit] * (int(m.group(3)) if m.group(3) else 1)
    return (amount, _MEASURE[unit]) if amount > 0 else None


def size_share(listing: Listing, product_name: str, aliases: Sequence[str]) -> float | None:
    """The share of the product's size the listing sells, when both are written and the listing's is smaller."""
    full = size_of(product_name) or next((s for s in map(size_of, aliases) if s), None)
    sold = size_of(listing.title)
    if full is None or sold is None or full[1] != sold[1] or sold[0] >= full[0] * 0.8:
        return None
    return sold[0] / full[0]


def unit_count(listing: Listing, a: Analysis) -> int:
    """How many units the price buys (1 unless the listing sells a bundle for one price)."""
    if a.has("per_unit"):
        return 1
    text = listing.text
    lowered = text.lower()
    if _WORD_COUNTS_HINT.search(lowered):
        for word, n in _WORD_COUNTS.items():
            if word in lowered:
                return n
    best = 1
    if _PACK_HINT.search(lowered):  # the regex scan only where one of its words occurs
        for m in _PACK_RE.finditer(text):
            best = max(best, int(m.group(1)))
    for m in _COUNT_RE.finditer(text):
        if m.start() and _NUMBER_BEFORE.match(text, m.start() - 1):
            continue  # the tail of a longer number
        if _PER_UNIT_AFTER.match(text[m.end():m.end() + 8]):
            continue
        n = int(m.group(1))
        in_title = m.start() < len(listing.title)
        if 2 <= n <= 100 and (in_title or a.has("bundle")):
            best = max(best, n)
    return best


@dataclass(frozen=True, slots=True)
class Reference:
    money: Money  # in the listing's currency
    what: str  # the product's name, or "<brand> <category>" for a category floor
    matched: bool  # a product of the brand was named
    converted_from: Money | None = None  # the registered reference, when converted through the rate table
    rate_date: str = ""


def reference_for(listing: Listing, a: Analysis, ctx: ScreeningContext, brand_id: str) -> Reference | None:
    """The reference price in the listing's currency: the named product's (registered in that currency, or the
    same product's entry for that market, or converted through the rate table), else the brand's category floor."""
    idx = ctx.indexes[INDEX_KEY]
    cur = listing.price.currency
    hit = a.products.get(brand_id)
    if hit is not None:
        product = hit[0]
        if product.reference_price.currency != cur:
            # The same product registered with a reference in the listing's currency (one entry per market).
            product = idx.products_by_currency.get((brand_id, product.name, cur), product)
        if product.reference_price.currency == cur:
            return Reference(product.reference_price, product.name, True)
        converted = idx.fx.convert(product.reference_price, cur) if idx.fx is not None else None
        if converted is not None:
            money, src, dst = converted
            return Reference(money, product.name, True, product.reference_price, max(src.as_of, dst.as_of).isoformat())
    if listing.category:
        refs = idx.refs_by_category.get((brand_id, listing.category, cur))
        if refs:
            brand = idx.brand_names.get(brand_id, brand_id)
            return Reference(Money(refs[0], cur), f"{brand} {listing.category}", False)
    return None


def price_from_text(listing: Listing, *, typed_in_thousands: bool = False) -> StatedPrice | None:
    """A price the listing's text states that should stand for the listing's price field (data/prices.tsv,
    signals/money_text.py): when the field is a placeholder (0 or 1), the first price the title (else the
    description) states, in whatever currency it is written; a price per unit (75k/áo, Rp150.000/pcs) or per period of
    time (RM50/bulan) in the listing's currency, so that bundle words do not divide it again; with
    `typed_in_thousands`, a price the text states in the same currency that the field is a thousandth or a millionth
    of (1299 for Rp 1.299.000: the seller typed thousands). None when the field stands as it is."""
    field = listing.price
    prices = stated_prices(listing.title, field.currency) + (
        stated_prices(listing.description, field.currency) if listing.description else [])
    if not prices:
        return None
    if typed_in_thousands:
        return next((sp for sp in prices if sp.currency == field.currency and not sp.per
                     and sp.amount in (field.amount * 1000, field.amount * 1000000)), None)
    if field.amount <= 1:
        return next((sp for sp in prices if not sp.per_time), prices[0])
    return next((sp for sp in prices if sp.currency == field.currency and sp.per
                 and (sp.per_time or sp.amount <= field.amount)), None)


# Below this share of the reference a price is more often a slip of the seller's (1299 typed for Rp 1.299.000) than
# a price, so the text is read for the price it states.
TYPED_IN_THOUSANDS = 0.01


def _band_weight(ratio: float, bands: Sequence[Sequence[float]]) -> float:
    for limit, w in bands:
        if ratio < limit:
            return w
    return 0.0


def authorised_today(ctx: ScreeningContext, seller_id: str, brand_id: str) -> bool:
    auths = ctx.indexes[INDEX_KEY].authorisations.get((seller_id, brand_id), ())
    return any(x.valid_on(ctx.today) for x in auths)


class PriceAnomaly:
    name: ClassVar[str] = "price"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        p = ctx.settings.get(self.name) or DEFAULTS
        a = analyse(listing, ctx)
        brand_id = a.primary_brand()
        if brand_id is None:
            return ()
        if authorised_today(ctx, listing.seller_id, brand_id) or a.has("plan") or a.has("service"):
            return ()
        # the text is read only where it may say something the field does not: a placeholder, a price per unit or
        # per month (below: a price typed in thousands)
        stated = price_from_text(listing) if listing.price.amount <= 1 or "/" in listing.text else None
        if stated is not None:
            if stated.per_time:
                return ()  # RM50/bulan: a rent or an instalment, not the price of the goods
            # the price as the text states it (shown next to the price in the reason: “Rp 1.299.000”, “75k/áo”)
            listing = replace(listing, price=stated.money())
        if listing.price.amount <= 1:
            return ()
        if a.has("compatible") or a.has("fits") or a.compares_only():
            return ()  # fits the brand, or compares with it: not offered as the brand's own product
        if a.has("licensed") and not a.vocab:
            return ()  # made under licence (a licensee's case, a team jersey): not priced as the brand's own goods
        ref = reference_for(listing, a, ctx, brand_id)
        if ref is None:
            return ()
        money, what, matched = ref.money, ref.what, ref.matched
        n = 1 if stated is not None and stated.per else unit_count(listing, a)  # 75k/áo is already per unit
        unit_price = listing.price.amount / Decimal(n) if n > 1 else listing.price.amount
        ratio = float(unit_price / money.amount)
        hit = a.products.get(brand_id)
        share = size_share(listing, hit[0].name, hit[0].aliases) if matched and hit is not None else None
        if share is not None:  # a travel size or mini of the product: compare with that share of its price
            ratio /= share
        if stated is None and ratio < TYPED_IN_THOUSANDS:
            stated = price_from_text(listing, typed_in_thousands=True)
            if stated is not None:
                factor = stated.amount / listing.price.amount
                listing = replace(listing, price=stated.money())
                unit_price, ratio = unit_price * factor, ratio * float(factor)
        used = listing.condition == "used" or a.has("used")
        part = sold_part(a, len(listing.title), brand_id)
        near = self._near_price_story(listing, a, ratio, used, part, brand_id, money, what, p, stated) \
            if matched else ()
        weight = _band_weight(ratio, p["bands"])
        if weight == 0.0:
            return near
        if not matched:
            weight *= p["fallback"]
        if a.has("partial") or part is not None:
            weight *= p["partial"]
        elif used:
            # Worn-out goods (faded, torn, creased: bundle and ukay clothes) do sell for less than a fifth of retail;
            # "like new" at that price does not.
            floor = p["used_floor_heavy_wear"] if a.has("heavy_wear") else p["used_floor"]
            if ratio < floor:
                weight *= p["used_impossible"]
            else:
                weight *= p["used_credible"] if a.has("wear") else p["used_bare"]
        elif listing.condition == "refurbished":
            weight *= p["refurbished"]
        if a.has("proof"):
            weight *= p["documented_import"]
        pct = max(1, round(ratio * 100))
        price: Money | str = Money(unit_price.quantize(Decimal(1)) if n > 1 else listing.price.amount,
                                   listing.price.currency)
        if stated is not None:
            price = f"{price} (\u201c{stated.found}\u201d)"
        if part is not None:
            reason = msg("Price {price} is {pct}% of the reference {ref} for {product}, but the item sold is a part "
                         "(\u201c{part}\u201d)", price=str(price), pct=pct, ref=str(money), product=what, part=part)
        elif n > 1:
            reason = msg("Price {price} per unit ({n} units) is {pct}% of the reference {ref} for {product}",
                         price=str(price), n=n, pct=pct, ref=str(money), product=what)
        elif ref.converted_from is not None:
            reason = msg("Price {price} is {pct}% of the reference {ref} for {product} (converted from {original} at "
                         "the rates of {day})", price=str(price), pct=pct, ref=str(money), product=what,
                         original=str(ref.converted_from), day=ref.rate_date)
        elif share is not None:
            reason = msg("Price {price} is {pct}% of the reference {ref} for {product}, scaled to the size sold "
                         "({share}% of the full size)", price=str(price), pct=pct, ref=str(money), product=what,
                         share=round(share * 100))
        elif used and ratio < (p["used_floor_heavy_wear"] if a.has("heavy_wear") else p["used_floor"]):
            reason = msg("Price {price} is {pct}% of the reference {ref} for {product}: lower than second-hand "
                         "goods of this brand sell for", price=str(price), pct=pct, ref=str(money), product=what)
        else:
            reason = msg("Price {price} is {pct}% of the reference {ref} for {product}",
                         price=str(price), pct=pct, ref=str(money), product=what)
        return (Evidence(self.name, round(weight, 4), brand_id, None, reason, code="price"), *near)

    def _near_price_story(self, listing: Listing, a: Analysis, ratio: float, used: bool, part: str | None,
                          brand_id: str, money: Money, what: str, p: dict[str, Any],
                          stated: StatedPrice | None = None) -> tuple[Evidence, ...]:
        """Near the real price of the product named, with a sales story that covers fakes (see DEFAULTS). Only
        against a product: a brand's cheapest item in a category says nothing about how near the price is."""
        low, high = p["near_band"]
        if used or part is not None or a.has("partial") or a.has("proof") or not low <= ratio <= high:
            return ()
        stories = {v.story for v in a.vocab if v.kind == "scheme"}
        if not stories:
            return ()
        by_count = p["near_story"]
        weight = by_count[min(len(stories), len(by_count) - 1)] + (p["near_story_genuine"] if a.has("genuine") else 0)
        return (Evidence(self.name, round(weight, 4), brand_id, None, msg(
            "Price {price} is {pct}% of the reference {ref} for {product}, sold by a seller the brand has not "
            "authorised with a story that often covers counterfeits ({n} of them)",
            price=str(listing.price) + (f" (\u201c{stated.found}\u201d)" if stated is not None else ""),
            pct=round(ratio * 100), ref=str(money), product=what, n=len(stories)),
            code="near_story"),)

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return (
            (listing("Galaxy Watch6 40mm 새상품", 30000), True),
            (listing("兰芝 睡眠面膜 70ml 批发 10瓶", 29000, description="10瓶批发价。"), True),
            (listing("Laneige Water Sleeping Mask 70ml", 9900, category="beauty"), True),
            (listing("삼성 갤럭시 워치6 블프 특가 30% 할인", 209000), False),
            (listing("Used Galaxy Watch6 - scratches on bezel, battery 90%", 85000, condition="used",
                     seller="closet_mina"), False),
            (listing("Galaxy Watch6 40mm", 299000, seller="samsung_official"), False),
            (listing("갤럭시 S24 울트라 SKT 약정 개통 (요금제 필수)", 1), False),
            (listing("Canon PG-245 black ink twin pack", 34000), False),
        )
