"""One input row -> a Listing, with the same verdict as klean.domain.files.listing_from_dict, faster.

Validating every row with jsonschema costs about 100 µs, more than screening it. `fast_listing` runs
a conservative check written for listing.schema.json, reading each field once: it accepts only rows the
schema certainly accepts and builds the Listing directly. Anything else (an odd type, a null, a bad date)
goes through listing_from_dict, so a rejected row always carries the schema's own message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from klean.domain.files import listing_from_dict
from klean.domain.listing import ImageRef, Listing, Money

try:  # the checker jsonschema itself uses for "date-time" when installed
    from rfc3339_validator import validate_rfc3339 as _rfc3339
except ImportError:  # pragma: no cover - without it a date-time is always left to the full path
    def _rfc3339(value: str) -> bool:
        return False

_CONDITIONS = frozenset({"new", "used", "refurbished"})
_HEX = frozenset("0123456789abcdef")


def clean_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A Parquet/Arrow row as a JSON-like record: a null column means absent, timestamps become ISO text."""
    return {key: _clean_value(value) for key, value in row.items() if value is not None}


def _hex64(v: Any) -> bool:
    return isinstance(v, str) and len(v) == 64 and _HEX.issuperset(v)


def _images_ok(images: Any) -> bool:
    if not isinstance(images, list) or len(images) > 50:
        return False
    for im in images:
        if not isinstance(im, dict):
            return False
        if "path" in im and not isinstance(im["path"], str):
            return False
        if "sha256" in im and not _hex64(im["sha256"]):
            return False
        if "pdq" in im and not _hex64(im["pdq"]):
            return False
    return True


_ABSENT: Any = object()
_FAST_MAX_PRICE = 10**9  # the lowest of domain.listing.max_amount's caps: above it the full path judges the currency
_CURRENCIES: set[str] = set()  # codes that passed the check below (at most 26**3)
_IMAGE_KEYS = frozenset({"path", "sha256", "pdq"})


def fast_listing(d: Any) -> Listing | None:
    """The Listing when the row is certainly valid per listing.schema.json, else None (the full path judges).

    Only exact types are accepted (a str subclass, a bool price, a null goes the full way), so a row accepted
    here is one the schema accepts, and the Listing equals what listing_from_dict builds from it.
    """
    if type(d) is not dict:
        return None
    get = d.get
    listing_id, title, seller_id = get("id"), get("title"), get("seller_id")
    if not (type(listing_id) is str and 0 < len(listing_id) <= 200 and type(title) is str and len(title) <= 2000
            and type(seller_id) is str and 0 < len(seller_id) <= 200):
        return None
    price, currency = get("price"), get("currency")
    if type(price) is int:
        if not 0 <= price <= _FAST_MAX_PRICE:
            return None
    elif type(price) is float:
        if not 0 <= price <= _FAST_MAX_PRICE:  # NaN fails both comparisons, infinities the second
            return None
    else:
        return None
    if type(currency) is not str:
        return None
    if currency not in _CURRENCIES:
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha()
                and currency.isupper()):
            return None
        _CURRENCIES.add(currency)
    description = get("description", _ABSENT)
    if description is _ABSENT:
        description = ""
    elif not (type(description) is str and len(description) <= 100_000):
        return None
    category = get("category", _ABSENT)
    if category is _ABSENT:
        category = None
    elif not (type(category) is str and len(category) <= 200):
        return None
    url = get("url", _ABSENT)
    if url is _ABSENT:
        url = None
    elif not (type(url) is str and len(url) <= 2000):
        return None
    condition = get("condition", _ABSENT)
    if condition is _ABSENT:
        condition = None
    elif not (type(condition) is str and condition in _CONDITIONS):
        return None
    images: tuple[ImageRef, ...] = ()
    raw_images = get("images", _ABSENT)
    if raw_images is not _ABSENT:
        if not _images_ok(raw_images):
            return None
        images = tuple(ImageRef(path=i.get("path"), sha256=i.get("sha256"), pdq=i.get("pdq")) for i in raw_images)
    created_at = None
    created = get("created_at", _ABSENT)
    if created is not _ABSENT:
        if not (type(created) is str and _rfc3339(created)):
            return None
        try:
            created_at = dt.datetime.fromisoformat(created)
        except ValueError:
            return None
    amount = Decimal(price) if type(price) is int else Decimal(str(price))  # as Money.of: Decimal(str(price))
    return Listing(id=listing_id, title=title, price=Money(amount, currency), seller_id=seller_id,
                   description=description or "", category=category, condition=condition, images=images, url=url,
                   created_at=created_at)


def parse_row(d: Any, *, where: str) -> Listing:
    """The Listing in one decoded row; raises klean.domain.errors.ValidationError naming `where`."""
    listing = fast_listing(d)
    return listing if listing is not None else listing_from_dict(d, where=where)


def _plain(t: pa.DataType) -> bool:
    """Arrow types whose Python values clean_row leaves as they are (no timestamp, decimal or list)."""
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
            or pa.types.is_floating(t) or pa.types.is_boolean(t))


def arrow_rows(batch: pa.RecordBatch | pa.Table, *, skip: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """clean_row of each row of an Arrow batch, converted column by column (not one dict per row first)."""
    names = [n for n in batch.schema.names if n not in skip]
    columns = [batch.column(n).to_pylist() for n in names]
    other = [n for n in names if not _plain(batch.schema.field(n).type)]
    for values in zip(*columns, strict=True):
        row = {k: v for k, v in zip(names, values, strict=True) if v is not None}
        for k in other:
            if k in row:
                row[k] = _clean_value(row[k])
        yield row


def _clean_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [clean_row(v) if isinstance(v, Mapping) else v for v in value]
    return value
