"""The data files of signals/data/, read once.

Language knowledge lives in one folder per language, `data/<lang>/` (vocabulary.tsv, cues.tsv, phonetic.tsv ...),
discovered by listing the folders: adding a language is adding a folder. Script tables (confusables) sit at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


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
class NicknameEntry:
    term: str
    mark: str
    kind: str  # nickname | cue | nickname_product
    weight: float


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


@cache
def nicknames() -> tuple[NicknameEntry, ...]:
    return tuple(NicknameEntry(r[0], r[1], r[2], float(r[3])) for r in _rows("nicknames.tsv"))


@cache
def collisions() -> tuple[str, ...]:
    return tuple(r[0] for r in _rows("collisions.tsv"))
