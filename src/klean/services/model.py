"""Train, evaluate and compare the learned screening layer (signals/learned.py) on labelled outcomes.

Labelled outcomes come from two places:
- labelled sets on disk, laid out like ../shared/data/eval-dev: `registry.json` (registry.schema.json) and
  `listings.jsonl` (listing.schema.json plus `label`: counterfeit | genuine, and optionally `brand_id`);
- the platform's own decisions (`platform_outcomes`): a reviewer removing or allowing a held listing, a test buy
  confirmed fake, a notice upheld, and a successful appeal, which turns a removal back into "genuine".

Features are always computed by the rules alone (the model is never trained on its own output). The model is a
logistic regression (scikit-learn), class-balanced and L2-regularised, so its probability is calibrated on the
data it saw and its coefficients stay small and readable.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from klean.domain.errors import ValidationError
from klean.domain.files import iter_jsonl, listing_from_dict, registry_from_dict
from klean.domain.listing import Listing
from klean.domain.registry import RegistrySnapshot
from klean.domain.screening import ScreeningPolicy
from klean.services.unit_of_work import AbstractUnitOfWork
from klean.signals.learned import FEATURE_NAMES, LinearModel, features
from klean.signals.screener import Screener

COUNTERFEIT, GENUINE = "counterfeit", "genuine"


@dataclass
class LabelledSet:
    """Listings with known outcomes, screened against the registry they were labelled under."""

    name: str
    snapshot: RegistrySnapshot
    listings: list[Listing] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)  # True: counterfeit
    brands: list[str | None] = field(default_factory=list)  # the brand at issue, for leave-one-brand-out
    tags: list[tuple[str, ...]] = field(default_factory=list)


def read_labelled_dir(path: Path) -> LabelledSet:
    """A labelled set on disk (registry.json + listings.jsonl with labels)."""
    registry_file, listings_file = path / "registry.json", path / "listings.jsonl"
    if not registry_file.is_file() or not listings_file.is_file():
        raise ValidationError(f"{path}: a labelled set needs registry.json and listings.jsonl", field="data")
    snapshot = registry_from_dict(json.loads(registry_file.read_text("utf-8")), version=f"file:{path.name}")
    out = LabelledSet(name=path.name, snapshot=snapshot)
    with listings_file.open(encoding="utf-8") as f:
        for line_no, value in iter_jsonl(f):
            if isinstance(value, ValidationError):
                raise ValidationError(f"{listings_file} line {line_no}: {value.message}", field="data")
            label = value.get("label") if isinstance(value, dict) else None
            if label not in (COUNTERFEIT, GENUINE):
                raise ValidationError(f"{listings_file} line {line_no}: label must be counterfeit or genuine",
                                      field="label")
            out.listings.append(listing_from_dict(value, where=f"{listings_file.name} line {line_no}"))
            out.labels.append(label == COUNTERFEIT)
            out.brands.append(value.get("brand_id"))
            out.tags.append(tuple(value.get("tags", ())))
    return out


# Platform events that settle whether a listing was counterfeit (latest wins; an appeal reversal says genuine).
_COUNTERFEIT_EVENTS = ("qa.confirmed_fake",)
_DECISION_EVENTS = ("review.decided", "qa.confirmed_fake", "appeal.reversed", "listing.removed", "listing.allowed")


def platform_outcomes(*, uow: AbstractUnitOfWork, snapshot: RegistrySnapshot) -> LabelledSet:
    """The platform's settled decisions as labelled listings: reviewers' removals and releases of screened
    listings, upheld notices, confirmed test buys, and appeals that reversed a removal (genuine after all)."""
    out = LabelledSet(name="platform", snapshot=snapshot)
    with uow:
        label_of: dict[str, bool] = {}
        order: list[str] = []
        for e in uow.events.of_types(_DECISION_EVENTS):
            listing_id = _listing_of(e)
            if listing_id is None:
                continue
            verdict = _verdict(e)
            if verdict is None:
                continue
            if listing_id not in label_of:
                order.append(listing_id)
            label_of[listing_id] = verdict
        for listing_id in order:
            stored = uow.listings.get(listing_id)
            if stored is None:
                continue
            out.listings.append(stored.listing)
            out.labels.append(label_of[listing_id])
            out.brands.append(stored.brand_ids[0] if stored.brand_ids else None)
            out.tags.append(("platform",))
    return out


def _listing_of(event: Any) -> str | None:
    payload = event.payload or {}
    if event.subject_type == "listing":
        return str(event.subject_id)
    if payload.get("subject_type") == "listing":
        return str(payload.get("subject_id"))
    lid = payload.get("listing_id")
    return str(lid) if lid else None


def _verdict(event: Any) -> bool | None:
    payload = event.payload or {}
    if event.type in _COUNTERFEIT_EVENTS:
        return True
    if event.type == "appeal.reversed":
        return False
    if event.type == "review.decided":
        if payload.get("kind") in ("screening", "notice", "report"):
            decision = str(payload.get("decision", ""))
            if decision in ("remove", "uphold", "upheld", "takedown"):
                return True
            if decision in ("allow", "reject", "rejected", "dismiss"):
                return False
        return None
    cause = str(payload.get("cause", ""))
    if cause.startswith(("review:", "notice", "trusted")):  # a person or an upheld notice acted, not the machine
        return event.type == "listing.removed"
    return None


def rules_policy(policy: ScreeningPolicy) -> ScreeningPolicy:
    """The same policy with the learned layer off: features always come from the rules alone."""
    return replace(policy, model_mode="off", shadow_file="")


def feature_matrix(data: LabelledSet, policy: ScreeningPolicy, today: date | None = None
                   ) -> tuple[list[list[float]], list[float]]:
    """Feature rows and the rules' scores of a labelled set."""
    screener = Screener(data.snapshot, rules_policy(policy), today=today)
    rows: list[list[float]] = []
    rule_scores: list[float] = []
    for listing in data.listings:
        result = screener.screen(listing)
        rows.append(features(result))
        rule_scores.append(result.score)
    return rows, rule_scores


