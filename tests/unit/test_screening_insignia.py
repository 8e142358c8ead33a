"""Official insignia are not for sale: a badge, a copy or a reproduction is blocked whatever the price or wording;
books, documentaries and toys clearly marked as toys stay live as the policy allows; official suppliers sell."""

from __future__ import annotations

from datetime import date

import pytest

from klean.domain.errors import ValidationError
from klean.domain.listing import Listing, Money
from klean.domain.policy_file import read_policy
from klean.domain.registry import Authorisation, Brand, BrandTerm, RegistrySnapshot
from klean.domain.screening import Decision, ScreeningPolicy
from klean.signals.examples import example_registry
from klean.signals.screener import Screener

TODAY = date(2026, 12, 1)
DOC = read_policy()
SECTION = DOC.section("screening")
POLICY = ScreeningPolicy.from_section(SECTION, DOC.version)


def item(title: str, price: int, category: str = "collectibles", seller: str = "dream_outlet",
         description: str = "") -> Listing:
    return Listing(id="i", title=title, description=description, price=Money.of(price, "KRW"), seller_id=seller,
                   category=category, condition="new")


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(example_registry(), POLICY, today=TODAY)


@pytest.mark.parametrize(("title", "price"), [
    ("금색 무궁화 국회 배지 재현품 (소장용)", 35000),
    ("국회의원 금배지 정품급 복제", 250000),
    ("Police badge prop, metal, realistic weight", 25000),
    ("경찰 흉장 + 계급장 세트 코스프레용", 48000),
    ("韩国警察徽章 金属 仿真 收藏", 19000),
    ("육군 계급장 장성 별 세트 (자수)", 12000),
    ("Korean firefighter badge replica for collectors", 990000),
])
def test_listings_offering_official_insignia_are_blocked_with_the_insignia_rule(screener: Screener, title: str,
                                                                                 price: int) -> None:
    result = screener.screen(item(title, price))
    assert result.decision is Decision.BLOCK, result.evidence
    rule = [e for e in result.evidence if e.signal == "insignia"]
    assert rule and rule[0].code.startswith("insignia:") and "insignia rule" in rule[0].reason.template


@pytest.mark.parametrize(("title", "category"), [
    ("대한민국 경찰 100년사 (도서, 경찰 배지 화보 수록)", "books-media"),
    ("Korean police drama documentary DVD (police badge on the cover)", "books-media"),
    ("어린이용 경찰놀이 장난감 세트 (경찰 배지 스티커 포함)", "toys-games"),
    ("경찰 장난감 미니카 (경찰 배지 로고 프린트)", "toys-games"),
])
def test_books_documentaries_and_toys_stay_live(screener: Screener, title: str, category: str) -> None:
    result = screener.screen(item(title, 15000, category))
    assert not result.flagged, result.evidence
    assert any(e.code == "insignia_honest_use" for e in result.evidence)


def test_the_policy_decides_which_honest_uses_are_allowed() -> None:
    strict = ScreeningPolicy.from_section({**SECTION, "insignia": {**SECTION["insignia"],
                                                                   "allow": {"toy": 0.0}}}, "strict")
    toy = item("어린이용 경찰놀이 장난감 세트 (경찰 배지 스티커 포함)", 15000, "toys-games")
    assert Screener(example_registry(), strict, today=TODAY).screen(toy).decision is Decision.BLOCK
    off = ScreeningPolicy.from_section({**SECTION, "insignia": {**SECTION["insignia"], "markets": {"kr": 0.0}}},
                                       "off")
    assert not Screener(example_registry(), off, today=TODAY).screen(item("경찰 배지 재현품", 20000)).flagged
    with pytest.raises(ValidationError, match="markets"):
        Screener(example_registry(), ScreeningPolicy.from_section(
            {**SECTION, "insignia": {**SECTION["insignia"], "markets": {"zz": 1.0}}}, "bad"))


def test_an_authority_registers_an_insignia_and_its_official_supplier_may_sell_it() -> None:
    reg = example_registry()
    coast_guard = Brand("kr_coast_guard_badge", "해양경찰 배지", ("해양경찰 배지", "해경 배지", "coast guard badge"),
                        owner="Korea Coast Guard", kind="insignia",
                        knowledge=(BrandTerm("해경 문양 배지", "design_cue", 0.5),),
                        authorisations=(Authorisation("coastguard_supplier", "kr_coast_guard_badge"),))
    snap = RegistrySnapshot(brands=(*reg.brands, coast_guard), sellers=reg.sellers, version="with insignia")
    screener = Screener(snap, POLICY, today=TODAY)
    assert screener.screen(item("해경 배지 금속 재현품", 30000)).decision is Decision.BLOCK
    assert not screener.screen(item("해경 배지 (제복 보급품)", 30000, seller="coastguard_supplier")).flagged


def test_a_decisive_rule_holds_when_the_learned_layer_decides() -> None:
    live = ScreeningPolicy.from_section({**SECTION, "model": {"mode": "live", "file": "default"}}, "live")
    result = Screener(example_registry(), live, today=TODAY).screen(item("Police badge prop, metal", 25000))
    assert result.model_version and result.decision is Decision.BLOCK
