"""Consumer reports of suspected fakes: categories, text limits, and finding listing references in free text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from klean.domain.errors import ValidationError
from klean.domain.listing_refs import MAX_REFS, ReferenceRules, find_references


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


def extract_refs(text: str, rules: ReferenceRules | None = None) -> list[str]:
    """Listing references (links and ids) mentioned in free text, in order of appearance, without repeats: those
    that stand on their own (klean.domain.listing_refs); a weak one is worth trying only against stored listings."""
    return [r.text for r in find_references(text, rules or ReferenceRules()) if r.strong][:MAX_REFS]


_LINKS_AND_ADDRESSES = re.compile(r"(?:https?://|www\.)\S+|[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.IGNORECASE)


def guess_lang(text: str) -> str:
    """ko when Hangul makes up a fair share of the letters (links and addresses aside), else en."""
    letters = [ch for ch in _LINKS_AND_ADDRESSES.sub(" ", text) if ch.isalpha()]
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
    listing_ids: tuple[str, ...] = ()  # every listing the report names that we have, the first is listing_id
    unknown_refs: tuple[str, ...] = ()  # references the reporter gave that name no listing of ours


@dataclass(frozen=True)
class MailRejection:
    """An accepted mail that made no report, and why: automated (auto-reply, bounce), loop (our own mail coming
    back), empty (nothing to report: answered with what to send)."""

    id: int
    received_at: datetime
    sender: str
    message_id: str | None
    reason: str
    detail: str
    size: int
    lang: str
    answered: bool
