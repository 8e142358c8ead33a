"""Screening: independent signals give evidence; a policy turns evidence into a score and decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from klean.domain.listing import Listing
from klean.domain.messages import Message
from klean.domain.registry import RegistrySnapshot


class Decision(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason to suspect (weight > 0) or to trust (weight < 0) a listing.

    weight is on one scale for all signals: the probability-like strength in (-1, 1) that this
    evidence alone shows a counterfeit; negative weights are exculpatory.
    """

    signal: str
    weight: float
    brand_id: str | None
    span: tuple[int, int] | None
    reason: Message


@dataclass
class ScreeningContext:
    """Built once from a registry snapshot; shared read-only by every call and every worker.

    `indexes` holds what each signal compiled for itself (matchers, price tables, hash indexes),
    keyed by signal name. Picklable, so Spark can broadcast it.
    """

    snapshot: RegistrySnapshot
    today: date
    indexes: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Signal(Protocol):
    name: ClassVar[str]

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]: ...

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]: ...


@dataclass(frozen=True)
class ScreeningPolicy:
    """Thresholds and per-signal weight multipliers, from the versioned policy file."""

    version: str
    review_threshold: float
    block_threshold: float
    signal_weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScreeningResult:
    listing_id: str
    score: float
    decision: Decision
    evidence: tuple[Evidence, ...]
    policy_version: str

    @property
    def flagged(self) -> bool:
        return self.decision is not Decision.ALLOW
