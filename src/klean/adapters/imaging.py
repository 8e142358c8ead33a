"""Image intake: safe decode with limits, PDQ hashes (+ the 8 dihedral variants), ORB keypoints, a digest cache.

Every image Klean hashes comes through here: uploads, official and logo images, images referenced by
scan files. The rules, in order (each failure is an ImageRejected with a machine `reason`):

1. at most `max_bytes` bytes (checked before reading the rest of a file);
2. the type is sniffed from magic bytes (JPEG, PNG, WebP, GIF; the file name and any claimed content type
   are never trusted) and must be in the allowed `formats`;
3. the header alone is parsed and width x height must be at most `max_pixels` *before* any pixel is
   decoded; a small file that declares a huge canvas is reported as a decompression bomb; Pillow's own
   bomb warning is turned into an error, never ignored;
4. the decode runs with a time budget. Pillow cannot be interrupted mid-decode, so the budget is checked
   between the steps (header, decode, hash); the pixel cap is what bounds one decode's cost. JPEGs are
   decoded at reduced size (`Image.draft`, DCT scaling), which is most of the speed.

URLs are never fetched here: an image is bytes given by the caller or a file under a scan's folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pdqhash
from PIL import Image, ImageFile, ImageOps

from klean.domain.errors import ValidationError
from klean.domain.images import ImageFeatures, ImagePolicy, Region
from klean.domain.listing import ImageRef, Listing
from klean.domain.messages import Message, msg
from klean.signals.image_regions import query_regions

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, never silently grey pixels
cv2.setNumThreads(1)  # images are hashed in parallel by our pool; OpenCV's own threads would oversubscribe


def _shrink(array: np.ndarray, side: int) -> np.ndarray:
    """Scale an image down so its longer side is `side` (area averaging for big steps, bilinear for small)."""
    longer = max(array.shape[0], array.shape[1])
    if longer <= side:
        return array
    f = side / longer
    size = (max(1, round(array.shape[1] * f)), max(1, round(array.shape[0] * f)))
    return np.ascontiguousarray(cv2.resize(array, size, interpolation=cv2.INTER_AREA if f <= 0.5 else
                                           cv2.INTER_LINEAR))

ORB_FEATURES = 500  # per photo; a logo template keeps LOGO_FEATURES
LOGO_FEATURES = 300  # per logo: matching cost grows with logos x features, and 300 keep the examples found
# A file declaring more pixels than this many per byte cannot be a real photo: it is a decompression bomb.
BOMB_PIXELS_PER_BYTE = 1000


class ImageRejected(ValidationError):
    """An image Klean will not use, with a machine reason (too_large, unsupported_type, too_many_pixels,
    decompression_bomb, truncated, corrupt, too_slow, unreadable_path, digest_mismatch, url_not_fetched)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, field="image")
        self.reason = reason


_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
)
_NOT_IMAGES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"), (b"<svg", "an SVG drawing"),
    (b"<?xml", "an XML document"), (b"<!doctype html", "an HTML page"), (b"<html", "an HTML page"),
    (b"\x7fELF", "a program"), (b"MZ", "a Windows program"), (b"BM", "a BMP image"), (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)


def sniff_format(data: bytes) -> str | None:
    """The image type by magic bytes: JPEG, PNG, GIF, WEBP, or None."""
    for magic, offset, name in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _describe(data: bytes) -> str:
    head = data[:32].lstrip().lower()
    for magic, what in _NOT_IMAGES:
        if head.startswith(magic.lower()):
            return what
    return "not a JPEG, PNG, WebP or GIF image"


@dataclass(frozen=True)
class Decoded:
    rgb: np.ndarray  # uint8 (h, w, 3), at most decode_side on its longer side
    width: int  # original size
    height: int
    format: str


