"""Every string a person sees exists in Korean as well as English."""

from __future__ import annotations

from klean.adapters.i18n import render
from klean.adapters.i18n_catalog import untranslated
from klean.domain.messages import msg


def test_every_translatable_string_has_a_korean_translation() -> None:
    missing = untranslated()
    assert not missing, "untranslated (run scripts/i18n_update.py and fill msgstr):\n" + "\n".join(
        f"{where}: {m!r}" for m, where in missing.items())


def test_render_falls_back_to_english_for_unknown_templates() -> None:
    assert render(msg("Price {p} is low", p="1,000 KRW"), "ko") == "Price 1,000 KRW is low"
