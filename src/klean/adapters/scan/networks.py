"""Seller networks for a whole marketplace in one batch, on columns (numpy + scipy) instead of Python objects.

The same links as klean.domain.seller_network.links_from_facts (checked on samples by the tests and the bench):
exact facts are grouped by a 64-bit digest of their key (sorting, not dicts); photos and texts are found through
the same bands and kept by the same distance and similarity; a fact held by more sellers than its kind allows links
nobody; several kinds between two sellers combine by noisy-OR; networks are the connected components over links at
or above the threshold (scipy's connected_components on the sparse link graph).

Memory is a few columns per fact: a seller index (4 bytes) and a digest (8 bytes), 32 bytes for a photo, 128 for a
text signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from klean.domain.seller_network import EXACT_KINDS, FACT_KINDS, Fact, NetworkPolicy

KIND_BIT = {k: 1 << i for i, k in enumerate(FACT_KINDS)}

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


def key_digest(key: str) -> int:
    """A 64-bit digest of an exact fact's key: ten million keys collide with probability about 3 in a million."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


@dataclass
class FactColumns:
    """Facts as columns. sellers: index -> seller id; exact: kind -> (seller index, key digest); image: (seller
    index, PDQ as 4 uint64 words); text: (seller index, 32 uint32 MinHash values)."""

    sellers: list[str]
    exact: dict[str, tuple[I32, U64]] = field(default_factory=dict)
    image: tuple[I32, U64] | None = None
    text: tuple[I32, npt.NDArray[np.uint32]] | None = None

    @property
    def count(self) -> int:
        n = sum(len(s) for s, _ in self.exact.values())
        n += len(self.image[0]) if self.image is not None else 0
        return n + (len(self.text[0]) if self.text is not None else 0)


def columns_from_facts(facts: Iterable[Fact]) -> FactColumns:
    """Columns from Fact objects (tests, samples, the database's facts)."""
    index: dict[str, int] = {}
    exact: dict[str, tuple[list[int], list[int]]] = {}
    img_s: list[int] = []
    img_h: list[bytes] = []
    txt_s: list[int] = []
    txt_h: list[bytes] = []
    for f in facts:
        s = index.setdefault(f.seller_id, len(index))
        if f.kind == "image":
            img_s.append(s)
            img_h.append(bytes.fromhex(f.key))
        elif f.kind == "text":
            txt_s.append(s)
            txt_h.append(bytes.fromhex(f.key))
        else:
            cols = exact.setdefault(f.kind, ([], []))
            cols[0].append(s)
            cols[1].append(key_digest(f.key))
    out = FactColumns(sellers=list(index))
    out.exact = {k: (np.array(s, dtype=np.int32), np.array(h, dtype=np.uint64)) for k, (s, h) in exact.items()}
    if img_s:
        out.image = (np.array(img_s, dtype=np.int32),
                     np.frombuffer(b"".join(img_h), dtype=">u8").astype(np.uint64).reshape(-1, 4))
    if txt_s:
        out.text = (np.array(txt_s, dtype=np.int32),
                    np.frombuffer(b"".join(txt_h), dtype=">u4").astype(np.uint32).reshape(-1, 32))
    return out


@dataclass
class LinkColumns:
    a: I32  # seller index, a < b
    b: I32
    strength: npt.NDArray[np.float64]
    kinds: I64  # bit set of KIND_BIT

    def __len__(self) -> int:
        return len(self.a)

    def as_tuples(self, sellers: Sequence[str]) -> list[tuple[str, str, tuple[str, ...], float]]:
        """(a, b, kinds, strength) by seller id, a < b, sorted: comparable with the domain's links."""
        out = []
        for a, b, s, k in zip(self.a.tolist(), self.b.tolist(), self.strength.tolist(), self.kinds.tolist(),
                              strict=True):
            x, y = sorted((sellers[a], sellers[b]))
            out.append((x, y, tuple(sorted(kind for kind, bit in KIND_BIT.items() if k & bit)), round(s, 6)))
        return sorted(out)


