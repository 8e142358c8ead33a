"""Languages at the edge: Babel catalogs for UI strings and for screening reasons.

English is the msgid (the template itself). Each other language has a catalog,
src/klean/locales/<lang>/LC_MESSAGES/messages.po, compiled in memory on first use, so there is no build step and
no binary file in the repository.

Korean is complete: every string. Indonesian, Thai and Vietnamese (the Southeast-Asian markets) are complete for
the consumer pages of the portal (report, follow, refund and the pages they lead to); anything else their catalog
lacks, screening reasons included, falls back to English string by string.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from klean.domain.messages import Message

LANGUAGES = ("ko", "en", "id", "th", "vi")  # every language with a catalog (English is the msgid itself)
PARTIAL_LANGUAGES = ("id", "th", "vi")  # complete for the consumer pages only; English elsewhere
DEFAULT_LANGUAGE = "en"
# Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "id": "Bahasa Indonesia", "th": "ไทย", "vi": "Tiếng Việt"}


def normalise_lang(lang: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    if not lang:
        return default
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else default


@cache
def translations(lang: str) -> NullTranslations:
    lang = normalise_lang(lang)
    if lang == "en":
        return NullTranslations()
    po = resources.files("klean").joinpath("locales", lang, "LC_MESSAGES", "messages.po")
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def gettext(text: str, lang: str) -> str:
    return translations(lang).gettext(text)


def render(message: Message, lang: str = DEFAULT_LANGUAGE) -> str:
    """A message in the language asked for; a missing translation falls back to English, never to an error."""
    template = gettext(message.template, lang)
    params: dict[str, Any] = dict(message.params)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return message.template.format(**params)
