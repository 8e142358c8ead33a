"""The plain PDQ hex bank format, the [images] policy section, the flood-guard rule and the hash index."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from klean.domain.errors import ValidationError
from klean.domain.images import (
    BankEntry,
    BankLine,
    ImagePolicy,
    flooded_entries,
    format_bank_line,
    hamming,
    normalise_pdq,
    parse_bank_lines,
)
from klean.domain.policy_file import read_policy
from klean.signals.images import HashIndex

H = "9d" * 32


def test_bank_lines_in_every_accepted_shape() -> None:
    text = [
        "# Korea Customs Service: counterfeit handbags, November 2026",
        "",
        H,
        f"{H.upper()},91",
        f"{H},88,chanel",
        f"{H},88,chanel,kcs:2026-1173",
        f"{H}\t75\t\tkcs:2026-1174",
        f"  {H} , , gucci , ",
    ]
    lines = list(parse_bank_lines(text, source="kcs.txt"))
    assert lines == [BankLine(H), BankLine(H, 91), BankLine(H, 88, "chanel"),
                     BankLine(H, 88, "chanel", "kcs:2026-1173"), BankLine(H, 75, None, "kcs:2026-1174"),
                     BankLine(H, None, "gucci", None)]


@pytest.mark.parametrize(("line", "problem"), [
    ("9d" * 31, "64 hex digits"),
    ("zz" * 32, "64 hex digits"),
    (f"{H},101", "quality must be 0..100"),
    (f"{H},high", "quality must be 0..100"),
    (f"{H},1,a,b,c", "at most 4 fields"),
])
def test_bad_lines_are_named(line: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as err:
        list(parse_bank_lines(["# header", H, line], source="shared.txt"))
    assert "shared.txt:3" in err.value.message


def test_format_round_trips_and_refuses_separators_in_metadata() -> None:
    for entry in (BankEntry(1, "known_fake", H, 90, "chanel", "testbuy:3"), BankEntry(2, "negative", H),
                  BankEntry(3, "official", H, None, "samsung", None),
                  BankEntry(4, "known_fake", H, 50, None, "case:9")):
        (back,) = parse_bank_lines([format_bank_line(entry)])
        assert (back.pdq, back.quality, back.brand_id, back.source_ref) == (entry.pdq, entry.quality, entry.brand_id,
                                                                          entry.source_ref)
    assert format_bank_line(BankEntry(2, "negative", H)) == H
    with pytest.raises(ValidationError):
        format_bank_line(BankEntry(5, "known_fake", H, 1, None, "case:1,2"))


def test_pdq_helpers() -> None:
    assert normalise_pdq(f" {H.upper()} ") == H
    assert hamming("0" * 64, "f" + "0" * 63) == 4


def test_policy_section_is_validated() -> None:
    bundled = read_policy()
    policy = ImagePolicy.from_section(bundled.section("images"), bundled.version)
    assert policy.max_distance == 31 and policy.version == bundled.version and policy.formats[0] == "JPEG"
    assert ImagePolicy.from_section({}).max_distance == 31
    for bad in ({"max_distance": 300}, {"known_fake_weight": 1.5}, {"formats": ["BMP"]}, {"min_quality": "high"},
                {"flood_min_matches": 2.5}, {"formats": "JPEG"}):
        with pytest.raises(ValidationError):
            ImagePolicy.from_section(bad)


NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_flood_rule() -> None:
    policy = ImagePolicy(flood_min_matches=20, flood_ratio=5.0, flood_window_hours=24, flood_baseline_days=14)
    busy_new = [(1, NOW - timedelta(hours=h % 20)) for h in range(20)]  # new entry, 20 listings today
    quiet_new = [(2, NOW - timedelta(hours=1))] * 19  # 19: under the minimum
    steady = [(3, NOW - timedelta(days=d, hours=2)) for d in range(1, 15) for _ in range(6)]  # 6 a day usually
    steady_today = [(3, NOW - timedelta(hours=1))] * 25  # 25 today: about 4x usual, not 5x
    surge = [(4, NOW - timedelta(days=d, hours=2)) for d in range(1, 15)] + [(4, NOW - timedelta(hours=3))] * 30
    old_burst = [(5, NOW - timedelta(days=3))] * 50  # a burst three days ago is no flood today
    flooded = flooded_entries([*busy_new, *quiet_new, *steady, *steady_today, *surge, *old_burst], now=NOW,
                              policy=policy)
    assert flooded == {1, 4}


def test_hash_index_is_exact_while_small_and_moves_to_ivf_when_large() -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    entries = [BankEntry(i + 1, "known_fake", c.tobytes().hex()) for i, c in enumerate(codes)]
    index = HashIndex(entries[:1000], flat_below=2000)
    assert index.kind == "flat"
    near = bytearray(codes[10].tobytes())
    near[0] ^= 0b111  # 3 bits away
    assert index.range_search([near.hex()], 31) == [[(10, 3)]]
    index.add(entries[1000:])
    assert index.kind == "ivf" and len(index) == 3000
    assert (10, 3) in index.range_search([near.hex()], 31)[0]
    copy = pickle.loads(pickle.dumps(index))
    assert copy.kind == "ivf" and (10, 3) in copy.range_search([near.hex()], 31)[0]
    assert index.range_search([near.hex()], 2) == [[]]
