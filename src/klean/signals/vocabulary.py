"""Counterfeit vocabulary: replica, r3plica, 1:1, AAA, mirror quality, 정품급, 미러급, 레플, 高仿, 原单, 一比一, A货.

The lexicon lives in data/<lang>/vocabulary.tsv with weights; harmless phrases ("AAA battery",
"museum replica", "mirror lens", "高仿真 plants") are listed there too and silence the term inside them, and a
negation ("not a replica", "짝퉁 아닌") silences the term it negates. Vocabulary on goods that allude to no brand
weighs far less: the labelling policy makes it counterfeit only on branded or brand-alluding goods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from klean.domain.listing import Listing
from klean.domain.messages import msg
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals.analysis import analyse
from klean.signals.examples import listing

# Multipliers on the lexicon's weights; each can be set in policy.toml [screening.counterfeit_vocabulary].
DEFAULTS: dict[str, Any] = {
    "unbranded": 0.35,  # nothing in the listing alludes to a brand
    "unbranded_logo": 0.8,  # no brand named, but a logo or engraving described: whose logo, if not a brand's?
    "compatible": 0.3,  # an accessory that says what it fits ("정품급 용량 배터리 (비정품)")
    "documented": 0.5,  # a sales story next to customs papers (병행수입, 수입신고필증): parallel imports are legal
}


class CounterfeitVocabulary:
    name: ClassVar[str] = "counterfeit_vocabulary"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        p = ctx.settings.get(self.name) or DEFAULTS
        a = analyse(listing, ctx)
        if not a.vocab:
            return ()
        branded = a.alludes_to_brand
        brand = a.primary_brand()
        unbranded = p["unbranded_logo"] if a.has("logo") else p["unbranded"]
        mult = (1.0 if branded else unbranded) * (p["compatible"] if a.has("compatible") else 1.0)
        out: list[Evidence] = []
        seen: set[str] = set()
        used = listing.condition == "used" or a.has("used")
        vocab = a.vocab
        if not branded:  # without a brand, repeated counterfeit words (AAA grade ... AAA) do not add up
            vocab = [max(a.vocab, key=lambda v: v.weight)]
        for v in vocab:
            if v.term in seen:
                continue
            if used and v.story == "receipt":
                continue  # a store receipt with second-hand goods is proof of purchase, not a sales story
            seen.add(v.term)
            if v.kind == "scheme":
                if not branded:
                    continue
                w = v.weight * mult * (p["documented"] if a.has("proof") else 1.0)
                out.append(Evidence(self.name, round(w, 4), brand, v.span,
                                    msg("\u201c{found}\u201d is a sales story that often covers counterfeits",
                                        found=v.found), code="scheme"))
            else:
                out.append(Evidence(self.name, round(v.weight * mult, 4), brand, v.span,
                                    msg("Counterfeit vocabulary: \u201c{found}\u201d", found=v.found), code="vocab"))
        return out

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return (
            (listing("Chanel Classic Flap replica, mirror quality", 390000), True),
            (listing("샤넬 클래식 플랩 정품급 미러급", 390000), True),
            (listing("香奈儿 CF 高仿 一比一 原单", 399000), True),
            (listing("Nike AF1 r3plica AAA", 35000), True),
            (listing("나이키 에어포스 1 레플 st급", 35000), True),
            (listing("AAA batteries, 24-pack", 9900), False),
            (listing("Museum replica of a Joseon moon jar", 89000), False),
            (listing("Ray sunglasses with mirror lenses", 29000), False),
            (listing("高仿真 绿植 盆栽 (artificial plants)", 19900), False),
            (listing("Not a replica! Genuine Gucci Marmont, receipt attached", 1300000, condition="used"), False),
        )
