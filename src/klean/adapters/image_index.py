"""Wire the image banks into screening: hash stored images, build logo templates, attach the image index.

`attach_image_index(app, screener)` puts an index built from the database banks (official, known-fake,
negative, flood state) and the registry's logos into a Screener's context. It is cached in `app.extras` by
the registry version and the banks' version, so a new confirmed fake or a flood takes effect at the next
screening without rebuilding anything else.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from klean.adapters.imaging import (
    ImageHashingScreener,
    ImageRejected,
    decode_image,
    image_features,
    logo_template_arrays,
    pdq_of,
    read_image_file,
)
from klean.bootstrap import App
from klean.config import Settings
from klean.domain.errors import NotFound
from klean.domain.images import BankWindow, ImageBanks, ImagePolicy, LogoTemplate
from klean.domain.registry import RegistrySnapshot
from klean.services import image_banks
from klean.signals.image_regions import bank_windows
from klean.signals.images import INDEX_KEY, ImageIndex, build_image_index

_logo_cache: dict[tuple[str, str], LogoTemplate | None] = {}
_window_cache: dict[str, tuple[BankWindow, ...]] = {}  # by image digest: a photo's windows never change
_lock = threading.Lock()


def _blobs(settings: Settings) -> Any:
    from klean.adapters.blobs import BlobStore  # owned by the registry feature

    return BlobStore(settings)


def blob_hasher(settings: Settings, policy: ImagePolicy | None = None) -> image_banks.Hasher:
    """sha256 of a stored blob -> (pdq, quality); None when the blob is missing or not a usable image."""
    store = _blobs(settings)

    def hasher(sha256: str) -> tuple[str, int] | None:
        try:
            features = image_features(store.get(sha256), policy, keypoints=False, sha256=sha256, regions=False)
        except (NotFound, ImageRejected):
            return None
        return features.pdq, features.quality

    return hasher


def logo_templates(settings: Settings, logos: list[tuple[str, str]],
                   policy: ImagePolicy | None = None) -> tuple[LogoTemplate, ...]:
    """ORB templates of the registry's logo images (cached by brand and content digest)."""
    store = _blobs(settings)
    out = []
    for brand_id, sha256 in logos:
        key = (brand_id, sha256)
        with _lock:
            known = key in _logo_cache
            template = _logo_cache.get(key)
        if not known:
            try:
                width, height, kp, desc = logo_template_arrays(store.get(sha256), policy)
                template = LogoTemplate(brand_id=brand_id, label=f"logo:{sha256[:12]}", width=width, height=height,
                                        keypoints=kp, descriptors=desc)
            except (NotFound, ImageRejected):
                template = None  # a logo whose file is gone or unusable is skipped, not fatal
            with _lock:
                _logo_cache[key] = template
        if template is not None:
            out.append(template)
    return tuple(out)


def photo_windows(data: bytes, policy: ImagePolicy | None = None, *, sha256: str | None = None
                  ) -> tuple[BankWindow, ...]:
    """The windows of a bank photo (klean.signals.image_regions.bank_windows), tied to its whole PDQ; cached by
    content digest. A photo Klean cannot decode has none."""
    policy = policy or ImagePolicy()
    digest = sha256 or hashlib.sha256(data).hexdigest()
    with _lock:
        known = _window_cache.get(digest)
    if known is not None:
        return known
    try:
        rgb = decode_image(data, policy).rgb  # as image_features decodes for the whole-image PDQ
    except ImageRejected:
        return ()
    parent = pdq_of(rgb)[0]
    windows = tuple(BankWindow(parent=parent, kind=r.kind, pdq=r.pdq, quality=r.quality) for r in bank_windows(rgb))
    with _lock:
        _window_cache[digest] = windows
    return windows


def official_windows(settings: Settings, snapshot: RegistrySnapshot,
                     policy: ImagePolicy | None = None) -> tuple[BankWindow, ...]:
    """Windows of the registry's official photos whose files are in the blob store (for partial copies)."""
    store = _blobs(settings)
    out: list[BankWindow] = []
    for brand in snapshot.brands:
        for img in brand.images:
            if img.kind != "official" or not img.sha256:
                continue
            try:
                data = store.get(img.sha256)
            except NotFound:
                continue
            out += [replace(w, parent=img.pdq or w.parent) for w in photo_windows(data, policy, sha256=img.sha256)]
    return tuple(out)


