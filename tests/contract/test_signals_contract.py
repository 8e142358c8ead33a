"""Every registered signal keeps the one small interface and agrees with its own examples()."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from klean.adapters.i18n import render
from klean.domain.screening import Evidence, ScreeningContext, Signal
from klean.signals.context import build_context
from klean.signals.examples import example_registry
from klean.signals.registry import check_names, default_signals

SIGNALS = default_signals()


SUSPICIOUS = 0.15  # an example is positive when the signal gives evidence at least this strong


def _context_for(signal: Signal) -> ScreeningContext:
    """The example context of the signal's module, or of a signals module it builds on (the logo signal uses
    the image banks'), else the example registry's."""
    module = sys.modules[type(signal).__module__]
    homes = [module] + [sys.modules[f.__module__] for f in vars(module).values()
                        if callable(f) and getattr(f, "__module__", "").startswith("klean.signals.")]
    for home in homes:
        own = getattr(home, "example_context", None)
        if callable(own):
            return own()  # type: ignore[no-any-return]
    return build_context(example_registry(), date(2026, 11, 24))


def test_signal_names_are_unique() -> None:
    check_names(SIGNALS)
    with pytest.raises(ValueError, match="two signals"):
        check_names([SIGNALS[0], SIGNALS[0]])


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda s: s.name)
def test_signal_agrees_with_its_examples(signal: Signal) -> None:
    assert isinstance(signal, Signal)
    examples = signal.examples()
    assert examples, f"{signal.name} has no examples"
    assert any(expected for _, expected in examples) and any(not expected for _, expected in examples), \
        f"{signal.name}: examples need both a positive and a negative case"
    ctx = _context_for(signal)
    for listing, expected in examples:
        evidence = list(signal.evaluate(listing, ctx))
        for e in evidence:
            assert isinstance(e, Evidence) and e.signal == signal.name
            assert -1.0 < e.weight < 1.0
            if e.span is not None:
                assert 0 <= e.span[0] < e.span[1] <= len(listing.text)
            assert render(e.reason, "en") and render(e.reason, "ko")
        found = any(e.weight >= SUSPICIOUS for e in evidence)
        assert found == expected, f"{signal.name} on {listing.title!r}: expected {expected}, got {evidence}"
