"""Add new translatable strings to the catalogs; then translate the empty msgstr entries.

    python scripts/i18n_update.py            # every language: ko (all strings), id, th, vi (consumer pages)
    python scripts/i18n_update.py th         # one language

Korean must translate every string; Indonesian, Thai and Vietnamese the strings of the consumer pages (their
other strings fall back to English). Only catalogs that lack a required msgid are rewritten.
"""

import sys

from klean.adapters.i18n import LANGUAGES
from klean.adapters.i18n_catalog import add_missing, po_path, untranslated

for lang in sys.argv[1:] or [code for code in LANGUAGES if code != "en"]:
    added = add_missing(po_path(lang), lang)
    print(f"{lang}: added {len(added)} new strings to {po_path(lang)}")
    todo = untranslated(lang)
    print(f"{lang}: {len(todo)} strings still need a translation")
    for msgid, where in todo.items():
        print(f"  {where}: {msgid!r}")
