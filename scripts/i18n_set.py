"""Set translations from a JSON object {msgid: msgstr} given on stdin (keeps everything else).

    python scripts/i18n_set.py < translations.json          # Korean
    python scripts/i18n_set.py th < translations.json       # Thai (or id, vi)

This rewrites the whole catalog: check that `git diff` shows only your entries.
"""

import json
import sys

from babel.messages.pofile import write_po

from klean.adapters.i18n_catalog import po_path, read_catalog

lang = sys.argv[1] if len(sys.argv) > 1 else "ko"
path = po_path(lang)
updates = json.load(sys.stdin)
catalog = read_catalog(path, lang)
for msgid, msgstr in updates.items():
    existing = catalog.get(msgid)
    if existing is None:
        catalog.add(msgid, msgstr)
    else:
        existing.string = msgstr
with path.open("wb") as f:
    write_po(f, catalog, width=120, sort_output=False, include_lineno=False)
print(f"set {len(updates)} translations in {path}")
