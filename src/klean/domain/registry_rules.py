"""Rules of the brand registry that need no storage: identifiers, mark folding, field limits."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from decimal import ROUND_DOWN, Decimal

from klean.domain.errors import ValidationError

# Limits match the storage columns, so a too-long value is a 422 naming the field, never a database error.
MAX_BRAND_ID = 100
MAX_BRAND_NAME = 200
MAX_MARK = 200
MAX_OWNER = 200
MAX_PRODUCT_ID = 200
MAX_PRODUCT_NAME = 300
MAX_SELLER_ID = 200
MAX_SELLER_NAME = 300
MAX_CATEGORY = 200
MAX_TERM = 200  # a nickname, design cue or collision (the registry file's schema says the same)
MAX_TERMS = 500  # per brand, all kinds together: enough for every language, small enough to compile per change

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_WS = re.compile(r"\s+")


def fold_mark(text: str) -> str:
    """The form two marks are compared in: NFKC, casefolded, whitespace and invisible format characters
    (zero-width spaces and joiners) removed, so "Ｓａｍ sung" and "Sam\u200bsung" are both "samsung"."""
    folded = _WS.sub("", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def check_id(value: object, *, field: str, limit: int) -> str:
    """An identifier: letters, digits and _ . : - (starting with a letter or digit), at most `limit` long."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field}: must be a non-empty string", field=field)
    if len(value) > limit:
        raise ValidationError(f"{field}: at most {limit} characters", field=field)
    if not _ID.match(value):
        raise ValidationError(f"{field}: only letters, digits and _ . : - (got {value!r})", field=field)
    return value


def check_text(value: object, *, field: str, limit: int, required: bool = True) -> str:
    """A free text of at most `limit` characters, stripped; required means not blank."""
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be a string", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationError(f"{field}: must not be blank", field=field)
    if len(value) > limit:
        raise ValidationError(f"{field}: at most {limit} characters", field=field)
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValidationError(f"{field}: control characters are not allowed", field=field)
    return value


def check_mark(value: object, *, field: str = "mark") -> str:
    text = check_text(value, field=field, limit=MAX_MARK)
    if not fold_mark(text):
        raise ValidationError(f"{field}: a mark needs at least one visible character", field=field)
    return text


def fold_term_key(text: str) -> str:
    """The form two brand terms of one kind are compared in: NFKC, casefolded, runs of whitespace made one space,
    invisible format characters removed. Unlike marks, spaces count: the pack holds "cc 로고" and "cc로고" apart."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").strip()


def brand_term_id(kind: str, term: str) -> str:
    """A brand term's id in URLs: from its kind and folded text, so it needs no storage and stays the same across
    exports and re-imports (the term's text may be any script; the id is plain hex)."""
    return hashlib.sha256(f"{kind}\n{fold_term_key(term)}".encode()).hexdigest()[:16]


def slug(text: str) -> str:
    """A lower-case ASCII slug for generated ids ("Galaxy S24 Ultra" -> "galaxy-s24-ultra"); may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


# NUMERIC(18, 4) columns: 14 integer digits, 4 decimals.
MAX_AMOUNT_DIGITS = 14
MAX_AMOUNT_DECIMALS = 4


def check_amount(amount: Decimal, *, field: str) -> Decimal:
    """A price that storage holds exactly: > 0, at most 14 integer digits and 4 decimals."""
    if amount <= 0:
        raise ValidationError(f"{field}: must be greater than 0", field=field)
    if amount >= Decimal(10) ** MAX_AMOUNT_DIGITS:
        raise ValidationError(f"{field}: too large", field=field)
    if amount != amount.quantize(Decimal(1).scaleb(-MAX_AMOUNT_DECIMALS), rounding=ROUND_DOWN):
        raise ValidationError(f"{field}: at most {MAX_AMOUNT_DECIMALS} decimals", field=field)
    return amount
