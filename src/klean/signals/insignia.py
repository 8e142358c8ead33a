"""Official insignia: a National Assembly member's badge, a police badge or rank insignia is not for sale.

These are not brands with reference prices and authorised shops: offering the insignia itself, a copy or a
wearable or displayable reproduction is prohibited outright (impersonating an official), whatever the price and
whatever the wording ("replica", "collector's", "prop"). The signal finds an insignia by its names and nicknames
in every script and by its emblem described in words, and blocks the listing with a reason that names the rule.
Honest uses stay live as the policy allows: a book or documentary about the police, a toy clearly marked as one,
a historical item. The official supplier of an agency (an authorised seller of the entry) is not blocked.

Entries come from shipped packs per market (data/insignia/<market>.json, enabled per market in policy.toml
[screening.insignia]) and from the registry: a brand entry with `"kind": "insignia"` registered by an authority
(its marks are the names, its design cues the emblem's descriptions, its authorised sellers the suppliers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, ClassVar

import ahocorasick

from klean.domain.listing import Listing
from klean.domain.messages import msg
from klean.domain.registry import Authorisation
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals import lexicons
from klean.signals.analysis import analyse
from klean.signals.context import INDEX_KEY as TEXT_INDEX
from klean.signals.examples import listing
from klean.signals.text import fold, fold_term, script_of, strip_spaces

INDEX_KEY = "insignia"
HONEST_KINDS = ("book", "media", "toy", "historical")

# policy.toml [screening.insignia]: the block weight, which honest uses stay live (1 = allowed, 0 = blocked too),
# and which markets' shipped packs apply.
DEFAULTS: dict[str, Any] = {
    "weight": 0.97,
    "allow": {"book": 1.0, "media": 1.0, "toy": 1.0, "historical": 0.0},
    "markets": {"kr": 1.0},
}


@dataclass(frozen=True, slots=True)
class InsigniaEntry:
    id: str
    name: str
    authority: str
    insignia_class: str  # parliament | police | military | fire | court | government | embassy
    names: tuple[str, ...]
    descriptions: tuple[str, ...]
    suppliers: tuple[Authorisation, ...] = ()


@cache
def shipped_pack(market: str) -> tuple[InsigniaEntry, ...]:
    """The shipped entries of one market (data/insignia/<market>.json); none when no pack exists."""
    file = resources.files("klean.signals").joinpath("data", "insignia", f"{market}.json")
    if not file.is_file():
        return ()
    doc = json.loads(file.read_text("utf-8"))
    return tuple(InsigniaEntry(e["id"], e["name"], e["authority"], e["class"], tuple(e["names"]),
                               tuple(e.get("descriptions", ())),
                               tuple(Authorisation(s, e["id"]) for s in e.get("authorized_sellers", ())))
                 for e in doc["entries"])


def available_markets() -> tuple[str, ...]:
    root = resources.files("klean.signals").joinpath("data", "insignia")
    return tuple(sorted(p.name.removesuffix(".json") for p in root.iterdir() if p.name.endswith(".json")))


@dataclass
class InsigniaIndex:
    entries: dict[str, InsigniaEntry]
    automaton: Any  # folded compact term -> (length, ((kind, entry id or honest kind, bare, script), ...))


def build_insignia_index(ctx: ScreeningContext, settings: dict[str, Any]) -> InsigniaIndex:
    entries: dict[str, InsigniaEntry] = {}
    for market, on in settings["markets"].items():
        if on:
            entries.update((e.id, e) for e in shipped_pack(market))
    for b in ctx.snapshot.brands:
        if b.kind == "insignia":
            entries[b.id] = InsigniaEntry(b.id, b.name, b.owner or "", "registered", b.marks,
                                          tuple(t.term for t in b.knowledge if t.kind in ("design_cue", "nickname")),
                                          b.authorisations)
    automaton = ahocorasick.Automaton()
    terms: dict[str, list[tuple[str, str, str, str]]] = {}
    for e in entries.values():
        for kind, words in (("name", e.names), ("description", e.descriptions)):
            for w in words:
                key = fold_term(w)
                if len(key) >= 2:
                    terms.setdefault(key, []).append((kind, e.id, strip_spaces(fold(w).text), script_of(key)))
    for cue_kind, term in lexicons.cues():
        if cue_kind.startswith("insignia_"):
            key = fold_term(term)
            if key:
                terms.setdefault(key, []).append(("honest", cue_kind.removeprefix("insignia_"),
                                                  strip_spaces(fold(term).text), script_of(key)))
    for key, payloads in terms.items():
        automaton.add_word(key, (len(key), tuple(payloads)))
    if terms:
        automaton.make_automaton()
    return InsigniaIndex(entries, automaton if terms else None)


def _latin_bounded(t: str, fs: int, fe: int) -> bool:
    return (fs == 0 or not ("a" <= t[fs - 1] <= "z")) and (fe == len(t) or not ("a" <= t[fe] <= "z"))


class OfficialInsignia:
    name: ClassVar[str] = "insignia"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        p = ctx.settings.get(self.name) or DEFAULTS
        index = ctx.indexes.get(INDEX_KEY)
        if index is None:
            index = ctx.indexes[INDEX_KEY] = build_insignia_index(ctx, p)
        if index.automaton is None:
            return ()
        # The brand-mention analysis has folded this listing's text already (cached for the listing at hand).
        f = analyse(listing, ctx).folded if TEXT_INDEX in ctx.indexes else fold(listing.text)
        t = f.text
        found: list[tuple[str, tuple[int, int]]] = []
        honest: set[str] = set()
        starts = f.starts()
        for end, (klen, payloads) in index.automaton.iter(f.compact):
            cs = end - klen + 1
            fs, fe = (f.to_folded(cs), f.to_folded(end) + 1) if starts is not None else (cs, end + 1)
            for kind, ref, bare, script in payloads:
                if strip_spaces(t[fs:fe]) != bare or (script == "latin" and not _latin_bounded(t, fs, fe)):
                    continue
                if kind == "honest":
                    honest.add(ref)
                else:
                    found.append((ref, f.span(fs, fe)))
        if not found:
            return ()
        entry_id, span = found[0]
        entry = index.entries[entry_id]
        if any(a.seller_id == listing.seller_id and a.valid_on(ctx.today) for a in entry.suppliers):
            return ()  # the agency's official supplier
        allowed = sorted(h for h in honest if p["allow"].get(h))
        if allowed:
            return (Evidence(self.name, 0.0, None, span, msg(
                "Names the official insignia {insignia} in an allowed use ({use}): not blocked under the insignia "
                "rule", insignia=entry.name, use=", ".join(allowed)), code="insignia_honest_use"),)
        return (Evidence(self.name, p["weight"], None, span, msg(
            "Offers the official insignia {insignia} ({authority}) or a reproduction of it (\u201c{found}\u201d): "
            "official insignia may not be sold, whatever the price or wording (insignia rule)",
            insignia=entry.name, authority=entry.authority, found=listing.text[span[0]:span[1]]),
            code=f"insignia:{entry.insignia_class}"),)

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return (
            (listing("금색 무궁화 국회 배지 재현품 (소장용)", 35000, category="collectibles"), True),
            (listing("Police badge prop, metal, realistic", 25000, category="collectibles"), True),
            (listing("韩国警察徽章 金属 仿真", 19000, category="collectibles"), True),
            (listing("대한민국 경찰 100년사 (도서, 경찰 배지 화보 수록)", 28000, category="books-media"), False),
            (listing("어린이용 경찰놀이 장난감 세트 (경찰 배지 스티커 포함)", 15000, category="toys-games"), False),
            (listing("Korean police drama documentary DVD", 19000, category="books-media"), False),
        )
