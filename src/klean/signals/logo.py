"""The `logo` signal: a registered logo appears somewhere in a listing image.

ORB keypoints of each registered logo are matched against the listing image's keypoints (Hamming
distance, Lowe's ratio test), then a geometric check keeps only matches consistent with one
similarity transform (RANSAC over rotation, uniform scale and translation). So a logo matches when
it is scaled, rotated, moved, or printed on a larger photo, and the evidence names the region.

Limits, stated honestly: ORB needs texture: a logo that is a plain word in a common font, a very
small logo (under ~60 px in the photo), a heavily blurred, perspective-warped (strongly tilted), or
embroidered/curved logo is often missed; ORB descriptors are not mirror-invariant, so a mirrored logo
matches only through its own symmetry (the interlocked Cs do; the word next to them does not). Seeing a logo is weak
evidence on its own (genuine second-hand goods show logos too), so the weight is modest and the
signal stays quiet for sellers authorised for the brand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import faiss
import numpy as np

from klean.domain.images import ImageFeatures, LogoTemplate
from klean.domain.listing import Listing
from klean.domain.messages import N_, msg
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals.images import authorised, image_index

NEIGHBOURS = 8  # nearest logo descriptors looked at per keypoint, to find the nearest of another brand


@dataclass(frozen=True)
class LogoMatch:
    image: int
    logo: LogoTemplate
    inliers: int
    scale: float
    angle: float  # degrees
    region: tuple[int, int, int, int]  # x, y, width, height in the original image's pixels


@dataclass(frozen=True)
class LogoStack:
    """Every logo's descriptors in one matrix, so one image is matched against all logos in a single pass."""

    logos: tuple[LogoTemplate, ...]
    descriptors: np.ndarray  # uint8 (M, 32)
    owner: np.ndarray  # int32 (M,): which logo each descriptor belongs to
    local: np.ndarray  # int32 (M,): the descriptor's index within its logo
    brand_no: np.ndarray  # int32 (M,): which brand each descriptor belongs to (for the ratio test)
    index: Any = None  # faiss.IndexBinaryFlat over `descriptors`: exact 2-NN, several times faster than BFMatcher

    @staticmethod
    def of(logos: Sequence[LogoTemplate], min_keypoints: int = 1) -> LogoStack:
        usable = tuple(lg for lg in logos if lg.descriptors is not None and len(lg.descriptors) >= min_keypoints)
        if not usable:
            empty = np.zeros((0,), np.int32)
            return LogoStack((), np.zeros((0, 32), np.uint8), empty, empty, empty)
        brands = {b: i for i, b in enumerate(sorted({lg.brand_id for lg in usable}))}
        descriptors = np.ascontiguousarray(np.concatenate([lg.descriptors for lg in usable]), dtype=np.uint8)
        index = faiss.IndexBinaryFlat(256)
        index.add(descriptors)
        return LogoStack(
            logos=usable, descriptors=descriptors, index=index,
            owner=np.concatenate([np.full(len(lg.descriptors), k, np.int32) for k, lg in enumerate(usable)]),
            local=np.concatenate([np.arange(len(lg.descriptors), dtype=np.int32) for lg in usable]),
            brand_no=np.concatenate([np.full(len(lg.descriptors), brands[lg.brand_id], np.int32) for lg in usable]))


