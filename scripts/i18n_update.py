"""Add new translatable strings to the Korean catalog; then translate the empty msgstr entries.

    python scripts/i18n_update.py
"""

from klean.adapters.i18n_catalog import PO_PATH, add_missing, untranslated

added = add_missing()
print(f"added {len(added)} new strings to {PO_PATH}")
todo = untranslated()
print(f"{len(todo)} strings still need a Korean translation")
for msgid, where in todo.items():
    print(f"  {where}: {msgid!r}")
