"""The services' English messages that the staff pages meet (rights holders, sellers, reviewers, inspectors,
admins), as web/server_messages.py re-words them in the reader's language, and the staff forms' field names.

Kept apart from server_messages.py, whose strings the consumer pages show and every consumer language (id, th,
vi) translates: these are complete in Korean and English and fall back to English in the partial languages, like
the rest of a staff page. server_messages.localise tries STAFF_PATTERNS after its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def N_(english: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return english


def _field(text: str, lang: str) -> str:
    from klean.adapters.web.server_messages import field_label  # at call time: server_messages imports this module

    return field_label(text, lang)


# The staff forms' fields as their labels say them (the names are the forms' `name` attributes).
STAFF_FIELDS: dict[str, str] = {
    "grounds": N_("Why is this decision wrong?"), "reasons": N_("Counter-notice: why the removal is a mistake"),
    "authorisation_proof": N_("Proof reference"), "brand_id": N_("Brand"), "issuer": N_("Issued by"),
    "valid_from": N_("Valid from"), "valid_until": N_("Valid until"), "file": N_("File"), "name": N_("Name"),
    "marks": N_("Word marks"), "mark": N_("New mark"), "price": N_("Reference price"), "currency": N_("Currency"),
    "aliases": N_("Other names"), "seller_id": N_("Seller id"), "term": N_("Term"), "kind": N_("Kind"),
    "weight": N_("Weight"), "term_id": N_("Term"), "reference": N_("Court case reference"),
    "decision": N_("Decision"), "reason": N_("Reason"), "order_ref": N_("Order number"), "amount": N_("Price paid"),
    "purchased_on": N_("Bought on"), "caption": N_("Caption"), "verdict": N_("Verdict"),
    "notes": N_("What was found"), "label": N_("Label"), "listings": N_("Listings"), "csv_file": N_("CSV file"),
    "explanation": N_("Why these listings infringe"), "notifier_name": N_("Your full name"),
    "notifier_email": N_("Your e-mail"), "signature": N_("Signature"),
    "registration_number": N_("Trademark registration number"), "office": N_("Office"),
    "item_id": N_("Review item"), "case_id": N_("Case number"), "pick_id": N_("Test buy"),
    "action_id": N_("Decision"), "proof_id": N_("Proof"), "listing_id": N_("Listing"),
    "correction": N_("Correction"), "use_pack": N_("Default pack"),
    "with_product": N_("Only next to one of the brand's product names"), "next": N_("Page"),
    "id": N_("Identifier"),
}
SOME_FIELD = N_("A field of the form")

def _day(text: str, lang: str) -> str:
    from klean.adapters.web.templating import format_day  # at call time: templating imports server_messages

    return format_day(text, lang)


# A notice case's states as the case pages name them (components/staff_labels.html, macro case_state).
CASE_STATES = {"received": N_("Received"), "under_review": N_("Under review"), "actioned": N_("Listing removed"),
               "rejected": N_("Notice rejected"), "countered": N_("Counter-notice filed"), "restored": N_("Restored"),
               "appealed": N_("Complaint open"), "closed": N_("Closed")}


def _case_state(text: str, lang: str) -> str:
    from klean.adapters.i18n import gettext

    return gettext(CASE_STATES[text], lang) if text in CASE_STATES else text


Param = Callable[[str, str], str]
STAFF_PATTERNS: list[tuple[re.Pattern[str], str, dict[str, Param]]] = [
    # something asked for by id that does not exist or is not the reader's (the services say which)
    (re.compile(r"no brand (?P<id>.+?)(?: in the registry)?"),
     N_("There is no brand %(id)s, or it is not one you manage."), {}),
    (re.compile(r"no case (?P<id>\d+)"), N_("There is no case %(id)s, or it is not one of yours."), {}),
    (re.compile(r"no listing (?P<id>.+)"), N_("There is no listing %(id)s, or it is not one of yours."), {}),
    (re.compile(r"no proof (?P<id>\d+)"), N_("There is no proof %(id)s, or it is not one of yours."), {}),
    (re.compile(r"no test buy (?P<id>\d+)(?: .*)?"),
     N_("There is no test buy %(id)s, or it is not assigned to your firm."), {}),
    (re.compile(r"no enforcement action (?P<id>\d+)"),
     N_("There is no decision %(id)s, or it is not about your account."), {}),
    (re.compile(r"no seller (?P<id>.+)"), N_("There is no seller %(id)s."), {}),
    (re.compile(r"(?P<brand>.+) has no mark (?P<mark>.+)"), N_("%(brand)s has no mark %(mark)s."), {}),
    # the reason a case's first transition records when the listing does not point at the brand
    (re.compile(r"notice received; the listing does not allude to the brand (?P<brand>.+): it waits for review"),
     N_("Notice received; the listing does not allude to the brand %(brand)s, so it waits for review."), {}),
    (re.compile(r"(?P<field>\w+): a date, YYYY-MM-DD"), N_("%(field)s: give a date."), {"field": _field}),
    (re.compile(r"(?P<field>\w+): only letters, digits and _ \. : - \(got .*\)", re.DOTALL),
     N_("%(field)s: use only letters, digits and the signs _ . : -"), {"field": _field}),
    (re.compile(r"proof (?P<id>\d+) already ends on (?P<day>\d{4}-\d{2}-\d{2})"),
     N_("Proof %(id)s already ends on %(day)s."), {"day": _day}),
    (re.compile(r"(?P<brand>.+) already has the mark '(?P<mark>.*)'"), N_("%(brand)s already has the mark %(mark)s."),
     {}),
    (re.compile(r"review item (?P<id>\d+) is not open \(claimed or done\)"),
     N_("Review item %(id)s is no longer open: someone has claimed or decided it."), {}),
    (re.compile(r"review item (?P<id>\d+) is not claimed by (?P<who>.+)"),
     N_("Review item %(id)s is not claimed by %(who)s: claim it first."), {}),
    (re.compile(r"case (?P<id>\d+) is (?P<state>\w+): a counter-notice answers a removal"),
     N_("Case %(id)s is at “%(state)s”: a counter-notice can only answer a removal."), {"state": _case_state}),
    # an operator's set-up step that is missing: the reader cannot fix it, the operator can
    (re.compile(r"no signing key at .*", re.DOTALL),
     N_("The evidence package cannot be made yet: the server has no signing key. Ask the operator to create one."),
     {}),
]

# Messages the portal's routes and the services raise or record word for word (reasons recorded with a case's
# transitions, a missing upload); marked here so the catalog holds them and `localise` finds them exactly.
EXACT = (
    N_("choose an image to upload"), N_("choose a photo to upload"), N_("choose the document to upload"),
    N_("notice received"), N_("claimed for review"), N_("released undecided"),
    N_("the reference price is not a number"), N_("give the price paid and the date of purchase"),
    N_("weight: a number from 0 to 1"),
)
