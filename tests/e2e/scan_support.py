"""Test-only stand-ins for the screening engine: a real (small) Signal and a screener combining signals.

The scan engines take any object with .screen(listing) -> ScreeningResult; these let the engine tests
run on their own, with a registry that reads like a story.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

from klean.domain.files import registry_from_dict
from klean.domain.listing import Listing, Money
from klean.domain.messages import msg
from klean.domain.registry import RegistrySnapshot
from klean.domain.screening import (
    Decision,
    Evidence,
    ScreeningContext,
    ScreeningPolicy,
    ScreeningResult,
)

REGISTRY = {
    "brands": [
        {"id": "gucci", "name": "Gucci", "marks": ["Gucci", "구찌", "古驰"],
         "products": [{"name": "GG Marmont bag", "reference_price": {"amount": 2950000, "currency": "KRW"}}],
         "authorized_sellers": ["gucci-official"]},
        {"id": "nike", "name": "Nike", "marks": ["Nike", "나이키", "耐克"],
         "products": [{"name": "Air Jordan 1", "reference_price": {"amount": 209000, "currency": "KRW"}}]},
        {"id": "chanel", "name": "Chanel", "marks": ["Chanel", "샤넬", "香奈儿"]},
    ]
}


class ReplicaWordSignal:
    """Flags counterfeit vocabulary ("replica", "mirror quality", "정품급", "高仿") and names the brand mentioned."""

    name: ClassVar[str] = "counterfeit_vocabulary"
    WORDS = re.compile(r"replica|mirror quality|1:1|정품급|미러급|高仿|复刻", re.IGNORECASE)

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        text = listing.text
        hit = self.WORDS.search(text)
        if hit is None:
            return ()
        folded = text.casefold()
        brand = next((b.id for b in ctx.snapshot.brands if any(m.casefold() in folded for m in b.marks)), None)
        return (Evidence(self.name, 0.8 if brand else 0.5, brand, hit.span(),
                         msg("Counterfeit vocabulary: {word}", word=hit.group(0))),)

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return ((Listing("x1", "Gucci replica bag", Money.of(90000, "KRW"), "s1"), True),
                (Listing("x2", "Gucci Marmont, receipt included", Money.of(2400000, "KRW"), "s2"), False))


@dataclass
class WordScreener:
    """Sums evidence the usual way (1 - prod(1 - w)) and applies the policy thresholds."""

    snapshot: RegistrySnapshot
    policy: ScreeningPolicy

    def __post_init__(self) -> None:
        self.ctx = ScreeningContext(snapshot=self.snapshot, today=date(2026, 11, 24))
        self.signals = [ReplicaWordSignal()]

    def screen(self, listing: Listing) -> ScreeningResult:
        if listing.title == "CRASH THE SCREENER":
            raise RuntimeError("the screener failed on purpose")
        evidence = tuple(e for s in self.signals for e in s.evaluate(listing, self.ctx))
        rest = 1.0
        for e in evidence:
            rest *= 1.0 - max(e.weight, 0.0)
        score = round(1.0 - rest, 6)
        decision = (Decision.BLOCK if score >= self.policy.block_threshold else
                    Decision.REVIEW if score >= self.policy.review_threshold else Decision.ALLOW)
        return ScreeningResult(listing.id, score, decision, evidence, self.policy.version)


def word_screener() -> WordScreener:
    return WordScreener(registry_from_dict(REGISTRY, version="test-1"),
                        ScreeningPolicy(version="test-policy", review_threshold=0.4, block_threshold=0.75))


BAD_LINES_CLI = {
    7: '{"id": "L0000007", "title": "Nike Dunk Low", "price": 99000, "currency": "KRW"',
    31: '{"id": "L0000031", "title": "Rolex Submariner", "price": 150, "currency": "dollars", "seller_id": "s4"}',
}

TITLES = [
    ("Gucci GG Marmont small shoulder bag, receipt included", 2400000, "KRW"),
    ("구찌 마몬트 정품급 미러급 가방 최저가", 89000, "KRW"),
    ("샤넬 클래식 플랩 정품급 미러급", 390000, "KRW"),
    ("Nike Air Jordan 1 Retro High OG size 270", 219000, "KRW"),
    ("나이키 에어조던 1 레트로 하이 새상품", 199000, "KRW"),
    ("耐克 AJ1 高仿 莆田 纯原", 180, "CNY"),
    ("Chanel Classic Flap replica 1:1 mirror quality", 150, "USD"),
    ("샤넬 클래식 플랩백 중고", 9800000, "KRW"),
    ("Handmade leather wallet, no brand", 35000, "KRW"),
    ("香奈儿 经典口盖包 复刻", 899, "CNY"),
    ("Vintage denim jacket", 45000, "KRW"),
]


def write_catalog(path: Path, n: int, *, seed: int = 7, bad: dict[int, str] | None = None) -> list[dict]:
    """n listings as JSONL; `bad` replaces line numbers (1-based) with the given raw text."""
    rng = random.Random(seed)
    rows = []
    with path.open("w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            if bad and i in bad:
                f.write(bad[i] + "\n")
                continue
            title, price, cur = TITLES[rng.randrange(len(TITLES))]
            row = {"id": f"L{i:07d}", "title": title, "description": "", "price": price, "currency": cur,
                   "seller_id": f"s{rng.randrange(500)}", "condition": rng.choice(["new", "used"])}
            rows.append(row)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows
