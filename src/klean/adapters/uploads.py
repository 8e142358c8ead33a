"""Untrusted uploads: the bytes decide what a file is (never its name or the client's content type).

Images: JPEG, PNG, WebP, GIF (first frame), recognised by magic bytes; at most settings.max_upload_bytes;
width x height from the header checked against settings.max_image_pixels BEFORE any pixel is decoded;
Pillow's decompression-bomb warning is an error; then the image is fully decoded, so a truncated or
corrupt file is refused here rather than failing later. Documents: PDF (magic and size only; never
rendered) or an image.
"""

from __future__ import annotations

import csv
import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from klean.config import Settings
from klean.domain.errors import ValidationError
from klean.domain.messages import N_


class UploadRejected(ValidationError):
    code = "invalid_upload"


class UploadTooLarge(UploadRejected):
    code = "too_large"


IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
              "application/pdf": "pdf"}


@dataclass(frozen=True)
class ImageInfo:
    media_type: str
    format: str  # Pillow's name: JPEG, PNG, WEBP, GIF
    width: int
    height: int
    size: int  # bytes


@dataclass(frozen=True)
class DocumentInfo:
    media_type: str
    size: int
    image: ImageInfo | None = None


def sniff(data: bytes) -> str | None:
    """The media type the leading bytes show, among those accepted; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _check_size(data: bytes, settings: Settings, field: str) -> None:
    if not data:
        raise UploadRejected("the file is empty", field=field)
    if len(data) > settings.max_upload_bytes:
        raise UploadTooLarge(f"the file has {len(data):,} bytes; the limit is {settings.max_upload_bytes:,}",
                             field=field)


def validate_image(data: bytes, settings: Settings, *, field: str = "file") -> ImageInfo:
    """Check that `data` is one safe, complete image of an allowed type and size, or raise UploadRejected."""
    _check_size(data, settings, field)
    media_type = sniff(data)
    if media_type is None or not media_type.startswith("image/"):
        raise UploadRejected("not an image of an allowed type (JPEG, PNG, WebP, GIF)", field=field)
    fmt = next(k for k, v in IMAGE_TYPES.items() if v == media_type)
    limit = settings.max_image_pixels
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused, never merely warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:  # reads the header only
                width, height = im.size
                if width <= 0 or height <= 0:
                    raise UploadRejected("the image has no pixels", field=field)
                if width * height > limit:
                    raise UploadTooLarge(f"the image is {width}x{height} = {width * height:,} pixels; "
                                         f"the limit is {limit:,}", field=field)
                im.verify()  # structure and checksums (PNG CRCs), without decoding
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                im.seek(0)  # GIF and animated WebP: the first frame is what is kept
                im.load()  # full decode: a truncated or corrupt file fails here
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadTooLarge(f"refused as a decompression bomb: {exc}", field=field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError,
            TypeError, KeyError, struct.error) as exc:
        raise UploadRejected(f"the image is truncated or corrupt ({type(exc).__name__})", field=field) from exc
    return ImageInfo(media_type=media_type, format=fmt, width=width, height=height, size=len(data))


def validate_document(data: bytes, settings: Settings, *, field: str = "file") -> DocumentInfo:
    """Check that `data` is a PDF (by magic; never rendered) or a safe image, within the size cap."""
    _check_size(data, settings, field)
    media_type = sniff(data)
    if media_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise UploadRejected("the PDF is truncated (no %%EOF at its end)", field=field)
        return DocumentInfo(media_type=media_type, size=len(data))
    if media_type is None:
        raise UploadRejected("not a PDF or an image of an allowed type", field=field)
    image = validate_image(data, settings, field=field)
    return DocumentInfo(media_type=image.media_type, size=len(data), image=image)


CSV_UNREADABLE = N_("the CSV file could not be read: a cell is far too long or a quotation mark is never closed")


def csv_rows(data: bytes) -> list[list[str]]:
    """The non-blank rows of an uploaded CSV, parsed as data only (no formulas evaluated, no types guessed); a file
    that is not UTF-8 text, or that the csv module cannot read, is a ValidationError on the field `csv`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("the CSV file is not UTF-8 text", field="csv") from exc
    if "\x00" in text:
        raise ValidationError("the CSV file is not text", field="csv")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # a cell over the csv module's 131,072-character limit, or a quote never closed
        raise ValidationError(CSV_UNREADABLE, field="csv") from exc
    return [r for r in rows if any(c.strip() for c in r)]
