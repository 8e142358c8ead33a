"""Listing references as consumers write them: the marketplace's id and link shapes (policy.toml [reports]),
found after NFKC next to Hangul particles, in parentheses, in wrapped links; prices, phone numbers, case numbers
and other sites' links never taken for our listings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klean.domain.errors import ValidationError
from klean.domain.listing_refs import ReferenceRules, find_references, fold, unwrap_links
from klean.domain.policy_file import bundled_policy_text, parse_policy

RULES = ReferenceRules()


def strong(text: str, rules: ReferenceRules = RULES) -> list[str]:
    return [r.text for r in find_references(text, rules) if r.strong]


def ids(text: str, rules: ReferenceRules = RULES) -> list[tuple[str, ...]]:
    return [r.ids for r in find_references(text, rules)]


@pytest.mark.parametrize("text,expected", [
    ("마켓에서 gm-88231번 상품 보고 연락드려요", ["gm-88231"]),
    ("루이비통 네버풀 lv-5120이요.", ["lv-5120"]),
    ("릴리트(gm-88231)랑 플랩백（ch-20931） 둘 다", ["gm-88231", "ch-20931"]),
    ("상품번호 ７２６４５８１ 그리고 ＧＭ－８８２３１ 도", ["7264581", "GM-88231"]),
    ("상품번호는7264581입니다.", ["7264581"]),
    ("상품 번호 : sb-70312\n내용", ["sb-70312"]),
    ("Item #ny-4410 and item #CH-20931 are both counterfeit.", ["ny-4410", "CH-20931"]),
    ("Listing #ab-12345 sells fake AirPods.", ["ab-12345"]),
    ("Two listings (lv-5120, ny-4410) use stolen photos", ["lv-5120", "ny-4410"]),
    ("ny-4410_박스라벨.jpg", ["ny-4410"]),
    ("#gm-88231 짝퉁", ["gm-88231"]),
    ("가품입니다.gm-88231 확인 부탁드려요", ["gm-88231"]),
])
def test_ids_are_found_where_people_write_them(text: str, expected: list[str]) -> None:
    assert strong(text) == expected


@pytest.mark.parametrize("text", [
    "I found several listings selling fake Chanel bags, please check the other items.",  # not "s"
    "정가 329000원인데 39000원에 팝니다. 2026년 11월 24일",
    "판매자 연락처 010-1234-5678, 입금 계좌 110-234-567890 (신한)",
    "주문번호 2026112412345678",
    "Tel +1 415-555-0132 | Ref 2026-114477",
    "Re: [Klean] Report received: R-20261120-K7MN2P",  # our own case number
    "gm-88231@naver.com wrote",  # an address
    "www.gm-88231.com, v3.7264581",  # inside a host name, a decimal
    "상품 3개 샀어요",
])
def test_prices_phones_orders_case_numbers_and_words_are_not_references(text: str) -> None:
    assert strong(text) == []


def test_weak_spellings_are_tried_only_against_stored_listings() -> None:
    refs = find_references("GM 88231 이것도 가품입니다. 다이슨 7264581번", RULES)
    assert [(r.text, r.ids, r.strong) for r in refs] == [("GM 88231", ("GM-88231",), False),
                                                         ("7264581", ("7264581",), False)]


def test_links_are_ours_only_on_the_marketplace_hosts_and_shapes() -> None:
    refs = find_references("https://market.example/items/gm-88231 and https://m.market.example/item?itemId=ch-20931"
                           "&utm_source=kakao, https://smartstore.naver.com/shop/products/7264581, "
                           "https://market.example/search?q=gucci, www.market.example/items/sb-70312.", RULES)
    assert [(r.text, r.ids, r.strong, r.listing_host) for r in refs] == [
        ("https://market.example/items/gm-88231", ("gm-88231",), True, True),
        ("https://m.market.example/item?itemId=ch-20931&utm_source=kakao", ("ch-20931",), True, True),
        ("https://smartstore.naver.com/shop/products/7264581", (), False, False),  # another site: not 7264581
        ("https://market.example/search?q=gucci", (), False, True),
        ("www.market.example/items/sb-70312", ("sb-70312",), True, True),
    ]
    assert strong("> Check market.example/items/ny-4410 - the box") == ["market.example/items/ny-4410"]


def test_links_broken_across_lines_are_put_back_together() -> None:
    assert ids("여기 링크입니다\nhttps://market.example/items/\nsb-70312\n버즈2 프로") == [("sb-70312",)]
    assert ids("https://market.example/it\nems/ch-20931?utm_source=kakao\n정품이면") == [("ch-20931",)]
    assert ids("at <https://market.example/items/\n gm-88231> and") == [("gm-88231",)]
    assert ids("> https://market.example/items/\n> lv-5120\n> 가방") == [("lv-5120",)]
    assert ids("https://market.example/items/gm-88\n231 이거요") == [("gm-88231",)]
    # a complete link followed by words on the next line is left alone
    assert unwrap_links("https://market.example/items/gm-88231\nThis is fake", RULES) == \
        "https://market.example/items/gm-88231\nThis is fake"


def test_a_link_and_its_id_named_twice_are_one_reference_each() -> None:
    refs = find_references("gm-88231 is fake: https://market.example/items/gm-88231 (gm-88231)", RULES)
    assert [r.text for r in refs] == ["gm-88231", "https://market.example/items/gm-88231"]


def test_the_marketplace_declares_its_own_shapes() -> None:
    rules = ReferenceRules.from_section({"listing_id_pattern": r"B0[A-Z0-9]{8}", "listing_hosts": ["shop.example"],
                                         "listing_url_shapes": ["/dp/{id}", "?asin={id}"]})
    assert strong("this one B0CHX1W1XY is fake, also https://www.shop.example/Apple-AirPods/dp/B0CHWRXH8B/ref=x "
                  "and https://market.example/items/gm-88231") == ["https://market.example/items/gm-88231"]
    assert strong("this one B0CHX1W1XY is fake, also https://www.shop.example/Apple-AirPods/dp/B0CHWRXH8B/ref=x",
                  rules) == ["B0CHX1W1XY", "https://www.shop.example/Apple-AirPods/dp/B0CHWRXH8B/ref=x"]
    assert rules.id_in_url("https://shop.example/gp/product?asin=B0CHWRXH8B") == "B0CHWRXH8B"
    assert rules.example_link() == "https://shop.example/dp/…"


def test_the_bundled_policy_declares_the_reports_section() -> None:
    doc = parse_policy(bundled_policy_text())
    rules = ReferenceRules.from_section(doc.section("reports"), doc.version)
    assert rules.hosts and rules.url_shapes and rules.looks_like_id("gm-88231")


@pytest.mark.parametrize("section,field", [
    ({"listing_hosts": ["market.example"], "typo": 1}, "reports"),
    ({"listing_id_pattern": "([a-z"}, "reports.listing_id_pattern"),
    ({"listing_id_pattern": "x*"}, "reports.listing_id_pattern"),  # matches nothing at all
    ({"listing_hosts": "market.example"}, "reports.listing_hosts"),
    ({"listing_hosts": ["https://market.example/"]}, "reports.listing_hosts"),
    ({"listing_url_shapes": ["/items/"]}, "reports.listing_url_shapes"),
    ({"listing_url_shapes": ["items/{id}"]}, "reports.listing_url_shapes"),
    ({"listing_url_shapes": ["?a={id}&b=1"]}, "reports.listing_url_shapes"),
])
def test_a_malformed_reports_section_is_refused_naming_the_key(section: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        ReferenceRules.from_section(section)
    assert err.value.field == field


def test_fold_makes_full_width_and_dashes_plain() -> None:
    assert fold("ＧＭ－８８２３１（ｉｄ）") == "GM-88231(id)"
    assert fold("gm\u201388231 gm\u200b-88231") == "gm-88231 gm-88231"


PARTICLES = ["", "번", "이요", "은", "는", "이", "가", "을", "를", "이에요", "입니다", "도", "랑",
             "(", ")", ",", ".", " "]


@given(st.sampled_from(["gm-88231", "LV-5120", "7264581"]), st.sampled_from(PARTICLES), st.sampled_from(PARTICLES),
       st.text(alphabet="가나다라마바사 ", max_size=8))
def test_an_id_between_particles_is_found_by_its_own_spelling(listing: str, before: str, after: str,
                                                             words: str) -> None:
    found = [i for r in find_references(f"{words} {before}{listing}{after} {words}", RULES) for i in r.ids]
    assert found == [listing]


@given(st.text(max_size=400))
def test_any_text_is_searched_without_error_and_gives_bounded_references(text: str) -> None:
    refs = find_references(text, RULES)
    assert len(refs) <= 100 and all(r.text for r in refs)
