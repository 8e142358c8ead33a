"""The data files of signals/data/, read once: language knowledge, and the default brand pack.

Language knowledge lives in one folder per language, `data/<lang>/` (vocabulary.tsv, cues.tsv, phonetic.tsv ...),
discovered by listing the folders: adding a language is adding a folder. Script tables (confusables) sit at the top.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from klean.domain.files import knowledge_from_dict
from klean.domain.fx import FxTable, parse_fx_csv
from klean.domain.registry import Brand, BrandTerm
from klean.signals.text import fold_term, strip_accents


def languages() -> tuple[str, ...]:
    """Every language with a folder under data/ (two-letter codes, sorted)."""
    root = resources.files("klean.signals").joinpath("data")
    return tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and len(p.name) in (2, 3)
                        and not p.name.startswith(("_", "."))))


VOCAB_KINDS = ("vocab", "scheme", "benign")


@dataclass(frozen=True, slots=True)
class VocabEntry:
    term: str
    weight: float
    kind: str  # vocab | scheme | benign
    lang: str
    story: str = ""  # for schemes: which sales story (agency, receipt, duty_free, ...); distinct stories add up


@dataclass(frozen=True, slots=True)
class PackEntry:
    marks: frozenset[str]  # folded marks: a registry brand with any of them takes the entry
    terms: tuple[BrandTerm, ...]


@dataclass(frozen=True, slots=True)
class BrandPack:
    version: str
    entries: tuple[PackEntry, ...]


def _rows(*path: str) -> list[list[str]]:
    file = resources.files("klean.signals").joinpath("data", *path)
    if not file.is_file():
        return []
    text = file.read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def vocabulary() -> tuple[VocabEntry, ...]:
    out = []
    for lang in languages():
        for row in _rows(lang, "vocabulary.tsv"):
            term, weight, (kind, _, story) = row[0], float(row[1]), row[2].strip().partition("/")
            if kind not in VOCAB_KINDS:
                raise ValueError(f"data/{lang}/vocabulary.tsv: unknown kind {kind!r} for {term!r}")
            out.append(VocabEntry(term, weight, kind, lang, story or (term if kind == "scheme" else "")))
    return tuple(out)


@cache
def cues() -> tuple[tuple[str, str], ...]:
    return tuple((row[0], row[1].strip()) for lang in languages() for row in _rows(lang, "cues.tsv"))


def regex_words(kind: str) -> list[str]:
    """Cue words of one kind that are matched by regular expressions on the listing's own text (units, pack words,
    the words next to a brand's initial), longest first, each also without its accents and with đ as d: Vietnamese
    typed without diacritics (5 chiec, nha G) is common, and the folded text the automaton reads has none either."""
    words = {t for k, t in cues() if k == kind}
    words |= {strip_accents(t).replace("\u0111", "d").replace("\u0110", "D") for t in words}
    return sorted(words, key=lambda w: (-len(w), w))


@cache
def brand_pack() -> BrandPack:
    """The shipped default pack of brand knowledge (data/brand_pack.json): see its `about`."""
    doc = json.loads(resources.files("klean.signals").joinpath("data", "brand_pack.json").read_text("utf-8"))
    source = f"pack:{doc['version']}"
    entries = tuple(PackEntry(frozenset(fold_term(m) for m in e["marks"]), knowledge_from_dict(e, source=source))
                    for e in doc["brands"])
    return BrandPack(doc["version"], entries)


def brand_knowledge(brand: Brand, pack: BrandPack | None = None) -> tuple[BrandTerm, ...]:
    """What screening knows of a brand: its rights holder's own terms, then the pack's for it (unless the brand
    turned the pack off); a term the rights holder registers replaces the pack's spelling of the same term."""
    own = brand.knowledge
    if not brand.use_pack:
        return own
    pack = pack if pack is not None else brand_pack()
    marks = {fold_term(m) for m in brand.marks}
    taken = {(t.kind, fold_term(t.term)) for t in own}
    extra: list[BrandTerm] = []
    for entry in pack.entries:
        if entry.marks & marks:
            for t in entry.terms:
                key = (t.kind, fold_term(t.term))
                if key not in taken:
                    taken.add(key)
                    extra.append(t)
    return own + tuple(extra)


@cache
def shipped_fx() -> FxTable:
    """The exchange-rate table that ships with Klean (data/fx/rates.csv), used when the registry has none."""
    text = resources.files("klean.signals").joinpath("data", "fx", "rates.csv").read_text("utf-8")
    return parse_fx_csv(text, source="shipped rates")


@cache
def shorthand() -> frozenset[str]:
    """Chat shorthand of every language with a data/<lang>/shorthand.txt (folded): lg, yg, mcm ..."""
    return frozenset(fold_term(row[0].strip()) for lang in languages() for row in _rows(lang, "shorthand.txt"))


@cache
def common_words() -> frozenset[str]:
    """Frequent words of every language with a data/<lang>/common_words.txt (folded): a near miss of a short mark
    that spells one of them is that word, not a typo (logo is not Lego, bike is not Nike)."""
    words: set[str] = set()
    for lang in languages():
        words.update(row[0].strip() for row in _rows(lang, "common_words.txt"))
    return frozenset(words)