def fit(rows: Sequence[Sequence[float]], labels: Sequence[bool], *, sources: Sequence[str],
        c: float = 1.0) -> LinearModel:
    """A class-balanced, L2-regularised logistic regression over the feature rows."""
    from sklearn.linear_model import LogisticRegression  # training only: scoring needs no scikit-learn

    if len(set(labels)) < 2:
        raise ValidationError("training needs both counterfeit and genuine examples", field="data")
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit([list(r) for r in rows], [int(y) for y in labels])
    coef = tuple(float(v) for v in clf.coef_[0])
    intercept = float(clf.intercept_[0])
    digest = hashlib.sha256(json.dumps([coef, intercept]).encode()).hexdigest()[:10]
    version = f"{datetime.now(UTC):%Y%m%d}-{digest}"
    meta = {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "sources": list(sources),
            "examples": len(labels), "counterfeit": int(sum(labels)), "c": c,
            "algorithm": "scikit-learn LogisticRegression(class_weight=balanced, L2)"}
    return LinearModel(version=version, coef=coef, intercept=intercept, meta=meta)


def train(*, sets: Sequence[LabelledSet], policy: ScreeningPolicy, c: float = 1.0,
          today: date | None = None) -> LinearModel:
    """Train the learned layer on every labelled set given."""
    rows: list[list[float]] = []
    labels: list[bool] = []
    for data in sets:
        r, _ = feature_matrix(data, policy, today)
        rows += r
        labels += data.labels
    return fit(rows, labels, sources=[f"{d.name} ({len(d.labels)})" for d in sets], c=c)


# --- measuring -------------------------------------------------------------------------------------------------

def metrics(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> dict[str, float]:
    """Precision, recall, F1 and false-positive rate at the threshold, and PR-AUC (average precision)."""
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    pos = sum(labels)
    neg = len(labels) - pos
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / pos if pos else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "fpr": round(fp / neg, 3) if neg else 0.0, "pr_auc": round(average_precision(scores, labels), 3),
            "n": len(labels), "tp": tp, "fp": fp}


