"""The edits sellers of fakes make to a brand's photo, as pure functions on RGB arrays (for tests and the bench).

Each takes the photo and a seed (for the other photo of a collage, the banner's words...) and returns the edited
photo; `EDITS` lists them by name. Nothing is read or written; the other photos are drawn here.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Edit = Callable[[np.ndarray, int], np.ndarray]


def _crop(rgb: np.ndarray, left: float = 0, top: float = 0, right: float = 0, bottom: float = 0) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(rgb[round(h * top):h - round(h * bottom), round(w * left):w - round(w * right)])


def crop_side(area: float, side: str) -> Edit:
    """Cut `area` of the photo off one side."""
    return lambda rgb, seed: _crop(rgb, **{side: area})


def crop_centre(area: float) -> Edit:
    """Keep the centre: `area` of the photo cut off evenly around it."""
    edge = (1 - (1 - area) ** 0.5) / 2
    return lambda rgb, seed: _crop(rgb, edge, edge, edge, edge)


def mirror_crop(area: float, side: str) -> Edit:
    return lambda rgb, seed: np.ascontiguousarray(_crop(rgb, **{side: area})[:, ::-1])


def rotate(angle: float, expand: bool = False, fill: tuple[int, int, int] = (255, 255, 255)) -> Edit:
    """Turn anticlockwise by `angle` degrees on a plain fill (the canvas kept, or grown to hold the corners)."""

    def edit(rgb: np.ndarray, seed: int) -> np.ndarray:
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        size = (w, h)
        if expand:
            c, s = abs(m[0, 0]), abs(m[0, 1])
            size = (int(h * s + w * c + 0.5), int(h * c + w * s + 0.5))
            m[0, 2] += size[0] / 2 - w / 2
            m[1, 2] += size[1] / 2 - h / 2
        return cv2.warpAffine(rgb, m, size, flags=cv2.INTER_LINEAR, borderValue=fill)

    return edit


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int],
          thickness: int) -> None:
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, colour, thickness, cv2.LINE_AA)


BANNER_WORDS = ("SALE 50% OFF", "1:1 AAA QUALITY", "FREE SHIPPING", "WHOLESALE", "HOT DEAL 9,900")


def banner(share: float, where: str = "bottom", over: bool = False) -> Edit:
    """A coloured price banner with words, `share` of the result's height, added below/above the photo (or laid
    over it when `over`)."""

    def edit(rgb: np.ndarray, seed: int) -> np.ndarray:
        h, w = rgb.shape[:2]
        rng = np.random.default_rng(seed)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        bh = round(h * share) if over else round(h * share / (1 - share))
        bar = np.empty((bh, w, 3), np.uint8)
        bar[:] = colour
        ink = (255, 255, 255) if sum(colour) < 380 else (10, 10, 10)
        _text(bar, BANNER_WORDS[seed % len(BANNER_WORDS)], (w // 20, int(bh * 0.7)), bh / 45, ink, max(1, bh // 25))
        if over:
            out = rgb.copy()
            if where == "bottom":
                out[h - bh:] = bar
            else:
                out[:bh] = bar
            return out
        return np.ascontiguousarray(np.concatenate([rgb, bar] if where == "bottom" else [bar, rgb]))

    return edit


def border(share: float, colour: tuple[int, int, int] = (255, 255, 255)) -> Edit:
    """A plain frame around the photo taking `share` of the result's area."""

    def edit(rgb: np.ndarray, seed: int) -> np.ndarray:
        h, w = rgb.shape[:2]
        grow = 1 / (1 - share) ** 0.5
        pad_x, pad_y = round(w * (grow - 1) / 2), round(h * (grow - 1) / 2)
        return cv2.copyMakeBorder(rgb, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=colour)

    return edit


def watermark(rgb: np.ndarray, seed: int) -> np.ndarray:
    """A shop's name written across the photo, half transparent."""
    h, w = rgb.shape[:2]
    layer = rgb.copy()
    _text(layer, "LUXURY-OUTLET.SHOP", (w // 10, h // 2), w / 700, (255, 255, 255), max(2, w // 250))
    _text(layer, "@best_replica", (w // 4, int(h * 0.8)), w / 900, (255, 255, 255), max(2, w // 300))
    return cv2.addWeighted(rgb, 0.5, layer, 0.5, 0)


def _other_photo(seed: int, w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(10_000 + seed)
    small = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(5):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(w // 12, w // 4)),
                   colour, -1, cv2.LINE_AA)
    return img


def collage(rgb: np.ndarray, seed: int) -> np.ndarray:
    """The photo beside another photo of the same height (order by seed)."""
    h, w = rgb.shape[:2]
    other = _other_photo(seed, int(w * (0.7 + 0.5 * (seed % 3) / 2)), h)
    return np.ascontiguousarray(np.concatenate([rgb, other] if seed % 2 else [other, rgb], axis=1))


def screenshot(share: float = 0.6) -> Edit:
    """A phone screenshot of a shop page: status bar, app bar, the photo at `share` of the frame's area, the
    price and buttons below."""

    def edit(rgb: np.ndarray, seed: int) -> np.ndarray:
        h, w = rgb.shape[:2]
        rng = np.random.default_rng(seed)
        frame_w = w
        frame_h = round(w * h / share / frame_w)
        frame = np.full((frame_h, frame_w, 3), 255, np.uint8)
        bar = max(8, round(frame_h * 0.04))
        frame[:bar] = (20, 20, 20)
        _text(frame, "9:41", (frame_w // 30, int(bar * 0.75)), bar / 40, (255, 255, 255), 1)
        app = round(frame_h * 0.07)
        accent = tuple(int(v) for v in rng.integers(0, 200, 3))
        frame[bar:bar + app] = accent
        _text(frame, "SHOP  > Bags", (frame_w // 15, bar + int(app * 0.7)), app / 45, (255, 255, 255), 2)
        top = bar + app
        frame[top:top + h] = rgb
        y = top + h + round(frame_h * 0.06)
        _text(frame, "KRW 89,000", (frame_w // 20, y), frame_h / 700, (200, 30, 30), 2)
        _text(frame, "Free delivery", (frame_w // 20, y + round(frame_h * 0.05)), frame_h / 1100, (90, 90, 90), 1)
        btn = round(frame_h * 0.07)
        frame[frame_h - btn:] = (255, 80, 0)
        _text(frame, "BUY NOW", (frame_w // 3, frame_h - btn // 3), btn / 45, (255, 255, 255), 2)
        return frame

    return edit


EDITS: dict[str, Edit] = {
    "crop 10% right": crop_side(0.10, "right"),
    "crop 20% left": crop_side(0.20, "left"),
    "crop 30% bottom": crop_side(0.30, "bottom"),
    "crop 30% top": crop_side(0.30, "top"),
    "crop 10% centred": crop_centre(0.10),
    "crop 20% centred": crop_centre(0.20),
    "crop 30% centred": crop_centre(0.30),
    "mirror + crop 15% right": mirror_crop(0.15, "right"),
    "mirror + crop 9% top": mirror_crop(0.09, "top"),
    "rotate 5°": rotate(5),
    "rotate -10°": rotate(-10),
    "rotate 8° grown canvas": rotate(8, expand=True),
    "banner 20% below": banner(0.20, "bottom"),
    "banner 15% over the top": banner(0.15, "top", over=True),
    "white border 20%": border(0.20),
    "black border 10%": border(0.10, (0, 0, 0)),
    "watermark": watermark,
    "collage of two photos": collage,
    "screenshot, photo at 60%": screenshot(0.6),
}
