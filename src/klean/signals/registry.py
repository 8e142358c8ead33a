"""The registered screening signals. A new signal is one module in signals/ plus a line here."""

from __future__ import annotations

from collections.abc import Sequence

from klean.domain.screening import Signal
from klean.signals.brand_mention import BrandMention
from klean.signals.images import KnownFakeImage, OfficialImageReuse
from klean.signals.insignia import OfficialInsignia
from klean.signals.logo import LogoSignal
from klean.signals.price import PriceAnomaly
from klean.signals.seller import SellerRisk
from klean.signals.vocabulary import CounterfeitVocabulary


def default_signals() -> list[Signal]:
    """Every signal the screener runs by default (other features append theirs here)."""
    signals: list[Signal] = [BrandMention(), CounterfeitVocabulary(), PriceAnomaly(), SellerRisk()]
    signals += [OfficialImageReuse(), KnownFakeImage(), LogoSignal(), OfficialInsignia()]
    check_names(signals)
    return signals


def check_names(signals: Sequence[Signal]) -> None:
    """Signal names label evidence and policy weights: they must be unique and non-empty."""
    seen: set[str] = set()
    for s in signals:
        name = getattr(s, "name", "")
        if not isinstance(name, str) or not name:
            raise ValueError(f"signal {type(s).__name__} has no name")
        if name in seen:
            raise ValueError(f"two signals are named {name!r}")
        seen.add(name)
