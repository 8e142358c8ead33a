"""Find every translatable string (templates' _() and Python's N_()) and compare with the Korean catalog.

Used by `scripts/i18n_update.py` (adds new msgids to the .po) and by the test that fails on any untranslated
string.

Python files are read with the `ast` module, not Babel's tokenizer: a keyword such as `msg` is also a common
variable name (`msg["To"] = ...` on an e-mail message), and only a parser can tell a call from a subscript.
Babel 2.19 started treating `msg[` like `msg(`, which turned e-mail header names into "translatable strings".
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(str(resources.files("klean")))
PO_PATH = PACKAGE / "locales" / "ko" / "LC_MESSAGES" / "messages.po"


def _literal(node: ast.expr) -> str | None:
    """A string literal, or literals joined with + ("a" "b" is already one constant); else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None and right is not None:
            return left + right
    return None


Extracted = tuple[int, str, str | tuple[str | None, ...] | None, list[str]]  # line, keyword, message(s), comments


def extract_python_calls(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
                         options: Mapping[str, Any]) -> Iterator[Extracted]:
    """Babel extraction method: calls `keyword(...)` found by parsing the file (see the module doc).

    Like Babel's own Python extractor it yields every positional argument (None where it is not a string
    literal); Babel then picks the ones the keyword's spec names and drops calls whose message is not a literal.
    """
    tree = ast.parse(fileobj.read(), filename=getattr(fileobj, "name", "<python>"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in keywords \
                and node.args:
            strings = tuple(_literal(arg) for arg in node.args)
            yield node.lineno, node.func.id, strings if len(strings) > 1 else strings[0], []


METHODS = [("**/templates/**.html", "jinja2"), ("**.py", extract_python_calls)]
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
