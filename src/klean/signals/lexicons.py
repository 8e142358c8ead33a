"""The data files of signals/data/ (vocabulary per language, context cues, nicknames, collisions), read once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

LANGUAGES = ("en", "ko", "zh")


@dataclass(frozen=True, slots=True)
class VocabEntry:
    term: str
    weight: float
    kind: str  # vocab | scheme | benign
    lang: str


@dataclass(frozen=True, slots=True)
class NicknameEntry:
    term: str
    mark: str
    kind: str  # nickname | cue | nickname_product
    weight: float


def _rows(name: str) -> list[list[str]]:
    text = resources.files("klean.signals").joinpath("data", name).read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def vocabulary() -> tuple[VocabEntry, ...]:
    out = []
    for lang in LANGUAGES:
        for row in _rows(f"vocabulary_{lang}.tsv"):
            term, weight, kind = row[0], float(row[1]), row[2].strip()
            if kind not in ("vocab", "scheme", "benign"):
                raise ValueError(f"vocabulary_{lang}.tsv: unknown kind {kind!r} for {term!r}")
            out.append(VocabEntry(term, weight, kind, lang))
    return tuple(out)


@cache
def cues() -> tuple[tuple[str, str], ...]:
    return tuple((row[0], row[1]) for row in _rows("cues.tsv"))


@cache
def nicknames() -> tuple[NicknameEntry, ...]:
    return tuple(NicknameEntry(r[0], r[1], r[2], float(r[3])) for r in _rows("nicknames.tsv"))


@cache
def collisions() -> tuple[str, ...]:
    return tuple(r[0] for r in _rows("collisions.tsv"))