def find_logos(features: ImageFeatures, logos: Sequence[LogoTemplate] | LogoStack, *, ratio: float = 0.8,
               min_inliers: int = 10, image: int = 1) -> list[LogoMatch]:
    """Logos found in one image: keypoint matches that agree on one similarity transform.

    Each image keypoint is matched to its two nearest logo descriptors over all logos at once (Lowe's ratio
    test); the matches are grouped by logo and each group must agree on one similarity transform (RANSAC).
    """
    stack = logos if isinstance(logos, LogoStack) else LogoStack.of(logos, min_inliers)
    desc = features.descriptors
    if desc is None or len(desc) < min_inliers or len(stack.descriptors) < 2:
        return []
    # Lowe's ratio test, where the runner-up is the nearest descriptor of another brand or another keypoint of
    # the same logo, skipping the brand's other logos: a brand that registered its logo at several sizes or in
    # variants must not make its own matches look ambiguous. With no runner-up among the neighbours looked at,
    # the farthest of them stands in (the true runner-up is at least that far: the test only gets stricter).
    k = min(NEIGHBOURS, len(stack.descriptors))
    dist, ids = stack.index.search(np.ascontiguousarray(desc, dtype=np.uint8), k)
    safe = np.maximum(ids, 0)
    brand_of, owner_of = stack.brand_no[safe], stack.owner[safe]
    runner_up = (ids >= 0) & ((brand_of != brand_of[:, :1]) | (owner_of == owner_of[:, :1]))
    runner_up[:, 0] = False
    second = np.where(runner_up.any(axis=1), dist[np.arange(len(dist)), np.argmax(runner_up, axis=1)], dist[:, -1])
    good_q = np.nonzero((ids[:, 0] >= 0) & (dist[:, 0] < ratio * second))[0]
    groups: dict[int, list[tuple[int, int]]] = {}
    for q in good_q:
        nearest = int(ids[q, 0])
        groups.setdefault(int(stack.owner[nearest]), []).append((int(stack.local[nearest]), int(q)))
    out = []
    for logo_no, good in groups.items():
        if len(good) < min_inliers:
            continue
        logo = stack.logos[logo_no]
        src = np.float32([logo.keypoints[t] for t, _ in good])
        dst = np.float32([features.keypoints[q] for _, q in good])
        transform, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=6.0,
                                                      maxIters=2000, confidence=0.995)
        if transform is None or mask is None:
            continue
        inliers = int(mask.sum())
        scale = float(np.hypot(transform[0, 0], transform[1, 0]))
        if inliers < min_inliers or not 0.05 <= scale <= 20:
            continue
        corners = np.float32([[0, 0], [logo.width, 0], [logo.width, logo.height], [0, logo.height]])
        placed = corners @ transform[:, :2].T + transform[:, 2]
        # Inliers must also be spread over the logo, not one repeated corner of it.
        spread = np.ptp(src[mask.ravel() == 1], axis=0)
        if spread[0] < 0.25 * logo.width and spread[1] < 0.25 * logo.height:
            continue
        s = features.scale
        x0, y0 = np.clip(placed.min(axis=0), 0, None) * s
        x1, y1 = placed.max(axis=0) * s
        x1, y1 = min(x1, features.width), min(y1, features.height)
        # Image y points down: negate so that a positive angle is anticlockwise, as a person sees it.
        angle = -float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
        out.append(LogoMatch(image=image, logo=logo, inliers=inliers, scale=scale * s, angle=angle,
                             region=(int(x0), int(y0), max(0, int(x1 - x0)), max(0, int(y1 - y0)))))
    return out


class LogoSignal:
    """A registered logo appears in a listing image of a seller not authorised for that brand."""

    name: ClassVar[str] = "logo"

    def evaluate(self, listing: Listing, ctx: ScreeningContext) -> Sequence[Evidence]:
        if not listing.images:
            return ()
        index = image_index(ctx)
        if not index.logos:
            return []
        best: dict[str, LogoMatch] = {}
        for i, ref in enumerate(listing.images, start=1):
            if not isinstance(ref.features, ImageFeatures):
                continue
            for m in find_logos(ref.features, index.logo_stack(), ratio=index.policy.logo_ratio,
                                min_inliers=index.policy.logo_min_inliers, image=i):
                if m.logo.brand_id not in best or m.inliers > best[m.logo.brand_id].inliers:
                    best[m.logo.brand_id] = m
        out = []
        for brand_id, m in best.items():
            brand = ctx.snapshot.brand(brand_id)
            if authorised(brand, listing.seller_id, ctx.today):
                continue
            x, y, w, h = m.region
            out.append(Evidence(signal=self.name, weight=index.policy.logo_weight, brand_id=brand_id, span=None,
                                reason=msg(N_("Image {image} shows the {brand} logo ({logo}) at x={x}, y={y}, "
                                              "{w}x{h} px, turned {angle}° anticlockwise, {inliers} matching points."),
                                           image=m.image, brand=brand.name if brand else brand_id, logo=m.logo.label,
                                           x=x, y=y, w=w, h=h, angle=round(m.angle), inliers=m.inliers), code="logo"))
        return out

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        from klean.signals.logo_examples import logo_examples

        return logo_examples()
