"""A listing's images as the API receives them: the bytes (base64 in `data`), through the same safe intake as every
upload (klean.adapters.uploads.validate_image, then klean.adapters.imaging), hashed for the image signals; or a
PDQ hash the marketplace computed. An image Klean cannot screen is refused with a 422 that names it, never
dropped in silence.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from klean.adapters.blobs import BlobStore
from klean.adapters.imaging import ImageRejected, image_features
from klean.adapters.uploads import validate_image
from klean.bootstrap import App
from klean.domain.errors import ValidationError
from klean.domain.listing import ImageRef, Listing
from klean.services import image_banks

MAX_IMAGES_WITH_DATA = 10  # per listing: each is decoded and hashed on the request's time


class ImageBody(Protocol):
    path: str | None
    sha256: str | None
    pdq: str | None
    data: str | None


def _bytes_of(data: str, field: str) -> bytes:
    text = data.strip()
    if text.startswith("data:") and "," in text[:200]:  # a data: URL (data:image/jpeg;base64,....)
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"{field}: not valid base64 ({exc})", field=field) from exc


def with_images(listing: Listing, images: Sequence[ImageBody], app: App, *, store: bool) -> Listing:
    """The listing with each image ready for screening: bytes validated and hashed (stored by digest when
    `store`, as evidence of what was submitted), or the marketplace's PDQ hash used as given.

    Raises ValidationError naming the image (`images[2].data`, `images[0]`) for bytes that are not a safe image of
    an allowed type and size, or an image given only by a path or digest, which Klean cannot fetch or read."""
    if not images:
        return listing
    with_data = sum(1 for img in images if img.data)
    if with_data > MAX_IMAGES_WITH_DATA:
        raise ValidationError(f"images: at most {MAX_IMAGES_WITH_DATA} images with data per listing, got {with_data}",
                              field="images")
    settings = app.settings
    policy = image_banks.image_policy(app.policy)
    refs: list[ImageRef] = []
    for i, img in enumerate(images):
        field = f"images[{i}]"
        if img.data:
            raw = _bytes_of(img.data, f"{field}.data")
            info = validate_image(raw, settings, field=f"{field}.data")
            try:
                features = image_features(raw, policy)
            except ImageRejected as exc:
                raise ValidationError(f"{field}.data: {exc.message}", field=f"{field}.data") from exc
            if img.sha256 and img.sha256 != features.sha256:
                raise ValidationError(f"{field}: the bytes have sha256 {features.sha256}, not the sha256 given",
                                      field=f"{field}.sha256")
            if store:
                BlobStore(settings).put(raw, info.media_type)
            refs.append(ImageRef(path=img.path, sha256=features.sha256, pdq=features.pdq, features=features))
        elif img.pdq:
            refs.append(ImageRef(path=img.path, sha256=img.sha256, pdq=img.pdq))  # the marketplace's hash, as is
        else:
            given = " and ".join(k for k in ("path", "sha256") if getattr(img, k)) or "nothing"
            raise ValidationError(
                f"{field}: Klean cannot screen an image given by {given} alone (it never fetches files or URLs); "
                "send the image itself in data (base64 of a JPEG, PNG, WebP or GIF) or its PDQ hash in pdq",
                field=field)
    return replace(listing, images=tuple(refs))
