"""Consumer reports of suspected fakes: categories, text limits, and finding listing references in free text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from klean.domain.errors import ValidationError


class ReportCategory(StrEnum):
    COUNTERFEIT = "counterfeit"  # 가품 / 짝퉁 suspected
    UNAUTHORISED_SELLER = "unauthorised_seller"  # genuine-looking but the seller may not sell the brand
    MISLEADING = "misleading"  # "정품" claims, fake certificates, copied official photos
    UNSAFE = "unsafe"  # counterfeit cosmetics, chargers, medicines
    OTHER = "other"


class ReportState(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    ACTIONED = "actioned"  # the listing was taken down
    NO_ACTION = "no_action"  # reviewed: no violation found
    CLOSED = "closed"


LANGS = ("ko", "en", "id", "th", "vi")  # the languages a report can be written and answered in
TEXT_MIN = 5
TEXT_MAX = 5000
MAX_REFS = 20


@dataclass(frozen=True)
class ReportDraft:
    category: str
    text: str
    lang: str = "en"
    listings: tuple[str, ...] = ()  # ids or URLs given explicitly; more are found in the text
    contact_email: str | None = None


def clean_text(text: str) -> str:
    """NFC, no control characters but newlines and tabs, trimmed."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def validate_report(d: ReportDraft) -> ReportDraft:
    """Return the draft with its text cleaned, or raise naming the field at fault."""
    try:
        ReportCategory(d.category)
    except ValueError as exc:
        allowed = ", ".join(c.value for c in ReportCategory)
        raise ValidationError(f"category must be one of: {allowed}", field="category") from exc
    if d.lang not in LANGS:
        raise ValidationError(f"lang must be one of: {', '.join(LANGS)}", field="lang")
    text = clean_text(d.text)
    if len(text) < TEXT_MIN:
        raise ValidationError(f"text: describe the problem in at least {TEXT_MIN} characters", field="text")
    if len(text) > TEXT_MAX:
        raise ValidationError(f"text: at most {TEXT_MAX} characters", field="text")
    if len(d.listings) > MAX_REFS:
        raise ValidationError(f"at most {MAX_REFS} listings per report", field="listings")
    for ref in d.listings:
        if not ref.strip() or len(ref) > 2000:
            raise ValidationError("each listing reference: an id or URL of 1-2000 characters", field="listings")
    if d.contact_email is not None and (len(d.contact_email) > 320 or "@" not in d.contact_email):
        raise ValidationError("contact_email is not an e-mail address", field="contact_email")
    return ReportDraft(category=d.category, text=text, lang=d.lang, listings=tuple(r.strip() for r in d.listings),
                       contact_email=d.contact_email)


_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
# "listing 12345", "listing id: cp-88231", "상품번호 7264581", "상품 ID: abc-1", "item #5512"
_ID = re.compile(r"(?:listing(?:\s*id)?|item(?:\s*id)?|상품\s*번호|상품\s*ID|상품|리스팅)\s*[:#：]?\s*"
                 r"([A-Za-z0-9][A-Za-z0-9_.\-]{0,199})", re.IGNORECASE)


def extract_refs(text: str) -> list[str]:
    """Listing URLs and ids mentioned in free text, in order of appearance, without repeats."""
    found: list[tuple[int, str]] = []
    for m in _URL.finditer(text):
        found.append((m.start(), m.group(0).rstrip(".,;:!?")))
    for m in _ID.finditer(text):
        found.append((m.start(1), m.group(1).rstrip(".,;:")))
    out: list[str] = []
    for _, ref in sorted(found):
        if ref and ref not in out and not any(ref in u for u in out if u.startswith("http")):
            out.append(ref)
    return out[:MAX_REFS]


def guess_lang(text: str) -> str:
    """ko when Hangul makes up a fair share of the letters, else en."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    hangul = sum("\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"
                 for ch in letters)
    return "ko" if hangul / len(letters) >= 0.2 else "en"


def url_candidates(url: str) -> list[str]:
    """Ids a marketplace URL may carry: its last path segment and numeric query values (productId=...)."""
    m = re.match(r"https?://[^/?#]+([^?#]*)(?:\?([^#]*))?", url, re.IGNORECASE)
    if not m:
        return []
    path, query = m.group(1) or "", m.group(2) or ""
    out: list[str] = []
    segments = [s for s in path.split("/") if s]
    if segments:
        out.append(segments[-1])
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if value and re.search(r"id$|no$", key, re.IGNORECASE):
            out.append(value)
    return out


@dataclass(frozen=True)
class ConsumerReport:
    id: int
    case_number: str
    reporter_id: str | None
    reporter_key: str
    contact_email: str | None
    channel: str
    lang: str
    category: str
    text: str
    listing_refs: tuple[str, ...]
    listing_id: str | None
    state: str
    resolution: str | None
    created_at: datetime
    updated_at: datetime
