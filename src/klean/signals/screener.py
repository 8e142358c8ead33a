"""The Screener facade: a registry snapshot and a policy in, `.screen(listing) -> ScreeningResult` out.

The signals give evidence, the policy's combination gives the rules' score, and the learned layer, when the
policy turns it on, re-weighs the evidence (signals/learned.py).

Built once (the context compiles the registry); picklable, so scan workers and Spark executors receive it whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from klean.domain.listing import Listing
from klean.domain.registry import RegistrySnapshot
from klean.domain.screening import ScreeningPolicy, ScreeningResult, Signal, screen
from klean.signals.context import build_context
from klean.signals.learned import LinearModel, apply_model, load_model
from klean.signals.registry import check_names, default_signals


class Screener:
    def __init__(self, snapshot: RegistrySnapshot, policy: ScreeningPolicy, today: date | None = None,
                 signals: Sequence[Signal] | None = None) -> None:
        self.snapshot = snapshot
        self.policy = policy
        self.signals = list(signals) if signals is not None else default_signals()
        check_names(self.signals)
        self.context = build_context(snapshot, today)
        self.context.settings = {sig.name: policy.settings_for(sig.name, getattr(sig, "defaults", {}))
                                 for sig in self.signals}
        # The learned layer (policy [screening.model]): loaded once, applied after the signals.
        self.model: LinearModel | None = load_model(policy.model_file) if policy.model_mode != "off" else None
        self.shadow: LinearModel | None = load_model(policy.shadow_file) if policy.shadow_file else None

    @property
    def registry_version(self) -> str:
        return self.snapshot.version

    def screen(self, listing: Listing) -> ScreeningResult:
        result = screen(listing, self.signals, self.context, self.policy)
        if self.model is None and self.shadow is None:
            return result
        return apply_model(result, self.policy, self.model, self.shadow)

    def screen_many(self, listings: Iterable[Listing]) -> Iterator[ScreeningResult]:
        for listing in listings:
            yield self.screen(listing)
