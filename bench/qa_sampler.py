"""How much better than chance do risk-weighted test buys find fakes? And how fast is the sampler?

    python bench/qa_sampler.py [--dir ../shared/data/eval-dev] [--seeds 200] [--count 30]

Screens the eval-dev listings with the bundled policy, turns each into a sampler candidate (screening score,
seller strikes and account age from the set's registry, brand from the screening evidence), then samples
`--seeds` periods of `--count` test buys each with the bundled [qa] policy and treats the set's labels as the
inspectors' verdicts: a counterfeit label is a hit. Prints the hit rate of risk-weighted picks, of random
controls (the base rate the controls estimate), by risk band, and the time to sample 100,000 candidates.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from klean.domain.files import listing_from_dict, registry_from_dict
from klean.domain.policy_file import read_policy
from klean.domain.qa import Budget, Candidate, QaPolicy, sample
from klean.domain.screening import ScreeningPolicy
from klean.signals.screener import Screener

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval-dev"


def candidates(directory: Path) -> tuple[list[Candidate], dict[str, bool]]:
    snapshot = registry_from_dict(json.loads((directory / "registry.json").read_text("utf-8")), version="eval-dev")
    doc = read_policy()
    screener = Screener(snapshot, ScreeningPolicy.from_section(doc.section("screening"), doc.version))
    out, fake = [], {}
    for line in (directory / "listings.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        fake[row["id"]] = row["label"] == "counterfeit"
        listing = listing_from_dict({k: v for k, v in row.items() if k not in ("label", "brand_id", "tags")})
        result = screener.screen(listing)
        brands = [e.brand_id for e in result.evidence if e.brand_id]
        seller = snapshot.sellers.get(listing.seller_id)
        out.append(Candidate(listing_id=listing.id, seller_id=listing.seller_id, price=listing.price.amount,
                             currency=listing.price.currency, brand_id=brands[0] if brands else None,
                             category=listing.category, screening_score=result.score,
                             seller_strikes=seller.strikes if seller else 0,
                             seller_account_age_days=seller.account_age_days if seller else None))
    return out, fake


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--count", type=int, default=30)
    args = ap.parse_args()
    doc = read_policy()
    policy = QaPolicy.from_section(doc.section("qa"), doc.version)
    cands, fake = candidates(args.dir)
    money = sum((c.price for c in cands), Decimal(0))  # money is not the constraint here: count is
    budget = Budget(args.count, money, "KRW")
    picks: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for seed in range(args.seeds):
        for p in sample(cands, policy=policy, budget=budget, seed=seed).picks:
            for key in (p.method.value, f"{p.method.value}/{p.band}"):
                picks[key] += 1
                hits[key] += fake[p.listing_id]
    base = sum(fake.values()) / len(fake)
    print(f"{len(cands)} listings, {sum(fake.values())} counterfeit (base rate {base:.1%}); "
          f"{args.seeds} periods x {args.count} test buys, random share {policy.random_share:.0%}")
    for key in sorted(picks):
        print(f"  {key:<14} picks {picks[key]:>6}  hit rate {hits[key] / picks[key]:.1%}")
    if picks["random"] and hits["random"]:
        lift = (hits["risk"] / picks["risk"]) / (hits["random"] / picks["random"])
        print(f"  lift of risk-weighted picks over random controls: {lift:.2f}x")

    rng = random.Random(1)
    big = [Candidate(listing_id=f"L{i:06d}", seller_id=f"S{i % 5000}", price=Decimal(rng.randint(5_000, 900_000)),
                     currency="KRW", screening_score=rng.random(), seller_strikes=rng.choice((0, 0, 0, 1, 2)),
                     report_count=rng.choice((0, 0, 0, 0, 1, 3))) for i in range(100_000)]
    t0 = time.perf_counter()
    s = sample(big, policy=policy, budget=Budget(200, Decimal(30_000_000), "KRW"), seed=7)
    print(f"sampling 200 of 100,000 candidates: {time.perf_counter() - t0:.2f} s ({len(s.picks)} picks, "
          f"cost {s.cost:,} KRW)")


if __name__ == "__main__":
    main()
