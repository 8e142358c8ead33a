"""What the one pass over a listing's text finds: brand mentions, vocabulary hits, products and context cues."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from klean.domain.registry import Product
from klean.signals.text import Folded

# How strongly each kind of mention alludes to the brand (before the signal's own weighting).
DISGUISES = ("spaced", "masked", "leet", "homoglyph", "fullwidth", "zero-width", "accent", "lookalike", "typo",
             "jamo", "mixed-script")


@dataclass(slots=True)
class Mention:
    brand_id: str | None
    kind: str  # mark | disguise | nickname | cue | initial
    how: str  # for disguises: spaced, leet, homoglyph, typo ...; else the mention kind
    term: str  # the registered mark (or nickname / cue) it stands for
    found: str  # the text as written in the listing
    span: tuple[int, int]
    weight: float
    corroborate: bool = False  # a near miss of a short mark: kept only if the listing corroborates the brand


@dataclass(slots=True)
class VocabHit:
    term: str
    weight: float
    kind: str  # vocab | scheme
    lang: str
    found: str
    span: tuple[int, int]
    story: str = ""


@dataclass(slots=True)
class Analysis:
    folded: Folded
    mentions: list[Mention] = field(default_factory=list)
    products: dict[str, tuple[Product, tuple[int, int], str]] = field(default_factory=dict)
    vocab: list[VocabHit] = field(default_factory=list)
    # cue kind -> folded spans (except "fits": spans in listing.text of the mention it precedes)
    cues: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    _best: dict[str, Mention] | None = None
    _primary: tuple[str | None] | None = None

    def brands(self) -> dict[str, Mention]:
        """The strongest mention per brand."""
        if self._best is None:
            best: dict[str, Mention] = {}
            for m in self.mentions:
                if m.brand_id is not None and (m.brand_id not in best or m.weight > best[m.brand_id].weight):
                    best[m.brand_id] = m
            self._best = best
        return self._best

    def has(self, cue: str) -> bool:
        return bool(self.cues.get(cue))

    def compares_only(self) -> bool:
        """The listing compares with a brand and says its goods carry no marks: no logo word, or the comparison
        said twice or more (느낌 + 자체제작, homage + own brand) against a single logo word, and no counterfeit word."""
        nologo = self.cues.get("nologo")
        if not nologo:
            return False
        logos = self.cues.get("logo", ())
        return not logos or (len(set(nologo)) >= 2 > len(logos) and not any(v.kind == "vocab" for v in self.vocab))

    def primary_brand(self) -> str | None:
        """The brand the listing is about: one with a product named in it first, then the strongest mention."""
        if self._primary is None:
            best = self.brands()
            self._primary = (max(best.values(), key=lambda m: (m.brand_id in self.products, m.weight)).brand_id
                             if best else None,)
        return self._primary[0]

    @property
    def alludes_to_brand(self) -> bool:
        return bool(self.mentions)
