"""Build the ScreeningContext once from a registry snapshot: one automaton over every folded term, fuzzy indexes.

Everything here is plain data plus a pyahocorasick automaton, so the context pickles (Spark broadcasts it,
scan workers receive it once). Per-listing work then depends on the length of the text, not on the number of
marks: one automaton pass, plus dictionary look-ups for the few tokens that might be typos.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import ahocorasick

from klean.domain.fx import FxTable
from klean.domain.registry import Authorisation, Product, RegistrySnapshot
from klean.domain.screening import ScreeningContext
from klean.signals import lexicons
from klean.signals.phonetic import (
    THAI_FUZZY_MIN,
    THAI_RUN,
    consonants_in,
    han_sound,
    hangul_key,
    latin_key,
    latin_sound_key,
    latin_vowels,
    thai_keys,
    thai_letters,
    vowel_classes,
)
from klean.signals.text import base_form, fold, fold_term, jamo, script_of, strip_accents, strip_spaces

INDEX_KEY = "text"
WILDCARD_MAX = 8  # marks up to this many characters get masked variants (구*찌, G*cci)


@dataclass
class TextIndex:
    """What every text signal reads: the automaton and the registry facts it points into."""

    automaton: Any
    # Context words that matter only once a brand is alluded to (parts, packaging, used, genuine ...): a second pass,
    # run only for such listings, so a listing that names no brand does not pay for them.
    context_automaton: Any
    plain_forms: frozenset[str]
    fuzzy: dict[str, tuple[int, ...]]  # deletion key -> mark ids
    # mark id -> (folded key: jamo for Hangul, brand_id, mark, script, syllable starts, short): every mark of 2+
    # characters; `short` marks (Latin 4-6 letters, two Hangul syllables or Han characters) count as misspelt only
    # with corroboration (one of the brand's products named, or the listing in one of the brand's categories).
    fuzzy_marks: list[tuple[str, str, str, str, str, bool]]
    wildcard: dict[str, tuple[str, str]]  # masked form -> (brand_id, mark)
    initials: dict[str, tuple[str, ...]]  # Latin initial -> brand ids
    brand_names: dict[str, str]
    products: dict[str, tuple[Product, ...]]
    refs_by_category: dict[tuple[str, str, str], tuple[Decimal, ...]]  # (brand, category, currency) -> refs
    refs_by_brand: dict[tuple[str, str], tuple[Decimal, ...]]  # (brand, currency) -> refs
    authorisations: dict[tuple[str, str], tuple[Authorisation, ...]]
    authorised_brands: dict[str, tuple[str, ...]]  # seller -> brands it has (any) authorisation for
    vocab: tuple[lexicons.VocabEntry, ...]
    product_tokens: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)  # brand -> per product
    phonetic: dict[str, tuple[int, ...]] = field(default_factory=dict)  # H/L + Hangul/Latin phonetic key -> mark ids
    truncated: dict[str, tuple[int, ...]] = field(default_factory=dict)  # Hangul mark without its last syllable
    hangul_max: int = 5  # syllables in the longest Hangul mark (the longest prefix worth comparing)
    # Han marks by sound (phonetic.han_sound): one automaton pass over a listing's Han text finds homophones
    han_sound_automaton: Any = None
    # Mixed-script marks (노스Face, Bur宝莉): pieces of the brand's marks -> (brand, share of the mark it covers).
    mixed_latin_prefix: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    mixed_latin_suffix: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    mixed_other_prefix: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    mixed_other_suffix: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    brand_categories: dict[str, frozenset[str]] = field(default_factory=dict)
    # Thai spellings by sound (phonetic.thai_keys): coarse key of Latin marks of three consonants or more and of Thai
    # marks of two or more -> mark ids; coarse keys of Thai marks of five consonants or more with one letter (not the
    # first or last) dropped -> mark ids; per mark its vowel classes, and for Thai marks the fine key and letters.
    thai_sound: dict[str, tuple[int, ...]] = field(default_factory=dict)
    thai_sound_fuzzy: dict[str, tuple[int, ...]] = field(default_factory=dict)
    thai_marks: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)  # coarse, vowels, fine, letters
    # one automaton over both kinds of key, run over a Thai run's joined key: (length, key, a letter dropped)
    thai_automaton: Any = None
    # (brand, product name, currency) -> the product: one product registered with a reference per currency
    products_by_currency: dict[tuple[str, str, str], Product] = field(default_factory=dict)
    fx: FxTable | None = None  # converts a reference price when none is registered in the listing's currency
    common_words: frozenset[str] = frozenset()  # frequent words of every language (lexicons.common_words)
    shorthand: frozenset[str] = frozenset()  # chat shorthand of every language (lexicons.shorthand)
    shorthand_marks: frozenset[str] = frozenset()  # folded marks that are also a shorthand word (lg, yg, mcm)
    # Latin vocabulary, cue and nickname terms of several words: bare form -> their word splits ("nota" -> not a)
    term_words: dict[str, frozenset[tuple[str, ...]]] = field(default_factory=dict)
    # bare forms of Latin terms written without accents only: they do not match accented words (cap is not cấp)
    unaccented_terms: frozenset[str] = frozenset()
    multiword: bool = False  # some fuzzy-eligible Latin mark has two words (Louis Vuitton)
    fuzzy_hangul: bool = False
    fuzzy_han_lengths: tuple[int, ...] = ()
    stats: dict[str, int] = field(default_factory=dict)
    # Per-process caches of fuzzy look-ups by word (bounded by analysis.MEMO_MAX), not part of the index.
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)
    memo_latin: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    memo_hangul: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    memo_han: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in ("memo", "memo_latin", "memo_hangul", "memo_han"):
            state[name] = {}
        return state


def _deletions(s: str) -> set[str]:
    return {s[:i] + s[i + 1:] for i in range(len(s))}


def fuzzy_budget(folded: str, script: str) -> int:
    """Edits allowed for a typo of a mark: grows with its length; marks under 4 letters must match exactly."""
    n = len(folded)
    if script == "latin":
        return 0 if n < 4 else (1 if n < 9 else 2)
    if script == "hangul":  # n counts jamo: two-syllable marks are found misspelt only by sound (phonetic keys)
        return 0 if n < 6 else 1
    if script == "han":
        return 0 if n < 3 else 1
    return 0


def is_short_mark(key: str, script: str) -> bool:
    """A mark short enough that a near miss is often another word (Bise/Bose, 구지/구찌, 라이온/라이언): needs
    corroboration. Hangul counts syllables, each worth about three Latin letters."""
    return len(key) <= {"latin": 6, "hangul": 3}.get(script, 2)


MIXED_MAX = 12  # longest piece of a mark kept for mixed-script matching


def _add_pieces(table: dict[str, list[tuple[str, float]]], key: str, brand_id: str, *, prefixes: bool,
                shortest: int) -> None:
    n = len(key)
    for k in range(shortest, min(n, MIXED_MAX + 1)):
        piece = key[:k] if prefixes else key[n - k:]
        table[piece].append((brand_id, k / n))


def _masked_base(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in s if ch.isalnum() or ch == "*")


_WORD_RE = re.compile(r"[^\W_]+")
_TOKEN_RE = re.compile("[a-z0-9]{2,}|[\u1100-\u11ff]{4,}|[\u4e00-\u9fff]{2,}")


def name_tokens(text: str) -> frozenset[str]:
    """Distinctive words of a product name or a listing (folded), for matching a listing to a product."""
    return frozenset(_TOKEN_RE.findall(fold(text).text))


def build_index(snapshot: RegistrySnapshot) -> TextIndex:
    entries: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    plain: set[str] = set()
    fuzzy: dict[str, set[int]] = defaultdict(set)
    fuzzy_marks: list[tuple[str, str, str, str, str, bool]] = []
    phonetic: dict[str, set[int]] = defaultdict(set)
    truncated: dict[str, set[int]] = defaultdict(set)
    mixed: dict[str, dict[str, list[tuple[str, float]]]] = {k: defaultdict(list) for k in (
        "latin_prefix", "latin_suffix", "other_prefix", "other_suffix")}
    hangul_max = 2
    han_sounds: dict[str, list[int]] = defaultdict(list)
    thai_sound: dict[str, set[int]] = defaultdict(set)
    thai_fuzzy: dict[str, set[int]] = defaultdict(set)
    thai_marks: dict[int, tuple[str, str, str, str]] = {}
    wildcard: dict[str, tuple[str, str]] = {}
    initials: dict[str, set[str]] = defaultdict(set)
    mark_brands: dict[str, set[str]] = defaultdict(set)
    han_lengths: set[int] = set()
    hangul_fuzzy = False
    multiword = False
    n_marks = 0

    for brand in snapshot.brands:
        for mark in brand.marks:
            key = fold_term(mark)
            script = script_of(key)
            if not key or (script == "han" and len(key) < 2) or (script == "latin" and len(key) < 2):
                continue  # one letter or one Han character (后) is a word, not a mark
            n_marks += 1
            spaced = fold(mark).text
            seps = sum(1 for ch in spaced if not ch.isalnum())
            entries[key].append(("mark", brand.id, mark, script, seps))
            mark_brands[key].add(brand.id)
            b = base_form(mark)
            plain.update((b, strip_accents(b)))
            if script == "latin":
                initials[key[0]].add(brand.id)
            fkey, fstarts = jamo(key) if script == "hangul" else (key, "")
            budget = fuzzy_budget(key if script == "latin" else fkey, script)
            mid = len(fuzzy_marks)
            fuzzy_marks.append((fkey, brand.id, mark, script, fstarts, is_short_mark(key, script)))
            if budget:
                fuzzy[fkey].add(mid)
                for d in _deletions(fkey):
                    fuzzy[d].add(mid)
                if script == "hangul":
                    hangul_fuzzy = True
                elif script == "latin" and seps:
                    multiword = True
                elif script == "han":
                    han_lengths.add(len(key))
            if script == "latin" and len(key) >= 4 and key.isalpha():
                sound = latin_sound_key(strip_accents(b))
                # two consonants are too few to find a Latin mark in unspaced Thai (Casio would be in นำเข้า, import):
                # such marks are found in Thai through the brand's registered Thai marks
                if consonants_in(sound) >= 3:
                    thai_marks[mid] = (sound, latin_vowels(strip_accents(b)), "", "")
            elif script == "other" and THAI_RUN.search(key):
                sound, fine = thai_keys(key)
                if consonants_in(sound) >= 2:
                    thai_marks[mid] = (sound, vowel_classes(fine), fine, thai_letters(key))
            if mid in thai_marks:
                sound = thai_marks[mid][0]
                thai_sound[sound].add(mid)
                # a letter dropped only from the brand's own Thai marks: a Latin mark's Thai spelling varies too much
                # to tell a slip from another word, and every Latin mark in the index would cost each Thai listing
                if consonants_in(sound) >= THAI_FUZZY_MIN and thai_marks[mid][2]:
                    for i in range(1, len(sound) - 1):  # a letter dropped, not the first or the last
                        thai_fuzzy[sound[:i] + sound[i + 1:]].add(mid)
            if script == "latin" and len(key) >= 4 and key.isalpha():
                phonetic["L" + latin_key(key)].add(mid)
                _add_pieces(mixed["latin_prefix"], key, brand.id, prefixes=True, shortest=1)
                _add_pieces(mixed["latin_suffix"], key, brand.id, prefixes=False, shortest=2)
            elif script == "hangul" and key.isalpha():
                phonetic["H" + hangul_key(key)].add(mid)
                hangul_fuzzy = True
                hangul_max = max(hangul_max, len(key))
                if len(key) >= 4:  # 노스페이 for 노스페이스: a dropped last syllable, on marks long enough to tell
                    truncated[key[:-1]].add(mid)
            elif script == "han" and key.isalpha():
                han_sounds[han_sound(key)].append(mid)
            if script in ("hangul", "han") and key.isalpha():
                _add_pieces(mixed["other_prefix"], key, brand.id, prefixes=True, shortest=1)
                _add_pieces(mixed["other_suffix"], key, brand.id, prefixes=False, shortest=1)
            m = _masked_base(mark)
            if 2 <= len(m) <= WILDCARD_MAX and script != "han":
                for i in range(len(m)):
                    wildcard.setdefault(m[:i] + "*" + m[i + 1:], (brand.id, mark))
                    if i:
                        wildcard.setdefault(m[:i] + "*" + m[i:], (brand.id, mark))
        for pi, product in enumerate(brand.products):
            for alias in (product.name, *product.aliases):
                key = fold_term(alias)
                if len(key) >= 2:
                    entries[key].append(("product", brand.id, pi, script_of(key)))

    pack = lexicons.brand_pack()
    for brand in snapshot.brands:
        for t in lexicons.brand_knowledge(brand, pack):
            key = fold_term(t.term)
            if not key:
                continue
            if t.kind == "collision":
                entries[key].append(("collision",))
                continue
            kind = "cue" if t.kind == "design_cue" else ("nickname_product" if t.with_product else "nickname")
            entries[key].append(("nick", brand.id, kind, t.weight, t.term, strip_spaces(fold(t.term).text),
                                 script_of(key)))
    vocab = lexicons.vocabulary()
    for i, v in enumerate(vocab):
        key = fold_term(v.term)
        if key:
            entries[key].append(("vocab", i, strip_spaces(fold(v.term).text), script_of(key)))
    context_entries: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for kind, term in lexicons.cues():
        key = fold_term(term)
        if key and kind not in REGEX_CUES and not kind.startswith(("count:", "insignia_")):
            (entries if kind in ESSENTIAL_CUES else context_entries)[key].append(
                ("cue", kind, strip_spaces(fold(term).text), script_of(key)))

    term_words: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    accented: set[str] = set()
    unaccented: set[str] = set()
    for term in [v.term for v in vocab] + [term for _kind, term in lexicons.cues()] + [
            t.term for b in snapshot.brands for t in lexicons.brand_knowledge(b, pack) if t.kind != "collision"]:
        if script_of(fold_term(term)) != "latin":
            continue
        bare = strip_spaces(fold(term).text)
        words = tuple(_WORD_RE.findall(fold(term).text))
        if len(words) > 1:
            term_words[bare].add(words)
        (unaccented if strip_accents(term) == term else accented).add(bare)

    automaton = ahocorasick.Automaton()
    for key, payloads in entries.items():
        automaton.add_word(key, (len(key), tuple(payloads)))
    automaton.make_automaton()
    context_automaton = ahocorasick.Automaton()
    for key, payloads in context_entries.items():
        context_automaton.add_word(key, (len(key), tuple(payloads)))
    context_automaton.make_automaton()

    products = {b.id: b.products for b in snapshot.brands}
    product_tokens = {b.id: tuple(name_tokens(p.name) for p in b.products) for b in snapshot.brands}
    by_cat: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    by_brand: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for b in snapshot.brands:
        for p in b.products:
            cur = p.reference_price.currency
            by_brand[(b.id, cur)].append(p.reference_price.amount)
            if p.category:
                by_cat[(b.id, p.category, cur)].append(p.reference_price.amount)
    auths: dict[tuple[str, str], list[Authorisation]] = defaultdict(list)
    seller_brands: dict[str, set[str]] = defaultdict(set)
    for b in snapshot.brands:
        for a in b.authorisations:
            auths[(a.seller_id, b.id)].append(a)
            seller_brands[a.seller_id].add(b.id)

    sound_automaton = None
    if han_sounds:
        sound_automaton = ahocorasick.Automaton()
        for key, mids in han_sounds.items():
            sound_automaton.add_word(key, (len(key), tuple(mids)))
        sound_automaton.make_automaton()

    def frozen(table: dict[str, list[tuple[str, float]]]) -> dict[str, tuple[tuple[str, float], ...]]:
        return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}

    return TextIndex(
        automaton=automaton, context_automaton=context_automaton, plain_forms=frozenset(plain),
        phonetic={k: tuple(sorted(v)) for k, v in phonetic.items()},
        truncated={k: tuple(sorted(v)) for k, v in truncated.items()}, hangul_max=hangul_max,
        han_sound_automaton=sound_automaton,
        mixed_latin_prefix=frozen(mixed["latin_prefix"]), mixed_latin_suffix=frozen(mixed["latin_suffix"]),
        mixed_other_prefix=frozen(mixed["other_prefix"]), mixed_other_suffix=frozen(mixed["other_suffix"]),
        thai_sound={k: tuple(sorted(v, key=lambda m: (not thai_marks[m][2], m))) for k, v in thai_sound.items()},
        thai_sound_fuzzy={k: tuple(sorted(v)) for k, v in thai_fuzzy.items()}, thai_marks=thai_marks,
        thai_automaton=_thai_automaton(thai_sound, thai_fuzzy),
        brand_categories={b.id: frozenset(p.category for p in b.products if p.category) for b in snapshot.brands},
        products_by_currency={(b.id, p.name, p.reference_price.currency): p for b in snapshot.brands
                              for p in reversed(b.products)},
        fx=snapshot.fx if snapshot.fx is not None else lexicons.shipped_fx(),
        common_words=lexicons.common_words(), shorthand=lexicons.shorthand(),
        shorthand_marks=frozenset(k for k in mark_brands if k in lexicons.shorthand()),
        term_words={k: frozenset(v) for k, v in term_words.items()}, unaccented_terms=frozenset(unaccented - accented),
        fuzzy={k: tuple(sorted(v)) for k, v in fuzzy.items()}, fuzzy_marks=fuzzy_marks, wildcard=wildcard,
        initials={k: tuple(sorted(v)) for k, v in initials.items()},
        brand_names={b.id: b.name for b in snapshot.brands}, products=products,
        refs_by_category={k: tuple(sorted(v)) for k, v in by_cat.items()},
        refs_by_brand={k: tuple(sorted(v)) for k, v in by_brand.items()},
        authorisations={k: tuple(v) for k, v in auths.items()},
        authorised_brands={k: tuple(sorted(v)) for k, v in seller_brands.items()},
        vocab=vocab, product_tokens=product_tokens, multiword=multiword, fuzzy_hangul=hangul_fuzzy,
        fuzzy_han_lengths=tuple(sorted(han_lengths)),
        stats={"marks": n_marks, "terms": len(entries), "fuzzy_keys": len(fuzzy), "wildcards": len(wildcard)},
    )


def _thai_automaton(exact: dict[str, set[int]], near: dict[str, set[int]]) -> Any:
    """One automaton over the Thai sound keys (phonetic.thai_keys) of three letters or more, as they are and with a
    letter dropped: a Thai run's joined key is read once, at C speed, whatever the number of marks."""
    keys = {k: False for k in near if len(k) >= 3}
    keys.update((k, True) for k in exact if len(k) >= 3)
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, is_exact in keys.items():
        automaton.add_word(key, (len(key), key, not is_exact))
    automaton.make_automaton()
    return automaton


