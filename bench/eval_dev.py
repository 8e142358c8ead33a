"""Screen the eval-dev set and score it: precision, recall, false-positive rate, per-tag recall.

    python bench/eval_dev.py [--dir ../shared/data/eval-dev] [--out results.jsonl] [--lang en]

Builds the screener from the set's registry.json and the bundled policy file, screens scan_input.jsonl
(listing.schema.json), writes one result.schema.json record per listing, then runs the set's own score.py on it.
Rows that do not parse are reported with their line and skipped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from klean.adapters.results import result_record
from klean.domain.errors import ValidationError
from klean.domain.files import iter_jsonl, listing_from_dict, registry_from_dict
from klean.domain.policy_file import read_policy
from klean.domain.screening import ScreeningPolicy
from klean.signals.screener import Screener

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval-dev"


def screen_file(directory: Path, out: Path, lang: str = "en", today: date | None = None) -> dict[str, Any]:
    """Screen scan_input.jsonl into `out`; return counts and timing."""
    snapshot = registry_from_dict(json.loads((directory / "registry.json").read_text("utf-8")), version="eval-dev")
    doc = read_policy()
    screener = Screener(snapshot, ScreeningPolicy.from_section(doc.section("screening"), doc.version), today=today)
    n = bad = 0
    t0 = time.perf_counter()
    with (directory / "scan_input.jsonl").open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as w:
        for line_no, value in iter_jsonl(f):
            try:
                if isinstance(value, ValidationError):
                    raise value
                listing = listing_from_dict(value, where=f"line {line_no}")
            except ValidationError as exc:
                print(f"skipped line {line_no}: {exc}", file=sys.stderr)
                bad += 1
                continue
            w.write(json.dumps(result_record(screener.screen(listing), lang), ensure_ascii=False) + "\n")
            n += 1
    return {"screened": n, "skipped": bad, "seconds": time.perf_counter() - t0}


def score(directory: Path, results: Path) -> dict[str, Any]:
    """Run the set's score.py; print its report and return its metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        metrics_path = Path(tmp) / "metrics.json"
        proc = subprocess.run([sys.executable, str(directory / "score.py"), str(results), "--json", str(metrics_path)],
                              capture_output=True, text=True, check=True)
        print(proc.stdout, end="")
        return json.loads(metrics_path.read_text("utf-8"))  # type: ignore[no-any-return]


OBFUSCATION_TAGS = ("obfuscated-mark", "homoglyph", "spaced", "jamo-variant", "leet", "typo", "fullwidth",
                    "masked", "mixed-script", "brand-initial", "nickname")
HARD_NEGATIVE_TAGS = ("authorized-seller", "compatible-accessory", "legit-discount", "second-hand",
                      "substring-collision", "brand-comparison", "vocab-benign", "negated-vocab", "parallel-import")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--out", type=Path, default=Path("eval-dev-results.jsonl"))
    ap.add_argument("--lang", default="en", choices=["en", "ko"])
    args = ap.parse_args()
    if not (args.dir / "scan_input.jsonl").exists():
        print(f"no eval-dev set at {args.dir}", file=sys.stderr)
        return 2
    stats = screen_file(args.dir, args.out, args.lang)
    print(f"screened {stats['screened']} listings in {stats['seconds']:.2f} s ({stats['skipped']} skipped) -> "
          f"{args.out}\n")
    m = score(args.dir, args.out)
    tags = m["tags"]
    obf = {t: tags[t]["recall"] for t in OBFUSCATION_TAGS if t in tags and tags[t]["recall"] is not None}
    neg = {t: tags[t]["false_positive_rate"] for t in HARD_NEGATIVE_TAGS if t in tags}
    neg_fp = sum(tags[t]["fp"] for t in HARD_NEGATIVE_TAGS if t in tags)
    neg_n = sum(tags[t]["neg"] for t in HARD_NEGATIVE_TAGS if t in tags)
    print(f"\nobfuscation tags, lowest recall: {min(obf.values()):.3f} ({min(obf, key=obf.__getitem__)})")
    print(f"hard negatives: {neg_fp} flagged of {neg_n} listing-tags "
          f"(worst tag FPR {max(neg.values()):.3f})")
    ok = m["precision"] >= 0.95 and m["recall"] >= 0.95 and min(obf.values()) >= 0.90 and max(neg.values()) < 0.03
    print("targets (precision >= 0.95, recall >= 0.95, every obfuscation tag >= 0.90, hard negatives < 3%): "
          + ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
