"""Find every translatable string (templates' _() and Python's N_()) and compare with the Korean catalog.

Used by `scripts/i18n_update.py` (adds new msgids to the .po) and by the test that fails on any untranslated
string.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(str(resources.files("klean")))
PO_PATH = PACKAGE / "locales" / "ko" / "LC_MESSAGES" / "messages.po"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None, "msg": None, "ngettext": (1, 2)}


def extracted_msgids() -> dict[str, str]:
    """msgid -> first place it was found (file:line)."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(PACKAGE), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS,
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for m in ids:
            if m and m not in found:
                found[m] = f"{filename}:{lineno}"
    return found


def read_catalog(path: Path = PO_PATH) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="ko")


def untranslated() -> dict[str, str]:
    catalog = read_catalog()
    return {m: where for m, where in extracted_msgids().items()
            if catalog.get(m) is None or not catalog.get(m).string}


def add_missing(path: Path = PO_PATH) -> list[str]:
    """Append msgids found in the code but absent from the catalog (empty translations), keep the rest."""
    catalog = read_catalog(path)
    added = []
    for m, where in extracted_msgids().items():
        if catalog.get(m) is None:
            catalog.add(m, "", locations=[(where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1]))])
            added.append(m)
    with path.open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False, sort_output=False, include_lineno=False)
    return added
