"""The learned layer: a calibrated linear model over the signals' evidence, explained per signal.

The signals stay rule-shaped and explainable; this model only re-weighs what they found. Each screening's
evidence becomes a short feature vector (the strongest disguise, nickname or design cue, price gap, sales story,
counterfeit word, seller risk, exculpatory facts ..., and the rules' own score), and a logistic regression trained
on labelled outcomes turns it into a probability. Because the model is linear in log-odds, every decision keeps
its explanation: the contribution of each signal is the sum of its features' coefficient times value.

The model is a JSON file (format `klean-linear-model/1`) with a version; the policy file says whether it decides
(`live`), only runs beside the rules for comparison (`shadow`), or is `off`. Training lives in services (it needs
scikit-learn); scoring here is plain Python, a few microseconds per listing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from klean.domain.screening import Evidence, ScreeningPolicy, ScreeningResult, decide

FORMAT = "klean-linear-model/1"
DECISIVE_SIGNALS = frozenset({"insignia"})

# Feature name -> the signal it belongs to (contributions are summed per signal).
FEATURES: tuple[tuple[str, str], ...] = (
    ("mark_disguised", "brand_mention"),  # strongest disguised mark (typo, leet, spaced, mixed script ...)
    ("brand_allusion", "brand_mention"),  # strongest nickname, design cue, initial, model named without brand
    ("brand_exculpatory", "brand_mention"),  # fits / compatible / no logo / licensed (magnitude)
    ("vocabulary", "counterfeit_vocabulary"),  # strongest counterfeit word
    ("sales_story", "counterfeit_vocabulary"),  # noisy-OR of sales stories
    ("price_gap", "price"),  # strongest price evidence
    ("near_price_story", "price"),  # near the real price with a sales story
    ("seller_risk", "seller"),  # noisy-OR of strikes, new account, no authorisation
    ("seller_authorised", "seller"),  # the brand authorised the seller (magnitude)
    ("image", "images"),  # strongest image or logo match
    ("rule_score", "rules"),  # the rules' own combined score, as log-odds
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)
_IMAGE_SIGNALS = frozenset({"official_image_reuse", "known_fake_image", "logo"})
_ALLUSION_CODES = frozenset({"nickname", "cue", "initial", "model", "material"})


def _noisy_or(values: Sequence[float]) -> float:
    keep = 1.0
    for v in values:
        keep *= 1.0 - min(0.99, v)
    return 1.0 - keep


def _logit(p: float) -> float:
    p = min(0.999, max(0.001, p))
    return math.log(p / (1.0 - p))


def features(result: ScreeningResult) -> list[float]:
    """The feature vector of one screening result, in FEATURE_NAMES order."""
    disguise = allusion = excul = vocab = price = near = image = authorised = 0.0
    stories: list[float] = []
    risks: list[float] = []
    for e in result.evidence:
        w, sig, code = e.weight, e.signal, e.code
        if sig == "brand_mention":
            if w < 0:
                excul = max(excul, -w)
            elif code.startswith("disguise"):
                disguise = max(disguise, w)
            elif code in _ALLUSION_CODES:
                allusion = max(allusion, w)
        elif sig == "counterfeit_vocabulary":
            if code == "scheme":
                stories.append(w)
            else:
                vocab = max(vocab, w)
        elif sig == "price":
            if code == "near_story":
                near = max(near, w)
            else:
                price = max(price, w)
        elif sig == "seller":
            if w < 0:
                authorised = max(authorised, -w)
            else:
                risks.append(w)
        elif sig in _IMAGE_SIGNALS:
            image = max(image, w)
    rule = result.rule_score if result.rule_score is not None else result.score
    return [disguise, allusion, excul, vocab, _noisy_or(stories), price, near, _noisy_or(risks), authorised, image,
            _logit(rule)]


@dataclass(frozen=True)
class LinearModel:
    version: str
    coef: tuple[float, ...]
    intercept: float
    feature_names: tuple[str, ...] = FEATURE_NAMES
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.feature_names != FEATURE_NAMES:
            raise ValueError(f"model {self.version}: features {list(self.feature_names)} are not this Klean's "
                             f"{list(FEATURE_NAMES)}; retrain it with `klean model train`")
        if len(self.coef) != len(FEATURE_NAMES):
            raise ValueError(f"model {self.version}: {len(self.coef)} coefficients for {len(FEATURE_NAMES)} features")

    def probability(self, x: Sequence[float]) -> float:
        z = self.intercept
        for c, v in zip(self.coef, x, strict=True):
            z += c * v
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def contributions(self, x: Sequence[float]) -> tuple[tuple[str, float], ...]:
        """Log-odds each signal adds to the intercept, strongest first (features of one signal summed)."""
        per: dict[str, float] = {}
        for (_name, signal), c, v in zip(FEATURES, self.coef, x, strict=True):
            if v:
                per[signal] = per.get(signal, 0.0) + c * v
        return tuple(sorted(((s, round(v, 3)) for s, v in per.items() if v), key=lambda kv: -abs(kv[1])))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": self.version, "features": list(self.feature_names),
                "coef": [round(c, 6) for c in self.coef], "intercept": round(self.intercept, 6), **self.meta}

    @staticmethod
    def from_json(doc: dict[str, Any]) -> LinearModel:
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a Klean screening model (format {doc.get('format')!r}, expected {FORMAT!r})")
        meta = {k: v for k, v in doc.items() if k not in ("format", "version", "features", "coef", "intercept")}
        return LinearModel(version=str(doc["version"]), coef=tuple(float(c) for c in doc["coef"]),
                           intercept=float(doc["intercept"]), feature_names=tuple(doc["features"]), meta=meta)


DEFAULT_MODEL = "default"


@cache
def _shipped() -> LinearModel:
    text = resources.files("klean.signals").joinpath("data", "model", "screening-model.json").read_text("utf-8")
    return LinearModel.from_json(json.loads(text))


def load_model(where: str) -> LinearModel:
    """The shipped default model (`default`) or a model file written by `klean model train`."""
    if where in ("", DEFAULT_MODEL):
        return _shipped()
    try:
        doc = json.loads(Path(where).read_text("utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read model file {where}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"model file {where} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    return LinearModel.from_json(doc)


def apply_model(result: ScreeningResult, policy: ScreeningPolicy, model: LinearModel | None,
                shadow: LinearModel | None = None) -> ScreeningResult:
    """Live: the model's probability is the score and decides; the rules' score is kept beside it. Shadow: the rules
    (or the live model) decide and the shadow model's score is recorded for comparison. Off: the rules' result."""
    x: list[float] | None = None
    if model is not None and policy.model_mode == "shadow":
        shadow, model = model, None
    if shadow is not None:
        x = features(result)
        result = replace(result, shadow=(shadow.version, round(shadow.probability(x), 4)))
    if model is None or policy.model_mode != "live":
        return result
    x = x or features(result)
    p = round(model.probability(x), 4)
    # Rules the policy makes decisive (an official insignia is blocked whatever else is found) hold under the model.
    p = max(p, max((e.weight for e in result.evidence if e.signal in DECISIVE_SIGNALS), default=0.0))
    if not result.evidence:
        p = min(p, round(policy.review_threshold / 2, 4))  # nothing found: the model never invents a reason
    return replace(result, score=p, decision=decide(p, policy), rule_score=result.score,
                   model_version=model.version, contributions=model.contributions(x))


def evidence_codes(evidence: Sequence[Evidence]) -> list[str]:
    return [f"{e.signal}:{e.code}" for e in evidence]
