"""Set Korean translations from a JSON object {msgid: msgstr} given on stdin (keeps everything else).

    python scripts/i18n_set.py < translations.json
"""

import json
import sys

from babel.messages.pofile import write_po

from klean.adapters.i18n_catalog import PO_PATH, read_catalog

updates = json.load(sys.stdin)
catalog = read_catalog()
for msgid, msgstr in updates.items():
    existing = catalog.get(msgid)
    if existing is None:
        catalog.add(msgid, msgstr)
    else:
        existing.string = msgstr
with PO_PATH.open("wb") as f:
    write_po(f, catalog, width=120, sort_output=False, include_lineno=False)
print(f"set {len(updates)} translations in {PO_PATH}")
