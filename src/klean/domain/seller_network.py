"""Seller networks: the facts that tie seller accounts together, the links they make, and the networks.

A fact is something a seller account has that another account may share: a bank account, a tax id, a phone
number, an e-mail address, a postal address, a listing photo (PDQ), a listing text (MinHash), an authorisation
document (SHA-256). Two sellers sharing a fact are linked; the link's strength is its kind's strength from the
policy file ([seller_network]), and several kinds between the same two sellers combine by noisy-OR. A network
is a connected component over links at or above the network threshold, kept by an incremental union-find.

Everything here is pure: normalisation tables come from the bundled address rules and the policy section;
storage and the incremental bookkeeping live in services/seller_networks.py and its repository.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from klean.domain.errors import ValidationError
from klean.domain.messages import N_, Message, msg

# Facts matched by equality of their normalised key.
EXACT_KINDS = ("bank_account", "tax_id", "phone", "email", "address", "document")
# Facts matched by nearness of hashes: PDQ by Hamming distance, text by MinHash similarity (found through equal
# bands, then checked).
NEAR_KINDS = ("image", "text")
FACT_KINDS = EXACT_KINDS + NEAR_KINDS
# Facts that are personal data: never shown in clear to rights holders (masked), nor to other sellers.
PERSONAL_KINDS = ("bank_account", "tax_id", "phone", "email", "address")
# Identity fields (klean.domain.policy.IDENTITY_FIELDS and the contact ones) that are facts.
IDENTITY_FACTS = ("bank_account", "tax_id", "phone", "email", "address")

# One message per kind and standing so that each translates as a whole sentence (N_ marks them for the
# catalog; msg() is called with the chosen one).
_SHARES: dict[tuple[str, str], str] = {
    ("bank_account", "suspended"): N_("Shares the bank account of seller {other}, suspended since {day}."),
    ("bank_account", "restricted"): N_("Shares the bank account of seller {other}, restricted since {day}."),
    ("tax_id", "suspended"): N_("Shares the tax id of seller {other}, suspended since {day}."),
    ("tax_id", "restricted"): N_("Shares the tax id of seller {other}, restricted since {day}."),
    ("phone", "suspended"): N_("Shares the phone number of seller {other}, suspended since {day}."),
    ("phone", "restricted"): N_("Shares the phone number of seller {other}, restricted since {day}."),
    ("email", "suspended"): N_("Shares the e-mail address of seller {other}, suspended since {day}."),
    ("email", "restricted"): N_("Shares the e-mail address of seller {other}, restricted since {day}."),
    ("address", "suspended"): N_("Shares the postal address of seller {other}, suspended since {day}."),
    ("address", "restricted"): N_("Shares the postal address of seller {other}, restricted since {day}."),
    ("document", "suspended"): N_("Shares an authorisation document with seller {other}, suspended since {day}."),
    ("document", "restricted"): N_("Shares an authorisation document with seller {other}, restricted since {day}."),
    ("image", "suspended"): N_("Shares listing photos with seller {other}, suspended since {day}."),
    ("image", "restricted"): N_("Shares listing photos with seller {other}, restricted since {day}."),
    ("text", "suspended"): N_("Shares near-identical listing text with seller {other}, suspended since {day}."),
    ("text", "restricted"): N_("Shares near-identical listing text with seller {other}, restricted since {day}."),
}


# --- policy ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkKind:
    kind: str
    strength: float  # 0..1: how surely two accounts sharing this fact are run by the same people
    max_sellers: int  # a fact held by more sellers than this is common (stock photo, shared office) and links none


@dataclass(frozen=True)
class NetworkPolicy:
    kinds: Mapping[str, LinkKind]
    network_threshold: float = 0.6  # links at or above this join networks
    hold_threshold: float = 0.9  # a link at least this strong to a suspended or restricted seller holds listings
    hold_statuses: tuple[str, ...] = ("suspended", "restricted")
    image_max_distance: int = 10  # PDQ bits: the same photo re-saved, not merely a similar product shot
    text_min_similarity: float = 0.6  # estimated Jaccard similarity of word 3-shingles (MinHash)
    text_min_chars: int = 80  # shorter texts (titles) are too generic to link anybody
    default_country_code: str = "82"  # a national phone number (010-...) is read in this country
    dotless_email_domains: tuple[str, ...] = ("gmail.com",)
    plus_tag_email_domains: tuple[str, ...] = ("gmail.com",)
    email_domain_aliases: Mapping[str, str] = field(default_factory=lambda: {"googlemail.com": "gmail.com"})

    def strength(self, kind: str) -> float:
        k = self.kinds.get(kind)
        return k.strength if k is not None else 0.0

    def max_sellers(self, kind: str) -> int:
        k = self.kinds.get(kind)
        return k.max_sellers if k is not None else 0

    @staticmethod
    def from_section(section: Mapping[str, Any]) -> NetworkPolicy:
        """Validate [seller_network]; every problem names the key at fault."""
        p = "seller_network"
        allowed = ("network_threshold", "hold_threshold", "hold_statuses", "image_max_distance", "text_min_similarity",
                   "text_min_chars", "default_country_code", "dotless_email_domains", "plus_tag_email_domains",
                   "email_domain_aliases", "links")
        extra = sorted(set(section) - set(allowed))
        if extra:
            raise ValidationError(f"[{p}] unknown key(s) {', '.join(extra)}; allowed: {', '.join(allowed)}",
                                  field=p)
        links = section.get("links", {})
        if not isinstance(links, Mapping):
            raise ValidationError(f"[{p}.links] must be a table with one sub-table per fact kind", field=p)
        kinds: dict[str, LinkKind] = {}
        for kind, raw in links.items():
            path = f"{p}.links.{kind}"
            if kind not in FACT_KINDS:
                raise ValidationError(f"[{path}] unknown fact kind; known: {', '.join(FACT_KINDS)}", field=path)
            if not isinstance(raw, Mapping) or set(raw) - {"strength", "max_sellers"}:
                raise ValidationError(f"[{path}] must be a table of strength and max_sellers", field=path)
            strength = _number(raw, "strength", path, 0.0, 1.0)
            max_sellers = raw.get("max_sellers", 50)
            if isinstance(max_sellers, bool) or not isinstance(max_sellers, int) or max_sellers < 2:
                raise ValidationError(f"[{path}.max_sellers] must be a whole number >= 2, got {max_sellers!r}",
                                      field=path)
            kinds[kind] = LinkKind(kind, strength, max_sellers)
        base = NetworkPolicy(kinds=kinds)
        statuses = section.get("hold_statuses", list(base.hold_statuses))
        if not isinstance(statuses, list) or not all(s in ("suspended", "restricted") for s in statuses):
            raise ValidationError(f"[{p}.hold_statuses] must list suspended and/or restricted, got {statuses!r}",
                                  field=p)
        aliases = section.get("email_domain_aliases", dict(base.email_domain_aliases))
        if not isinstance(aliases, Mapping) or not all(isinstance(v, str) for v in aliases.values()):
            raise ValidationError(f"[{p}.email_domain_aliases] must map domains to domains", field=p)
        cc = str(section.get("default_country_code", base.default_country_code))
        if not cc.isdigit() or not 1 <= len(cc) <= 3:
            raise ValidationError(f"[{p}.default_country_code] must be 1-3 digits, got {cc!r}", field=p)
        return NetworkPolicy(
            kinds=kinds,
            network_threshold=_number(section, "network_threshold", p, 0.0, 1.0, base.network_threshold),
            hold_threshold=_number(section, "hold_threshold", p, 0.0, 1.0, base.hold_threshold),
            hold_statuses=tuple(statuses),
            image_max_distance=_whole(section, "image_max_distance", p, 0, 31, base.image_max_distance),
            text_min_similarity=_number(section, "text_min_similarity", p, 0.3, 1.0, base.text_min_similarity),
            text_min_chars=_whole(section, "text_min_chars", p, 1, 100_000, base.text_min_chars),
            default_country_code=cc,
            dotless_email_domains=_domains(section, "dotless_email_domains", p, base.dotless_email_domains),
            plus_tag_email_domains=_domains(section, "plus_tag_email_domains", p, base.plus_tag_email_domains),
            email_domain_aliases={k.lower(): v.lower() for k, v in aliases.items()},
        )


def _number(section: Mapping[str, Any], key: str, path: str, lo: float, hi: float,
            default: float | None = None) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValidationError(f"[{path}.{key}] must be a number in {lo}..{hi}, got {value!r}", field=f"{path}.{key}")
    return float(value)


def _whole(section: Mapping[str, Any], key: str, path: str, lo: int, hi: int, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(f"[{path}.{key}] must be a whole number in {lo}..{hi}, got {value!r}",
                              field=f"{path}.{key}")
    return value


def _domains(section: Mapping[str, Any], key: str, path: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = section.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(d, str) and "." in d for d in value):
        raise ValidationError(f"[{path}.{key}] must be a list of mail domains, got {value!r}", field=f"{path}.{key}")
    return tuple(d.lower() for d in value)


# --- normalisation -----------------------------------------------------------------------------------------------


def normalise_bank_account(value: str) -> str | None:
    """The account's digits (dashes, spaces and bank-specific grouping vary between forms); None if too short."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())
    return digits if len(digits) >= 6 else None


