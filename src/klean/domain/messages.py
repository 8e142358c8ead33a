"""Messages to people: an English template with named parameters, rendered in ko or en at the edge.

The template is the gettext msgid, so Babel extracts it wherever `N_(...)` marks it and the
Korean catalog translates it; rendering lives in `klean.adapters.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:
    """Mark a template for extraction without translating it here."""
    return template


@dataclass(frozen=True, slots=True)
class Message:
    template: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)

    def render_en(self) -> str:
        return self.template.format(**self.params)


def msg(template: str, **params: Any) -> Message:
    return Message(template, params)
