"""Seller networks, the pure part: facts normalised so that the same fact meets itself however it was written,
links with their strengths, networks as connected components, and who is held for ban evasion.

The story: "Gangnam Luxe" was suspended for counterfeit bags; "Seoul Bags 2" opens with the same bank account
written differently; honest resellers post Samsung's official photos and copy its description.
"""

from __future__ import annotations

import random

import pytest

from klean.domain.errors import ValidationError
from klean.domain.policy_file import read_policy
from klean.domain.seller_network import (
    Fact,
    NetworkPolicy,
    Standing,
    UnionFind,
    bands,
    evasion_links,
    evasion_reason,
    links_from_facts,
    make_link,
    mask,
    networks,
    normalise,
    normalise_address,
    normalise_bank_account,
    normalise_email,
    normalise_phone,
    normalise_tax_id,
    text_minhash,
    text_similarity,
)

POLICY = NetworkPolicy.from_section(read_policy(None).section("seller_network"))


def test_the_bundled_policy_gives_every_fact_kind_a_strength() -> None:
    assert POLICY.strength("bank_account") >= POLICY.hold_threshold
    assert POLICY.strength("address") < POLICY.hold_threshold  # flatmates are not evaders
    assert POLICY.strength("image") < POLICY.hold_threshold
    assert POLICY.network_threshold <= POLICY.strength("address")