def normalise_tax_id(value: str) -> str | None:
    """Letters and digits, upper case (Korean business numbers are written 123-45-67890 or 1234567890)."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", value).upper() if ch.isascii() and ch.isalnum())
    return cleaned if len(cleaned) >= 5 else None


def normalise_phone(value: str, *, country_code: str = "82") -> str | None:
    """E.164-like: '+' and digits. A national number (leading 0, e.g. 010-1234-5678) is read in country_code;
    '00' is the international prefix; '82 10 ...' without '+' is taken as already international."""
    text = unicodedata.normalize("NFKC", value).strip()
    plus = text.startswith("+")
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return None
    if plus:
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = country_code + digits[1:]
    elif not digits.startswith(country_code) or len(digits) < 10:
        digits = country_code + digits
    # A trunk 0 written after the country code (+82 (0)10 ...) is not dialled.
    if digits.startswith(country_code + "0"):
        digits = country_code + digits[len(country_code) + 1:]
    return "+" + digits if 8 <= len(digits) <= 15 else None


def normalise_email(value: str, policy: NetworkPolicy) -> str | None:
    """Lower case; the providers that ignore dots or +tags in the local part (listed in the policy) lose them."""
    text = unicodedata.normalize("NFKC", value).strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        return None
    domain = policy.email_domain_aliases.get(domain, domain)
    if domain in policy.plus_tag_email_domains:
        local = local.split("+", 1)[0]
    if domain in policy.dotless_email_domains:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


@dataclass(frozen=True)
class AddressRules:
    rewrite: Mapping[str, str]
    drop: frozenset[str]
    postal_code: re.Pattern[str]
    initials: tuple[str, ...]
    vowels: tuple[str, ...]
    finals: tuple[str, ...]
    words: Mapping[str, str]


@cache
def address_rules() -> AddressRules:
    """The bundled address rules (klean/data/address_rules.toml)."""
    raw = tomllib.loads(resources.files("klean.data").joinpath("address_rules.toml").read_text("utf-8"))
    h = raw["hangul"]
    if (len(h["initials"]), len(h["vowels"]), len(h["finals"])) != (19, 21, 28):
        raise ValidationError("address_rules.toml: [hangul] needs 19 initials, 21 vowels and 28 finals",
                              field="hangul")
    return AddressRules(rewrite={k.casefold(): v for k, v in raw["rewrite"].items()},
                        drop=frozenset(raw["drop"]["words"]), postal_code=re.compile(raw["drop"]["postal_code"]),
                        initials=tuple(h["initials"]), vowels=tuple(h["vowels"]), finals=tuple(h["finals"]),
                        words=dict(h.get("words", {})))


def romanise(text: str, rules: AddressRules | None = None) -> str:
    """Hangul syllables in Revised Romanization, one syllable at a time; other characters unchanged."""
    r = rules or address_rules()
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(r.initials[code // 588] + r.vowels[(code % 588) // 28] + r.finals[code % 28])
        else:
            out.append(ch)
    word = "".join(out)
    return r.words.get(word, word)


_SPLIT = re.compile(r"[^\w\-]+|_")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\d\-])|(?<=[^\d\-])(?=\d)")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_LETTER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_MIXED_HYPHEN = re.compile(r"(?<=\d)-(?=[^\W\d_])|(?<=[^\W\d_])-(?=\d)")


def normalise_address(value: str, rules: AddressRules | None = None) -> str | None:
    """An order-free key for a postal address, the same for its Korean road or lot form and its Latin spelling.

    NFKC and case folding; long province and city names shortened and common words abbreviated (data);
    tokens split where digits meet letters; Hangul romanised; hyphens kept only between digits (lot numbers
    123-45), so "Teheran-ro" is "teheranro" like "테헤란로"; country names, postal codes and unit endings dropped;
    the tokens sorted.
    """
    r = rules or address_rules()
    text = unicodedata.normalize("NFKC", value).casefold()
    # Accents off Latin letters (Église = Eglise); Hangul is left composed (NFD would split it into jamo).
    text = "".join(c for ch in text for c in (unicodedata.normalize("NFD", ch) if ord(ch) < 0x1100 else ch)
                   if not unicodedata.combining(c))
    text = re.sub(r"\([^)]*\)", " ", text)  # "(역삼동)" after a road address repeats the district
    text = _LETTER_HYPHEN.sub("", text)  # Teheran-ro is one word, like 테헤란로
    text = _MIXED_HYPHEN.sub(" ", text)  # 101-dong is two, like 101동; 123-45 (a lot number) stays one
    tokens: list[str] = []
    for raw in _SPLIT.split(text):
        if not raw:
            continue
        raw = r.rewrite.get(raw, raw)
        m = _ORDINAL.match(raw)
        if m:
            raw = m.group(1)
        for part in _DIGIT_LETTER.split(raw):
            part = part.strip("-")
            if not part:
                continue
            part = r.rewrite.get(part, part)
            if part in r.drop or r.postal_code.match(part):
                continue
            if not part[0].isdigit():
                part = romanise(part.replace("-", ""), r)
                if part in r.drop:
                    continue
            if part == "f" and tokens and tokens[-1][0].isdigit():
                tokens[-1] += "f"  # "4th floor", "4 F", "4층" are one token
                continue
            if part:
                tokens.append(part)
    return " ".join(sorted(tokens)) if len(tokens) >= 2 else None


def normalise(kind: str, value: str, policy: NetworkPolicy) -> str | None:
    """The key under which two sellers' values of one fact kind are the same fact (None: unusable)."""
    if kind == "bank_account":
        return normalise_bank_account(value)
    if kind == "tax_id":
        return normalise_tax_id(value)
    if kind == "phone":
        return normalise_phone(value, country_code=policy.default_country_code)
    if kind == "email":
        return normalise_email(value, policy)
    if kind == "address":
        return normalise_address(value)
    if kind == "document":
        v = value.strip().lower()
        return v if re.fullmatch(r"[0-9a-f]{64}", v) else None
    if kind == "image":
        v = value.strip().lower()
        return v if re.fullmatch(r"[0-9a-f]{64}", v) else None
    if kind == "text":
        return text_minhash(value, min_chars=policy.text_min_chars)
    raise ValidationError(f"unknown fact kind {kind!r}; known: {', '.join(FACT_KINDS)}", field="kind")