def build_context(snapshot: RegistrySnapshot, today: date | None = None) -> ScreeningContext:
    """Compile the registry once; the result is shared read-only by every screening call."""
    return ScreeningContext(snapshot=snapshot, today=today or date.today(),
                            indexes={INDEX_KEY: build_index(snapshot)})


# Cue kinds read by regular expressions on the original text rather than found by the automaton (they are short
# words that occur everywhere: 개, 个, 사, brand).
REGEX_CUES = frozenset({"unit", "pack_of", "initial_after", "initial_before"})
# Cue kinds every listing needs, brand or not: counterfeit words are weighed by them (negation, "compatible", a
# described logo or its absence, customs papers). Every other kind is read in the context pass (context_automaton).
ESSENTIAL_CUES = frozenset({"neg_before", "neg_after", "compatible", "logo", "absent", "proof"})


def _alternation(kind: str) -> str:
    return "|".join(re.escape(w) for w in lexicons.regex_words(kind)) or "(?!)"


# A lone capital that stands for a brand: T사, G家, C-brand (the word after it), nhà G, merek C (the word before it).
INITIAL_AFTER_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z])[\s\-]?(?i:" + _alternation("initial_after")
                              + r")(?![가-힣\u4e00-\u9fffA-Za-z])")
# The words next to an initial, folded, as one expression each: a C-speed precheck before the patterns above.
INITIAL_WORDS = tuple(re.compile("|".join(map(re.escape, sorted({fold(t).text for k, t in lexicons.cues() if k == kind},
                                                                key=len, reverse=True))) or "(?!)")
                      for kind in ("initial_after", "initial_before"))
INITIAL_BEFORE_RE = re.compile(r"(?<![A-Za-z\u00c0-\u1eff])(?i:" + _alternation("initial_before")
                               + r")\s?([A-Z])(?![A-Za-z0-9\-])")
