"""Every string a person sees exists in Korean as well as English; every string of the consumer pages in
Indonesian, Thai and Vietnamese too."""

from __future__ import annotations

import re

import pytest

from klean.adapters.i18n import PARTIAL_LANGUAGES, render
from klean.adapters.i18n_catalog import consumer_msgids, consumer_templates, po_path, read_catalog, untranslated
from klean.domain.messages import msg


def test_every_translatable_string_has_a_korean_translation() -> None:
    missing = untranslated()
    assert not missing, "untranslated (run scripts/i18n_update.py and fill msgstr):\n" + "\n".join(
        f"{where}: {m!r}" for m, where in missing.items())


@pytest.mark.parametrize("lang", PARTIAL_LANGUAGES)
def test_every_string_of_the_consumer_pages_is_translated(lang: str) -> None:
    missing = untranslated(lang)
    assert not missing, f"untranslated in {lang} (run scripts/i18n_update.py {lang} and fill msgstr):\n" + \
        "\n".join(f"{where}: {m!r}" for m, where in missing.items())


def test_the_consumer_strings_are_found_where_consumer_pages_take_them_from() -> None:
    """Not vacuous: the page templates with what they include, and the Python messages those pages show."""
    assert {"base.html", "components/nav.html", "components/labels.html", "pages/consumer/report.html",
            "pages/consumer/refund.html", "pages/consumer/follow.html", "pages/signin.html",
            "pages/error.html"} <= consumer_templates()
    found = consumer_msgids()
    for m in ("Send report", "Received", "Claim refund", "No case with that number and follow code.",
              "wrong user or password", "Describe the problem in at least %(n)s characters.",
              "the form expired or did not come from this site; reload the page and try again"):
        assert m in found, m
    assert "Standing" not in found  # a seller page's string: English is allowed in id/th/vi


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@pytest.mark.parametrize("lang", ("ko", *PARTIAL_LANGUAGES))
def test_translations_keep_the_placeholders_of_the_english(lang: str) -> None:
    """A translation may not name a value the English does not give (the page would fall back to English or
    fail); it keeps every value, except the language note, which may name its language in words."""
    wrong = []
    for m in read_catalog(po_path(lang), lang):
        if not m.id or not m.string or isinstance(m.id, tuple):
            continue
        english = {a or b for a, b in PLACEHOLDER.findall(m.id)}
        translated = {a or b for a, b in PLACEHOLDER.findall(str(m.string))}
        if not translated <= english or (english - translated) - {"language"}:
            wrong.append((m.id, m.string))
    assert not wrong, wrong


def test_render_falls_back_to_english_for_unknown_templates() -> None:
    assert render(msg("Price {p} is low", p="1,000 KRW"), "ko") == "Price 1,000 KRW is low"


@pytest.mark.parametrize("lang", PARTIAL_LANGUAGES)
def test_screening_reasons_are_english_where_the_language_has_no_translation(lang: str) -> None:
    """The Southeast-Asian markets read the reasons in English until their catalog translates one."""
    reason = msg("Counterfeit vocabulary: \u201c{found}\u201d", found="KW super")
    catalog = read_catalog(po_path(lang), lang)
    entry = catalog.get(reason.template)
    expected = reason.render_en() if entry is None or not entry.string else entry.string.format(found="KW super")
    assert render(reason, lang) == expected
    assert render(reason, "ko") != reason.render_en()


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