def mask(kind: str, key: str) -> str:
    """What a viewer who may not see personal data is shown of a fact: enough to tell facts apart, no more."""
    if kind in ("bank_account", "tax_id"):
        return "•" * max(len(key) - 3, 3) + key[-3:]
    if kind == "phone":
        return key[:3] + "•" * max(len(key) - 7, 3) + key[-4:]
    if kind == "email":
        local, _, domain = key.partition("@")
        return f"{local[:1]}•••@{domain}"
    if kind == "address":
        return "•••"
    return key[:12]  # hashes are not personal data


# --- near duplicates ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


# MinHash: 32 hash functions h_i(x) = (a_i * x + b_i) mod p over 64-bit shingle hashes, kept as 32-bit values.
_MERSENNE = (1 << 61) - 1
_PERMS = [(random_a, random_b) for random_a, random_b in zip(
    [int.from_bytes(hashlib.blake2b(f"a{i}".encode(), digest_size=8).digest(), "big") % _MERSENNE | 1
     for i in range(32)],
    [int.from_bytes(hashlib.blake2b(f"b{i}".encode(), digest_size=8).digest(), "big") % _MERSENNE
     for i in range(32)], strict=True)]
_TEXT_ROWS = 2  # MinHash values per band: 16 bands of 2 find pairs at similarity 0.6 with probability 0.999