def _group_pairs(keys: npt.NDArray[np.uint64], limit: int, lo: int = 2) -> tuple[I64, I64]:
    """Index pairs (i < j in sorted order, as original indices) of equal keys in groups of lo..limit members."""
    if len(keys) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    sizes = np.diff(np.r_[starts, len(sk)])
    left: list[I64] = []
    right: list[I64] = []
    for size in np.unique(sizes[(sizes >= lo) & (sizes <= limit)]).tolist():
        group_starts = starts[sizes == size]
        iu, ju = np.triu_indices(size, k=1)
        left.append(order[(group_starts[:, None] + iu[None, :]).ravel()])
        right.append(order[(group_starts[:, None] + ju[None, :]).ravel()])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left).astype(np.int64), np.concatenate(right).astype(np.int64)


def _exact_pairs(seller: I32, digest: U64, max_sellers: int) -> tuple[I64, I64]:
    # One row per (seller, key): a seller giving its bank account twice is one holder.
    both = np.unique(np.stack([digest, seller.astype(np.uint64)], axis=1), axis=0)
    i, j = _group_pairs(both[:, 0], max_sellers)
    return both[i, 1].astype(np.int64), both[j, 1].astype(np.int64)


def _near_pairs(seller: I32, words: npt.NDArray[np.uint64] | npt.NDArray[np.uint32], kind: str,
                policy: NetworkPolicy) -> tuple[I64, I64]:
    """Seller pairs linked by near-duplicate photos (PDQ) or texts (MinHash), with the common-hash rule."""
    # Distinct (seller, hash) rows; hashes numbered so that identical hashes share one holder set.
    rows = np.unique(np.concatenate([seller[:, None].astype(words.dtype), words], axis=1), axis=0)
    seller_u = rows[:, 0].astype(np.int64)
    hashes = rows[:, 1:]
    _, hash_id = np.unique(hashes, axis=0, return_inverse=True)
    hash_id = hash_id.ravel()
    if kind == "image":  # 8 bands of 32 bits
        band_vals = [(hashes[:, w] >> np.uint64(shift)) & np.uint64(0xFFFFFFFF)
                     for w in range(4) for shift in (32, 0)]
    else:  # 16 bands of two MinHash values
        h64 = hashes.astype(np.uint64)
        band_vals = [(h64[:, 2 * b] << np.uint64(32)) | h64[:, 2 * b + 1] for b in range(16)]
    # A hash one of whose band values is found in more facts than max_sellers is a stock photo or a copied
    # description, however re-saved or edited: it links nobody, and its crowded bands are never paired.
    limit = policy.max_sellers(kind)
    crowded = np.zeros(len(rows), dtype=bool)
    for vals in band_vals:
        _, inverse, counts = np.unique(vals, return_inverse=True, return_counts=True)
        crowded |= counts[inverse.ravel()] > limit
    cand_i: list[I64] = []
    cand_j: list[I64] = []
    for vals in band_vals:
        i, j = _group_pairs(vals[~crowded].astype(np.uint64), limit)
        live = np.flatnonzero(~crowded)
        i, j = live[i], live[j]
        keep = seller_u[i] != seller_u[j]
        cand_i.append(i[keep])
        cand_j.append(j[keep])
    if not cand_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ci, cj = np.concatenate(cand_i), np.concatenate(cand_j)
    lo, hi = np.minimum(ci, cj), np.maximum(ci, cj)
    pair = np.unique(np.stack([lo, hi], axis=1), axis=0)
    if len(pair) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    i, j = pair[:, 0], pair[:, 1]
    if kind == "image":
        dist = np.bitwise_count(hashes[i] ^ hashes[j]).sum(axis=1)
        near = dist <= policy.image_max_distance
    else:
        near = (hashes[i] == hashes[j]).mean(axis=1) >= policy.text_min_similarity
    i, j = i[near], j[near]
    # Holders of each hash: its own sellers and the sellers of the hashes near it (as the domain counts them).
    hk = np.concatenate([hash_id[i], hash_id[i], hash_id[j], hash_id[j]])
    hs = np.concatenate([seller_u[i], seller_u[j], seller_u[j], seller_u[i]])
    distinct = np.unique(np.stack([hk, hs], axis=1), axis=0)
    holders = np.bincount(distinct[:, 0], minlength=int(hash_id.max()) + 1)
    common = np.maximum(holders[hash_id[i]], holders[hash_id[j]]) > policy.max_sellers(kind)
    return seller_u[i][~common], seller_u[j][~common]