def decode_image(data: bytes, policy: ImagePolicy | None = None, *, side: int | None = None) -> Decoded:
    """Decode image bytes safely (see the module docstring) into an RGB array at most `side` pixels long."""
    policy = policy or ImagePolicy()
    side = side or policy.decode_side
    started = time.perf_counter()
    if len(data) > policy.max_bytes:
        raise ImageRejected("too_large", f"image is {len(data):,} bytes; the limit is {policy.max_bytes:,}")
    if not data:
        raise ImageRejected("corrupt", "image is empty (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected("unsupported_type", f"file is {_describe(data)}; allowed: {', '.join(policy.formats)}")
    if fmt not in policy.formats:
        raise ImageRejected("unsupported_type", f"{fmt} images are not allowed here; allowed: "
                                                f"{', '.join(policy.formats)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = img.size
            pixels = width * height
            if pixels > policy.max_pixels:
                if pixels > BOMB_PIXELS_PER_BYTE * len(data):
                    raise ImageRejected("decompression_bomb", f"a {len(data):,}-byte file declares {width}x{height}"
                                                              f" = {pixels:,} pixels: a decompression bomb")
                raise ImageRejected("too_many_pixels", f"image is {width}x{height} = {pixels:,} pixels; the limit "
                                                       f"is {policy.max_pixels:,}")
            if fmt == "JPEG":
                longer = max(width, height)
                if longer > side:
                    # DCT scaling: ask for the smallest size whose longer side still reaches `side`.
                    f = side / longer
                    img.draft("RGB", (max(1, int(width * f + 0.999)), max(1, int(height * f + 0.999))))
            img.load()
            _check_budget(started, policy, "decode")
            if img.getexif().get(0x0112, 1) not in (0, 1):  # EXIF orientation: hash what a viewer sees
                img = ImageOps.exif_transpose(img) or img
            array = _shrink(np.asarray(_to_rgb(img), dtype=np.uint8), side)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses absurd canvases while reading the header, before our own pixel check.
        raise ImageRejected("decompression_bomb", f"a {len(data):,}-byte file declares a canvas so large that it "
                                                  f"is a decompression bomb ({exc})") from exc
    except OSError as exc:
        text = str(exc)
        reason = "truncated" if "truncat" in text.lower() or "premature" in text.lower() else "corrupt"
        raise ImageRejected(reason, f"{fmt} image could not be decoded ({reason}): {text[:200]}") from exc
    except (SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise ImageRejected("corrupt", f"{fmt} image could not be decoded: {str(exc)[:200]}") from exc
    return Decoded(rgb=np.ascontiguousarray(array), width=width, height=height, format=fmt)


def _check_budget(started: float, policy: ImagePolicy, step: str) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    if elapsed_ms > policy.time_budget_ms:
        raise ImageRejected("too_slow", f"image {step} took {elapsed_ms:,.0f} ms; the budget is "
                                        f"{policy.time_budget_ms:,} ms")


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent parts are shown on white by marketplaces; hash what a buyer sees.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greyscale: scale to 8 bits only when the values use the wider range.
        values = np.asarray(img, dtype=np.float32)
        peak = float(values.max()) if values.size else 0.0
        if peak > 255:
            values = values * (255.0 / (65535.0 if peak <= 65535 else peak))
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L").convert("RGB")
    return img.convert("RGB")


def pdq_hex(bits: np.ndarray) -> str:
    """A pdqhash bit vector as the 64-hex-digit form used by ThreatExchange tools."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_of(rgb: np.ndarray) -> tuple[str, int, tuple[str, ...]]:
    """PDQ hash, quality and the 8 dihedral variants (klean.domain.images.DIHEDRAL order) of an RGB array."""
    vectors, quality = pdqhash.compute_dihedral(rgb)
    packed = np.packbits(np.asarray(vectors, dtype=np.uint8), axis=1)
    variants = tuple(row.tobytes().hex() for row in packed)
    return variants[0], int(quality), variants


_orb_local = threading.local()


def orb_features(rgb: np.ndarray, n_features: int = ORB_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """ORB keypoints (float32 (N, 2)) and descriptors (uint8 (N, 32)) of an RGB array."""
    orb = getattr(_orb_local, "orb", None)
    if orb is None or orb.getMaxFeatures() != n_features:
        orb = _orb_local.orb = cv2.ORB_create(nfeatures=n_features)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    kps, desc = orb.detectAndCompute(gray, None)
    if desc is None or not kps:
        return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    return np.array([k.pt for k in kps], dtype=np.float32), np.ascontiguousarray(desc, dtype=np.uint8)


def image_features(data: bytes, policy: ImagePolicy | None = None, *, keypoints: bool = True,
                   sha256: str | None = None, regions: bool = True) -> ImageFeatures:
    """Decode safely and compute everything the image signals use (regions: for partial copies, ~2 ms)."""
    policy = policy or ImagePolicy()
    started = time.perf_counter()
    digest = sha256 or hashlib.sha256(data).hexdigest()
    decoded = decode_image(data, policy, side=max(policy.decode_side, policy.keypoint_side) if keypoints else None)
    rgb = decoded.rgb
    longer = max(rgb.shape[0], rgb.shape[1])
    for_pdq = _shrink(rgb, policy.decode_side)
    pdq, quality, variants = pdq_of(for_pdq)
    kp, desc = orb_features(rgb) if keypoints else (None, None)
    found = query_regions(for_pdq) if regions else ()
    _check_budget(started, policy, "hashing")
    scale = max(decoded.width, decoded.height) / longer
    return ImageFeatures(sha256=digest, width=decoded.width, height=decoded.height, pdq=pdq, quality=quality,
                         variants=variants, keypoints=kp, descriptors=desc, scale=scale, regions=found)


def _regions_arrays(regions: Sequence[Region]) -> dict[str, np.ndarray]:
    return {"region_kinds": np.array([r.kind for r in regions], dtype="U16"),
            "region_boxes": np.array([r.box for r in regions], dtype=np.float32).reshape(-1, 4),
            "region_codes": np.frombuffer(b"".join(r.pdq + r.mirrored for r in regions), np.uint8).reshape(-1, 64),
            "region_quality": np.array([r.quality for r in regions], dtype=np.int16),
            "region_angles": np.array([r.angle for r in regions], dtype=np.float32)}


def _regions_from(z: Any) -> tuple[Region, ...]:
    codes = z["region_codes"]
    return tuple(Region(kind=str(k), box=tuple(float(v) for v in b), pdq=codes[i, :32].tobytes(),  # type: ignore[arg-type]
                        mirrored=codes[i, 32:].tobytes(), quality=int(q), angle=float(a))
                 for i, (k, b, q, a) in enumerate(zip(z["region_kinds"], z["region_boxes"], z["region_quality"],
                                                      z["region_angles"], strict=True)))


class FeatureCache:
    """Features by content digest: in memory (LRU), and optionally in a folder so a re-scan skips decoding."""

    def __init__(self, max_items: int = 50_000, directory: Path | None = None) -> None:
        self.max_items = max_items
        self.directory = directory
        self._items: OrderedDict[str, ImageFeatures] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _file(self, digest: str) -> Path | None:
        if self.directory is None or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            return None
        return self.directory / digest[:2] / f"{digest}.npz"

    def get(self, digest: str) -> ImageFeatures | None:
        with self._lock:
            found = self._items.get(digest)
            if found is not None:
                self._items.move_to_end(digest)
                self.hits += 1
                return found
        path = self._file(digest)
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    found = ImageFeatures(
                        sha256=digest, width=int(z["size"][0]), height=int(z["size"][1]), pdq=str(z["variants"][0]),
                        quality=int(z["quality"]), variants=tuple(str(v) for v in z["variants"]),
                        keypoints=z["keypoints"], descriptors=z["descriptors"], scale=float(z["scale"]),
                        regions=_regions_from(z))
            except (OSError, ValueError, KeyError):  # KeyError too: written before regions were kept
                found = None  # a damaged cache file is recomputed, never trusted
            if found is not None:
                self._remember(digest, found)
                with self._lock:
                    self.hits += 1
                return found
        with self._lock:
            self.misses += 1
        return None

    def put(self, features: ImageFeatures) -> None:
        self._remember(features.sha256, features)
        path = self._file(features.sha256)
        if path is not None and features.keypoints is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npz")
            np.savez(tmp, size=np.array([features.width, features.height]), quality=np.array(features.quality),
                     variants=np.array(features.variants), keypoints=features.keypoints,
                     descriptors=features.descriptors, scale=np.array(features.scale),
                     **_regions_arrays(features.regions))
            os.replace(tmp, path)

    def _remember(self, digest: str, features: ImageFeatures) -> None:
        with self._lock:
            self._items[digest] = features
            self._items.move_to_end(digest)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)


_default_cache = FeatureCache()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def default_pool() -> Executor:
    """Threads: Pillow's decoders and OpenCV release the GIL, so images of one listing hash in parallel."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="klean-img")
        return _pool


def read_image_file(base_dir: Path, relative: str, policy: ImagePolicy) -> bytes:
    """Read an image a scan file refers to: a relative path inside base_dir, within the byte cap. No URLs."""
    if "://" in relative or relative.startswith(("//", "data:")):
        raise ImageRejected("url_not_fetched", f"{relative[:100]!r} is a URL; Klean does not fetch images "
                                               "named in listings (give a file path relative to the scan file)")
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise ImageRejected("unreadable_path", f"image path {relative[:100]!r} must be relative to the scan "
                                               "file's folder, without '..'")
    root = base_dir.resolve()
    path = (root / candidate).resolve()
    if root != path and root not in path.parents:
        raise ImageRejected("unreadable_path", f"image path {relative[:100]!r} leaves the scan folder")
    try:
        with path.open("rb") as f:
            data = f.read(policy.max_bytes + 1)
    except OSError as exc:
        raise ImageRejected("unreadable_path", f"image {relative[:100]!r} could not be read: "
                                               f"{exc.strerror or exc}") from exc
    if len(data) > policy.max_bytes:
        raise ImageRejected("too_large", f"image {relative[:100]!r} is over the limit of {policy.max_bytes:,} bytes")
    return data


@dataclass(frozen=True)
class ImageWarning:
    listing_id: str
    image: int  # 1-based position in the listing
    reason: str
    message: Message


def _features_for(ref: ImageRef, base_dir: Path, policy: ImagePolicy, cache: FeatureCache) -> ImageFeatures | None:
    if ref.features is not None:
        return ref.features  # type: ignore[no-any-return]
    if ref.path is None:
        return None  # a marketplace-supplied PDQ (ref.pdq) is used as is
    if ref.sha256 is not None:
        cached = cache.get(ref.sha256)
        if cached is not None:
            return cached
    data = read_image_file(base_dir, ref.path, policy)
    digest = hashlib.sha256(data).hexdigest()
    if ref.sha256 is not None and ref.sha256 != digest:
        raise ImageRejected("digest_mismatch", f"image {ref.path[:100]!r} has sha256 {digest[:12]}..., the listing "
                                               f"says {ref.sha256[:12]}...")
    cached = cache.get(digest)
    if cached is not None:
        return cached
    features = image_features(data, policy, sha256=digest)
    cache.put(features)
    return features


def hash_listing_images(listing: Listing, base_dir: Path, *, policy: ImagePolicy | None = None,
                        cache: FeatureCache | None = None,
                        executor: Executor | None = None) -> tuple[Listing, list[ImageWarning]]:
    """Compute features for every image of a listing, in parallel and cached by content digest.

    A bad image never fails the listing: it is left without features and reported as a warning.
    """
    listings, warnings_ = hash_many([listing], base_dir, policy=policy, cache=cache, executor=executor)
    return listings[0], warnings_


def hash_many(listings: Sequence[Listing], base_dir: Path, *, policy: ImagePolicy | None = None,
              cache: FeatureCache | None = None,
              executor: Executor | None = None) -> tuple[list[Listing], list[ImageWarning]]:
    """hash_listing_images over a batch: every image of the batch goes to one pool."""
    policy = policy or ImagePolicy()
    cache = cache if cache is not None else _default_cache
    pool = executor or default_pool()
    jobs = [(li, i, ref, pool.submit(_features_for, ref, base_dir, policy, cache))
            for li, listing in enumerate(listings) for i, ref in enumerate(listing.images)]
    new_images: list[list[ImageRef]] = [list(listing.images) for listing in listings]
    changed = [False] * len(listings)
    found: list[ImageWarning] = []
    for li, i, ref, future in jobs:
        try:
            features = future.result()
        except ImageRejected as exc:
            found.append(ImageWarning(listing_id=listings[li].id, image=i + 1, reason=exc.reason, message=msg(
                "Image {image} was not used: {problem}", image=i + 1, problem=exc.message)))
            continue
        except Exception as exc:  # one odd file must not stop a catalog scan
            found.append(ImageWarning(listing_id=listings[li].id, image=i + 1, reason="corrupt", message=msg(
                "Image {image} was not used: {problem}", image=i + 1,
                problem=f"unexpected {type(exc).__name__}: {str(exc)[:200]}")))
            continue
        if features is not None:
            new_images[li][i] = replace(ref, sha256=ref.sha256 or features.sha256, pdq=ref.pdq or features.pdq,
                                        features=features)
            changed[li] = True
    out = [replace(listing, images=tuple(imgs)) if change else listing
           for listing, imgs, change in zip(listings, new_images, changed, strict=True)]
    return out, found


def features_for_bytes(items: Iterable[bytes], *, policy: ImagePolicy | None = None,
                       keypoints: bool = True) -> list[ImageFeatures | ImageRejected]:
    """Features for several images given as bytes (uploads, bank seeding); rejections are returned, not raised."""
    out: list[ImageFeatures | ImageRejected] = []
    for data in items:
        try:
            out.append(image_features(data, policy, keypoints=keypoints))
        except ImageRejected as exc:
            out.append(exc)
    return out


def logo_template_arrays(data: bytes, policy: ImagePolicy | None = None) -> tuple[int, int, Any, Any]:
    """Width, height, keypoints and descriptors of a logo image (for klean.domain.images.LogoTemplate)."""
    decoded = decode_image(data, policy, side=(policy or ImagePolicy()).keypoint_side)
    kp, desc = orb_features(decoded.rgb, n_features=LOGO_FEATURES)
    return decoded.rgb.shape[1], decoded.rgb.shape[0], kp, desc


class ImageHashingScreener:
    """Wraps a Screener for catalog scans: hashes each listing's images first (files relative to `base_dir`, in
    parallel, cached by content digest), then screens. A bad image becomes a zero-weight `image_intake` note in
    the result's evidence (it explains, it does not count), never a failed row.

    Picklable (scan workers and Spark executors receive it): the caches and the thread pool are per process.
    """

    def __init__(self, screener: Any, base_dir: Path, policy: ImagePolicy | None = None,
                 cache_dir: Path | None = None) -> None:
        self.screener = screener
        self.base_dir = Path(base_dir)
        self.image_policy = policy or ImagePolicy()
        self.cache_dir = cache_dir
        self._cache: FeatureCache | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": None}

    def __getattr__(self, name: str) -> Any:  # snapshot, context, policy (screening)... of the wrapped screener
        if name.startswith("_") or name == "screener":
            raise AttributeError(name)
        return getattr(self.screener, name)

    def screen(self, listing: Listing) -> Any:
        from klean.domain.screening import Evidence

        if not listing.images:
            return self.screener.screen(listing)
        if self._cache is None:
            self._cache = FeatureCache(directory=self.cache_dir) if self.cache_dir else _default_cache
        hashed, problems = hash_listing_images(listing, self.base_dir, policy=self.image_policy, cache=self._cache)
        result = self.screener.screen(hashed)
        if not problems:
            return result
        notes = tuple(Evidence(signal="image_intake", weight=0.0, brand_id=None, span=None, reason=p.message)
                      for p in problems)
        return replace(result, evidence=(*result.evidence, *notes))
