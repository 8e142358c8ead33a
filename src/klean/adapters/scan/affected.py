"""Incremental rescans of a catalog file: select only the listings a registry change can affect.

When a brand's marks, product prices or authorisations change, only listings that mention the brand
(in any of its marks or product names, after folding both sides the same way) or that earlier
results cited for the brand can change their result. `BrandMentionFilter` is that prefilter: one
Aho-Corasick pass over the folded text, much cheaper than screening.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import ahocorasick

from klean.domain.errors import NotFound
from klean.domain.listing import Listing
from klean.domain.registry import RegistrySnapshot

_SEPARATORS = re.compile(r"[\s\W_]+", re.UNICODE)


def _basic_fold(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def folder() -> Callable[[str], str]:
    """The screening normalisation (klean.signals.text: the compact skeleton the mark automaton matches).

    The filter must fold exactly as the brand-mention signal does, or it could miss a disguised mention.
    """
    try:
        from klean.signals.text import fold
    except ImportError:  # pragma: no cover - the screening package is part of klean
        return _basic_fold
    return lambda text: fold(text).compact


class BrandMentionFilter:
    """Matches listings whose folded text contains a mark or product name of the changed brands,
    or whose id is among `also_ids` (listings earlier results cited for those brands)."""

    def __init__(self, brand_ids: Iterable[str], snapshot: RegistrySnapshot, *,
                 also_ids: Iterable[str] = ()) -> None:
        self.brand_ids = tuple(sorted(set(brand_ids)))
        terms: set[str] = set()
        for bid in self.brand_ids:
            brand = snapshot.brand(bid)
            if brand is None:
                raise NotFound(f"no brand {bid!r} in the registry", field="only_affected_by")
            terms.update(brand.marks)
            for product in brand.products:
                terms.add(product.name)
                terms.update(product.aliases)
        self.terms = tuple(sorted(terms))
        self.also_ids = frozenset(also_ids)
        self._automaton: Any = None

    def __repr__(self) -> str:  # recorded in the scan plan: a resumed rescan must select the same rows
        return f"BrandMentionFilter({list(self.brand_ids)}, terms={len(self.terms)}, also_ids={len(self.also_ids)})"

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_automaton": None}  # rebuilt lazily in each worker

    def _build(self) -> Any:
        fold = folder()
        automaton = ahocorasick.Automaton()
        for term in self.terms:
            key = fold(term)
            if key:
                automaton.add_word(key, key)
        if len(automaton):
            automaton.make_automaton()
        self._automaton = (automaton, fold)
        return self._automaton

    def matches(self, listing: Listing) -> bool:
        if listing.id in self.also_ids:
            return True
        automaton, fold = self._automaton or self._build()
        if not len(automaton):
            return False
        return next(automaton.iter(fold(listing.text)), None) is not None


def ids_citing(results: Path, brand_ids: Iterable[str]) -> set[str]:
    """Ids of listings whose earlier results (a results file or folder) cite one of the brands."""
    from klean.adapters.scan.job import read_results

    wanted = set(brand_ids)
    return {r["id"] for r in read_results(results) if any(e.get("brand_id") in wanted for e in r["evidence"])}
