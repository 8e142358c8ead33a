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


def test_extraction_takes_calls_not_subscripts_of_a_keyword_named_variable() -> None:
    """`msg` names both the message function and e-mail messages: `msg["To"] = ...` is not a translatable string
    (Babel 2.19's tokenizer took it for one and broke this suite on a fresh install)."""
    import io

    from babel.messages.extract import extract

    from klean.adapters.i18n_catalog import KEYWORDS, extract_python_calls

    source = (b'msg = EmailMessage()\nmsg["To"] = ", ".join(rcpt)\nmsg["Message-ID"] = make_msgid(domain="x")\n'
              b'reason = msg("Price {p} is low", p=price)\ntitle = N_("Seller " "standing")\n'
              b'n = ngettext("one strike", "{n} strikes", k)\ndynamic = msg(template, a=1)\n')
    found = [(line, message) for line, message, _c, _ctx in
             extract(extract_python_calls, io.BytesIO(source), keywords=KEYWORDS)]
    assert found == [(4, "Price {p} is low"), (5, "Seller standing"), (6, ("one strike", "{n} strikes"))]
