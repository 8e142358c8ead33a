"""The screener on the labelled eval-dev set must not fall below a floor a little under its measured figures.

Measured with the bundled policy (bench/eval_dev.py): precision 1.000, recall 1.000, every obfuscation tag 1.000,
no hard negative flagged. The floors leave room for honest changes, not for regressions.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema

from klean.domain.files import schema

FLOOR_PRECISION = 0.95
FLOOR_RECALL = 0.95
FLOOR_TAG_RECALL = 0.90
CEILING_HARD_NEGATIVE_FPR = 0.03


def _bench():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[2] / "bench" / "eval_dev.py"
    spec = importlib.util.spec_from_file_location("eval_dev", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_eval_dev_quality_holds(eval_dev_dir: Path, tmp_path: Path) -> None:
    bench = _bench()
    out = tmp_path / "results.jsonl"
    stats = bench.screen_file(eval_dev_dir, out)
    assert stats["skipped"] == 0 and stats["screened"] == 240
    validator = jsonschema.Draft202012Validator(schema("result"))
    for line in out.read_text("utf-8").splitlines():
        validator.validate(json.loads(line))
    m = bench.score(eval_dev_dir, out)
    assert m["precision"] >= FLOOR_PRECISION and m["recall"] >= FLOOR_RECALL, m
    for tag in bench.OBFUSCATION_TAGS:
        if tag in m["tags"]:
            assert m["tags"][tag]["recall"] >= FLOOR_TAG_RECALL, (tag, m["tags"][tag])
    for tag in bench.HARD_NEGATIVE_TAGS:
        if tag in m["tags"]:
            assert m["tags"][tag]["false_positive_rate"] < CEILING_HARD_NEGATIVE_FPR, (tag, m["tags"][tag])
