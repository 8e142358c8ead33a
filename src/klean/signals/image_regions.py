"""Regions of a photo for matching partial copies: pure computation on decoded pixels (numpy and OpenCV).

PDQ over a whole image does not survive the edits sellers of fakes make: a 2% crop or a 2° turn already moves
it ~30 of 256 bits. So both sides hash regions chosen so that an edited copy and its original share one:

* Bank side (`bank_windows`, computed once per bank photo Klean holds the pixels of): four *anchored* windows,
  each touching one side of the photo across its full length and as deep as a fixed fraction of that length
  (a crop from any other side, or a banner over or beside another side, leaves such a window unchanged, and
  its size is relative to the side it touches, so resizing does not matter either); three *centred* windows
  (94, 88 and 82% of each side: a centred crop keeps the centre); and the photo with uniform margins trimmed.
* Listing side (`query_regions`, at intake): the same anchored windows, centred windows at 98 and 96% (so that
  with the bank's ladder every centred crop of up to 30% of the area is within 1.3% of a pair), the photo
  inside a uniform border, the photo-like rectangles of a collage or a screenshot (found at straight
  full-length seams and uniform gutters), and the photo turned back when it was turned on a plain fill (the
  angle measured from the fill's straight edges).

Each region is hashed with PDQ's own algorithm (luminance, 64x64, the 16x16 low-frequency DCT, bits above the
median: bit-identical to `pdqhash` on a 64x64 input) for all regions at once, with the mirrored variant from
the same coefficients; whole-image hashes for the exchangeable bank stay `pdqhash`'s.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import cv2
import numpy as np

from klean.domain.images import Region

BASE_SIDE = 256  # regions are cut from the photo at this size (PDQ reads 64x64; 256 leaves 4x to average)
ANCHOR_DEPTHS = (0.5, 0.35)  # anchored window depth, as a fraction of the length of the side it touches
CENTRE_BANK = (0.94, 0.88, 0.82)  # centred windows kept for bank photos (fraction of each side)
CENTRE_QUERY = (0.98, 0.96)  # centred windows of a listing photo
MAX_CROP = 0.30  # anchored windows are sized to survive a crop of this much of the area from one side
MAX_BOXES = 4  # photo-like rectangles of a collage or screenshot hashed per image
ANCHORS = ("left", "right", "top", "bottom")
MIRROR_OF = {"left": "right", "right": "left", "top": "top", "bottom": "bottom"}

_i = np.arange(16)[:, None]
_j = np.arange(64)[None, :]
_DCT = (np.sqrt(2 / 64) * np.cos(np.pi / 2 / 64 * (_i + 1) * (2 * _j + 1))).astype(np.float32)  # PDQ's 16x64
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# Mirroring left-right flips the sign of every DCT coefficient whose horizontal frequency index (j + 1) is odd.
_MIRROR_SIGN = np.where((np.arange(16) + 1) % 2 == 1, -1.0, 1.0).astype(np.float32)[None, None, :]


def pdq_batch(gray64: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PDQ hashes of (n, 64, 64) luminance blocks: (hashes (n, 32) uint8, mirrored (n, 32) uint8, quality (n,))."""
    a = gray64.astype(np.float32, copy=False)
    coeffs = _DCT @ a @ _DCT.T  # (n, 16, 16)
    out = []
    for c in (coeffs, coeffs * _MIRROR_SIGN):
        flat = c.reshape(len(c), 256)
        bits = flat > np.median(flat, axis=1, keepdims=True)
        out.append(np.packbits(bits[:, ::-1], axis=1))  # pdqhash's bit order is the coefficients reversed
    scaled = a * (100.0 / 255.0)
    grad = np.abs(np.diff(scaled, axis=1)).astype(np.int32).sum(axis=(1, 2)) + \
        np.abs(np.diff(scaled, axis=2)).astype(np.int32).sum(axis=(1, 2))
    quality = np.minimum(100, grad // 90)
    return out[0], out[1], quality


def _base(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    f = BASE_SIDE / max(h, w)
    if f >= 1:
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb.astype(np.float32) @ _LUMA)


def _block(luma: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    h, w = luma.shape
    x0, y0, x1, y1 = round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    return cv2.resize(luma[y0:y1, x0:x1], (64, 64), interpolation=cv2.INTER_AREA)


def _hash_boxes(luma: np.ndarray, boxes: Sequence[tuple[str, tuple[float, float, float, float]]],
                angle: float = 0.0, frame: tuple[float, float, float, float] = (0, 0, 1, 1)) -> list[Region]:
    """Hash boxes of `luma`; each box is reported in the coordinates of `frame` (a sub-box of the photo)."""
    kept, blocks = [], []
    for kind, box in boxes:
        block = _block(luma, box)
        if block is not None:
            kept.append((kind, box))
            blocks.append(block)
    if not blocks:
        return []
    hashes, mirrored, quality = pdq_batch(np.stack(blocks))
    fx0, fy0, fx1, fy1 = frame
    fw, fh = fx1 - fx0, fy1 - fy0
    return [Region(kind=kind, box=(fx0 + b[0] * fw, fy0 + b[1] * fh, fx0 + b[2] * fw, fy0 + b[3] * fh),
                   pdq=hashes[k].tobytes(), mirrored=mirrored[k].tobytes(), quality=int(quality[k]), angle=angle)
            for k, (kind, b) in enumerate(kept)]


def _anchored(w: int, h: int, depths: Sequence[float]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Anchored windows: `left-d` is the full height, d x height wide, at the left edge; and so on."""
    out = []
    for d in depths:
        across = d * h / w  # a left/right window's width as a fraction of the width
        if across <= 1:
            out += [(f"left-{d}", (0.0, 0.0, across, 1.0)), (f"right-{d}", (1 - across, 0.0, 1.0, 1.0))]
        down = d * w / h
        if down <= 1:
            out += [(f"top-{d}", (0.0, 0.0, 1.0, down)), (f"bottom-{d}", (0.0, 1 - down, 1.0, 1.0))]
    return out


def _bank_depth(length_across: float, length_along: float) -> float | None:
    """The deepest anchored window that still fits after a crop of MAX_CROP of the area from that side."""
    room = (1 - MAX_CROP) * length_across / length_along
    return next((d for d in ANCHOR_DEPTHS if d <= room), None)


def _centred(scales: Sequence[float]) -> list[tuple[str, tuple[float, float, float, float]]]:
    return [(f"centre-{s}", ((1 - s) / 2, (1 - s) / 2, 1 - (1 - s) / 2, 1 - (1 - s) / 2)) for s in scales]


# --- uniform margins, fills and seams -----------------------------------------------------------------------

def _distance(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Per pixel, the largest channel difference from `colour` (uint8; OpenCV, several times numpy's speed)."""
    fill = np.empty_like(rgb)
    fill[:] = np.clip(np.round(colour), 0, 255).astype(np.uint8)
    r, g, b = cv2.split(cv2.absdiff(np.ascontiguousarray(rgb), fill))
    return cv2.max(cv2.max(r, g), b)


def trim_box(rgb: np.ndarray, tolerance: float = 10.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the photo inside uniform margins of one colour (a border, letterboxing, a plain fill)."""
    h, w = rgb.shape[:2]
    colour = np.median(np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]), axis=0)
    far = _distance(rgb, colour) > tolerance
    rows = np.nonzero(np.count_nonzero(far, axis=1) > 0.02 * w)[0]
    cols = np.nonzero(np.count_nonzero(far, axis=0) > 0.02 * h)[0]
    if not len(rows) or not len(cols):
        return 0, 0, w, h
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _seams(luma: np.ndarray, axis: int, min_share: float = 0.55, step: float = 10.0) -> list[int]:
    """Positions along `axis` (0: rows, 1: columns) where a straight edge crosses most of the image: the border
    between two photos of a collage, or between a photo and a screenshot's bars. Also the ends of uniform bands."""
    a = luma if axis == 0 else luma.T
    jump = np.abs(np.diff(a, axis=0)) > step  # (n-1, m)
    share = jump.mean(axis=1)
    flat = a.std(axis=1) < 3.0
    out = [i + 1 for i in range(len(share)) if share[i] >= min_share and
           share[i] >= share[max(0, i - 1)] and share[i] >= share[min(len(share) - 1, i + 1)]]
    for i in range(1, len(flat)):
        if flat[i] != flat[i - 1]:
            out.append(i)
    return sorted(set(out))


def photo_boxes(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Photo-like rectangles of a collage or screenshot: cells between full-length seams, trimmed, large enough."""
    luma = _luma(rgb)
    h, w = luma.shape
    out: list[tuple[int, int, int, int]] = []
    rows = [0, *[y for y in _seams(luma, 0) if 0 < y < h], h]
    for y0, y1 in itertools.pairwise(rows):
        if y1 - y0 < 0.18 * h:
            continue
        band = luma[y0:y1]
        cols = [0, *[x for x in _seams(band, 1) if 0 < x < w], w]
        cells = [(0, w)] + [(x0, x1) for x0, x1 in itertools.pairwise(cols) if x1 - x0 >= 0.18 * w]
        for x0, x1 in dict.fromkeys(cells):  # the whole band too: a photo may have straight edges of its own
            tx0, ty0, tx1, ty1 = trim_box(rgb[y0:y1, x0:x1])
            box = (x0 + tx0, y0 + ty0, x0 + tx1, y0 + ty1)
            bw, bh = box[2] - box[0], box[3] - box[1]
            if bw * bh < 0.12 * w * h or bw * bh > 0.9 * w * h or not 1 / 3 <= bw / max(1, bh) <= 3:
                continue
            if float(luma[box[1]:box[3], box[0]:box[2]].std()) < 12:
                continue  # a plain panel, not a photo
            if box not in out:
                out.append(box)
    out.sort(key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    return out[:MAX_BOXES]


def turn_angle(rgb: np.ndarray, tolerance: float = 12.0) -> float | None:
    """The angle (degrees, anticlockwise as seen) a photo was turned by on a plain fill, or None.

    The fill is the colour of at least three corners; the photo's edges are the straight edges of the region the
    corner fills leave, where they do not run along the frame. Only 0.7..20 degrees are reported."""
    h, w = rgb.shape[:2]
    corners = np.array([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]], np.float32)
    colour = np.median(corners, axis=0)
    if int((np.abs(corners - colour).max(axis=1) <= tolerance).sum()) < 3:
        return None
    near = (_distance(rgb, colour) <= tolerance).astype(np.uint8)
    _count, labels = cv2.connectedComponents(near, connectivity=4)
    fill_labels = {int(labels[y, x]) for y, x in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)) if near[y, x]}
    photo = np.ones((h, w), np.uint8)
    for label in fill_labels:
        photo[labels == label] = 0
    contours, _ = cv2.findContours(photo, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    if cv2.contourArea(contour) < 0.3 * w * h:
        return None
    # A tight tolerance: a 10° turn leaves corner triangles whose short side is only a few pixels here.
    poly = cv2.approxPolyDP(contour, 1.5, True).reshape(-1, 2).astype(np.float64)
    angles, weights = [], []
    for p, q in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        on_frame = any((abs(p[k] - edge) <= 2 and abs(q[k] - edge) <= 2) for k, edge in
                       ((0, 0), (0, w - 1), (1, 0), (1, h - 1)))
        length = float(np.hypot(*(q - p)))
        if on_frame or length < 0.06 * max(w, h):
            continue
        a = math.degrees(math.atan2(q[1] - p[1], q[0] - p[0]))
        a = (a + 45) % 90 - 45  # the edge's tilt from the nearest axis
        angles.append(a)
        weights.append(length)
    if not weights or sum(weights) < 0.25 * (w + h):
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.array(weights)[order])
    median = float(np.array(angles)[order][np.searchsorted(cum, cum[-1] / 2)])
    tilt = -median  # image y points down: an edge tilted by -a as stored is turned anticlockwise by a as seen
    return tilt if 0.7 <= abs(tilt) <= 20 else None


def _turn_back(rgb: np.ndarray, angle: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    corners = np.array([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]], np.float32)
    fill = tuple(float(v) for v in np.median(corners, axis=0))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill)


# --- the two sides -------------------------------------------------------------------------------------------

def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _frac(box: tuple[int, int, int, int], w: int, h: int) -> tuple[float, float, float, float]:
    return box[0] / w, box[1] / h, box[2] / w, box[3] / h


def query_regions(rgb: np.ndarray) -> tuple[Region, ...]:
    """Every region of a listing photo worth looking up (see the module docstring)."""
    base = _base(rgb)
    h, w = base.shape[:2]
    luma = _luma(base)
    boxes: list[tuple[str, tuple[float, float, float, float]]] = [("whole", (0.0, 0.0, 1.0, 1.0))]
    boxes += _anchored(w, h, ANCHOR_DEPTHS) + _centred(CENTRE_QUERY)
    trimmed = trim_box(base)
    tw, th = trimmed[2] - trimmed[0], trimmed[3] - trimmed[1]
    if tw * th < 0.97 * w * h and tw * th > 0.1 * w * h:
        boxes.append(("content", _frac(trimmed, w, h)))
    for box in photo_boxes(base):
        if _overlap(box, trimmed) < 0.9:
            boxes.append(("photo", _frac(box, w, h)))
    out = _hash_boxes(luma, boxes)
    angle = turn_angle(base)
    if angle is not None:
        turned = _turn_back(base, angle)
        inner = trim_box(turned)
        iw, ih = inner[2] - inner[0], inner[3] - inner[1]
        frame = _frac(inner, w, h)
        crop = _luma(turned[inner[1]:inner[3], inner[0]:inner[2]])
        if iw > 16 and ih > 16:
            out += _hash_boxes(crop, [("turned", (0.0, 0.0, 1.0, 1.0)), *_centred(CENTRE_BANK)],
                               angle=angle, frame=frame)
    return tuple(out)


def bank_windows(rgb: np.ndarray) -> tuple[Region, ...]:
    """The windows kept for a bank photo (see the module docstring): anchored, centred, and trimmed content."""
    base = _base(rgb)
    h, w = base.shape[:2]
    boxes: list[tuple[str, tuple[float, float, float, float]]] = []
    side = _bank_depth(w, h)  # left/right windows: their width is d x height
    if side is not None:
        across = side * h / w
        boxes += [(f"left-{side}", (0.0, 0.0, across, 1.0)), (f"right-{side}", (1 - across, 0.0, 1.0, 1.0))]
    updown = _bank_depth(h, w)
    if updown is not None:
        down = updown * w / h
        boxes += [(f"top-{updown}", (0.0, 0.0, 1.0, down)), (f"bottom-{updown}", (0.0, 1 - down, 1.0, 1.0))]
    boxes += _centred(CENTRE_BANK)
    trimmed = trim_box(base)
    tw, th = trimmed[2] - trimmed[0], trimmed[3] - trimmed[1]
    if tw * th < 0.97 * w * h and tw * th > 0.1 * w * h:
        boxes.append(("content", _frac(trimmed, w, h)))
    return tuple(_hash_boxes(_luma(base), boxes))


# --- which query regions may meet which bank hashes ------------------------------------------------------------

WHOLE = "whole"  # the bank's own whole-image hash (the exchangeable PDQ)


def compatible(query_kind: str, mirrored: bool, bank_kind: str) -> bool:
    """Whether a query region (as is, or mirrored) may stand for a bank window (or the bank's whole photo).

    The same geometry on both sides, except that the listing's whole photo and its 98%/96% centres meet the
    bank's centred windows (a centred crop), and a photo found inside a border, a collage or a screenshot, or
    turned back, meets the bank's whole photo (or its trimmed content)."""
    if bank_kind == WHOLE:
        return query_kind in ("whole", "content", "photo", "turned")
    if bank_kind == "content":
        return query_kind in ("whole", "content", "photo", "turned")
    if bank_kind.startswith("centre-"):
        if query_kind in ("whole", "centre-0.98", "centre-0.96"):
            return True
        return query_kind == bank_kind  # a turned-back photo's centres (cut at the bank's own scales)
    side, _, depth = bank_kind.partition("-")
    qside, _, qdepth = query_kind.partition("-")
    if qside not in ANCHORS or qdepth != depth:
        return False
    return (MIRROR_OF[qside] if mirrored else qside) == side
