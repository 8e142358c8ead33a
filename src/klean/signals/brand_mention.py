"""Brand mention: registered marks and their disguises, nicknames, design cues, initials; accessories that fit.

A plain mark says which brand a listing is about and weighs almost nothing by itself. A *disguised* mark
(S-a-m-s-u-n-g, N1KE, Cyrillic а, ＳＡＭＳＵＮＧ, Samsumg, 삼숭, ㅅㅑ넬, 구*찌) is evidence of intent: honest
sellers write the brand plainly. A compatible accessory ("case for Galaxy S24", 애플워치 호환 스트랩, 适用于苹果)
names the brand only to say what it fits, which is exculpatory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from klean.domain.listing import Listing
from klean.domain.messages import N_, Message, msg
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals.analysis import Analysis, Mention, analyse
from klean.signals.context import INDEX_KEY
from klean.signals.examples import listing

# Weights on the one evidence scale (see domain.screening.Evidence); each can be set in policy.toml
# [screening.brand_mention] (a change bumps the policy version).
DEFAULTS: dict[str, Any] = {
    "plain": 0.05,  # a mark as registered: says which brand, weighs almost nothing by itself
    "disguise": {"typo": 0.35, "lookalike": 0.4, "phonetic": 0.35, "truncated": 0.35, "other": 0.5},
    "initial": 0.35,
    "cue_with_logo": 1.4,  # a signature design *and* the word logo/engraved: the mark itself is on the goods
    "cue_max": 0.75,
    "compatible": -0.55,
    "fits": -0.3,  # "case for Galaxy S24": weaker than an explicit 호환/compatible, void next to counterfeit words
    "no_logo": -0.45,
    "material": 0.5,  # the brand's pattern or logo sold as fabric, patches or buttons: the brand sells no such thing
    "model": 0.1,  # a model named without its brand: says which brand, and leaving the name out is a little odd
    "licensed": -0.5,  # made under the brand's licence or in a collaboration: the rights holder's own goods
    "bidi": 0.2,  # a mark in text with invisible direction controls (they reorder what a reader sees)
}

# One reason template per kind of disguise, so each renders as a whole sentence in Korean too.
DISGUISE_REASONS = {
    "spaced": N_("The mark {mark} is written with its letters spaced apart: \u201c{found}\u201d"),
    "masked": N_("The mark {mark} is written with letters masked: \u201c{found}\u201d"),
    "leet": N_("The mark {mark} is written with digits or symbols for letters: \u201c{found}\u201d"),
    "homoglyph": N_("The mark {mark} is written with look-alike letters from another script: \u201c{found}\u201d"),
    "fullwidth": N_("The mark {mark} is written in full-width letters: \u201c{found}\u201d"),
    "zero-width": N_("The mark {mark} is written with hidden zero-width characters: \u201c{found}\u201d"),
    "accent": N_("The mark {mark} is written with added accents: \u201c{found}\u201d"),
    "lookalike": N_("The mark {mark} is written with look-alike letters swapped: \u201c{found}\u201d"),
    "typo": N_("The mark {mark} is misspelled on purpose or by mistake: \u201c{found}\u201d"),
    "jamo": N_("The Hangul mark {mark} is split into or altered by jamo: \u201c{found}\u201d"),
    "mixed-script": N_("The mark {mark} is written half in one script and half in another: \u201c{found}\u201d"),
    "phonetic": N_("The mark {mark} is respelled to sound the same: \u201c{found}\u201d"),
    "truncated": N_("The mark {mark} is written with its last syllable dropped: \u201c{found}\u201d"),
}


def _brand(ctx: ScreeningContext, bid: str | None) -> str:
    if bid is None:
        return "?"
    return ctx.indexes[INDEX_KEY].brand_names.get(bid, bid)


def mention_evidence(m: Mention, a: Analysis, ctx: ScreeningContext, p: dict[str, Any] = DEFAULTS) -> Evidence | None:
    brand = _brand(ctx, m.brand_id)
    if m.kind == "disguise":
        weights = p["disguise"]
        return Evidence("brand_mention", weights.get(m.how, weights["other"]), m.brand_id, m.span,
                        Message(DISGUISE_REASONS.get(m.how, DISGUISE_REASONS["lookalike"]),
                                {"mark": m.term, "found": m.found}), code=f"disguise:{m.how}")
    if m.kind == "nickname":
        return Evidence("brand_mention", m.weight, m.brand_id, m.span,
                        msg("\u201c{found}\u201d is a nickname for {brand}",
                            found=m.found, brand=brand), code="nickname")
    if m.kind == "cue":
        w = min(p["cue_max"], m.weight * (p["cue_with_logo"] if a.has("logo") else 1.0))
        return Evidence("brand_mention", w, m.brand_id, m.span,
                        msg("\u201c{found}\u201d describes a signature design of {brand}", found=m.found,
                            brand=brand), code="cue")
    if m.kind == "model":
        return Evidence("brand_mention", p["model"], m.brand_id, m.span,
                        msg("\u201c{found}\u201d names {product}, a product of {brand}, without the brand",
                            found=m.found, product=m.term, brand=brand), code="model")
    if m.kind == "initial":
        return Evidence("brand_mention", p["initial"], m.brand_id, m.span,
                        msg("\u201c{found}\u201d hides a brand name behind its initial", found=m.found), code="initial")
    return Evidence("brand_mention", p["plain"], m.brand_id, m.span,
                    msg("Mentions the mark {mark} of {brand}", mark=m.found, brand=brand), code="mark")


class BrandMention:
    name: ClassVar[str] = "brand_mention"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        p = ctx.settings.get(self.name) or DEFAULTS
        a = analyse(listing, ctx)
        if not a.mentions:
            return ()
        out: list[Evidence] = []
        seen: set[tuple[str | None, str, str]] = set()
        named = {m.brand_id for m in a.mentions if m.kind == "mark"}
        for m in a.mentions:
            key = (m.brand_id, m.kind, m.how)
            if key in seen:
                continue
            if m.kind in ("cue", "nickname") and m.brand_id in named:
                continue  # 흑섭 next to 롤렉스, 4-bar next to Thom Browne: product talk, not a disguise
            seen.add(key)
            ev = mention_evidence(m, a, ctx, p)
            if ev is not None:
                out.append(ev)
        primary = a.primary_brand()
        if a.folded.had_bidi and primary is not None:
            out.append(Evidence("brand_mention", p["bidi"], primary, None,
                                msg("The text naming {brand} hides invisible characters that change the reading "
                                    "direction", brand=_brand(ctx, primary)), code="bidi"))
        if a.has("material") and primary is not None and primary not in a.products and not a.has("compatible"):
            s = a.cues["material"][0]
            o0, o1 = a.folded.span(*s)
            out.append(Evidence("brand_mention", p["material"], primary, (o0, o1),
                                msg("Sells {brand}'s pattern or logo as material (\u201c{cue}\u201d)",
                                    brand=_brand(ctx, primary), cue=listing.text[o0:o1]), code="material"))
        plain_only = all(m.kind in ("mark", "model") for m in a.mentions)
        if a.has("licensed") and plain_only and not a.vocab:
            s = a.cues["licensed"][0]
            o0, o1 = a.folded.span(*s)
            out.append(Evidence("brand_mention", p["licensed"], primary, (o0, o1),
                                msg("Says the goods are made under {brand}'s licence (\u201c{cue}\u201d)",
                                    brand=_brand(ctx, primary), cue=listing.text[o0:o1]), code="licensed"))
            return out
        if a.has("compatible") and plain_only:
            s = a.cues["compatible"][0]
            o0, o1 = a.folded.span(*s)
            out.append(Evidence("brand_mention", p["compatible"], primary, (o0, o1),
                                msg("Names {brand} only to say what the item fits (\u201c{cue}\u201d)",
                                    brand=_brand(ctx, primary), cue=listing.text[o0:o1]), code="compatible"))
        elif a.has("fits") and plain_only and not any(v.weight >= 0.6 for v in a.vocab):
            o0, o1 = a.cues["fits"][0]  # spans of this cue are already in listing.text
            out.append(Evidence("brand_mention", p["fits"], primary, (o0, o1),
                                msg("Names {brand} only to say what the item fits (\u201c{cue}\u201d)",
                                    brand=_brand(ctx, primary), cue=listing.text[o0:o1]), code="fits"))
        elif a.compares_only() and all(m.kind in ("mark", "initial") for m in a.mentions):
            s = a.cues["nologo"][0]
            o0, o1 = a.folded.span(*s)
            out.append(Evidence("brand_mention", p["no_logo"], primary, (o0, o1),
                                msg("Compares with {brand} but says the goods carry no brand marks (\u201c{cue}\u201d)",
                                    brand=_brand(ctx, primary), cue=listing.text[o0:o1]), code="nologo"))
        return out

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        """(listing, whether this signal finds suspicious evidence in it) against examples.example_registry()."""
        return (
            (listing("S-a-m-s-u-n-g Galaxy Watch6 40mm - new", 45000), True),
            (listing("N1KE Air Force 1 triple white", 35000), True),
            (listing("Sаmsung Galaxy Watch6 (Cyrillic а)", 45000), True),
            (listing("ＳＡＭＳＵＮＧ 갤럭시 워치6", 45000), True),
            (listing("Samsumg Galaxy Watch6 new", 45000), True),
            (listing("나 이 키 에어포스 1 새상품", 35000), True),
            (listing("삼숭 갤럭시 워치6 새상품", 45000), True),
            (listing("ㅅㅑ넬 클래식 플랩", 300000), True),
            (listing("Case for Samsung Galaxy S24 Ultra - rugged armor", 6900, seller="case_shop"), False),
            (listing("Applewood smoked bacon 500g", 12900, category="food"), False),
            (listing("Canonical Ubuntu sticker pack", 3000), False),
            (listing("Samsung Galaxy Watch6 40mm", 299000, seller="samsung_official"), False),
        )
