"""Find every translatable string (templates' _() and Python's N_()) and compare with the catalogs.

Used by `scripts/i18n_update.py` (adds new msgids to the .po files) and by the test that fails on any untranslated
string. The Korean catalog must translate every string; the Indonesian, Thai and Vietnamese catalogs every string
of the consumer pages (`consumer_msgids()`: the consumer templates, what they include, and the Python sources
whose messages those pages show); their other strings fall back to English.

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
TEMPLATES = PACKAGE / "adapters" / "web" / "templates"

# Python sources whose marked messages consumer pages show (besides the templates): the consumer routes, the
# portal's own errors and error pages (a form that does not validate, 405/413/429/500), the services' messages
# re-worded for the portal, the sign-in errors.
CONSUMER_SOURCES = ("adapters/web/routes/consumer.py", "adapters/web/routes/home.py", "adapters/web/views.py",
                    "adapters/web/server_messages.py", "adapters/web/error_pages.py", "services/accounts.py")


def po_path(lang: str) -> Path:
    return PACKAGE / "locales" / lang / "LC_MESSAGES" / "messages.po"


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


def _extracted() -> list[tuple[str, int, str]]:
    """(file, line, msgid) for every string found, in file order."""
    out = []
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(PACKAGE), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS,
    ):
        ids = message if isinstance(message, tuple) else (message,)
        out += [(filename, lineno, m) for m in ids if m]
    return out


def extracted_msgids() -> dict[str, str]:
    """msgid -> first place it was found (file:line)."""
    found: dict[str, str] = {}
    for filename, lineno, m in _extracted():
        if m not in found:
            found[m] = f"{filename}:{lineno}"
    return found


def consumer_templates() -> set[str]:
    """The consumer page templates and every template they extend, include or import, transitively."""
    from jinja2 import Environment, FileSystemLoader, meta

    from klean.adapters.web.templating import CONSUMER_TEMPLATES

    env = Environment(loader=FileSystemLoader(TEMPLATES), extensions=["jinja2.ext.i18n"])
    seen: set[str] = set()
    todo = list(CONSUMER_TEMPLATES)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        todo += [t for t in meta.find_referenced_templates(env.parse(source)) if isinstance(t, str)]
    return seen


def consumer_msgids() -> dict[str, str]:
    """msgid -> first place a consumer page shows it (file:line): what id/th/vi must translate."""
    files = {f"adapters/web/templates/{t}" for t in consumer_templates()} | set(CONSUMER_SOURCES)
    found: dict[str, str] = {}
    for filename, lineno, m in _extracted():
        if filename.replace("\\", "/") in files and m not in found:
            found[m] = f"{filename}:{lineno}"
    return found


def required_msgids(lang: str) -> dict[str, str]:
    """Korean translates everything; the partial languages the consumer pages."""
    from klean.adapters.i18n import PARTIAL_LANGUAGES

    return consumer_msgids() if lang in PARTIAL_LANGUAGES else extracted_msgids()


def read_catalog(path: Path = PO_PATH, lang: str = "ko") -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def untranslated(lang: str = "ko") -> dict[str, str]:
    """The strings `lang` must translate and does not (msgid -> where it was found)."""
    path = po_path(lang)
    catalog = read_catalog(path, lang) if path.is_file() else Catalog(locale=lang)
    return {m: where for m, where in required_msgids(lang).items()
            if catalog.get(m) is None or not catalog.get(m).string}


def add_missing(path: Path = PO_PATH, lang: str = "ko") -> list[str]:
    """Append msgids `lang` must translate but its catalog lacks (empty translations), keep the rest."""
    catalog = read_catalog(path, lang) if path.is_file() else Catalog(locale=lang)
    added = []
    for m, where in required_msgids(lang).items():
        if catalog.get(m) is None:
            catalog.add(m, "", locations=[(where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1]))])
            added.append(m)
    if added or not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=120, omit_header=False, sort_output=False, include_lineno=False)
    return added
