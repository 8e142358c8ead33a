"""Image signals: a listing image that is a brand's official photo, or a known fake's photo.

Matching is by PDQ hash (Meta's open perceptual hash) at a Hamming distance of at most
`max_distance` (31 of 256 bits by default, the threshold hash-sharing programmes use), over all 8
dihedral variants of the listing image, so a mirrored or rotated copy matches too. Bank hashes sit
in a faiss binary index: exact (IndexBinaryFlat) while the banks are small, an inverted-file index
(IndexBinaryIVF) once they are large, with `nprobe` chosen for >= 0.99 recall at distance 31.

Partial copies (crops, a mirror and a crop, small turns, banners, borders, collages, screenshots) are found by a
second, region stage (klean.signals.image_regions): the regions of the listing photo computed at intake (anchored
and centred windows, the photo inside a border, the photos of a collage or screenshot, the photo turned back)
are looked up among the windows of the bank photos whose pixels Klean holds (and, for the found photos, among
the whole-image hashes, so a hex-only bank still catches borders, collages and screenshots), at the stricter
`region_max_distance`. Each region match names the region of the listing photo, what was done to the bank photo
and the distance.

Negative-bank matches (stock photos, a marketplace's own placeholders) cancel every other match of
that image. A flooded bank entry (one suddenly matching far more listings than usual, see
klean.domain.images.flooded_entries) still yields evidence, but only at `flood_weight`: enough for
review, not for an automatic block.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import faiss
import numpy as np

from klean.domain.images import (
    DIHEDRAL,
    BankEntry,
    BankWindow,
    ImageBanks,
    ImageFeatures,
    ImagePolicy,
    LogoTemplate,
    Region,
)
from klean.domain.listing import ImageRef, Listing, Money
from klean.domain.messages import N_, msg
from klean.domain.registry import Authorisation, Brand, BrandImage, RegistrySnapshot
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals.image_regions import WHOLE, compatible

INDEX_KEY = "images"
FLAT_BELOW = 200_000  # below this many hashes an exact flat scan takes well under a millisecond
# What the listing image is, relative to the bank image, when dihedral variant i of the listing matches.
TRANSFORM_WORDS = ("as is", "rotated 90° clockwise", "rotated 180°", "rotated 90° anticlockwise",
                   "flipped upside down", "mirrored", "transposed", "transposed the other way")
assert len(TRANSFORM_WORDS) == len(DIHEDRAL)


def _codes(hashes: Sequence[str]) -> np.ndarray:
    if not hashes:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(b"".join(bytes.fromhex(h) for h in hashes), dtype=np.uint8).reshape(len(hashes), 32)


@dataclass(frozen=True)
class HashMatch:
    image: int  # 1-based position in the listing
    entry: BankEntry
    distance: int
    variant: int  # index into DIHEDRAL / TRANSFORM_WORDS
    flooded: bool
    region: Region | None = None  # set for a region-stage match: which part of the listing photo matched
    bank_kind: str = WHOLE  # which part of the bank photo it matched (its whole hash or one of its windows)
    mirrored: bool = False
    box: tuple[int, int, int, int] | None = None  # x, y, width, height in the listing photo's pixels

    @property
    def transform(self) -> str:
        if self.region is None:
            return TRANSFORM_WORDS[self.variant]
        return describe_region_match(self.region, self.bank_kind, self.mirrored)


def describe_region_match(region: Region, bank_kind: str, mirrored: bool) -> str:
    """In words, what was done to the bank photo to give the listing photo (for the reason)."""
    words = ["mirrored"] if mirrored else []
    if region.kind == "turned" or region.angle:
        words.append(f"turned {abs(round(region.angle))}° {'anticlockwise' if region.angle > 0 else 'clockwise'}")
    if region.kind == "content":
        words.append("inside a plain border")
    elif region.kind == "photo":
        words.append("found within a larger picture: a collage, a screenshot or a banner")
    side = bank_kind.partition("-")[0]
    if side in ("left", "right", "top", "bottom"):
        words.append(f"its {side} part kept, cropped, covered or extended elsewhere")
    elif bank_kind.startswith("centre-") and not region.angle:
        kept = float(bank_kind.partition("-")[2]) / {"centre-0.98": 0.98, "centre-0.96": 0.96}.get(region.kind, 1.0)
        words.append(f"cropped around its centre to about {round(100 * min(1.0, kept) ** 2)}% of its area")
    elif bank_kind.startswith("centre-"):
        words.append("its corners cut")
    elif bank_kind == "content":
        words.append("on another background")
    return ", ".join(words) or "as is"


class HashIndex:
    """Bank PDQ hashes in a faiss binary index with incremental add.

    Entry metadata is kept in columns (numpy arrays and interned strings), not one object per entry, so a
    million-entry bank stays small and pickles fast; pickling carries the serialised faiss index, so a scan
    worker or Spark executor does not retrain it.
    """

    _BANK_CODES = ("official", "known_fake", "negative")

    def __init__(self, entries: Iterable[BankEntry] = (), *, flat_below: int = FLAT_BELOW,
                 recall_nprobe_fraction: float = 0.08) -> None:
        self.flat_below = flat_below
        self.nprobe_fraction = recall_nprobe_fraction
        self._ids = np.zeros(0, np.int64)
        self._banks = np.zeros(0, np.int8)
        self._quality = np.zeros(0, np.int16)  # -1: unknown
        self._brand_no = np.zeros(0, np.int32)  # index into _brand_names; 0 is None
        self._brand_names: list[str | None] = [None]
        self._sources: list[str | None] = []
        self._index: Any = faiss.IndexBinaryFlat(256)
        self.add(list(entries))

    @property
    def kind(self) -> str:
        return "flat" if isinstance(self._index, faiss.IndexBinaryFlat) else "ivf"

    def __len__(self) -> int:
        return len(self._ids)

    def entry(self, pos: int) -> BankEntry:
        """The bank entry at a position the index returned."""
        quality = int(self._quality[pos])
        code = self._index.reconstruct(int(pos)) if self.kind == "flat" else None
        return BankEntry(id=int(self._ids[pos]), bank=self._BANK_CODES[int(self._banks[pos])],
                         pdq=bytes(code).hex() if code is not None else self._pdq_at(pos),
                         quality=None if quality < 0 else quality,
                         brand_id=self._brand_names[int(self._brand_no[pos])], source_ref=self._sources[pos])

    def _pdq_at(self, pos: int) -> str:
        try:
            return bytes(self._index.reconstruct(int(pos))).hex()
        except RuntimeError:  # an IVF index without a direct map: the hash is not needed to explain a match
            return ""

    @property
    def entries(self) -> list[BankEntry]:
        return [self.entry(i) for i in range(len(self))]

    def add(self, entries: Sequence[BankEntry]) -> None:
        """Add entries; moves from the exact flat index to IVF when the bank outgrows `flat_below`."""
        if not entries:
            return
        codes = _codes([e.pdq for e in entries])
        brand_no = {name: i for i, name in enumerate(self._brand_names)}
        numbers = []
        for e in entries:
            if e.brand_id not in brand_no:
                brand_no[e.brand_id] = len(self._brand_names)
                self._brand_names.append(e.brand_id)
            numbers.append(brand_no[e.brand_id])
        self._ids = np.concatenate([self._ids, np.fromiter((e.id for e in entries), np.int64, len(entries))])
        self._banks = np.concatenate([self._banks, np.fromiter(
            (self._BANK_CODES.index(e.bank) for e in entries), np.int8, len(entries))])
        self._quality = np.concatenate([self._quality, np.fromiter(
            (-1 if e.quality is None else e.quality for e in entries), np.int16, len(entries))])
        self._brand_no = np.concatenate([self._brand_no, np.array(numbers, np.int32)])
        self._sources.extend(e.source_ref for e in entries)
        if self.kind == "flat" and len(self._ids) >= self.flat_below:
            before = self._index.reconstruct_n(0, self._index.ntotal) if self._index.ntotal else \
                np.zeros((0, 32), np.uint8)
            every = np.concatenate([before, codes])
            self._index = self._train_ivf(every)
            self._index.add(every)
        else:
            self._index.add(codes)

    def _train_ivf(self, codes: np.ndarray) -> Any:
        # About 500 hashes per list; probing 8% of the lists (at least 64) measured >= 0.99 recall at distance
        # 31 against exact search on random hashes with planted near-duplicates (bench/images.py), the hardest
        # case: real PDQ hashes cluster, which only helps an inverted file.
        nlist = max(64, int(len(codes) // 500))
        quantizer = faiss.IndexBinaryFlat(256)
        index = faiss.IndexBinaryIVF(quantizer, 256, nlist)
        rng = np.random.default_rng(0)
        sample = codes[rng.choice(len(codes), size=min(len(codes), 40 * nlist), replace=False)]
        index.train(sample)
        index.nprobe = min(nlist, max(64, int(nlist * self.nprobe_fraction)))
        index.make_direct_map()  # so a matched entry's hash can be shown
        return index

    def range_search(self, hashes: Sequence[str], max_distance: int) -> list[list[tuple[int, int]]]:
        """For each query hash, (position in entries, distance) of every entry within max_distance."""
        return self.range_search_codes(_codes(hashes), max_distance)

    def range_search_codes(self, codes: np.ndarray, max_distance: int) -> list[list[tuple[int, int]]]:
        """range_search for codes given as a (n, 32) uint8 array."""
        if not len(codes) or not len(self._ids):
            return [[] for _ in range(len(codes))]
        lims, dist, ids = self._index.range_search(np.ascontiguousarray(codes), max_distance + 1)  # strictly below
        return [[(int(ids[j]), int(dist[j])) for j in range(lims[i], lims[i + 1])] for i in range(len(codes))]

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "_index"}
        state["_faiss"] = faiss.serialize_index_binary(self._index)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        serialized = state.pop("_faiss")
        self.__dict__.update(state)
        self._index = faiss.deserialize_index_binary(serialized)  # already the concrete class; owns its memory


class WindowIndex:
    """Hashed windows of bank photos (klean.signals.image_regions.bank_windows), each tied to its photo's whole PDQ.

    One index per window kind (left-0.5, centre-0.94, ...), because a listing region is only ever compared with the
    kinds it may stand for: a lookup scans a few of the kinds, not every window. Columns, not objects: a million
    photos have about seven million windows. Exact (flat) below FLAT_BELOW codes per kind, an inverted file above,
    as HashIndex."""

    def __init__(self, windows: Iterable[BankWindow] = (), *, flat_below: int = FLAT_BELOW,
                 nprobe_fraction: float = 0.08) -> None:
        self.flat_below = flat_below
        self.nprobe_fraction = nprobe_fraction
        self.kinds: list[str] = []
        self._parts: dict[str, _WindowPart] = {}
        self.add(list(windows))

    def __len__(self) -> int:
        return sum(len(p.parents) for p in self._parts.values())

    def add(self, windows: Sequence[BankWindow]) -> None:
        if not windows:
            return
        for w in windows:
            if w.kind not in self.kinds:
                self.kinds.append(w.kind)
        numbers = {k: i for i, k in enumerate(self.kinds)}
        self.add_arrays(_codes([w.parent for w in windows]), np.array([numbers[w.kind] for w in windows], np.int16),
                        np.frombuffer(b"".join(w.pdq for w in windows), np.uint8).reshape(-1, 32))

    def add_arrays(self, parents: np.ndarray, kind_numbers: np.ndarray, codes: np.ndarray) -> None:
        """Add windows as arrays (kind numbers index `self.kinds`): how a bank of a million photos is loaded."""
        for number in np.unique(kind_numbers):
            rows = np.nonzero(kind_numbers == number)[0]
            part = self._parts.setdefault(self.kinds[int(number)], _WindowPart())
            part.add(parents[rows], codes[rows], self.flat_below, self.nprobe_fraction)

    def search(self, codes: np.ndarray, kinds: Sequence[Sequence[str]],
               max_distance: int) -> list[list[tuple[str, bytes, int]]]:
        """For each query code: (window kind, parent PDQ bytes, distance) of every window within max_distance among
        the kinds listed for that code."""
        out: list[list[tuple[str, bytes, int]]] = [[] for _ in range(len(codes))]
        for kind, part in self._parts.items():
            rows = [i for i, wanted in enumerate(kinds) if kind in wanted]
            if not rows or not len(part.parents):
                continue
            lims, dist, ids = part.index.range_search(np.ascontiguousarray(codes[rows]), max_distance + 1)
            for k, row in enumerate(rows):
                out[row] += [(kind, part.parents[ids[j]].tobytes(), int(dist[j])) for j in range(lims[k], lims[k + 1])]
        return out


class _WindowPart:
    """The windows of one kind: their codes in a faiss index and their photos' whole PDQ."""

    def __init__(self) -> None:
        self.parents = np.zeros((0, 32), np.uint8)
        self.index: Any = faiss.IndexBinaryFlat(256)

    def add(self, parents: np.ndarray, codes: np.ndarray, flat_below: int, nprobe_fraction: float) -> None:
        self.parents = np.concatenate([self.parents, parents])
        if isinstance(self.index, faiss.IndexBinaryFlat) and len(self.parents) >= flat_below:
            before = self.index.reconstruct_n(0, self.index.ntotal) if self.index.ntotal else \
                np.zeros((0, 32), np.uint8)
            every = np.ascontiguousarray(np.concatenate([before, codes]))
            self.index = _train_ivf(every, nprobe_fraction)
            self.index.add(every)
        else:
            self.index.add(np.ascontiguousarray(codes))

    def __getstate__(self) -> dict[str, Any]:
        return {"parents": self.parents, "faiss": faiss.serialize_index_binary(self.index)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.parents = state["parents"]
        self.index = faiss.deserialize_index_binary(state["faiss"])


def _train_ivf(codes: np.ndarray, nprobe_fraction: float) -> Any:
    nlist = max(64, int(len(codes) // 500))
    quantizer = faiss.IndexBinaryFlat(256)
    index = faiss.IndexBinaryIVF(quantizer, 256, nlist)
    rng = np.random.default_rng(0)
    index.train(codes[rng.choice(len(codes), size=min(len(codes), 40 * nlist), replace=False)])
    index.nprobe = min(nlist, max(64, int(nlist * nprobe_fraction)))
    return index


class ImageIndex:
    """What the image signals compiled: the hash index, flooded entries, logo templates and the policy."""

    def __init__(self, entries: Iterable[BankEntry], *, policy: ImagePolicy | None = None,
                 flooded: Iterable[int] = (), logos: Iterable[LogoTemplate] = (), version: str = "",
                 windows: Iterable[BankWindow] = ()) -> None:
        self.policy = policy or ImagePolicy()
        self.hashes = HashIndex(entries)
        self.windows = WindowIndex(windows)
        self.flooded = frozenset(flooded)
        self.logos = tuple(logos)
        self.version = version
        self._memo: OrderedDict[tuple[Any, ...], list[HashMatch]] = OrderedDict()
        self._lock = threading.Lock()
        self._logo_stack: tuple[Any, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"policy": self.policy, "hashes": self.hashes, "flooded": self.flooded, "logos": self.logos,
                "version": self.version, "windows": self.windows}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._memo = OrderedDict()
        self._lock = threading.Lock()
        self._logo_stack = None

    def logo_stack(self) -> Any:
        """All logo descriptors stacked for one-pass matching (klean.signals.logo.LogoStack), built once."""
        cached = self._logo_stack
        if cached is None or cached[0] is not self.logos:  # rebuilt if someone swaps the logos
            from klean.signals.logo import LogoStack

            cached = self._logo_stack = (self.logos, LogoStack.of(self.logos, self.policy.logo_min_inliers))
        return cached[1]

    def add(self, entries: Sequence[BankEntry], windows: Sequence[BankWindow] = ()) -> None:
        """Add bank entries (and their photos' windows) without rebuilding (e.g. a fake just confirmed)."""
        with self._lock:
            self.hashes.add(entries)
            self.windows.add(windows)
            self._memo.clear()

    def matches(self, listing: Listing) -> list[HashMatch]:
        """Every bank entry one of the listing's usable images matches (the best match per image and entry).

        First the whole image (8 dihedral variants, `max_distance`); then, for pairs the whole image did not
        match, the image's regions (`region_max_distance`). Images matching the negative bank in either stage are
        dropped entirely. Memoised per image set, because both hash signals ask for the same listing.
        """
        queries = _image_queries(listing, self.policy.min_quality)
        regional = _image_regions(listing, self.policy.min_quality)
        key = (tuple(queries), tuple((i, f.sha256, len(f.regions)) for i, f in regional))
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        flat = [h for _, variants in queries for h in variants]
        found = self.hashes.range_search(flat, self.policy.max_distance)
        best: dict[tuple[int, int], HashMatch] = {}
        negative_images: set[int] = set()
        k = 0
        for image, variants in queries:
            for v in range(len(variants)):
                for pos, distance in found[k]:
                    entry = self.hashes.entry(pos)
                    if entry.bank == "negative":
                        negative_images.add(image)
                    current = best.get((image, pos))
                    if current is None or distance < current.distance:
                        best[(image, pos)] = HashMatch(image=image, entry=entry, distance=distance, variant=v,
                                                       flooded=entry.id in self.flooded)
                k += 1
        for m in self._region_matches(regional):
            if m.entry.bank == "negative":
                negative_images.add(m.image)
            pair = (m.image, m.variant)  # variant carries the entry's position for region matches (see below)
            current = best.get(pair)
            if current is None or _explains_better(m, current):
                best[pair] = m
        result = sorted((_as_region_match(m) for m in best.values()
                         if m.image not in negative_images and m.entry.bank != "negative"),
                        key=lambda m: (m.image, m.region is not None, m.distance, m.entry.id))
        with self._lock:
            self._memo[key] = result
            while len(self._memo) > 256:
                self._memo.popitem(last=False)
        return result

    def _region_matches(self, regional: list[tuple[int, ImageFeatures]]) -> list[HashMatch]:
        """Region-stage matches; each carries its entry's index position in `variant` until _as_region_match."""
        limit = self.policy.region_max_distance
        rows: list[tuple[int, ImageFeatures, Region, bool]] = []
        for image, features in regional:
            for r in features.regions:
                if r.quality >= self.policy.min_quality:
                    rows += [(image, features, r, False), (image, features, r, True)]
        if not rows or not len(self.hashes):
            return []
        codes = np.frombuffer(b"".join(r.mirrored if m else r.pdq for _, _, r, m in rows), np.uint8).reshape(-1, 32)
        hits: list[tuple[int, str, int, int]] = []  # (row, bank kind, entry position, distance)
        found_photos = [k for k, (_, _, r, _) in enumerate(rows) if r.kind in ("content", "photo", "turned")]
        if found_photos:
            for k, got in zip(found_photos, self.hashes.range_search_codes(codes[found_photos], limit), strict=True):
                hits += [(k, WHOLE, pos, d) for pos, d in got]
        parents: dict[bytes, list[int]] = {}
        wanted = [[kind for kind in self.windows.kinds if compatible(r.kind, m, kind)] for _, _, r, m in rows]
        for k, got in enumerate(self.windows.search(codes, wanted, limit)):
            for bank_kind, parent, d in got:
                if parent not in parents:  # the bank entries holding that photo (its exact whole hash)
                    parents[parent] = [p for p, _ in self.hashes.range_search_codes(
                        np.frombuffer(parent, np.uint8)[None, :], 0)[0]]
                hits += [(k, bank_kind, pos, d) for pos in parents[parent]]
        out = []
        for k, bank_kind, pos, d in hits:
            image, features, region, mirrored = rows[k]
            entry = self.hashes.entry(pos)
            x0, y0, x1, y1 = region.box
            box = (round(x0 * features.width), round(y0 * features.height), round((x1 - x0) * features.width),
                   round((y1 - y0) * features.height))
            out.append(HashMatch(image=image, entry=entry, distance=d, variant=pos, flooded=entry.id in self.flooded,
                                 region=region, bank_kind=bank_kind, mirrored=mirrored, box=box))
        return out


REGION_BETTER_BY = 10  # a region match explains a whole-image match this much closer (a crop near the threshold)


def _explains_better(new: HashMatch, old: HashMatch) -> bool:
    """Between two matches of one image to one entry, the one that explains it better: the whole image unless a
    region is much closer; among regions, a whole bank photo found (in a border, collage, screenshot, turned
    back) before a window of it, then the closer."""
    if old.region is None:
        return old.distance - new.distance >= REGION_BETTER_BY
    return _region_rank(new) < _region_rank(old)


def _region_rank(m: HashMatch) -> tuple[int, int]:
    return (0 if m.bank_kind in (WHOLE, "content") else 1), m.distance


def _as_region_match(m: HashMatch) -> HashMatch:
    return m if m.region is None else HashMatch(image=m.image, entry=m.entry, distance=m.distance, variant=0,
                                                flooded=m.flooded, region=m.region, bank_kind=m.bank_kind,
                                                mirrored=m.mirrored, box=m.box)


def _image_regions(listing: Listing, min_quality: int) -> list[tuple[int, ImageFeatures]]:
    return [(i, ref.features) for i, ref in enumerate(listing.images, start=1)
            if isinstance(ref.features, ImageFeatures) and ref.features.regions]


def _image_queries(listing: Listing, min_quality: int) -> list[tuple[int, tuple[str, ...]]]:
    out = []
    for i, ref in enumerate(listing.images, start=1):
        features = ref.features
        if isinstance(features, ImageFeatures):
            if features.quality < min_quality:
                continue  # a flat or tiny image: its hash would match unrelated flat images
            out.append((i, features.variants or (features.pdq,)))
        elif ref.pdq:
            out.append((i, (ref.pdq.lower(),)))  # marketplace-supplied hash: no variants, quality unknown
    return out


def official_entries(snapshot: RegistrySnapshot) -> list[BankEntry]:
    """The registry's official images that carry a PDQ hash, as official-bank entries (negative ids)."""
    out: list[BankEntry] = []
    for brand in snapshot.brands:
        for img in brand.images:
            if img.kind == "official" and img.pdq:
                out.append(BankEntry(id=-(len(out) + 1), bank="official", pdq=img.pdq.lower(), brand_id=brand.id,
                                     source_ref=f"brand_image:{(img.sha256 or img.pdq)[:12]}"))
    return out


def build_image_index(snapshot: RegistrySnapshot, banks: ImageBanks | None = None,
                      policy: ImagePolicy | None = None) -> ImageIndex:
    """Build the image index once for a screening context: the banks plus the registry's official images."""
    banks = banks or ImageBanks()
    seen = {(e.bank, e.pdq, e.brand_id) for e in banks.entries}
    extra = [e for e in official_entries(snapshot) if (e.bank, e.pdq, e.brand_id) not in seen]
    return ImageIndex([*banks.entries, *extra], policy=policy, flooded=banks.flooded, logos=banks.logos,
                      version=f"{snapshot.version}/{banks.version}", windows=banks.windows)


def image_index(ctx: ScreeningContext) -> ImageIndex:
    """The context's image index; built from the snapshot alone (official images only) when absent."""
    index = ctx.indexes.get(INDEX_KEY)
    if not isinstance(index, ImageIndex):
        index = ctx.indexes[INDEX_KEY] = build_image_index(ctx.snapshot)
    return index


def authorised(brand: Brand | None, seller_id: str, day: date) -> bool:
    return brand is not None and any(a.seller_id == seller_id and a.valid_on(day) for a in brand.authorisations)


def _rank(m: HashMatch) -> tuple[bool, int, int]:
    # A whole-image match explains more simply than a region's; a whole bank photo found before a window of it.
    return m.region is not None, _region_rank(m)[0] if m.region is not None else 0, m.distance


def _params(m: HashMatch) -> dict[str, Any]:
    """The reason's parameters; a region match adds where it is in the listing photo (x, y, w, h in its pixels),
    which region it was (region_kind), the bank photo's part (bank_part), the turn and the mirror."""
    params: dict[str, Any] = {"image": m.image, "transform": m.transform, "entry": m.entry.source_ref or
                              f"#{m.entry.id}", "distance": m.distance, "entry_id": m.entry.id}
    if m.region is not None and m.box is not None:
        x, y, w, h = m.box
        params.update(x=x, y=y, w=w, h=h, region_kind=m.region.kind, bank_part=m.bank_kind,
                      angle=round(m.region.angle, 1), mirrored=m.mirrored)
    return params


class OfficialImageReuse:
    """A listing image is a brand's official photo and the seller is not authorised for that brand."""

    name: ClassVar[str] = "official_image_reuse"

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        if not listing.images:
            return ()
        index = image_index(ctx)
        best: dict[str, HashMatch] = {}
        for m in index.matches(listing):
            if m.entry.bank != "official" or m.entry.brand_id is None:
                continue
            if m.entry.brand_id not in best or _rank(m) < _rank(best[m.entry.brand_id]):
                best[m.entry.brand_id] = m
        out = []
        for brand_id, m in best.items():
            brand = ctx.snapshot.brand(brand_id)
            if authorised(brand, listing.seller_id, ctx.today):
                continue
            weight = index.policy.flood_weight if m.flooded else index.policy.official_reuse_weight
            params = _params(m)
            if m.region is not None:
                template = N_("Image {image} shows {brand}'s official photo ({transform}): the region at x={x}, y={y}, "
                              "{w}x{h} px matches bank entry {entry} at PDQ distance {distance} of 256, and the seller "
                              "is not authorised for {brand}.") if not m.flooded else \
                    N_("Image {image} shows {brand}'s official photo ({transform}): the region at x={x}, y={y}, "
                       "{w}x{h} px matches bank entry {entry} at PDQ distance {distance} of 256, and the seller is not "
                       "authorised for {brand}. The entry is matching far more listings than usual, so this only asks "
                       "for review.")
            else:
                template = N_("Image {image} is {brand}'s official photo ({transform}; bank entry {entry}, PDQ "
                              "distance {distance} of 256) and the seller is not authorised for {brand}.") \
                    if not m.flooded else \
                    N_("Image {image} is {brand}'s official photo ({transform}; bank entry {entry}, PDQ distance "
                       "{distance} of 256) and the seller is not authorised for {brand}. The entry is matching far "
                       "more listings than usual, so this only asks for review.")
            out.append(Evidence(signal=self.name, weight=weight, brand_id=brand_id, span=None, reason=msg(
                template, brand=brand.name if brand else brand_id, **params), code="official_image"))
        return out

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return _examples("official")


class KnownFakeImage:
    """A listing image matches the photo of a confirmed fake (takedowns, test buys)."""

    name: ClassVar[str] = "known_fake_image"

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        if not listing.images:
            return ()
        index = image_index(ctx)
        best: HashMatch | None = None
        for m in index.matches(listing):
            if m.entry.bank == "known_fake" and (best is None or _rank(m) < _rank(best)):
                best = m
        if best is None:
            return []
        weight = index.policy.flood_weight if best.flooded else index.policy.known_fake_weight
        if best.region is not None:
            template = N_("Image {image} shows the photo of a confirmed fake ({transform}): the region at x={x}, "
                          "y={y}, {w}x{h} px matches bank entry {entry} at PDQ distance {distance} of 256.") \
                if not best.flooded else \
                N_("Image {image} shows the photo of a confirmed fake ({transform}): the region at x={x}, y={y}, "
                   "{w}x{h} px matches bank entry {entry} at PDQ distance {distance} of 256. The entry is matching "
                   "far more listings than usual, so this only asks for review.")
        else:
            template = N_("Image {image} is the photo of a confirmed fake ({transform}; bank entry {entry}, PDQ "
                          "distance {distance} of 256).") if not best.flooded else \
                N_("Image {image} is the photo of a confirmed fake ({transform}; bank entry {entry}, PDQ distance "
                   "{distance} of 256). The entry is matching far more listings than usual, so this only asks for "
                   "review.")
        return [Evidence(signal=self.name, weight=weight, brand_id=best.entry.brand_id, span=None,
                         reason=msg(template, **_params(best)), code="known_fake_image")]

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        return _examples("known_fake")


# --- examples: synthetic hashes, so the signals' own examples carry their own bank -------------------------

def _example_hash(seed: int, flips: int = 0) -> str:
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, 256, dtype=np.uint8)
    if flips:
        bits[rng.choice(256, flips, replace=False)] ^= 1
    return np.packbits(bits).tobytes().hex()


def _example_features(seed: int, flips: int, variant: int = 0, quality: int = 100) -> ImageFeatures:
    """Features whose dihedral variant `variant` is the bank hash `seed` with `flips` bits changed."""
    variants = [_example_hash(seed * 100 + 50 + k) for k in range(8)]
    variants[variant] = _example_hash(seed, flips)
    return ImageFeatures(sha256=f"{seed:064x}", width=1024, height=768, pdq=variants[0], quality=quality,
                         variants=tuple(variants))


EXAMPLE_SNAPSHOT = RegistrySnapshot(brands=(
    Brand(id="samsung", name="Samsung", marks=("Samsung", "삼성", "三星"), owner="Samsung Electronics",
          authorisations=(Authorisation(seller_id="samsung-official-store", brand_id="samsung"),),
          images=(BrandImage(kind="official", sha256="a" * 64, pdq=_example_hash(1)),)),
    Brand(id="chanel", name="Chanel", marks=("Chanel", "샤넬", "香奈儿"), owner="Chanel S.A.",
          authorisations=(Authorisation(seller_id="chanel-boutique-seoul", brand_id="chanel"),)),
), version="examples")
EXAMPLE_BANKS = ImageBanks(entries=(
    BankEntry(id=1, bank="known_fake", pdq=_example_hash(2), brand_id="chanel", source_ref="testbuy:17"),
    BankEntry(id=2, bank="negative", pdq=_example_hash(3), source_ref="stock:white-sneaker"),
    BankEntry(id=3, bank="official", pdq=_example_hash(3), brand_id="samsung", source_ref="brand_image:stock"),
), version="examples")


def example_context(today: date | None = None) -> ScreeningContext:
    """A context holding the examples' registry and banks (used by the contract test)."""
    from klean.signals.logo_examples import example_logos

    ctx = ScreeningContext(snapshot=EXAMPLE_SNAPSHOT, today=today or date(2026, 11, 24))
    banks = ImageBanks(entries=EXAMPLE_BANKS.entries, logos=example_logos(), version=EXAMPLE_BANKS.version)
    ctx.indexes[INDEX_KEY] = build_image_index(EXAMPLE_SNAPSHOT, banks)
    return ctx


def _listing(lid: str, title: str, price: int, seller: str, *features: ImageFeatures) -> Listing:
    return Listing(id=lid, title=title, price=Money.of(price, "KRW"), seller_id=seller,
                   images=tuple(ImageRef(path=f"{lid}-{i}.jpg", features=f) for i, f in enumerate(features, 1)))


def _examples(bank: str) -> list[tuple[Listing, bool]]:
    galaxy_photo = _example_features(1, flips=9)  # the official Galaxy S24 photo, recompressed
    galaxy_mirrored = _example_features(1, flips=14, variant=5)
    chanel_fake = _example_features(2, flips=6, variant=2)  # the test-buy fake's photo, upside down
    stock = _example_features(3, flips=4)  # a stock photo that is also in the negative bank
    unrelated = _example_features(40, flips=0)
    flat = _example_features(1, flips=2, quality=20)  # near-blank image: hash not trusted
    far = _example_features(1, flips=45)  # a different shot of the phone: too far to count
    if bank == "official":
        return [
            (_listing("ex-img-1", "갤럭시 S24 울트라 새상품 특가", 390_000, "seoul-deals-77", galaxy_photo), True),
            (_listing("ex-img-2", "Galaxy S24 Ultra 512GB", 1_200_000, "phone-outlet", unrelated, galaxy_mirrored),
             True),
            (_listing("ex-img-3", "Galaxy S24 Ultra 정품", 1_698_400, "samsung-official-store", galaxy_photo), False),
            (_listing("ex-img-4", "흰색 운동화 (stock)", 39_000, "seoul-deals-77", stock), False),
            (_listing("ex-img-5", "Galaxy S24 Ultra used", 800_000, "jin-secondhand", far), False),
            (_listing("ex-img-6", "Galaxy S24 Ultra box", 20_000, "seoul-deals-77", flat), False),
        ]
    return [
        (_listing("ex-img-7", "샤넬 클래식 플랩백 미러급", 450_000, "luxury-lover-kr", chanel_fake), True),
        (_listing("ex-img-8", "Chanel Classic Flap (auth. receipt)", 9_800_000, "vintage-house", unrelated), False),
        (_listing("ex-img-9", "Galaxy S24 Ultra 정품", 1_698_400, "samsung-official-store", galaxy_photo), False),
    ]