def load_image_index(app: App, snapshot: RegistrySnapshot) -> ImageIndex:
    """The image index for this registry snapshot and the current banks (cached in app.extras).

    New bank entries are added to the built index (no retraining); a removal, a newly hashed entry or a change
    of flood state rebuilds it, as does a new registry snapshot or policy.
    """
    policy = image_banks.image_policy(app.policy)
    max_id, removed, hashed, flooded = image_banks.bank_state(uow=app.uow_factory())
    base_key = (snapshot.version, policy.version, removed, flooded)
    with _lock:
        cached = app.extras.get("image_index")
        if isinstance(cached, tuple) and len(cached) == 4 and cached[0] == base_key:
            _, built_max, built_hashed, index = cached
            if built_max == max_id and built_hashed == hashed:
                return index  # type: ignore[no-any-return]
            fresh = image_banks.entries_after(uow=app.uow_factory(), after_id=built_max)
            if built_hashed + len(fresh) == hashed:  # only additions since: add them in place
                index.add(fresh)
                app.extras["image_index"] = (base_key, max_id, hashed, index)
                return index  # type: ignore[no-any-return]
    logos = logo_templates(app.settings, image_banks.logo_images(uow=app.uow_factory()), policy)
    banks = image_banks.bank_snapshot(uow=app.uow_factory(), logos=logos)
    banks = replace(banks, windows=(*banks.windows, *official_windows(app.settings, snapshot, policy)))
    index = build_image_index(snapshot, banks, policy)
    with _lock:
        app.extras["image_index"] = (base_key, max_id, hashed, index)
    return index


def attach_image_index(app: App, screener: Any) -> Any:
    """Give a Screener (anything with `.snapshot` and `.context`) the database image banks; returns it."""
    screener.context.indexes[INDEX_KEY] = load_image_index(app, screener.snapshot)
    return screener


def index_from_registry_file(snapshot: RegistrySnapshot, registry_dir: Path,
                             policy: ImagePolicy | None = None) -> ImageIndex:
    """The image index for a scan from a registry file: official images without a `pdq` are hashed and logos
    turned into templates from their files (paths relative to the registry file's folder). Unreadable or bad
    images are skipped: a scan never fails on the registry's pictures."""
    policy = policy or ImagePolicy()
    brands = []
    logos: list[LogoTemplate] = []
    windows: list[BankWindow] = []
    for brand in snapshot.brands:
        images = []
        for img in brand.images:
            if img.kind == "official" and img.path:
                try:
                    data = read_image_file(registry_dir, img.path, policy)
                    found = photo_windows(data, policy)
                    if not img.pdq and found:
                        img = replace(img, pdq=found[0].parent)
                    elif not img.pdq:
                        img = replace(img, pdq=image_features(data, policy, keypoints=False, regions=False).pdq)
                    windows += [replace(w, parent=img.pdq) for w in found]
                except ImageRejected:
                    pass
            elif img.kind == "logo" and img.path:
                try:
                    width, height, kp, desc = logo_template_arrays(read_image_file(registry_dir, img.path, policy),
                                                                   policy)
                    logos.append(LogoTemplate(brand_id=brand.id, label=f"logo:{img.path[-60:]}", width=width,
                                              height=height, keypoints=kp, descriptors=desc))
                except ImageRejected:
                    pass
            images.append(img)
        brands.append(replace(brand, images=tuple(images)))
    hashed = replace(snapshot, brands=tuple(brands))
    return build_image_index(hashed, ImageBanks(logos=tuple(logos), version="registry-file", windows=tuple(windows)),
                             policy)


def scan_screener(screener: Any, *, input_path: Path, registry_file: Path | None) -> Any:
    """Prepare a Screener for `klean scan`: the image index (registry file's images, or the database banks) and
    image hashing of the catalog's images (paths relative to the catalog's folder)."""
    from klean.domain.policy_file import read_policy

    if registry_file is not None:
        policy = image_banks.image_policy(read_policy(_settings().policy_path))
        screener.context.indexes[INDEX_KEY] = index_from_registry_file(screener.snapshot, registry_file.parent, policy)
    else:
        from klean.bootstrap import bootstrap

        app = bootstrap()
        policy = image_banks.image_policy(app.policy)
        attach_image_index(app, screener)
    base = input_path if input_path.is_dir() else input_path.parent
    return ImageHashingScreener(screener, base, policy)


def _settings() -> Settings:
    from klean.config import get_settings

    return get_settings()
