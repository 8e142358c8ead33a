"""The portal's error pages for what the API would answer in JSON: a form that does not validate (the field named
in the reader's language), an HTTP status raised below the routes (405, 413, ...), too many requests (the rate
limiter answers before any route runs) and a failure inside the server.

The API's handlers and middlewares call these through `app.state` hooks (set by web.app.mount), so the API layer
does not import the portal and an API-only deployment keeps its JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from klean.adapters.i18n import gettext
from klean.adapters.web.server_messages import field_label
from klean.adapters.web.templating import render, request_lang


def N_(english: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return english


# Pydantic's error types, grouped by what the reader has to do about them.
PROBLEMS: dict[str, str] = {
    "missing": N_("%(field)s: this is required."),
    "string_too_short": N_("%(field)s: this is too short."),
    "string_too_long": N_("%(field)s: this is too long."),
    "too_long": N_("%(field)s: too many were sent."),
    "string_pattern_mismatch": N_("%(field)s: choose one of the options given."),
    "date_parsing": N_("%(field)s: give a date."), "date_from_datetime_parsing": N_("%(field)s: give a date."),
    "date_type": N_("%(field)s: give a date."),
    "int_parsing": N_("%(field)s: give a whole number."), "int_type": N_("%(field)s: give a whole number."),
    "greater_than_equal": N_("%(field)s: the number is too small."),
    "less_than_equal": N_("%(field)s: the number is too large."),
    "bool_parsing": N_("%(field)s: tick the box or leave it empty."),
}
INVALID = N_("%(field)s: this value cannot be used.")

STATUS_MESSAGES: dict[int, str] = {
    400: N_("the request could not be read; go back and try again"),
    401: N_("please sign in"),
    403: N_("you may not do this here"),
    404: N_("there is no such page; check the address"),
    405: N_("this address cannot be used that way; go back and use the page's buttons"),
    413: N_("what you sent is too large; send smaller files"),
    429: N_("too many attempts in a short time; wait %(seconds)s seconds and try again"),
    500: N_("something went wrong on our side; try again in a moment"),
}
OTHER_STATUS = N_("the request could not be completed; go back and try again")


def field_problem(errors: Sequence[Mapping[str, Any]], lang: str) -> str:
    """The first problem of a form, in `lang`: the field as its label says it and what to do about it."""
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
    template = PROBLEMS.get(str(first.get("type", "")), INVALID)
    return gettext(template, lang) % {"field": field_label(loc[0] if loc else "", lang)}


def _principal(request: Request) -> Any:
    return getattr(request.state, "portal_principal", None)


def portal_invalid(request: Request, errors: Sequence[Mapping[str, Any]]) -> Response:
    """A form that did not validate: the error page naming the field (the form itself is a page back)."""
    return render(request, "pages/error.html", principal=_principal(request),
                  message=field_problem(errors, request_lang(request)), status_code=422)


def status_message(status: int, lang: str, **values: object) -> str:
    template = STATUS_MESSAGES.get(status, OTHER_STATUS)
    text = gettext(template, lang)
    try:
        return text % values if values else text
    except (KeyError, TypeError, ValueError):
        return template % values if values else template


def portal_status(request: Request, status: int, headers: Mapping[str, str] | None = None,
                  **values: object) -> Response:
    """An HTTP status met on a portal address, as a page in the reader's language with the same status."""
    if status == 429 and "seconds" not in values:
        values["seconds"] = (headers or {}).get("Retry-After", "60")
    # the request id lets the operator find the failure in the logs; shown as a code, not as words
    reference = getattr(request.state, "request_id", "") if status == 500 else ""
    page = render(request, "pages/error.html", principal=_principal(request), reference=reference,
                  message=status_message(status, request_lang(request), **values), status_code=status)
    for name, value in (headers or {}).items():
        page.headers[name] = value
    return page
