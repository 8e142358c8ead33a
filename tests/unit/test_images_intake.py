"""Safe image intake: every bad image is refused with a clear reason, and never stops a listing or a scan."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from klean.adapters.imaging import (
    FeatureCache,
    ImageRejected,
    decode_image,
    hash_listing_images,
    hash_many,
    image_features,
    sniff_format,
)
from klean.domain.images import ImagePolicy
from klean.domain.listing import ImageRef, Listing, Money
from klean.signals.logo_examples import synthetic_photo


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _photo(w: int = 1024, h: int = 768, seed: int = 5) -> Image.Image:
    return Image.fromarray(synthetic_photo(seed, w, h))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_bomb(width: int, height: int) -> bytes:
    """A PNG declaring a huge greyscale canvas of zeros: a few KB that would decode to gigabytes."""
    raw = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # only the first rows; the header is what matters
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", raw) + _png_chunk(b"IEND", b""))


def _reason(data: bytes, policy: ImagePolicy | None = None) -> tuple[str, str]:
    with pytest.raises(ImageRejected) as err:
        image_features(data, policy)
    return err.value.reason, err.value.message


def test_formats_are_sniffed_from_bytes() -> None:
    img = _photo(64, 48)
    assert sniff_format(_encode(img, "JPEG")) == "JPEG"
    assert sniff_format(_encode(img, "PNG")) == "PNG"
    assert sniff_format(_encode(img, "WEBP")) == "WEBP"
    assert sniff_format(_encode(img, "GIF")) == "GIF"
    assert sniff_format(b"%PDF-1.7 ...") is None


@pytest.mark.parametrize(("fmt", "mode"), [("JPEG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"), ("WEBP", "RGB"),
                                           ("GIF", "P"), ("PNG", "L"), ("JPEG", "CMYK"), ("PNG", "I;16")])
def test_good_images_of_every_allowed_kind_are_hashed(fmt: str, mode: str) -> None:
    features = image_features(_encode(_photo().convert(mode), fmt))
    assert len(features.pdq) == 64 and len(features.variants) == 8 and features.quality >= 50
    assert (features.width, features.height) == (1024, 768)
    assert features.descriptors is not None and len(features.descriptors) > 20


def test_jpeg_is_decoded_at_reduced_size() -> None:
    decoded = decode_image(_encode(_photo(2048, 1536), "JPEG"), ImagePolicy(decode_side=512))
    assert max(decoded.rgb.shape) == 512 and (decoded.width, decoded.height) == (2048, 1536)


def test_truncated_image() -> None:
    data = _encode(_photo(), "JPEG", quality=90)
    reason, message = _reason(data[: len(data) // 2])
    assert reason == "truncated" and "truncated" in message
    png = _encode(_photo(), "PNG")
    assert _reason(png[: len(png) // 3])[0] in ("truncated", "corrupt")


def test_too_many_bytes() -> None:
    reason, message = _reason(_encode(_photo(), "PNG"), ImagePolicy(max_bytes=50_000))
    assert reason == "too_large" and "50,000" in message


def test_huge_canvas_is_refused_from_the_header() -> None:
    data = _encode(Image.new("RGB", (9000, 5000), (200, 10, 10)), "JPEG", quality=20)
    reason, message = _reason(data)
    assert reason == "too_many_pixels" and "45,000,000" in message


def test_decompression_bomb() -> None:
    reason, message = _reason(_png_bomb(50_000, 50_000))  # Pillow's own guard trips while reading the header
    assert reason == "decompression_bomb" and "decompression bomb" in message
    reason, message = _reason(_png_bomb(9_000, 9_000))  # under Pillow's guard, over ours: caught from the header
    assert reason == "decompression_bomb" and "81,000,000 pixels" in message


@pytest.mark.parametrize(("data", "what"), [
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "an SVG drawing"),
    (b"<!DOCTYPE html><html><body>hi</body></html>", "an HTML page"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "a Windows program"),
    (b"\x00\x01\x02 nothing recognisable", "not a JPEG, PNG, WebP or GIF image"),
])
def test_wrong_type(data: bytes, what: str) -> None:
    reason, message = _reason(data)
    assert reason == "unsupported_type" and what in message


def test_bmp_and_tiff_are_not_allowed_and_formats_follow_policy() -> None:
    reason, message = _reason(_encode(_photo(64, 48), "BMP"))
    assert reason == "unsupported_type" and "BMP" in message
    reason, message = _reason(_encode(_photo(64, 48), "GIF"), ImagePolicy(formats=("JPEG", "PNG")))
    assert reason == "unsupported_type" and "GIF images are not allowed" in message


def test_empty_and_garbage_after_a_valid_magic() -> None:
    assert _reason(b"")[0] == "corrupt"
    assert _reason(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)[0] == "corrupt"
    assert _reason(b"\xff\xd8\xff\xe0" + b"\x13" * 300)[0] in ("corrupt", "truncated")


def test_time_budget() -> None:
    reason, message = _reason(_encode(_photo(), "PNG"), ImagePolicy(time_budget_ms=0))
    assert reason == "too_slow" and "budget" in message


def _listing(*refs: ImageRef) -> Listing:
    return Listing(id="lst-9", title="나이키 에어맥스 97 정품급", price=Money.of(49_000, "KRW"), seller_id="s",
                   images=refs)


def test_a_bad_image_is_a_warning_on_that_listing_not_a_crash(tmp_path: Path) -> None:
    good = _encode(_photo(), "JPEG")
    (tmp_path / "good.jpg").write_bytes(good)
    (tmp_path / "half.jpg").write_bytes(good[: len(good) // 2])
    (tmp_path / "invoice.jpg").write_bytes(b"%PDF-1.4 fake image")
    outside = tmp_path.parent / "secret.jpg"
    outside.write_bytes(good)
    listing = _listing(ImageRef(path="good.jpg"), ImageRef(path="half.jpg"), ImageRef(path="invoice.jpg"),
                       ImageRef(path="https://evil.example/x.jpg"), ImageRef(path="../secret.jpg"),
                       ImageRef(path="/etc/passwd"), ImageRef(path="missing.jpg"),
                       ImageRef(path="good.jpg", sha256="0" * 64), ImageRef(pdq="ab" * 32))
    out, warnings = hash_listing_images(listing, tmp_path, cache=FeatureCache())
    reasons = {w.image: w.reason for w in warnings}
    assert reasons == {2: "truncated", 3: "unsupported_type", 4: "url_not_fetched", 5: "unreadable_path",
                       6: "unreadable_path", 7: "unreadable_path", 8: "digest_mismatch"}
    assert out.images[0].features is not None and out.images[0].sha256 and out.images[0].pdq
    assert all(img.features is None for img in out.images[1:])
    assert out.images[8].pdq == "ab" * 32  # a marketplace's own hash is kept as given
    assert "was not used" in warnings[0].message.render_en()


def test_hashes_are_cached_by_content_digest(tmp_path: Path) -> None:
    data = _encode(_photo(seed=8), "JPEG")
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(data)
    cache = FeatureCache(directory=tmp_path / "cache")
    listings = [_listing(ImageRef(path="a.jpg"), ImageRef(path="b.jpg")), _listing(ImageRef(path="c.jpg"))]
    out, warnings = hash_many(listings, tmp_path, cache=cache)
    assert warnings == [] and len({img.features.pdq for li in out for img in li.images}) == 1
    # A second process with an empty memory cache reads the folder instead of decoding again.
    fresh = FeatureCache(directory=tmp_path / "cache")
    digest = out[0].images[0].sha256
    assert digest is not None
    again = fresh.get(digest)
    assert again is not None and again.pdq == out[0].images[0].features.pdq
    assert again.descriptors.shape == out[0].images[0].features.descriptors.shape
    (tmp_path / "cache" / digest[:2] / f"{digest}.npz").write_bytes(b"damaged")
    assert FeatureCache(directory=tmp_path / "cache").get(digest) is None