def text_minhash(text: str, *, min_chars: int = 80) -> str | None:
    """A MinHash signature (32 values, 256 hex digits) of a listing text's word 3-shingles after NFKC and case
    folding; None for texts shorter than min_chars (titles alone are too generic to tie two sellers together)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if sum(len(w) for w in words) + len(words) < min_chars or len(words) < 3:
        return None
    shingles = {int.from_bytes(hashlib.blake2b(" ".join(words[i:i + 3]).encode(), digest_size=8).digest(), "big")
                for i in range(len(words) - 2)}
    return "".join(f"{min((a * x + b) % _MERSENNE for x in shingles) & 0xFFFFFFFF:08x}" for a, b in _PERMS)


def text_similarity(a: str, b: str) -> float:
    """The share of equal MinHash values: an estimate of the shingle sets' Jaccard similarity."""
    n = len(a) // 8
    return sum(a[i * 8:i * 8 + 8] == b[i * 8:i * 8 + 8] for i in range(n)) / n if n else 0.0


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def bands(kind: str, key: str) -> list[str]:
    """Band keys of a near-duplicate hash. PDQ: 8 bands of 32 bits, so two hashes within 7 bits always share one
    (pigeonhole) and hashes 10 bits apart (the default link distance) in about 9 cases of 10; 16-bit bands would
    catch every pair within 15 bits but, among millions of photos, make a hundred million chance candidates per
    band. Text: 16 bands of 2 MinHash values: two texts share one with probability 1-(1-J^2)^16 (0.999 at 0.6)."""
    width = 8 if kind == "image" else 8 * _TEXT_ROWS
    return [f"{i}:{key[i * width:i * width + width]}" for i in range(len(key) // width)]


def is_near(kind: str, a: str, b: str, policy: NetworkPolicy) -> bool:
    """Whether two hashes of a near kind are the same photo or the same text."""
    if kind == "image":
        return hamming(a, b) <= policy.image_max_distance
    return text_similarity(a, b) >= policy.text_min_similarity


# --- links and networks ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    seller_id: str
    kind: str
    key: str  # normalised value, or hash for image/text/document
    source: str = ""  # where it was seen: identity, user:<id>, listing:<id>, proof:<id>


@dataclass(frozen=True, slots=True)
class Link:
    a: str
    b: str
    kinds: tuple[str, ...]  # the kinds of the facts the two share, strongest first
    strength: float
    facts: tuple[tuple[str, str], ...] = ()  # (kind, key) shared, for the evidence

    def other(self, seller_id: str) -> str:
        return self.b if seller_id == self.a else self.a


def combine(strengths: Iterable[float]) -> float:
    """Several independent shared facts: noisy-OR of their strengths."""
    miss = 1.0
    for s in strengths:
        miss *= 1.0 - s
    return round(1.0 - miss, 6)


def make_link(a: str, b: str, shared: Iterable[tuple[str, str]], policy: NetworkPolicy) -> Link:
    """The link between two sellers from the facts they share; a kind counts once however many facts of it."""
    facts = tuple(sorted(set(shared)))
    by_kind = {k: policy.strength(k) for k, _ in facts}
    kinds = tuple(sorted(by_kind, key=lambda k: (-by_kind[k], k)))
    x, y = sorted((a, b))
    return Link(x, y, kinds, combine(by_kind.values()), facts)


def links_from_facts(facts: Iterable[Fact], policy: NetworkPolicy,
                     common: Iterable[tuple[str, str]] = ()) -> list[Link]:
    """Every link among a batch of facts (the batch job and the engine the database path is checked against).

    Exact kinds group by key; near kinds group by band and are kept within the kind's distance. A fact held by
    more sellers than its kind's max_sellers links nobody (shared logistics addresses, a payment agent), nor does a
    photo or text one of whose bands is found in more facts than that: a stock photo or a copied brand description,
    however each reseller re-saved or edited it. `common`: (kind, key) known to be common beyond these facts.
    """
    groups: dict[tuple[str, str], set[str]] = {}
    near: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for f in facts:
        if policy.strength(f.kind) <= 0:
            continue
        if f.kind in NEAR_KINDS:
            for band in bands(f.kind, f.key):
                near.setdefault((f.kind, band), set()).add((f.seller_id, f.key))
        else:
            groups.setdefault((f.kind, f.key), set()).add(f.seller_id)
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for (kind, key), sellers in groups.items():
        if 2 <= len(sellers) <= policy.max_sellers(kind):
            ordered = sorted(sellers)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1:]:
                    pairs.setdefault((a, b), set()).add((kind, key))
    # Following a crowded band would cost the square of its users and link none of them.
    crowded = set(common)
    crowded |= {(kind, key) for (kind, _), members in near.items() if len(members) > policy.max_sellers(kind)
                for _, key in members}
    near_holders: dict[tuple[str, str], set[str]] = {}
    near_pairs: list[tuple[str, str, str, str, str]] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    for (kind, _), listed in near.items():
        members = sorted((s, k) for s, k in listed if (kind, k) not in crowded)
        if not 2 <= len(members) <= policy.max_sellers(kind):
            continue
        for i, (sa, ka) in enumerate(members):
            for sb, kb in members[i + 1:]:
                if sa == sb or (kind, sa, ka, sb, kb) in seen or not is_near(kind, ka, kb, policy):
                    continue
                seen.add((kind, sa, ka, sb, kb))
                seen.add((kind, sb, kb, sa, ka))
                near_holders.setdefault((kind, ka), {sa}).add(sb)
                near_holders.setdefault((kind, kb), {sb}).add(sa)
                near_pairs.append((kind, sa, ka, sb, kb))
    for kind, sa, ka, sb, kb in near_pairs:
        if max(len(near_holders[(kind, ka)]), len(near_holders[(kind, kb)])) > policy.max_sellers(kind):
            continue  # a photo or text half the marketplace uses: the brand's or a stock one
        x, y = sorted((sa, sb))
        pairs.setdefault((x, y), set()).add((kind, min(ka, kb)))
    return [make_link(a, b, shared, policy) for (a, b), shared in sorted(pairs.items())]


class UnionFind:
    """Incremental connected components: union by size with path halving, near-constant time per operation."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        if x not in parent:
            parent[x] = x
            self.size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> bool:
        """Join the components of a and b; False when they were already one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True

    def components(self) -> Iterator[list[str]]:
        groups: dict[str, list[str]] = {}
        for x in self.parent:
            groups.setdefault(self.find(x), []).append(x)
        for members in groups.values():
            yield sorted(members)


def networks(links: Iterable[Link], policy: NetworkPolicy) -> list[list[str]]:
    """Connected components (of two or more sellers) over links at or above the network threshold."""
    uf = UnionFind()
    for link in links:
        if link.strength >= policy.network_threshold:
            uf.union(link.a, link.b)
    return sorted((c for c in uf.components() if len(c) > 1), key=lambda c: (-len(c), c))


# --- ban evasion -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    seller_id: str
    status: str  # active | restricted | suspended
    since: str | None = None  # ISO date the status began, when known


def evasion_links(seller_id: str, links: Sequence[Link], standings: Mapping[str, Standing],
                  policy: NetworkPolicy) -> list[tuple[Link, Standing]]:
    """The links strong enough to hold a seller's listings: to a seller suspended or restricted now."""
    out = []
    for link in links:
        other = standings.get(link.other(seller_id))
        if other is not None and other.status in policy.hold_statuses and link.strength >= policy.hold_threshold:
            out.append((link, other))
    return sorted(out, key=lambda p: (-p[0].strength, p[1].seller_id))


def evasion_reason(link: Link, other: Standing) -> Message:
    """'Shares the bank account of seller X, suspended since 2026-11-03.' for the strongest kind shared."""
    kind = link.kinds[0]
    template = _SHARES[(kind, "suspended" if other.status == "suspended" else "restricted")]
    return msg(template, other=other.seller_id, day=other.since or "?")
