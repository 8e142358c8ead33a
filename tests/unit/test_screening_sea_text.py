"""Southeast-Asian text the way sellers type it: Vietnamese with and without diacritics, Indonesian and Malay chat
shorthand that spells a mark (lg for lagi, yg for yang, mcm for macam). Listings written for this test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from klean.domain.registry import Brand
from klean.signals.analysis import analyse
from klean.signals.context import build_context
from klean.signals.examples import example_registry, listing
from klean.signals.price import unit_count

SNAP = example_registry()
CTX = build_context(replace(SNAP, brands=(*SNAP.brands, Brand("lg", "LG Electronics", ("LG", "엘지")),
                                          Brand("yg", "YG Entertainment", ("YG Entertainment", "YG")),
                                          Brand("mcm", "MCM", ("MCM", "엠씨엠")))))


def brands(title: str) -> set[str | None]:
    return {m.brand_id for m in analyse(listing(title, 100000, currency="IDR"), CTX).mentions}


@pytest.mark.parametrize("title", [
    "Kaos polos cotton combed, stok lg banyak, yg mau order chat aja",
    "Casing HP lg promo, yg warna hitam tinggal 2",
    "Tas selempang kulit mcm baru, pakai sekali je, tak ada cacat",
])
def test_chat_shorthand_that_spells_a_mark_is_the_word(title: str) -> None:
    assert brands(title) & {"lg", "yg", "mcm"} == set()


def test_the_mark_as_registered_or_without_shorthand_around_it_is_still_the_mark() -> None:
    assert "lg" in brands("Kulkas LG 2 pintu lg promo murah bgt")
    assert "lg" in brands("lg oled tv 55 inch, remote included")
    assert "yg" in brands("Lightstick YG official, yg asli dari Korea")


@pytest.mark.parametrize(("accented", "plain"), [
    ("Túi xách nhà C chần bông, khóa xoay", "Tui xach nha C chan bong, khoa xoay"),
])
def test_vietnamese_without_diacritics_finds_the_same_brand_initial(accented: str, plain: str) -> None:
    def initials(title: str) -> list[str]:
        return [m.found for m in analyse(listing(title, 100000, currency="VND"), CTX).mentions if m.kind == "initial"]

    assert initials(accented) == ["nhà C"]
    assert initials(plain) == ["nha C"]


@pytest.mark.parametrize("title", ["Laneige Water Sleeping Mask combo 5 hộp", "Laneige Water Sleeping Mask combo 5 hop",
                                   "Laneige Water Sleeping Mask 5 chiếc", "Laneige Water Sleeping Mask 5 chiec"])
def test_vietnamese_unit_words_count_with_or_without_diacritics(title: str) -> None:
    x = listing(title, 100000, currency="VND")
    assert unit_count(x, analyse(x, CTX)) == 5