def average_precision(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Average precision over the ranking by score (ties broken against the positives, like the sets' scorer)."""
    ranked = sorted(zip(scores, labels, strict=True), key=lambda t: (-t[0], t[1]))
    pos = sum(labels)
    if not pos:
        return 1.0
    hits = 0
    total = 0.0
    for i, (_s, y) in enumerate(ranked, 1):
        if y:
            hits += 1
            total += hits / i
    return total / pos


def model_scores(model: LinearModel, rows: Iterable[Sequence[float]], rule_scores: Sequence[float]) -> list[float]:
    """The model's score for each row, as the screener would give it (nothing found stays below review)."""
    out = []
    for x, rule in zip(rows, rule_scores, strict=True):
        p = model.probability(x)
        out.append(min(p, 0.25) if rule == 0.0 else p)
    return out


def evaluate(*, model: LinearModel | None, data: LabelledSet, policy: ScreeningPolicy,
             today: date | None = None) -> dict[str, Any]:
    """The rules' and (if given) the model's figures on a labelled set, at the policy's review threshold."""
    rows, rules = feature_matrix(data, policy, today)
    out: dict[str, Any] = {"set": data.name, "rules": metrics(rules, data.labels, policy.review_threshold)}
    if model is not None:
        out["model"] = metrics(model_scores(model, rows, rules), data.labels, policy.review_threshold)
        out["model_version"] = model.version
    return out


def leave_one_brand_out(*, sets: Sequence[LabelledSet], policy: ScreeningPolicy, c: float = 1.0,
                        today: date | None = None) -> dict[str, Any]:
    """For each brand: train on every other brand's listings, score that brand's. Listings with no brand at issue
    (collisions, harmless vocabulary) are always in training and scored in a fold of their own."""
    rows: list[list[float]] = []
    rules: list[float] = []
    labels: list[bool] = []
    brands: list[str] = []
    for data in sets:
        r, s = feature_matrix(data, policy, today)
        rows += r
        rules += s
        labels += data.labels
        brands += [b or "(none)" for b in data.brands]
    held_out_scores: list[float] = [0.0] * len(labels)
    for brand in sorted(set(brands)):
        train_idx = [i for i, b in enumerate(brands) if b != brand]
        test_idx = [i for i, b in enumerate(brands) if b == brand]
        model = fit([rows[i] for i in train_idx], [labels[i] for i in train_idx], sources=[f"without {brand}"], c=c)
        for i, p in zip(test_idx, model_scores(model, [rows[i] for i in test_idx], [rules[i] for i in test_idx]),
                        strict=True):
            held_out_scores[i] = p
    return {"brands": len(set(brands)), "rules": metrics(rules, labels, policy.review_threshold),
            "model": metrics(held_out_scores, labels, policy.review_threshold)}


def describe(model: LinearModel) -> dict[str, Any]:
    """What `klean model show` prints: version, training data, and each feature's coefficient."""
    return {"version": model.version, **{k: v for k, v in model.meta.items() if k != "metrics"},
            "intercept": round(model.intercept, 4),
            "coefficients": {n: round(c, 4) for n, c in zip(FEATURE_NAMES, model.coef, strict=True)},
            **({"metrics": model.meta["metrics"]} if "metrics" in model.meta else {})}


def per_tag_recall(scores: Sequence[float], data: LabelledSet, threshold: float) -> dict[str, float]:
    by_tag: dict[str, list[bool]] = defaultdict(list)
    for s, y, tags in zip(scores, data.labels, data.tags, strict=True):
        if y:
            for t in tags:
                by_tag[t].append(s >= threshold)
    return {t: round(sum(v) / len(v), 3) for t, v in sorted(by_tag.items())}


SCREENING_EVENTS = ("listing.submitted", "listing.rescanned", "listing.screened")


def shadow_report(*, uow: AbstractUnitOfWork, policy: ScreeningPolicy) -> dict[str, Any]:
    """How the shadow model's recorded scores compare with the decisions taken, over every screening event that
    recorded one; and, where a person later settled the listing, which of the two was right more often."""
    agree = shadow_more = shadow_fewer = 0
    settled_live = settled_shadow = settled = 0
    versions: set[str] = set()
    with uow:
        outcomes: dict[str, bool] = {}
        for e in uow.events.of_types(_DECISION_EVENTS):
            listing_id, verdict = _listing_of(e), _verdict(e)
            if listing_id is not None and verdict is not None:
                outcomes[listing_id] = verdict
        for e in uow.events.of_types(SCREENING_EVENTS):
            shadow = (e.payload or {}).get("shadow")
            if not shadow:
                continue
            versions.add(str(shadow.get("version")))
            live_flag = (e.payload or {}).get("decision") in ("review", "block")
            shadow_flag = float(shadow.get("score", 0.0)) >= policy.review_threshold
            if live_flag == shadow_flag:
                agree += 1
            elif shadow_flag:
                shadow_more += 1
            else:
                shadow_fewer += 1
            truth = outcomes.get(str(e.subject_id))
            if truth is not None:
                settled += 1
                settled_live += live_flag == truth
                settled_shadow += shadow_flag == truth
    n = agree + shadow_more + shadow_fewer
    return {"shadow_versions": sorted(versions), "compared": n, "agree": agree, "shadow_flags_more": shadow_more,
            "shadow_flags_fewer": shadow_fewer, "agreement": round(agree / n, 4) if n else None,
            "settled_by_people": settled, "deciding_right": settled_live, "shadow_right": settled_shadow}


