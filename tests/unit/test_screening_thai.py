"""Thai spellings of marks, matched by sound (signals/phonetic.py thai_keys, data/th/phonetic.tsv).

The listings are written for this test: Thai spellings sellers use for brands of the example registry
(signals/examples.py), which registers them in Latin, Hangul and Han only; then the same brands with a Thai mark
registered as an anchor, and spellings that vary it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from klean.domain.registry import RegistrySnapshot
from klean.signals.analysis import analyse
from klean.signals.context import build_context
from klean.signals.examples import example_registry, listing
from klean.signals.phonetic import latin_sound_key, thai_keys
from klean.signals.text import fold

# The brands' Thai marks as a rights holder would register them (the anchors).
THAI_MARKS = {"nike": ("ไนกี้",), "samsung": ("ซัมซุง", "กาแล็กซี่"), "chanel": ("ชาแนล",), "laneige": ("ลาเนจ",),
              "gucci": ("กุชชี่",)}


def with_thai_marks() -> RegistrySnapshot:
    snap = example_registry()
    return replace(snap, brands=tuple(replace(b, marks=(*b.marks, *THAI_MARKS.get(b.id, ()))) for b in snap.brands))


LATIN_ONLY = build_context(example_registry())
ANCHORED = build_context(with_thai_marks())


def found(ctx: object, title: str, category: str | None = None) -> list[tuple[str | None, str, str]]:
    x = listing(title, 1000, category=category, currency="THB")
    return [(m.brand_id, m.kind, m.how) for m in analyse(x, ctx).mentions  # type: ignore[arg-type]
            if m.kind in ("mark", "disguise")]


@pytest.mark.parametrize(("latin", "thai"), [
    ("Chanel", "ชาแนล"), ("Chanel", "ชาเนล"), ("Samsung", "ซัมซุง"), ("Galaxy", "กาแล็กซี่"), ("Laneige", "ลาเนจ"),
    ("Louis Vuitton", "หลุยส์วิตตอง"), ("Adidas", "อาดิดาส"), ("Adidas", "อดิดาส"), ("Rolex", "โรเล็กซ์"),
    ("BLACKPINK", "แบล็กพิงก์"), ("Beauty of Joseon", "บิวตี้ออฟโชซอน"), ("Under Armour", "อันเดอร์อาร์เมอร์"),
])
def test_a_thai_spelling_and_the_latin_mark_meet_in_one_sound_key(latin: str, thai: str) -> None:
    assert thai_keys(thai)[0] == latin_sound_key(latin.lower())


def test_thai_spellings_of_latin_marks_name_the_brand_without_a_thai_mark_registered() -> None:
    assert ("samsung", "mark", "mark") in found(LATIN_ONLY, "ซัมซุงกาแล็กซี่วอทช์6 ของใหม่")
    # three consonants: in unspaced Thai that is found only with corroboration (the brand's category here)
    assert ("chanel", "mark", "mark") in found(LATIN_ONLY, "กระเป๋าชาแนลคลาสสิค หนังแกะ", "bags")
    assert ("laneige", "mark", "mark") in found(LATIN_ONLY, "ลาเนจ วอเตอร์สลีปปิ้งมาสก์ 70 มล.", "beauty")
    assert not found(LATIN_ONLY, "กระเป๋าชาแนลคลาสสิค หนังแกะ", "shoes")


@pytest.mark.parametrize("title", [
    "สามเส้นข้างขา กางเกงวอร์ม",  # three stripes: s-m-s-n like Samsung, with other vowels
    "ลิขสิทธิ์แท้ ของใหม่",  # copyright: k-l-k-s like Galaxy
    "เคสโทรศัพท์ กันกระแทก",  # a phone case: k-s like Gucci's กุชชี่
    "สายนาฬิกาหนังแท้",  # a watch strap
    "แล้วหน้าใส ผิวดี",
])
def test_ordinary_thai_words_are_not_marks_by_sound(title: str) -> None:
    assert found(ANCHORED, title, "bags") == []
    assert found(LATIN_ONLY, title, "bags") == []


def test_a_registered_thai_mark_anchors_its_variants() -> None:
    assert found(ANCHORED, "รองเท้าไนกี้ แอร์ฟอร์ซ", "shoes") == [("nike", "mark", "mark")]
    # the same letters with another tone mark or vowel length: the mark (short marks need corroboration)
    assert found(ANCHORED, "รองเท้าไนกี๊ แอร์ฟอร์ซ", "shoes") == [("nike", "mark", "mark")]
    assert found(ANCHORED, "รองเท้าไนกี แอร์ฟอร์ซ", "shoes") == [("nike", "mark", "mark")]
    assert found(ANCHORED, "รองเท้าไนกี๊ แอร์ฟอร์ซ", "audio") == []
    # another spelling of the same sound: a respelling (ช for ซ, ส for ช, a doubled ช dropped)
    assert ("samsung", "disguise", "phonetic") in found(ANCHORED, "หูฟังชัมซุง ตัดเสียง")
    assert ("gucci", "disguise", "phonetic") in found(ANCHORED, "กระเป๋ากุชี่ หนังแท้", "bags")


def test_a_letter_doubled_is_a_respelling_and_one_dropped_from_a_long_mark_a_typo() -> None:
    snap = with_thai_marks()
    lv = replace(snap.brands[4], id="lv", name="Louis Vuitton", marks=("Louis Vuitton", "หลุยส์วิตตอง"), products=(),
                 authorisations=())
    ctx = build_context(replace(snap, brands=(*snap.brands, lv)))
    assert ("lv", "disguise", "typo") in found(ctx, "กระเป๋าสตางค์หลุยวิตตอง ซิปรอบ")  # ส์ dropped
    assert ("lv", "disguise", "phonetic") in found(ctx, "กระเป๋าสตางค์หลุยส์วิตอง ซิปรอบ")  # ตต written once
    assert ("lv", "disguise", "phonetic") in found(ctx, "กระเป๋าสตางค์หลุยส์วิตตตอง ซิปรอบ")  # ต tripled
    assert ("samsung", "disguise", "phonetic") in found(ctx, "หูฟังซัมมซุง ตัดเสียง")  # ม doubled
    assert ("lv", "disguise", "typo") in found(ctx, "กระเป๋าสตางค์หลุยส์วิตตง ซิปรอบ")  # the vowel อ dropped


def test_registered_thai_marks_are_found_whole_with_their_vowel_and_tone_marks() -> None:
    # vowel signs and tone marks are part of the word (not separators): the mark is found as written, not cut short
    # and read as disguised
    ctx = ANCHORED
    x = listing("กุชชี่ GG Marmont ของแท้ ช็อปไทย", 3590000, category="bags")
    hits = [(m.kind, m.found) for m in analyse(x, ctx).mentions if m.brand_id == "gucci"]
    assert ("mark", "กุชชี่") in hits
    assert fold("กุชชี่").compact == "กุชชี่"


def test_thai_digits_read_as_digits_in_unit_counts() -> None:
    from klean.signals.price import unit_count

    x = listing("ลาเนจ สลีปปิ้งมาสก์ ยกแพ็ค ๑๐ กล่อง", 1000, currency="THB")
    assert unit_count(x, analyse(x, ANCHORED)) == 10
