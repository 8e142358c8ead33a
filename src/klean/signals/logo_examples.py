"""Drawn logos and synthetic photos for the image signals' examples and tests (generated, never downloaded).

Pure computation in memory: numpy and OpenCV draw, pdqhash and ORB describe. Nothing is read or written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from functools import cache

import cv2
import numpy as np
import pdqhash

from klean.domain.images import ImageFeatures, LogoTemplate
from klean.domain.listing import ImageRef, Listing, Money

ORB_FEATURES = 500  # as klean.adapters.imaging: per photo; logo templates keep LOGO_FEATURES
LOGO_FEATURES = 300


def draw_logo(kind: str = "chanel", size: int = 240) -> np.ndarray:
    """A brand-like logo as RGB: "chanel" (interlocked Cs and the word), "nike" (a swoosh and the word)."""
    h, w = size, int(size * 1.4)
    img = np.full((h, w, 3), 255, np.uint8)
    black = (15, 15, 15)
    if kind == "chanel":
        c = (w // 2, int(h * 0.4))
        r = int(h * 0.27)
        cv2.ellipse(img, (c[0] - r // 2, c[1]), (r, r), 0, 45, 315, black, max(3, h // 16))
        cv2.ellipse(img, (c[0] + r // 2, c[1]), (r, r), 180, 45, 315, black, max(3, h // 16))
        cv2.putText(img, "CHANEL", (int(w * 0.12), int(h * 0.93)), cv2.FONT_HERSHEY_TRIPLEX, h / 150, black,
                    max(2, h // 60), cv2.LINE_AA)
    elif kind == "nike":
        pts = np.array([[0.08, 0.62], [0.25, 0.75], [0.92, 0.3], [0.3, 0.58], [0.18, 0.48]]) * [w, h * 0.8]
        cv2.fillPoly(img, [pts.astype(np.int32)], (20, 20, 200))
        cv2.putText(img, "NIKE", (int(w * 0.22), int(h * 0.95)), cv2.FONT_HERSHEY_DUPLEX, h / 110, black,
                    max(2, h // 50), cv2.LINE_AA)
    else:
        raise ValueError(f"unknown logo {kind!r}")
    return img


def synthetic_photo(seed: int, width: int = 1024, height: int = 768) -> np.ndarray:
    """A photo-like RGB image: smooth colour fields, a few objects, fine noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    img = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(6):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), int(rng.integers(width // 20, width // 5 + 2)), colour, -1, cv2.LINE_AA)
        else:
            dx, dy = int(rng.integers(width // 25, width // 3 + 2)), int(rng.integers(height // 25, height // 3 + 2))
            cv2.rectangle(img, (x, y), (x + dx, y + dy), colour, -1)
    noise = rng.normal(0, 6, img.shape)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def place_logo(photo: np.ndarray, logo: np.ndarray, *, scale: float, angle: float,
               centre: tuple[int, int]) -> np.ndarray:
    """Paste a logo onto a photo, scaled and rotated about its centre (its white background stays clear)."""
    h, w = logo.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += np.array(centre, dtype=np.float64) - np.array([w / 2, h / 2])
    out_size = (photo.shape[1], photo.shape[0])
    warped = cv2.warpAffine(logo, m, out_size, flags=cv2.INTER_AREA, borderValue=(255, 255, 255))
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), m, out_size, flags=cv2.INTER_NEAREST)
    out = photo.copy()
    out[mask > 0] = warped[mask > 0]
    return out


def _orb(rgb: np.ndarray, n_features: int = ORB_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    kps, desc = cv2.ORB_create(nfeatures=n_features).detectAndCompute(gray, None)
    if desc is None:
        return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    return np.array([k.pt for k in kps], dtype=np.float32), desc


def _shrink(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    height, width = rgb.shape[:2]
    if max(width, height) <= side:
        return rgb, 1.0
    scale = max(width, height) / side
    small = cv2.resize(rgb, (round(width / scale), round(height / scale)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small), scale


def features_of(rgb: np.ndarray, *, decode_side: int = 512, keypoint_side: int = 768) -> ImageFeatures:
    """What klean.adapters.imaging computes from decoded pixels, for in-memory images."""
    height, width = rgb.shape[:2]
    for_pdq, _ = _shrink(rgb, decode_side)
    for_orb, scale = _shrink(rgb, keypoint_side)
    vectors, quality = pdqhash.compute_dihedral(for_pdq)
    variants = tuple(np.packbits(v.astype(np.uint8)).tobytes().hex() for v in vectors)
    kp, desc = _orb(for_orb)
    return ImageFeatures(sha256=hashlib.sha256(rgb.tobytes()).hexdigest(), width=width, height=height,
                         pdq=variants[0], quality=int(quality), variants=variants, keypoints=kp, descriptors=desc,
                         scale=scale)


def logo_template(rgb: np.ndarray, brand_id: str, label: str) -> LogoTemplate:
    kp, desc = _orb(rgb, LOGO_FEATURES)
    return LogoTemplate(brand_id=brand_id, label=label, width=rgb.shape[1], height=rgb.shape[0], keypoints=kp,
                        descriptors=desc)


@cache
def example_logos() -> tuple[LogoTemplate, ...]:
    return (logo_template(draw_logo("chanel"), "chanel", "brand_image:chanel-cc"),)


def logo_examples() -> Sequence[tuple[Listing, bool]]:
    logo = draw_logo("chanel")

    def listing(lid: str, title: str, price: int, seller: str, rgb: np.ndarray) -> Listing:
        return Listing(id=lid, title=title, price=Money.of(price, "KRW"), seller_id=seller,
                       images=(ImageRef(path=f"{lid}.jpg", features=features_of(rgb)),))

    bag = place_logo(synthetic_photo(11), logo, scale=1.3, angle=20, centre=(520, 380))
    small_tilted = place_logo(synthetic_photo(12), logo, scale=0.8, angle=-35, centre=(300, 500))
    plain = synthetic_photo(13)
    nike = place_logo(synthetic_photo(14), draw_logo("nike"), scale=1.2, angle=0, centre=(500, 380))
    return [
        (listing("ex-logo-1", "명품 스타일 퀼팅 숄더백", 89_000, "bag-factory-cn", bag), True),
        (listing("ex-logo-2", "quilted shoulder bag, gold chain", 120_000, "bag-factory-cn", small_tilted), True),
        (listing("ex-logo-3", "plain canvas tote", 15_000, "eco-bags", plain), False),
        (listing("ex-logo-4", "running shoes", 89_000, "shoe-mart", nike), False),
        (listing("ex-logo-5", "Chanel Classic Flap, boutique receipt", 9_800_000, "chanel-boutique-seoul", bag),
         False),
    ]


EXAMPLE_TODAY = date(2026, 11, 24)
