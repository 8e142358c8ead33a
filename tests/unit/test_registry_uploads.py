"""Upload validation: the bytes decide; size, pixels and decompression bombs are refused before decoding."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from klean.adapters.blobs import BlobStore
from klean.adapters.uploads import UploadRejected, UploadTooLarge, sniff, validate_document, validate_image
from klean.config import Settings


def image_bytes(fmt: str, size: tuple[int, int] = (64, 32), mode: str = "RGB", **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (20, 40, 200) if mode == "RGB" else 1).save(buf, fmt, **kw)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but carries almost no data: what a bomb looks like at first."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, max_upload_bytes=200_000, max_image_pixels=1_000_000)


@pytest.mark.parametrize("fmt,media", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"),
                                       ("GIF", "image/gif")])
def test_each_allowed_format_is_recognised_by_its_bytes(settings: Settings, fmt: str, media: str) -> None:
    info = validate_image(image_bytes(fmt), settings)
    assert (info.media_type, info.width, info.height) == (media, 64, 32)


def test_animated_gif_keeps_its_first_frame(settings: Settings) -> None:
    frames = [Image.new("P", (40, 40), i) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    assert validate_image(buf.getvalue(), settings).media_type == "image/gif"


def test_oversize_file_is_refused_by_byte_count(settings: Settings) -> None:
    with pytest.raises(UploadTooLarge, match="limit is 200,000"):
        validate_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000, settings)


def test_too_many_pixels_is_refused_from_the_header(settings: Settings) -> None:
    data = image_bytes("PNG", (2000, 1000), mode="1")  # 2 megapixels in a few kilobytes
    assert len(data) < 20_000
    with pytest.raises(UploadTooLarge, match="2000x1000"):
        validate_image(data, settings)


def test_a_decompression_bomb_is_an_error_not_a_warning(tmp_path: Path) -> None:
    lax = Settings(home=tmp_path, max_image_pixels=10**12)  # even when our own pixel cap is set absurdly high
    with pytest.raises(UploadTooLarge, match="decompression bomb"):
        validate_image(png_header_only(30_000, 30_000), lax)
    with pytest.raises(UploadTooLarge, match="pixels"):
        validate_image(png_header_only(30_000, 30_000), Settings(home=tmp_path))  # the default cap: 40 MP


@pytest.mark.parametrize("data", [
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"MZ\x90\x00" + b"\0" * 100,  # a Windows executable named logo.png
    b"BM" + b"\0" * 100,  # BMP: a real image format, but not on the allow-list
    b"",
])
def test_anything_else_is_refused_whatever_it_claims_to_be(settings: Settings, data: bytes) -> None:
    with pytest.raises(UploadRejected):
        validate_image(data, settings)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_truncated_images_are_refused(settings: Settings, fmt: str) -> None:
    whole = image_bytes(fmt, (120, 80))
    with pytest.raises(UploadRejected, match="truncated or corrupt"):
        validate_image(whole[: len(whole) // 2], settings)


def test_documents_are_pdfs_or_images(settings: Settings) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert validate_document(pdf, settings).media_type == "application/pdf"
    assert validate_document(image_bytes("JPEG"), settings).image is not None
    with pytest.raises(UploadRejected, match="truncated"):
        validate_document(pdf[:20], settings)
    with pytest.raises(UploadRejected):
        validate_document(b"PK\x03\x04 a zip file", settings)


def test_blobs_are_stored_by_content_hash(settings: Settings) -> None:
    store = BlobStore(settings)
    data = image_bytes("PNG")
    sha = store.put(data, "image/png")
    assert store.put(data, "image/png") == sha
    assert store.get(sha) == data and store.path(sha).is_relative_to(settings.resolved_blob_dir())
    assert store.relative_path(sha) == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert sniff(store.get(sha)) == "image/png"
    with pytest.raises(Exception, match="SHA-256"):
        store.path("../../etc/passwd")