@pytest.mark.parametrize("bad, key", [
    ({"links": {"iban": {"strength": 0.5}}}, "seller_network.links.iban"),
    ({"links": {"phone": {"strength": 1.5}}}, "seller_network.links.phone.strength"),
    ({"hold_threshold": "high"}, "seller_network.hold_threshold"),
    ({"image_max_distance": 40}, "seller_network.image_max_distance"),
    ({"text_min_similarity": 0.1}, "seller_network.text_min_similarity"),
    ({"treshold": 0.5}, "treshold"),
])
def test_a_wrong_policy_names_the_key_at_fault(bad: dict, key: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as e:
        NetworkPolicy.from_section(bad)
    assert key in str(e.value)


def test_bank_accounts_and_tax_ids_are_their_digits() -> None:
    assert normalise_bank_account("110-123-456789") == normalise_bank_account("110 123 456789") == "110123456789"
    assert normalise_bank_account("１１０-１２３-４５６７８９") == "110123456789"  # fullwidth digits
    assert normalise_bank_account("12-34") is None
    assert normalise_tax_id("123-45-67890") == normalise_tax_id("1234567890") == "1234567890"
    assert normalise_tax_id("de 123 456 789") == "DE123456789"


@pytest.mark.parametrize("written", ["010-1234-5678", "010 1234 5678", "01012345678", "+82 10-1234-5678",
                                     "+82 (0)10 1234 5678", "0082 10 1234 5678", "82-10-1234-5678"])
def test_a_korean_mobile_number_is_one_number_however_written(written: str) -> None:
    assert normalise_phone(written) == "+821012345678"


def test_phone_numbers_of_other_countries_and_landlines() -> None:
    assert normalise_phone("+1 (415) 555-0100") == "+14155550100"
    assert normalise_phone("02-123-4567") == "+8221234567"  # a Seoul landline
    assert normalise_phone("0412 345 678", country_code="61") == "+61412345678"
    assert normalise_phone("12") is None


def test_email_folds_case_and_the_dots_and_tags_only_where_the_provider_ignores_them() -> None:
    assert normalise_email("Kim.Min.Su+shop2@Gmail.com", POLICY) == "kimminsu@gmail.com"
    assert normalise_email("kimminsu@googlemail.com", POLICY) == "kimminsu@gmail.com"
    assert normalise_email("kim.minsu@daum.net", POLICY) == "kim.minsu@daum.net"  # dots matter there
    assert normalise_email("kim.minsu+a@daum.net", POLICY) == "kim.minsu+a@daum.net"
    assert normalise_email("not-an-address", POLICY) is None


@pytest.mark.parametrize("a, b", [
    ("서울특별시 강남구 테헤란로 123, 4층 (역삼동)",
     "123 Teheran-ro, Gangnam-gu, Seoul 06236, 4th floor, Republic of Korea"),
    ("서울 강남구 테헤란로 123 4층", "서울특별시 강남구 테헤란로123, 4F"),
    ("서울 강남구 역삼동 123-45번지", "123-45 Yeoksam-dong, Gangnam-gu, Seoul"),
    ("경기도 성남시 분당구 판교역로 235 101동 1203호",
     "101-dong 1203-ho, 235 Pangyoyeok-ro, Bundang-gu, Seongnam-si, Gyeonggi-do"),
    ("서울시 종로구 종로 1", "1 Jongno, Jongno-gu, Seoul"),
    ("12 Rue de l'Église, 75004 Paris", "12 rue de l'eglise Paris"),
])
def test_the_same_postal_address_in_korean_road_or_lot_form_and_in_latin_letters(a: str, b: str) -> None:
    assert normalise_address(a) == normalise_address(b) is not None


def test_different_addresses_stay_different() -> None:
    assert normalise_address("서울 강남구 테헤란로 123") != normalise_address("서울 강남구 테헤란로 125")
    assert normalise_address("서울 강남구 테헤란로 123 4층") != normalise_address("서울 강남구 테헤란로 123 5층")
    assert normalise_address("부산 해운대구 센텀중앙로 79") != normalise_address("서울 해운대구 센텀중앙로 79")


def test_masks_show_enough_to_tell_facts_apart_and_no_more() -> None:
    assert mask("bank_account", "110123456789") == "•••••••••789"
    assert mask("phone", "+821012345678") == "+82••••••5678"
    assert mask("email", "kimminsu@gmail.com") == "k•••@gmail.com"
    assert mask("address", "123 gangnamgu seoul teheranro") == "•••"


def test_near_duplicate_text_has_a_similar_minhash_and_short_titles_none() -> None:
    base = ("Chanel classic flap bag caviar leather gold hardware, mirror quality, ships from Guangzhou in 3 days, "
            "box dust bag and card included, message us on Kakao for more photos")
    edited = base.replace("3 days", "4 days")
    other = ("Hand-made ceramic mug from Icheon, each glaze a little different, dishwasher safe, 350 ml, wrapped in "
             "paper and shipped from our studio within a week")
    a, b, c = (text_minhash(t) for t in (base, edited, other))
    assert a and b and c
    assert text_similarity(a, b) >= POLICY.text_min_similarity > text_similarity(a, c)
    assert set(bands("text", a)) & set(bands("text", b))
    assert not set(bands("text", a)) & set(bands("text", c))
    assert text_minhash("Chanel bag") is None


def test_photo_bands_catch_every_pair_within_7_bits_and_most_within_the_link_distance() -> None:
    rng = random.Random(7)

    def pair(bits: int) -> tuple[str, str]:
        h = rng.getrandbits(256)
        flipped = h
        for bit in rng.sample(range(256), bits):
            flipped ^= 1 << bit
        return f"{h:064x}", f"{flipped:064x}"

    for _ in range(300):
        a, b = pair(7)
        assert set(bands("image", a)) & set(bands("image", b))
    found = sum(bool(set(bands("image", a)) & set(bands("image", b))) for a, b in (pair(10) for _ in range(1000)))
    assert found >= 850  # about 0.93 expected at 10 bits spread at random


def _pdq(seed: int) -> str:
    return f"{random.Random(seed).getrandbits(256):064x}"


def _near(h: str, bits: int, seed: int = 0) -> str:
    v = int(h, 16)
    for bit in random.Random(seed).sample(range(256), bits):
        v ^= 1 << bit
    return f"{v:064x}"


def test_links_from_shared_facts_with_strengths_combined_by_kind() -> None:
    facts = [
        Fact("gangnam-luxe", "bank_account", "110123456789"), Fact("seoul-bags-2", "bank_account", "110123456789"),
        Fact("gangnam-luxe", "address", "123 gangnamgu seoul teheranro"),
        Fact("seoul-bags-2", "address", "123 gangnamgu seoul teheranro"),
        Fact("flatmate", "address", "123 gangnamgu seoul teheranro"),
        Fact("gangnam-luxe", "image", _pdq(1)), Fact("photo-thief", "image", _near(_pdq(1), 6)),
        Fact("unrelated", "image", _near(_pdq(1), 60)),
    ]
    links = {(lk.a, lk.b): lk for lk in links_from_facts(facts, POLICY)}
    evader = links[("gangnam-luxe", "seoul-bags-2")]
    assert evader.kinds == ("bank_account", "address")
    assert evader.strength == pytest.approx(1 - (1 - 0.95) * (1 - 0.6))
    assert links[("flatmate", "gangnam-luxe")].kinds == ("address",)
    assert links[("gangnam-luxe", "photo-thief")].kinds == ("image",)
    assert not any("unrelated" in ab for ab in links)


def test_a_fact_held_by_many_sellers_links_none_of_them() -> None:
    stock = _pdq(99)  # a stock photo or the brand's product shot every reseller uses
    facts = [Fact(f"reseller-{i}", "image", _near(stock, i % 4, seed=i)) for i in range(12)]
    facts += [Fact(f"reseller-{i}", "text", "00ff00ff" * 32) for i in range(12)]
    assert links_from_facts(facts, POLICY) == []
    two = [Fact("a", "image", stock), Fact("b", "image", _near(stock, 3))]
    assert len(links_from_facts(two, POLICY)) == 1


def test_networks_are_connected_components_over_links_above_the_threshold() -> None:
    links = [make_link("a", "b", [("bank_account", "1")], POLICY), make_link("b", "c", [("phone", "+82")], POLICY),
             make_link("d", "e", [("text", "x")], POLICY),  # 0.5: below the network threshold
             make_link("f", "g", [("address", "k")], POLICY)]
    assert networks(links, POLICY) == [["a", "b", "c"], ["f", "g"]]


def test_union_find_is_incremental_and_matches_a_recount() -> None:
    rng = random.Random(3)
    uf = UnionFind()
    edges = [(f"s{rng.randrange(300)}", f"s{rng.randrange(300)}") for _ in range(250)]
    for a, b in edges:
        uf.union(a, b)
    # A recount by graph search gives the same components.
    adj: dict[str, set[str]] = {}
    for a, b in edges:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    seen: set[str] = set()
    comps = []
    for start in adj:
        if start in seen:
            continue
        stack, comp = [start], []
        seen.add(start)
        while stack:
            x = stack.pop()
            comp.append(x)
            for y in adj[x] - seen:
                seen.add(y)
                stack.append(y)
        comps.append(sorted(comp))
    assert sorted(uf.components()) == sorted(comps)
    assert uf.union(edges[0][0], edges[0][1]) is False


def test_only_strong_links_to_suspended_or_restricted_sellers_hold_and_the_reason_names_both() -> None:
    bank = make_link("gangnam-luxe", "seoul-bags-2", [("bank_account", "110123456789")], POLICY)
    flat = make_link("flatmate", "seoul-bags-2", [("address", "k")], POLICY)
    good = make_link("honest-shop", "seoul-bags-2", [("phone", "+821012345678")], POLICY)
    standings = {"gangnam-luxe": Standing("gangnam-luxe", "suspended", "2026-11-03"),
                 "flatmate": Standing("flatmate", "suspended", "2026-10-01"),
                 "honest-shop": Standing("honest-shop", "active")}
    held = evasion_links("seoul-bags-2", [bank, flat, good], standings, POLICY)
    assert [(lk.other("seoul-bags-2"), st.status) for lk, st in held] == [("gangnam-luxe", "suspended")]
    reason = evasion_reason(*held[0])
    assert reason.render_en() == "Shares the bank account of seller gangnam-luxe, suspended since 2026-11-03."


def test_normalise_refuses_unknown_kinds_and_unusable_values() -> None:
    with pytest.raises(ValidationError):
        normalise("iban", "DE89", POLICY)
    assert normalise("image", "not a hash", POLICY) is None
    assert normalise("document", "A" * 64, POLICY) == "a" * 64
