"""A small story registry and listing builder shared by the signals' examples() and their tests."""

from __future__ import annotations

from datetime import date
from functools import cache

from klean.domain.listing import Listing, Money, Seller
from klean.domain.registry import Authorisation, Brand, Product, RegistrySnapshot


def krw(amount: int) -> Money:
    return Money.of(amount, "KRW")


@cache
def example_registry() -> RegistrySnapshot:
    """Samsung, Apple, Nike, Chanel, Canon and Laneige with real products, prices and authorised stores."""
    brands = (
        Brand("samsung", "Samsung Electronics", ("Samsung", "삼성", "三星", "Galaxy", "갤럭시"), products=(
            Product("samsung.watch6", "samsung", "Galaxy Watch6 40mm", krw(299000), ("갤럭시 워치6", "Watch6"),
                    "wearables"),
            Product("samsung.s24u", "samsung", "Galaxy S24 Ultra 256GB", krw(1698400), ("S24 Ultra", "S24 울트라"),
                    "mobile"),
        ), authorisations=(Authorisation("samsung_official", "samsung"),
                           Authorisation("old_partner", "samsung", valid_until=date(2020, 1, 1)))),
        Brand("apple", "Apple", ("Apple", "애플", "苹果", "iPhone", "아이폰", "AirPods", "에어팟"), products=(
            Product("apple.airpods_pro2", "apple", "AirPods Pro (2nd generation)", krw(359000),
                    ("에어팟 프로2", "AirPods Pro 2"), "audio"),
            Product("apple.iphone15pro", "apple", "iPhone 15 Pro 128GB", krw(1550000),
                    ("아이폰 15 프로", "iPhone 15 Pro", "15 Pro"), "mobile"),
        ), authorisations=(Authorisation("frisbee", "apple"),)),
        Brand("nike", "Nike", ("Nike", "나이키", "耐克"), products=(
            Product("nike.af1", "nike", "Air Force 1 '07", krw(139000), ("에어포스 1", "AF1"), "shoes"),
        ), authorisations=(Authorisation("nike_official", "nike"),)),
        Brand("adidas", "adidas", ("adidas", "아디다스", "阿迪达斯"), products=(
            Product("adidas.samba", "adidas", "Samba OG", krw(139000), ("삼바 OG",), "shoes"),
        )),
        Brand("chanel", "Chanel", ("Chanel", "샤넬", "香奈儿"), products=(
            Product("chanel.cf", "chanel", "Classic 11.12 Handbag (Medium)", krw(15570000), ("클래식 플랩",), "bags"),
        )),
        Brand("gucci", "Gucci", ("Gucci", "구찌", "古驰"), products=(
            Product("gucci.marmont", "gucci", "GG Marmont small shoulder bag", krw(3590000),
                    ("마몬트", "GG Marmont", "Marmont"), "bags"),
        )),
        Brand("canon", "Canon", ("Canon", "캐논", "佳能"), products=(
            Product("canon.pg245", "canon", "PG-245 black ink cartridge", krw(19000), ("PG-245",), "office"),
        )),
        Brand("laneige", "Laneige", ("Laneige", "라네즈", "兰芝"), products=(
            Product("laneige.wsm", "laneige", "Water Sleeping Mask 70ml", krw(32000),
                    ("워터 슬리핑 마스크", "睡眠面膜"), "beauty"),
        )),
    )
    sellers = {s.id: s for s in (
        Seller("samsung_official", "Samsung Official Store", 0, 3650),
        Seller("frisbee", "Frisbee", 0, 3800),
        Seller("nike_official", "Nike", 0, 3600),
        Seller("old_partner", "Former reseller", 0, 2000),
        Seller("dream_outlet", "Dream Outlet", 0, 260),
        Seller("putian_kicks", "Putian Kicks", 5, 380),
        Seller("newshop", "New shop", 0, 3),
        Seller("closet_mina", "Mina's closet", 0, 1600),
        Seller("case_shop", "Case shop", 0, 2000),
    )}
    return RegistrySnapshot(brands=brands, sellers=sellers, version="examples")


def listing(title: str, price: int, *, seller: str = "dream_outlet", description: str = "",
            category: str | None = None, condition: str | None = "new", currency: str = "KRW",
            lid: str = "ex") -> Listing:
    return Listing(id=lid, title=title, price=Money.of(price, currency), seller_id=seller, description=description,
                   category=category, condition=condition)
