"""The services' English error messages, as the portal shows them in the reader's language.

Services raise DomainError with an English sentence that often carries values ("no order ord-1 of yours"). A
message that is itself a catalog msgid (marked with N_ where it is raised) is translated as it is; the others that
a consumer can meet (report, follow, refund, sign-in) are recognised here by pattern and re-worded through a
catalog template with the same values. Anything else stays in English, as before.

tests/unit/test_portal_server_messages.py raises each of these messages from the service itself, so a re-worded
service message that no pattern recognises any more fails there rather than showing English on a Thai page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

from klean.adapters.i18n import gettext
from klean.adapters.web.staff_messages import SOME_FIELD, STAFF_FIELDS, STAFF_PATTERNS


def N_(english: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return english


def _number(text: str, lang: str) -> str:
    digits = text.replace(",", "")
    return format_decimal(int(digits), locale=lang) if digits.isdigit() else text


def _day(text: str, lang: str) -> str:
    try:
        return format_date(date.fromisoformat(text), "long", locale=lang)
    except ValueError:
        return text


# The consumer forms' fields as their labels say them (the names are the forms' `name` attributes); the staff
# forms' fields are in web/staff_messages.py. For messages naming a field: a service's "valid_until: ..." and the
# portal's validation pages (web/error_pages.py).
FIELD_LABELS: dict[str, str] = {
    "login": N_("User id or e-mail"), "password": N_("Password"), "category": N_("What is wrong?"),
    "text": N_("Tell us more"), "listing": N_("Listing link or id"),
    "contact_email": N_("E-mail for the outcome (optional)"), "photos": N_("Photos (optional, up to 4)"),
    "order_id": N_("Order number"), "note": N_("Note (optional)"), **STAFF_FIELDS,
}


def field_label(field: str, lang: str) -> str:
    """A form field as its label names it in `lang` (without the label's closing `?` or `:`)."""
    return gettext(FIELD_LABELS.get(field, SOME_FIELD), lang).rstrip("?:").removesuffix(" (optional)")


Param = Callable[[str, str], str]
# (pattern the whole English message matches, catalog template, how to show each named group)
PATTERNS: list[tuple[re.Pattern[str], str, dict[str, Param]]] = [
    # report a suspected fake (domain.reports.validate_report, the portal's photo checks, adapters.uploads)
    (re.compile(r"text: describe the problem in at least (?P<n>\d+) characters"),
     N_("Describe the problem in at least %(n)s characters."), {"n": _number}),
    (re.compile(r"text: at most (?P<n>\d+) characters"),
     N_("The description is too long: at most %(n)s characters."), {"n": _number}),
    (re.compile(r"category must be one of: .*"), N_("Choose what is wrong from the list."), {}),
    (re.compile(r"contact_email is not an e-mail address"), N_("The e-mail address is not valid."), {}),
    (re.compile(r"each listing reference: an id or URL of 1-2000 characters"),
     N_("The listing link or id can be at most 2,000 characters."), {}),
    (re.compile(r"at most (?P<n>\d+) photos"), N_("Attach at most %(n)s photos."), {"n": _number}),
    (re.compile(r"the file is larger than (?P<limit>\d+) bytes"),
     N_("A photo is too large: the limit is %(limit)s bytes."), {"limit": _number}),
    (re.compile(r"the file has (?P<size>[\d,]+) bytes; the limit is (?P<limit>[\d,]+)"),
     N_("A photo is too large: the limit is %(limit)s bytes."), {"limit": _number}),
    (re.compile(r"the file is empty"), N_("A photo file is empty."), {}),
    (re.compile(r"not an image of an allowed type \(JPEG, PNG, WebP, GIF\)"),
     N_("A photo is not a JPEG, PNG, WebP or GIF image."), {}),
    (re.compile(r"the image has no pixels"), N_("A photo is damaged: it has no pixels."), {}),
    (re.compile(r"the image is (?P<width>\d+)x(?P<height>\d+) = [\d,]+ pixels; the limit is (?P<limit>[\d,]+)"),
     N_("A photo is %(width)s × %(height)s pixels; the limit is %(limit)s pixels in all."),
     {"limit": _number}),
    (re.compile(r"refused as a decompression bomb: .*", re.DOTALL),
     N_("A photo was refused: it would unpack into far too many pixels."), {}),
    (re.compile(r"the image is truncated or corrupt \(\w+\)"), N_("A photo is cut off or damaged."), {}),
    # claim a refund (services.refunds.claim_refund)
    (re.compile(r"no order (?P<order>.+) of yours"),
     N_("We found no order %(order)s of yours. Check the order number."), {}),
    (re.compile(r"a claim for order (?P<order>.+) is already waiting for review"),
     N_("A claim for order %(order)s is already waiting for review."), {}),
    (re.compile(r"order (?P<order>.+) was already refunded in full"),
     N_("Order %(order)s was already refunded in full."), {}),
    (re.compile(r"the claim window closed at the end of (?P<day>\d{4}-\d{2}-\d{2}) \((?P<zone>[^)]+)\): "
                r"(?P<months>\d+) months from delivered"),
     N_("The time to claim a refund for this order ended on %(day)s (%(zone)s time), %(months)s months after "
        "delivery."), {"day": _day}),
    (re.compile(r"the claim window closed at the end of (?P<day>\d{4}-\d{2}-\d{2}) \((?P<zone>[^)]+)\): "
                r"(?P<months>\d+) months from purchased"),
     N_("The time to claim a refund for this order ended on %(day)s (%(zone)s time), %(months)s months after "
        "purchase."), {"day": _day}),
    (re.compile(r"the order was placed after this claim's time"),
     N_("This order was placed after the time of the claim."), {}),
    (re.compile(r"note: at most (?P<n>\d+) characters"),
     N_("The note is too long: at most %(n)s characters."), {"n": _number}),
    (re.compile(r"sign in as the buyer to claim a refund"), N_("Sign in as the buyer to claim a refund."), {}),
    # a role check inside a service (domain.auth.Principal.require): the portal's own wording
    (re.compile(r"role \w+ may not do this \(allowed: [\w, ]+\)"), N_("this page is not for your role"), {}),
    *STAFF_PATTERNS,
]


def localise(english: str, lang: str) -> str:
    """The message in `lang`: the catalog's translation of the message itself, else a recognised pattern's
    template with the message's values, else the message as it is."""
    exact = gettext(english, lang)
    if exact != english:
        return exact
    for pattern, template, shown in PATTERNS:
        m = pattern.fullmatch(english)
        if m is None:
            continue
        params = {k: shown[k](v, lang) if k in shown else v for k, v in m.groupdict().items()}
        try:
            return gettext(template, lang) % params
        except (KeyError, TypeError, ValueError):
            return template % params
    return _preset_then_note(english, lang)


def _preset_then_note(english: str, lang: str) -> str:
    """A reason recorded as a preset sentence (a catalog msgid, such as a reviewer's one-click reason) followed by
    what the person typed: the preset in `lang`, the rest as it was typed; anything else as it is."""
    head, sep, rest = english.partition(". ")
    if sep and rest:
        preset = gettext(head + ".", lang)
        if preset != head + ".":
            return f"{preset} {rest}"
    return english