def build_links(cols: FactColumns, policy: NetworkPolicy) -> LinkColumns:
    """Every link among the facts, strengths combined per pair by noisy-OR over the kinds shared."""
    parts_a: list[I64] = []
    parts_b: list[I64] = []
    parts_k: list[I64] = []
    for kind in EXACT_KINDS:
        if kind not in cols.exact or policy.strength(kind) <= 0:
            continue
        a, b = _exact_pairs(*cols.exact[kind], policy.max_sellers(kind))
        parts_a.append(a)
        parts_b.append(b)
        parts_k.append(np.full(len(a), KIND_BIT[kind], np.int64))
    for kind, data in (("image", cols.image), ("text", cols.text)):
        if data is None or policy.strength(kind) <= 0:
            continue
        a, b = _near_pairs(data[0], data[1], kind, policy)
        parts_a.append(a)
        parts_b.append(b)
        parts_k.append(np.full(len(a), KIND_BIT[kind], np.int64))
    if not parts_a:
        empty = np.empty(0, np.int32)
        return LinkColumns(empty, empty, np.empty(0), np.empty(0, np.int64))
    a_all, b_all = np.concatenate(parts_a), np.concatenate(parts_b)
    lo, hi = np.minimum(a_all, b_all), np.maximum(a_all, b_all)
    # One row per (pair, kind), then the kinds of each pair OR-ed together and their strengths combined.
    triples = np.unique(np.stack([lo, hi, np.concatenate(parts_k)], axis=1), axis=0)
    pairs, inverse = np.unique(triples[:, :2], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    strength_of = {KIND_BIT[k]: policy.strength(k) for k in FACT_KINDS}
    s = np.vectorize(strength_of.__getitem__, otypes=[np.float64])(triples[:, 2]) if len(triples) else np.empty(0)
    with np.errstate(divide="ignore"):
        log_miss = np.bincount(inverse, weights=np.log1p(-s), minlength=len(pairs))
    kinds = np.zeros(len(pairs), np.int64)
    np.bitwise_or.at(kinds, inverse, triples[:, 2])
    return LinkColumns(pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32),
                       np.round(1.0 - np.exp(log_miss), 6), kinds)


def network_labels(links: LinkColumns, n_sellers: int, policy: NetworkPolicy) -> I32:
    """A network label per seller: connected components over links at or above the network threshold."""
    keep = links.strength >= policy.network_threshold
    graph = coo_matrix((np.ones(int(keep.sum()), np.int8), (links.a[keep], links.b[keep])),
                       shape=(n_sellers, n_sellers))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int32)


def networks_of(labels: I32, sellers: Sequence[str]) -> list[list[str]]:
    """Networks of two or more sellers, as the domain's networks() lists them."""
    counts = np.bincount(labels)
    groups: dict[int, list[str]] = {}
    for idx in np.flatnonzero(counts[labels] > 1).tolist():
        groups.setdefault(int(labels[idx]), []).append(sellers[idx])
    return sorted((sorted(g) for g in groups.values()), key=lambda c: (-len(c), c))


def columnar_engine(facts: list[Fact], policy: NetworkPolicy) -> tuple[int, list[list[str]]]:
    """The rebuild engine for `klean networks rebuild`: (how many links, the networks) of every stored fact."""
    cols = columns_from_facts(facts)
    links = build_links(cols, policy)
    return len(links), networks_of(network_labels(links, len(cols.sellers), policy), cols.sellers)
