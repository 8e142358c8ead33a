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
from typing import ClassVar

import cv2
import numpy as np

from klean.domain.images import ImageFeatures, LogoTemplate
from klean.domain.listing import Listing
from klean.domain.messages import N_, msg
from klean.domain.screening import Evidence, ScreeningContext
from klean.signals.images import authorised, image_index


@dataclass(frozen=True)
class LogoMatch:
    image: int
    logo: LogoTemplate
    inliers: int
    scale: float
    angle: float  # degrees
    region: tuple[int, int, int, int]  # x, y, width, height in the original image's pixels


def find_logos(features: ImageFeatures, logos: Sequence[LogoTemplate], *, ratio: float = 0.8,
               min_inliers: int = 10, image: int = 1) -> list[LogoMatch]:
    """Logos found in one image: keypoint matches that agree on one similarity transform."""
    desc = features.descriptors
    if desc is None or len(desc) < min_inliers or not logos:
        return []
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    out = []
    for logo in logos:
        if logo.descriptors is None or len(logo.descriptors) < min_inliers:
            continue
        pairs = matcher.knnMatch(logo.descriptors, desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < ratio * p[1].distance]
        if len(good) < min_inliers:
            continue
        src = np.float32([logo.keypoints[m.queryIdx] for m in good])
        dst = np.float32([features.keypoints[m.trainIdx] for m in good])
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
        index = image_index(ctx)
        if not index.logos:
            return []
        best: dict[str, LogoMatch] = {}
        for i, ref in enumerate(listing.images, start=1):
            if not isinstance(ref.features, ImageFeatures):
                continue
            for m in find_logos(ref.features, index.logos, ratio=index.policy.logo_ratio,
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
                                           x=x, y=y, w=w, h=h, angle=round(m.angle), inliers=m.inliers)))
        return out

    @staticmethod
    def examples() -> Sequence[tuple[Listing, bool]]:
        from klean.signals.logo_examples import logo_examples

        return logo_examples()
