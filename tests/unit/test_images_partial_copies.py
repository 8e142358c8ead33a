"""Partial copies of an official or known-fake photo are matched, and say which region matched and how (issue 19).

The story: Samsung's official Galaxy S24 photo and a Chanel test buy's photo, re-used by sellers after the edits
they make (klean.signals.image_edits): crops, a mirror and a crop, small turns, banners, borders, a watermark, a
collage, a screenshot of a shop page. Bank photos are hashed whole (the exchangeable PDQ) and in windows; listing
photos go through the real intake (JPEG bytes -> klean.adapters.imaging.image_features).
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
from PIL import Image

from klean.adapters.image_index import photo_windows
from klean.adapters.imaging import image_features
from klean.domain.images import BankEntry, BankWindow, ImageBanks, ImageFeatures
from klean.domain.listing import ImageRef, Listing, Money
from klean.domain.registry import Authorisation, Brand, RegistrySnapshot
from klean.domain.screening import ScreeningContext
from klean.signals.image_edits import EDITS
from klean.signals.images import INDEX_KEY, KnownFakeImage, OfficialImageReuse, build_image_index
from klean.signals.logo_examples import draw_logo, place_logo, synthetic_photo

SAMSUNG = Brand(id="samsung", name="Samsung", marks=("Samsung", "삼성"), owner="Samsung Electronics",
                authorisations=(Authorisation(seller_id="samsung-store", brand_id="samsung"),))
CHANEL = Brand(id="chanel", name="Chanel", marks=("Chanel", "샤넬"), owner="Chanel S.A.")
SNAPSHOT = RegistrySnapshot(brands=(SAMSUNG, CHANEL), version="t-partial")


def _jpeg(rgb: np.ndarray, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _photo(seed: int, portrait: bool = False) -> np.ndarray:
    w, h = (768, 1024) if portrait else (1024, 768)
    return place_logo(synthetic_photo(seed, w, h), draw_logo("chanel"), scale=1.1, angle=0,
                      centre=(w // 2, h // 2))


def _bank(photos: dict[int, tuple[str, np.ndarray]]) -> tuple[list[BankEntry], list[BankWindow]]:
    entries, windows = [], []
    for entry_id, (bank, rgb) in photos.items():
        data = _jpeg(rgb, 92)
        whole = image_features(data, keypoints=False, regions=False)
        entries.append(BankEntry(id=entry_id, bank=bank, pdq=whole.pdq, quality=whole.quality,
                                 brand_id="samsung" if bank == "official" else "chanel",
                                 source_ref=f"{'brand_image' if bank == 'official' else 'testbuy'}:{entry_id}"))
        windows += photo_windows(data)
    return entries, windows


def _context(entries: list[BankEntry], windows: list[BankWindow]) -> ScreeningContext:
    ctx = ScreeningContext(snapshot=SNAPSHOT, today=date(2026, 11, 24))
    ctx.indexes[INDEX_KEY] = build_image_index(SNAPSHOT, ImageBanks(entries=tuple(entries), windows=tuple(windows),
                                                                    version="b"))
    return ctx


def _listing(*features: ImageFeatures, seller: str = "seoul-deals-77") -> Listing:
    return Listing(id="lst-partial", title="갤럭시 S24 울트라 미개봉", price=Money.of(590_000, "KRW"), seller_id=seller,
                   images=tuple(ImageRef(path=f"{i}.jpg", features=f) for i, f in enumerate(features, 1)))


@pytest.fixture(scope="module")
def banks() -> tuple[dict[int, tuple[str, np.ndarray]], ScreeningContext]:
    photos = {7: ("official", _photo(1)), 8: ("official", _photo(2, portrait=True)), 11: ("known_fake", _photo(3))}
    entries, windows = _bank(photos)
    return photos, _context(entries, windows)


# What the reason must say for each edit (a word of the transform), and whether it is a region match.
EXPLAINED = {"mirror": ("mirrored",), "crop": ("cropped", "part kept"), "rotate": ("turned",),
             "banner": ("part kept", "larger picture"), "border": ("inside a plain border",),
             "collage": ("larger picture",), "screenshot": ("larger picture",), "watermark": ("as is",)}


def _expected_words(edit: str) -> tuple[str, ...]:
    return next(words for key, words in EXPLAINED.items() if key in edit)


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_official_photo_is_matched_and_explained(edit: str, banks: tuple) -> None:  # type: ignore[type-arg]
    photos, ctx = banks
    for entry_id in (7, 8):
        rgb = photos[entry_id][1]
        edited = EDITS[edit](rgb, entry_id)
        copy = image_features(_jpeg(edited))
        evidence = OfficialImageReuse().evaluate(_listing(copy), ctx)
        assert len(evidence) == 1, f"{edit} of entry {entry_id} should match"
        params = evidence[0].reason.params
        assert params["entry"] == f"brand_image:{entry_id}" and evidence[0].brand_id == "samsung"
        words = _expected_words(edit)
        assert any(w in params["transform"] for w in words), (edit, params["transform"])
        text = evidence[0].reason.render_en()
        assert "not authorised for Samsung" in text and "PDQ distance" in text
        if "region_kind" in params:  # a region match names where in the listing photo it is
            assert f"x={params['x']}, y={params['y']}, {params['w']}x{params['h']} px" in text
            assert params["distance"] <= 24 and 0 < params["w"] <= copy.width and 0 < params["h"] <= copy.height
        if edit.startswith("mirror"):
            assert params["mirrored"] is True


@pytest.mark.parametrize("edit", ["crop 30% centred", "mirror + crop 15% right", "rotate -10°",
                                  "collage of two photos", "screenshot, photo at 60%", "banner 20% below"])
def test_an_edited_known_fake_photo_is_matched(edit: str, banks: tuple) -> None:  # type: ignore[type-arg]
    photos, ctx = banks
    copy = image_features(_jpeg(EDITS[edit](photos[11][1], 5)))
    (ev,) = KnownFakeImage().evaluate(_listing(copy, seller="bag-factory-cn"), ctx)
    assert ev.reason.params["entry"] == "testbuy:11" and ev.brand_id == "chanel"
    assert ev.reason.params["image"] == 1 and "confirmed fake" in ev.reason.render_en()


def test_the_region_of_a_collage_and_a_screenshot_is_where_the_photo_is(banks: tuple) -> None:  # type: ignore[type-arg]
    photos, ctx = banks
    rgb = photos[7][1]
    h, w = rgb.shape[:2]
    for edit in ("collage of two photos", "screenshot, photo at 60%"):
        edited = EDITS[edit](rgb, 7)  # seed 7: the official photo is on the left of the collage
        copy = image_features(_jpeg(edited))
        (ev,) = OfficialImageReuse().evaluate(_listing(copy), ctx)
        p = ev.reason.params
        if edit.startswith("collage"):
            expected = (0, 0, w, h)
        else:
            top = max(8, round(edited.shape[0] * 0.04)) + round(edited.shape[0] * 0.07)
            expected = (0, top, w, h)
        got = (p["x"], p["y"], p["w"], p["h"])
        assert all(abs(a - b) <= 0.04 * max(w, h) for a, b in zip(got, expected, strict=True)), (edit, got, expected)


def test_an_authorised_seller_may_crop_the_official_photo(banks: tuple) -> None:  # type: ignore[type-arg]
    photos, ctx = banks
    copy = image_features(_jpeg(EDITS["crop 20% left"](photos[7][1], 1)))
    assert OfficialImageReuse().evaluate(_listing(copy, seller="samsung-store"), ctx) == []


def test_a_hex_only_bank_still_catches_borders_collages_screenshots_and_grown_turns(banks: tuple) -> None:  # type: ignore[type-arg]
    # Banks exchanged as plain PDQ hex have no windows: the photo found inside the listing photo meets the whole
    # hash; crops, and turns that cut the corners off, need the bank photo's windows (the README says so).
    photos, _ = banks
    entries, _windows = _bank({7: photos[7]})
    ctx = _context(entries, [])
    for edit in ("white border 20%", "collage of two photos", "screenshot, photo at 60%", "rotate 8° grown canvas"):
        copy = image_features(_jpeg(EDITS[edit](photos[7][1], 3)))
        assert len(OfficialImageReuse().evaluate(_listing(copy), ctx)) == 1, edit
    copy = image_features(_jpeg(EDITS["crop 30% centred"](photos[7][1], 3)))
    assert OfficialImageReuse().evaluate(_listing(copy), ctx) == []


def _unrelated(n: int) -> list[np.ndarray]:
    """Photos that are not the bank's: other product photos with the same logo (the hardest), plain photos, and
    the same edits applied to them."""
    out = []
    names = list(EDITS)
    for k in range(n):
        seed = 100 + k
        base = _photo(seed, portrait=k % 4 == 0) if k % 3 else synthetic_photo(seed)
        out.append(EDITS[names[k % len(names)]](base, k) if k % 2 else base)
    return out


def test_unrelated_photos_do_not_match(banks: tuple) -> None:  # type: ignore[type-arg]
    _, ctx = banks
    for k, rgb in enumerate(_unrelated(60)):
        listing = _listing(image_features(_jpeg(rgb)))
        assert OfficialImageReuse().evaluate(listing, ctx) == [], k
        assert KnownFakeImage().evaluate(listing, ctx) == [], k
