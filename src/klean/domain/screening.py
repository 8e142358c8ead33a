"""Screening: independent signals give evidence; a policy turns evidence into a score and decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from klean.domain.errors import ValidationError
from klean.domain.listing import Listing
from klean.domain.messages import Message, msg
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
    code: str = ""  # what kind of evidence within the signal (disguise:typo, nickname, scheme, near_story ...)


@dataclass
class ScreeningContext:
    """Built once from a registry snapshot; shared read-only by every call and every worker.

    `indexes` holds what each signal compiled for itself (matchers, price tables, hash indexes),
    keyed by signal name. Picklable, so Spark can broadcast it.
    """

    snapshot: RegistrySnapshot
    today: date
    indexes: dict[str, Any] = field(default_factory=dict)
    # Each signal's weights and limits from policy [screening.<signal>], over the signal's `defaults`.
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)


@runtime_checkable
class Signal(Protocol):
    name: ClassVar[str]

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]: ...

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]: ...


MODEL_MODES = ("live", "shadow", "off")


@dataclass(frozen=True)
class ScreeningPolicy:
    """Thresholds and per-signal weight multipliers, from the versioned policy file."""

    version: str
    review_threshold: float
    block_threshold: float
    signal_weights: Mapping[str, float] = field(default_factory=dict)
    model_mode: str = "off"  # live | shadow | off: whether the learned layer decides (see signals/learned.py)
    model_file: str = "default"  # "default" (the shipped model) or a path written by `klean model train`
    shadow_file: str = ""  # a candidate model run beside the deciding one, recorded but never deciding
    signal_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # [screening.<signal>] tables

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str) -> ScreeningPolicy:
        """Validate the [screening] section of the policy file."""
        def number(key: str, default: float) -> float:
            value = section.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                raise ValidationError(f"[screening] {key} must be a number in [0, 1], got {value!r}",
                                      field=f"screening.{key}")
            return float(value)

        review = number("review_threshold", 0.5)
        block = number("block_threshold", 0.8)
        if block < review:
            raise ValidationError("[screening] block_threshold must be >= review_threshold",
                                  field="screening.block_threshold")
        weights = section.get("signal_weights", {})
        if not isinstance(weights, Mapping):
            raise ValidationError("[screening] signal_weights must be a table", field="screening.signal_weights")
        clean: dict[str, float] = {}
        for name, w in weights.items():
            if isinstance(w, bool) or not isinstance(w, int | float) or not 0.0 <= float(w) <= 2.0:
                raise ValidationError(f"[screening.signal_weights] {name} must be a number in [0, 2], got {w!r}",
                                      field=f"screening.signal_weights.{name}")
            clean[str(name)] = float(w)
        model = section.get("model", {})
        if not isinstance(model, Mapping):
            raise ValidationError("[screening.model] must be a table", field="screening.model")
        mode = model.get("mode", "off")
        if mode not in MODEL_MODES:
            raise ValidationError(f"[screening.model] mode must be one of {', '.join(MODEL_MODES)}, got {mode!r}",
                                  field="screening.model.mode")
        file = model.get("file", "default")
        if not isinstance(file, str) or not file:
            raise ValidationError("[screening.model] file must be \"default\" or a path", field="screening.model.file")
        shadow = model.get("shadow", "")
        if not isinstance(shadow, str):
            raise ValidationError("[screening.model] shadow must be a path", field="screening.model.shadow")
        settings = {str(k): dict(v) for k, v in section.items()
                    if isinstance(v, Mapping) and k not in ("signal_weights", "model")}
        return ScreeningPolicy(version=version, review_threshold=review, block_threshold=block,
                               signal_weights=clean, model_mode=mode, model_file=file, shadow_file=shadow,
                               signal_settings=settings)

    def settings_for(self, signal: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """The signal's defaults overridden by its [screening.<signal>] table; unknown keys and values of the wrong
        shape are refused with the key named, so a typo in the policy file cannot silently keep a default."""
        given = self.signal_settings.get(signal, {})
        out = dict(defaults)
        for key, value in given.items():
            where = f"screening.{signal}.{key}"
            if key not in defaults:
                raise ValidationError(f"[screening.{signal}] has no setting {key!r} (known: {', '.join(defaults)})",
                                      field=where)
            out[key] = _like(defaults[key], value, where)
        return out


@dataclass(frozen=True)
class ScreeningResult:
    listing_id: str
    score: float
    decision: Decision
    evidence: tuple[Evidence, ...]
    policy_version: str
    # Set when the learned layer decided: the rules' own score, the model's version and each signal's share of
    # the model's log-odds (the explanation of the score). shadow: (model version, score) of a model that ran
    # beside the deciding one without deciding.
    rule_score: float | None = None
    model_version: str = ""
    contributions: tuple[tuple[str, float], ...] = ()
    shadow: tuple[str, float] | None = None

    @property
    def flagged(self) -> bool:
        return self.decision is not Decision.ALLOW

    def model_info(self) -> dict[str, Any]:
        """The learned layer's part, as recorded with each decision and written into result records: the model that
        decided, the rules' own score and each signal's share of the model's log-odds; or a shadow model's score."""
        out: dict[str, Any] = {}
        if self.model_version:
            out["model"] = {"version": self.model_version, "rule_score": self.rule_score,
                            "contributions": [{"signal": s, "log_odds": v} for s, v in self.contributions]}
        if self.shadow is not None:
            out["shadow"] = {"version": self.shadow[0], "score": self.shadow[1]}
        return out


def _like(default: Any, value: Any, where: str) -> Any:
    """`value` checked to have the shape of `default`: a number in [-1, 100], or a list of such (nested alike)."""
    if isinstance(default, bool) or isinstance(value, bool):
        raise ValidationError(f"[{where}] must be a number or a list of numbers", field=where)
    if isinstance(default, int | float):
        if not isinstance(value, int | float) or not -1.0 <= float(value) <= 100.0:
            raise ValidationError(f"[{where}] must be a number in [-1, 100], got {value!r}", field=where)
        return float(value) if isinstance(default, float) else value
    if isinstance(default, tuple | list):
        if not isinstance(value, list | tuple) or not value:
            raise ValidationError(f"[{where}] must be a non-empty list", field=where)
        inner = default[0] if default else 0.0
        return tuple(_like(inner, v, where) for v in value)
    if isinstance(default, Mapping):
        if not isinstance(value, Mapping):
            raise ValidationError(f"[{where}] must be a table", field=where)
        unknown = set(value) - set(default)
        if unknown:
            raise ValidationError(f"[{where}] has no setting {sorted(unknown)[0]!r}", field=where)
        return {**default, **{k: _like(default[k], v, f"{where}.{k}") for k, v in value.items()}}
    raise ValidationError(f"[{where}] cannot be set in the policy file", field=where)


def combine(evidence: Sequence[Evidence], policy: ScreeningPolicy) -> float:
    """Evidence -> score in [0, 1].

    Positive weights combine by noisy-OR (independent reasons to suspect: 1 - prod(1 - w)); each negative
    (exculpatory) weight then scales the result by (1 + w), so an authorised seller (-0.9) keeps a tenth.
    Each weight is first multiplied by its signal's factor from the policy file and clipped to (-1, 1).
    """
    keep = 1.0
    discount = 1.0
    for e in evidence:
        w = e.weight * policy.signal_weights.get(e.signal, 1.0)
        w = w if w < 0.99 else 0.99  # max(-0.99, min(0.99, w)) without two calls per evidence
        w = w if w > -0.99 else -0.99
        if w > 0:
            keep *= 1.0 - w
        elif w < 0:
            discount *= 1.0 + w
    return round(max(0.0, min(1.0, (1.0 - keep) * discount)), 4)


def decide(score: float, policy: ScreeningPolicy) -> Decision:
    if score >= policy.block_threshold:
        return Decision.BLOCK
    if score >= policy.review_threshold:
        return Decision.REVIEW
    return Decision.ALLOW


# Characters of `title + "\n" + description` that are screened; the rest is ignored, and the result says so. Some
# text analyses cost more than linearly in the length of pathological text (thousands of masked or repeated
# marks), so an unbounded description would let one request hold a worker for seconds. Real listings are shorter.
SCREENED_TEXT_LIMIT = 20_000


def screened_part(listing: Listing) -> tuple[Listing, int]:
    """The listing as screened (its text cut at SCREENED_TEXT_LIMIT characters) and how many characters were cut."""
    title, description = listing.title, listing.description
    if len(title) + len(description) < SCREENED_TEXT_LIMIT:  # title + "\n" + description fits
        return listing, 0
    title = title[:SCREENED_TEXT_LIMIT]
    keep = max(0, SCREENED_TEXT_LIMIT - len(title) - 1)
    cut = len(listing.title) - len(title) + len(description) - keep
    return replace(listing, title=title, description=description[:keep]), cut


def screen(listing: Listing, signals: Sequence[Signal], ctx: ScreeningContext,
           policy: ScreeningPolicy) -> ScreeningResult:
    """Run every signal over the listing (its first SCREENED_TEXT_LIMIT characters), combine, and decide."""
    evidence: list[Evidence] = []
    listing, ignored = screened_part(listing)
    for signal in signals:
        evidence.extend(signal.evaluate(listing, ctx))
    if ignored:  # a note, not a reason: weight 0
        evidence.append(Evidence("text_limit", 0.0, None, None, msg(
            "Only the first {limit} characters of the text were screened; the remaining {ignored} were ignored",
            limit=f"{SCREENED_TEXT_LIMIT:,}", ignored=f"{ignored:,}")))
    if len(evidence) > 1:
        weights = policy.signal_weights
        evidence.sort(key=lambda e: -abs(e.weight * weights.get(e.signal, 1.0)))
    score = combine(evidence, policy)
    return ScreeningResult(listing_id=listing.id, score=score, decision=decide(score, policy),
                           evidence=tuple(evidence), policy_version=policy.version)
