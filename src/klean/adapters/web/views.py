"""Helpers shared by portal pages: the App, one-shot flash messages, evidence highlighting, upload reading."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import Request, UploadFile

from klean.adapters.i18n import gettext, render
from klean.adapters.web.server_messages import localise
from klean.adapters.web.templating import format_day, request_lang
from klean.bootstrap import App
from klean.domain.errors import ValidationError
from klean.services import screening


def N_(english: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return english


def app_of(request: Request) -> App:
    return request.app.state.klean  # type: ignore[no-any-return]


_DAY_PARAM = "__day__"


def set_flash(request: Request, english: str, **params: Any) -> None:
    """A message for the next page, translated there (the English text is the msgid); a date parameter is written
    there too, as the reader of that page reads dates (they may switch language in between)."""
    request.session["flash"] = [english, {k: {_DAY_PARAM: v.isoformat()} if isinstance(v, date) else v
                                          for k, v in params.items()}]


def pop_flash(request: Request) -> str | None:
    stored = request.session.pop("flash", None)
    if not isinstance(stored, list) or len(stored) != 2:
        return None
    english, params = stored
    lang = request_lang(request)
    text = gettext(str(english), lang)
    if isinstance(params, dict):
        params = {k: format_day(v[_DAY_PARAM], lang) if isinstance(v, dict) and _DAY_PARAM in v else v
                  for k, v in params.items()}
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return str(english)


def tr(request: Request, english: str) -> str:
    """A service's English message in the reader's language when the catalog has it, or has a template for it
    (web/server_messages.py); else English."""
    return localise(english, request_lang(request))


def highlight(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Cut text into (segment, is_evidence) pieces; overlapping spans merge. Templates escape every piece."""
    clean = sorted((max(0, a), min(len(text), b)) for a, b in spans if b > a)
    merged: list[tuple[int, int]] = []
    for a, b in clean:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    pieces: list[tuple[str, bool]] = []
    at = 0
    for a, b in merged:
        if a > at:
            pieces.append((text[at:a], False))
        pieces.append((text[a:b], True))
        at = b
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def evidence_rows(evidence: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Stored evidence records with their reason in the reader's language, strongest first."""
    rows = []
    for e in evidence:
        span = e.get("span")
        rows.append({"signal": str(e.get("signal", "")), "weight": float(e.get("weight", 0.0)),
                     "brand_id": e.get("brand_id"),
                     "span": tuple(span) if isinstance(span, list | tuple) and len(span) == 2 else None,
                     "box": _photo_box(e.get("params")),
                     "reason": render(screening.stored_reason(e), lang)})
    return sorted(rows, key=lambda r: -r["weight"])


def _photo_box(params: Any) -> tuple[int, int, int, int, int] | None:
    """(image, x, y, w, h) of the part of a listing photo an image or logo match names in its reason, if any."""
    if not isinstance(params, dict):
        return None
    values = [params.get(k) for k in ("image", "x", "y", "w", "h")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values) or values[0] < 1:
        return None
    return values[0], values[1], values[2], values[3], values[4]


def photo_regions(images: Sequence[tuple[int, int]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listing's stored photos ((width, height), 1-based order) with the boxes evidence drew on each, so a
    reviewer sees the matched part at a glance. Boxes are clipped to the photo."""
    out = []
    for n, (width, height) in enumerate(images, start=1):
        boxes = []
        for r in rows:
            box = r["box"]
            if box is None or box[0] != n or r["weight"] <= 0:
                continue
            x, y = min(box[1], width), min(box[2], height)
            boxes.append({"x": x, "y": y, "w": max(1, min(box[3], width - x)), "h": max(1, min(box[4], height - y)),
                          "signal": r["signal"]})
        out.append({"n": n, "width": width, "height": height, "boxes": boxes})
    return out


def spans_of(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    out = []
    for r in rows:
        span = r["span"]
        if span and r["weight"] > 0 and all(isinstance(x, int) for x in span):
            out.append((int(span[0]), int(span[1])))
    return out


async def read_upload(upload: UploadFile | None, limit: int) -> bytes | None:
    """The bytes of an uploaded file (None when no file was chosen); one byte over the limit is enough to refuse."""
    if upload is None or not upload.filename:
        return None
    data = await upload.read(limit + 1)
    if not data:
        return None
    if len(data) > limit:
        raise ValidationError(f"the file is larger than {limit} bytes", field="file")
    return data


# Errors the portal's own checks raise (web/deps.py, web/app.py), marked here so the error page shows them in
# the reader's language.
PAGE_NOT_FOUND = N_("there is no such page; check the address")
PORTAL_ERRORS = (
    N_("please sign in"),
    N_("this page is not for your role"),
    N_("the form expired or did not come from this site; reload the page and try again"),
    PAGE_NOT_FOUND,
)
