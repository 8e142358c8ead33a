"""Image signals' plain data: per-image features, hash-bank entries, the bank file format, the
[images] policy section and the flood-guard rule. Pure: no files, no decoding, no database.

Bank file format (the plain PDQ hex format of ThreatExchange / hasher-matcher-actioner tools):
one hash per line, 64 lowercase hex digits (256 bits), optionally followed by metadata after a
comma or a tab. Klean writes `<pdq>,<quality>,<brand_id>,<source_ref>` and reads any of
`<pdq>`, `<pdq>,<quality>`, `<pdq>,<quality>,<brand_id>`, `<pdq>,<quality>,<brand_id>,<source_ref>`
(empty fields allowed; tab works as the separator too). Blank lines and lines starting with `#`
are ignored, so a header comment may name the bank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from klean.domain.errors import ValidationError

BANKS = ("official", "known_fake", "negative")
PDQ_HEX = re.compile(r"^[0-9a-f]{64}$")
# Names of the 8 dihedral transforms in the order pdqhash.compute_dihedral returns them.
DIHEDRAL = ("original", "rotate90", "rotate180", "rotate270", "flip_x", "flip_y", "flip_plus1", "flip_minus1")


def normalise_pdq(value: str, *, field_name: str = "pdq") -> str:
    """A PDQ hash as 64 lowercase hex digits, or ValidationError."""
    text = value.strip().lower()
    if not PDQ_HEX.match(text):
        raise ValidationError(f"{field_name}: a PDQ hash is 64 hex digits, got {value[:80]!r}", field=field_name)
    return text


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class Region:
    """One hashed region of a photo (klean.signals.image_regions makes them). `box` is (x0, y0, x1, y1) as fractions
    of the photo as received (for a turned-back region, of the turned-back frame, which has the photo's size).
    `kind` names the geometry: whole, content, photo, turned, left-0.5, top-0.35, centre-0.94, ..."""

    kind: str
    box: tuple[float, float, float, float]
    pdq: bytes  # 32 bytes, in PDQ bit order (as pdqhash and the hex bank format)
    mirrored: bytes  # the hash of the region mirrored left-right
    quality: int
    angle: float = 0.0  # degrees the photo had been turned (anticlockwise as seen) before the region was cut


@dataclass(frozen=True)
class BankWindow:
    """A window of a bank photo (anchored at one side, centred, or its trimmed content), hashed the same way as a
    listing's regions. `parent` is the photo's whole-image PDQ: it ties the window to every entry with that hash."""

    parent: str
    kind: str
    pdq: bytes
    quality: int


@dataclass(frozen=True)
class ImageFeatures:
    """What the image signals need from one decoded image. Arrays are numpy (kept as Any here)."""

    sha256: str
    width: int  # of the original image
    height: int
    pdq: str
    quality: int  # PDQ quality 0..100; below ~50 the hash says little (flat or tiny images)
    variants: tuple[str, ...] = ()  # PDQ of the 8 dihedral transforms, in DIHEDRAL order
    keypoints: Any = field(default=None, compare=False, repr=False)  # float32 (N, 2), decoded-image coords
    descriptors: Any = field(default=None, compare=False, repr=False)  # uint8 (N, 32) ORB descriptors
    scale: float = 1.0  # original pixels per decoded pixel
    regions: tuple[Region, ...] = field(default=(), compare=False, repr=False)  # for partial copies


@dataclass(frozen=True)
class BankEntry:
    id: int
    bank: str  # official | known_fake | negative
    pdq: str
    quality: int | None = None
    brand_id: str | None = None
    source_ref: str | None = None  # "case:12", "testbuy:3", "brand_image:7", "import:<file>"


@dataclass(frozen=True)
class LogoTemplate:
    """A registered logo, as ORB keypoints and descriptors of the logo image."""

    brand_id: str
    label: str  # e.g. "brand_image:4"
    width: int
    height: int
    keypoints: Any = field(compare=False, repr=False)
    descriptors: Any = field(compare=False, repr=False)


@dataclass(frozen=True)
class ImageBanks:
    """Everything the image index is built from, as plain data (picklable)."""

    entries: tuple[BankEntry, ...] = ()
    logos: tuple[LogoTemplate, ...] = ()
    flooded: frozenset[int] = frozenset()  # entry ids whose matches go to review (flood guard)
    version: str = ""
    windows: tuple[BankWindow, ...] = ()  # of the bank photos whose pixels Klean holds (for partial copies)


@dataclass(frozen=True)
class ImagePolicy:
    """The [images] section of policy.toml."""

    version: str = ""
    max_distance: int = 31  # PDQ Hamming distance that counts as the same picture
    # A region of a listing photo against a bank photo's window (or its whole hash): stricter, because each photo
    # has dozens of regions (bench/images.py measures the false matches against 10,000 unrelated photos).
    region_max_distance: int = 24
    min_quality: int = 50  # ignore hashes below this quality (Meta's recommended cut-off)
    official_reuse_weight: float = 0.7
    known_fake_weight: float = 0.9
    logo_weight: float = 0.35
    flood_weight: float = 0.5  # a flooded entry's match: enough for review, not for a block
    logo_min_inliers: int = 10
    logo_ratio: float = 0.8  # Lowe's ratio test
    flood_window_hours: int = 24
    flood_baseline_days: int = 14
    flood_min_matches: int = 20
    flood_ratio: float = 5.0
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    decode_side: int = 512  # PDQ is computed at this size (the hash barely changes; the speed does)
    keypoint_side: int = 768  # ORB keypoints for logos need more pixels than PDQ
    time_budget_ms: int = 2000
    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF")

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str = "") -> ImagePolicy:
        defaults = ImagePolicy()
        values: dict[str, Any] = {"version": version}
        for name in ImagePolicy.__dataclass_fields__:
            if name == "version" or name not in section:
                continue
            value, default = section[name], getattr(defaults, name)
            if isinstance(default, tuple):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValidationError(f"[images] {name}: a list of strings", field=name)
                value = tuple(v.upper() for v in value)
            elif isinstance(default, bool) or not isinstance(value, int | float) or isinstance(value, bool):
                raise ValidationError(f"[images] {name}: a number, got {value!r}", field=name)
            elif isinstance(default, int) and not isinstance(value, int):
                raise ValidationError(f"[images] {name}: a whole number, got {value!r}", field=name)
            values[name] = value
        policy = ImagePolicy(**values)
        for name in ("max_distance", "region_max_distance"):
            if not 0 <= getattr(policy, name) <= 128:
                raise ValidationError(f"[images] {name}: 0..128", field=name)
        for name in ("official_reuse_weight", "known_fake_weight", "logo_weight", "flood_weight"):
            if not 0 <= getattr(policy, name) < 1:
                raise ValidationError(f"[images] {name}: in [0, 1)", field=name)
        unknown = set(policy.formats) - {"JPEG", "PNG", "WEBP", "GIF"}
        if unknown:
            raise ValidationError(f"[images] formats: unsupported {sorted(unknown)}", field="formats")
        return policy


def flooded_entries(matches: Iterable[tuple[int, datetime]], *, now: datetime, policy: ImagePolicy) -> set[int]:
    """Bank entries matching far more listings than usual: their matches go to review.

    Rule: an entry is flooded when, in the last `flood_window_hours`, it matched at least
    `flood_min_matches` listings AND at least `flood_ratio` times its average per window over the
    `flood_baseline_days` before that (an entry with no history has a baseline of one match per window,
    so a brand-new entry that suddenly matches 20 listings in a day is flooded too).
    """
    window = timedelta(hours=policy.flood_window_hours)
    baseline_start = now - window - timedelta(days=policy.flood_baseline_days)
    windows_in_baseline = max(1.0, timedelta(days=policy.flood_baseline_days) / window)
    recent: dict[int, int] = {}
    past: dict[int, int] = {}
    for entry_id, at in matches:
        if at > now - window:
            recent[entry_id] = recent.get(entry_id, 0) + 1
        elif at > baseline_start:
            past[entry_id] = past.get(entry_id, 0) + 1
    flooded = set()
    for entry_id, count in recent.items():
        usual = max(1.0, past.get(entry_id, 0) / windows_in_baseline)
        if count >= policy.flood_min_matches and count >= policy.flood_ratio * usual:
            flooded.add(entry_id)
    return flooded


@dataclass(frozen=True)
class BankLine:
    pdq: str
    quality: int | None = None
    brand_id: str | None = None
    source_ref: str | None = None


def parse_bank_lines(lines: Iterable[str], *, source: str = "<bank>") -> Iterator[BankLine]:
    """Parse the plain PDQ hex format; a bad line raises ValidationError naming line and field."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in re.split(r"[,\t]", line)]
        where = f"{source}:{number}"
        if len(parts) > 4:
            raise ValidationError(f"{where}: at most 4 fields (pdq, quality, brand_id, source_ref)", field="line")
        pdq = normalise_pdq(parts[0], field_name=f"{where}: pdq")
        quality = None
        if len(parts) > 1 and parts[1]:
            if not parts[1].isdigit() or int(parts[1]) > 100:
                raise ValidationError(f"{where}: quality must be 0..100, got {parts[1]!r}", field="quality")
            quality = int(parts[1])
        brand_id = (parts[2] or None) if len(parts) > 2 else None
        source_ref = (parts[3] or None) if len(parts) > 3 else None
        yield BankLine(pdq=pdq, quality=quality, brand_id=brand_id, source_ref=source_ref)


def format_bank_line(entry: BankEntry | BankLine) -> str:
    fields = [entry.pdq, "" if entry.quality is None else str(entry.quality), entry.brand_id or "",
              entry.source_ref or ""]
    for f in fields[2:]:
        if "," in f or "\t" in f or "\n" in f:
            raise ValidationError(f"bank metadata may not contain a comma, tab or newline: {f!r}")
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return ",".join(fields)
