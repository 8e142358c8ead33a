"""The learned layer: features from evidence, a calibrated score with per-signal contributions, live/shadow/off."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from klean.domain.errors import ValidationError
from klean.domain.screening import Decision, ScreeningPolicy
from klean.services.model import fit, metrics
from klean.signals.examples import example_registry, listing
from klean.signals.learned import FEATURE_NAMES, LinearModel, apply_model, features, load_model
from klean.signals.screener import Screener

TODAY = date(2026, 11, 24)
RULES = ScreeningPolicy(version="test", review_threshold=0.5, block_threshold=0.8)
FAKE = listing("샤넬 클래식 플랩 레플리카 미러급", 390000)
HONEST = listing("Galaxy Watch6 40mm", 299000, seller="samsung_official")


def rules_screener() -> Screener:
    return Screener(example_registry(), RULES, today=TODAY)


def test_features_come_from_the_evidence_codes_of_each_signal() -> None:
    result = rules_screener().screen(FAKE)
    x = dict(zip(FEATURE_NAMES, features(result), strict=True))
    assert x["vocabulary"] >= 0.9 and x["price_gap"] > 0.5 and x["seller_authorised"] == 0.0
    honest = dict(zip(FEATURE_NAMES, features(rules_screener().screen(HONEST)), strict=True))
    assert honest["seller_authorised"] == pytest.approx(0.9) and honest["vocabulary"] == 0.0


def test_live_model_decides_and_every_decision_keeps_each_signals_contribution() -> None:
    model = load_model("default")
    live = replace(RULES, model_mode="live")
    result = apply_model(rules_screener().screen(FAKE), live, model)
    assert result.model_version == model.version and result.rule_score is not None
    assert result.decision is not Decision.ALLOW
    signals = {s for s, _v in result.contributions}
    assert {"counterfeit_vocabulary", "price"} <= signals
    # the contributions are the model's log-odds, signal by signal: they add up to the score
    z = model.intercept + sum(v for _s, v in result.contributions)
    assert 1 / (1 + pow(2.718281828, -z)) == pytest.approx(result.score, abs=0.01)
    assert result.model_info()["model"]["contributions"][0]["signal"] in signals


def test_shadow_model_is_recorded_but_the_rules_decide() -> None:
    model = load_model("default")
    rules = rules_screener().screen(FAKE)
    shadowed = apply_model(rules, replace(RULES, model_mode="shadow"), model)
    assert (shadowed.score, shadowed.decision) == (rules.score, rules.decision)
    assert shadowed.shadow is not None and shadowed.shadow[0] == model.version
    assert shadowed.model_info() == {"shadow": {"version": model.version, "score": shadowed.shadow[1]}}
    assert apply_model(rules, RULES, model) == rules  # off


def test_nothing_found_is_never_flagged_by_the_model() -> None:
    plain = listing("Plain canvas tote bag, no brand", 9900)
    result = apply_model(rules_screener().screen(plain), replace(RULES, model_mode="live"), load_model("default"))
    assert not result.evidence and result.decision is Decision.ALLOW


def test_policy_turns_the_model_on_off_or_shadow_and_refuses_nonsense() -> None:
    section = {"review_threshold": 0.5, "block_threshold": 0.8, "model": {"mode": "live", "file": "default"}}
    assert ScreeningPolicy.from_section(section, "v").model_mode == "live"
    with pytest.raises(ValidationError, match="mode"):
        ScreeningPolicy.from_section({**section, "model": {"mode": "sometimes"}}, "v")
    screener = Screener(example_registry(), ScreeningPolicy.from_section(section, "v"), today=TODAY)
    assert screener.screen(FAKE).model_version == load_model("default").version


def test_a_model_file_round_trips_and_a_foreign_file_is_refused(tmp_path: Path) -> None:
    model = load_model("default")
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model.to_json()), "utf-8")
    assert load_model(str(path)).coef == model.coef
    path.write_text(json.dumps({**model.to_json(), "features": ["a", "b"]}), "utf-8")
    with pytest.raises(ValueError, match="retrain"):
        load_model(str(path))
    path.write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        load_model(str(path))


def test_fit_learns_which_evidence_separates_fakes_and_reports_figures() -> None:
    screener = rules_screener()
    fakes = [listing(t, p) for t, p in (("Chanel Classic Flap replica", 390000), ("N1KE Air Force 1", 35000),
                                        ("샤넬 클래식 플랩 정품급 미러급", 390000),
                                        ("Galaxy Watch6 40mm 새상품", 30000))]
    honest = [listing(t, p, seller=s) for t, p, s in (("Galaxy Watch6 40mm", 299000, "samsung_official"),
                                                      ("AAA batteries, 24-pack", 9900, "dream_outlet"),
                                                      ("Case for Samsung Galaxy S24 Ultra", 6900, "case_shop"),
                                                      ("Plain canvas tote bag", 9900, "dream_outlet"))]
    rows = [features(screener.screen(x)) for x in fakes + honest]
    labels = [True] * len(fakes) + [False] * len(honest)
    model = fit(rows, labels, sources=["stories"])
    assert isinstance(model, LinearModel) and model.meta["examples"] == 8
    scores = [model.probability(r) for r in rows]
    assert metrics(scores, labels, 0.5)["pr_auc"] == 1.0
    with pytest.raises(ValidationError):
        fit(rows[:4], labels[:4], sources=["only fakes"])


def test_signal_weights_live_in_the_policy_file_and_a_typo_there_is_refused() -> None:
    from klean.domain.policy_file import read_policy

    doc = read_policy()
    section = doc.section("screening")
    shipped = ScreeningPolicy.from_section(section, doc.version)
    from klean.signals.price import PriceAnomaly

    assert shipped.settings_for("price", {**PriceAnomaly.defaults, "used_floor": 0.5})["used_floor"] == 0.2
    lenient = ScreeningPolicy.from_section({**section, "price": {**section["price"], "bands": [[0.05, 0.5]]}}, "v")
    cheap = listing("Galaxy Watch6 40mm 새상품", 30000)  # 10% of the reference
    default_price = [e for e in Screener(example_registry(), shipped, today=TODAY).screen(cheap).evidence
                     if e.signal == "price"]
    assert default_price and default_price[0].weight == pytest.approx(0.85)
    assert not [e for e in Screener(example_registry(), lenient, today=TODAY).screen(cheap).evidence
                if e.signal == "price"]
    with pytest.raises(ValidationError, match=r"screening\.price"):
        Screener(example_registry(), ScreeningPolicy.from_section({**section, "price": {"used_flor": 0.3}}, "v"))
    with pytest.raises(ValidationError, match="number"):
        Screener(example_registry(), ScreeningPolicy.from_section({**section, "seller": {"strike": "high"}}, "v"))
