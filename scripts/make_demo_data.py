"""Generate Klean's bundled demo data (seeded: the same files every run).

    python scripts/make_demo_data.py [DIR]  # registry.json, listings.jsonl, labels.tsv (default DIR: src/klean/demo)

The registry holds real brands with their marks in English, Korean and Chinese, products with
Korean reference prices, authorised sellers and a cast of sellers. The catalog mixes genuine
listings (official stores, honest discounts, second-hand, accessories, words that merely contain
a brand) with counterfeits (explicit vocabulary, disguised brand names, impossible prices) and
hard cases. labels.tsv says which is which and why, so the demo can show what screening caught.
Everything here is written from scratch for the demo; nothing is taken from the evaluation sets.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "klean" / "demo"
SEED = 20261124
N_LISTINGS = 2400


@dataclass
class P:  # a product: id suffix, name, Korean name, KRW reference price, category, aliases
    key: str
    name: str
    ko: str
    price: int
    category: str
    aliases: tuple[str, ...] = ()


@dataclass
class B:  # a brand
    id: str
    name: str
    owner: str
    marks: tuple[str, ...]
    products: list[P]
    official: str  # the brand's own store
    retailers: tuple[str, ...] = ()
    luxury: bool = False
    accessories: tuple[str, ...] = field(default=())  # compatible goods that name the brand honestly


BRANDS = [
    B(
        "samsung",
        "Samsung",
        "Samsung Electronics",
        ("Samsung", "삼성", "三星"),
        [
            P(
                "galaxy-s24-ultra",
                "Galaxy S24 Ultra",
                "갤럭시 S24 울트라",
                1_698_400,
                "smartphone",
                ("S24 Ultra", "S24U"),
            ),
            P("galaxy-buds3-pro", "Galaxy Buds3 Pro", "갤럭시 버즈3 프로", 319_000, "earbuds", ("버즈3 프로",)),
            P("galaxy-watch7", "Galaxy Watch7", "갤럭시 워치7", 329_000, "smartwatch", ("워치7",)),
            P("galaxy-tab-s9", "Galaxy Tab S9", "갤럭시 탭 S9", 999_900, "tablet", ("탭 S9",)),
        ],
        "samsung-official",
        ("himart", "electromart", "coupang-retail"),
        accessories=("case for Galaxy S24 Ultra", "갤럭시 S24 울트라 호환 강화유리 필름", "Galaxy Watch7 호환 스트랩"),
    ),
    B(
        "apple",
        "Apple",
        "Apple Inc",
        ("Apple", "애플", "苹果"),
        [
            P("iphone-15-pro", "iPhone 15 Pro", "아이폰 15 프로", 1_550_000, "smartphone", ("아이폰15프로",)),
            P("airpods-pro-2", "AirPods Pro 2", "에어팟 프로 2", 359_000, "earbuds", ("에어팟 프로 2세대",)),
            P("macbook-air-13-m3", "MacBook Air 13 M3", "맥북 에어 13 M3", 1_590_000, "laptop", ("맥북에어 M3",)),
            P("apple-watch-9", "Apple Watch Series 9", "애플워치 9", 599_000, "smartwatch", ("애플워치9",)),
        ],
        "apple-store-kr",
        ("himart", "electromart", "frisbee"),
        accessories=(
            "AirPods Pro 2 호환 실리콘 케이스",
            "iPhone 15 Pro compatible MagSafe case",
            "애플워치 호환 밀레니즈 루프 스트랩",
        ),
    ),
    B(
        "nike",
        "Nike",
        "Nike Inc",
        ("Nike", "나이키", "耐克"),
        [
            P("air-force-1", "Air Force 1 '07", "에어포스 1 '07", 139_000, "sneakers", ("에어포스1", "AF1")),
            P(
                "air-jordan-1-high",
                "Air Jordan 1 Retro High OG",
                "에어 조던 1 레트로 하이 OG",
                219_000,
                "sneakers",
                ("조던1 하이",),
            ),
            P("dunk-low", "Dunk Low Retro", "덩크 로우 레트로", 129_000, "sneakers", ("덩크로우",)),
        ],
        "nike-official",
        ("abc-mart", "lotte-dept"),
        accessories=("나이키 에어포스 호환 신발끈 2쌍", "Air Force 1 shoe cleaning kit (compatible)"),
    ),
    B(
        "adidas",
        "Adidas",
        "adidas AG",
        ("Adidas", "아디다스", "阿迪达斯"),
        [
            P("samba-og", "Samba OG", "삼바 OG", 139_000, "sneakers", ("삼바",)),
            P("superstar", "Superstar", "슈퍼스타", 119_000, "sneakers"),
            P("ultraboost-5", "Ultraboost 5", "울트라부스트 5", 229_000, "sneakers"),
        ],
        "adidas-official",
        ("abc-mart",),
    ),
    B(
        "new-balance",
        "New Balance",
        "New Balance Athletics",
        ("New Balance", "뉴발란스", "新百伦"),
        [
            P("990v6", "990v6", "990v6", 259_000, "sneakers", ("990 v6",)),
            P("530", "530", "530", 119_000, "sneakers", ("MR530",)),
            P("2002r", "2002R", "2002R", 179_000, "sneakers"),
        ],
        "newbalance-official",
        ("abc-mart",),
    ),
    B(
        "chanel",
        "Chanel",
        "Chanel SAS",
        ("Chanel", "샤넬", "香奈儿"),
        [
            P(
                "classic-flap-medium",
                "Classic 11.12 Flap Bag Medium",
                "클래식 11.12 플랩백 미디움",
                15_570_000,
                "handbag",
                ("클래식 플랩백", "CF 미디움"),
            ),
            P("boy-bag", "Boy Chanel Handbag", "보이백", 9_390_000, "handbag", ("보이샤넬",)),
            P("no5-edp-100", "N°5 Eau de Parfum 100ml", "넘버5 오 드 빠르펭 100ml", 256_000, "perfume", ("No.5",)),
        ],
        "chanel-boutique-kr",
        ("shinsegae-dept", "lotte-dept"),
        luxury=True,
    ),
    B(
        "gucci",
        "Gucci",
        "Guccio Gucci S.p.A.",
        ("Gucci", "구찌", "古驰"),
        [
            P(
                "gg-marmont-small",
                "GG Marmont Small Shoulder Bag",
                "GG 마몬트 스몰 숄더백",
                3_540_000,
                "handbag",
                ("마몬트",),
            ),
            P("ace-sneaker", "Ace Sneaker", "에이스 스니커즈", 1_010_000, "sneakers"),
            P("dionysus-small", "Dionysus Small Shoulder Bag", "디오니서스 스몰 숄더백", 4_150_000, "handbag"),
        ],
        "gucci-official",
        ("shinsegae-dept", "hyundai-dept"),
        luxury=True,
    ),
    B(
        "louis-vuitton",
        "Louis Vuitton",
        "Louis Vuitton Malletier",
        ("Louis Vuitton", "루이비통", "路易威登"),
        [
            P("neverfull-mm", "Neverfull MM", "네버풀 MM", 2_710_000, "handbag", ("네버풀",)),
            P("speedy-25", "Speedy Bandoulière 25", "스피디 반둘리에 25", 2_670_000, "handbag", ("스피디 25",)),
            P("keepall-50", "Keepall Bandoulière 50", "키폴 반둘리에 50", 3_750_000, "bag", ("키폴 50",)),
        ],
        "lv-official",
        ("hyundai-dept",),
        luxury=True,
    ),
    B(
        "hermes",
        "Hermès",
        "Hermès International",
        ("Hermès", "Hermes", "에르메스", "爱马仕"),
        [
            P("birkin-25", "Birkin 25", "버킨 25", 15_000_000, "handbag", ("버킨백",)),
            P("kelly-28", "Kelly 28", "켈리 28", 14_500_000, "handbag", ("켈리백",)),
            P("oran-sandal", "Oran Sandal", "오란 샌들", 1_190_000, "shoes", ("오란",)),
        ],
        "hermes-boutique-kr",
        ("shinsegae-dept",),
        luxury=True,
    ),
    B(
        "prada",
        "Prada",
        "Prada S.p.A.",
        ("Prada", "프라다", "普拉达"),
        [
            P(
                "re-edition-2005",
                "Re-Edition 2005 Re-Nylon Bag",
                "리에디션 2005 리나일론 백",
                2_650_000,
                "handbag",
                ("리에디션",),
            ),
            P("galleria-medium", "Galleria Saffiano Medium Bag", "갤러리아 사피아노 미디움", 5_200_000, "handbag"),
        ],
        "prada-official",
        ("hyundai-dept", "lotte-dept"),
        luxury=True,
    ),
    B(
        "burberry",
        "Burberry",
        "Burberry Group",
        ("Burberry", "버버리", "博柏利"),
        [
            P(
                "kensington-trench",
                "Kensington Heritage Trench Coat",
                "켄싱턴 헤리티지 트렌치코트",
                3_390_000,
                "coat",
                ("켄싱턴 트렌치",),
            ),
            P(
                "check-cashmere-scarf",
                "Check Cashmere Scarf",
                "체크 캐시미어 스카프",
                790_000,
                "scarf",
                ("캐시미어 머플러",),
            ),
        ],
        "burberry-official",
        ("lotte-dept",),
        luxury=True,
    ),
    B(
        "rolex",
        "Rolex",
        "Rolex SA",
        ("Rolex", "롤렉스", "劳力士"),
        [
            P(
                "submariner-date",
                "Submariner Date 41",
                "서브마리너 데이트 41",
                14_240_000,
                "watch",
                ("섭마", "서브마리너"),
            ),
            P("datejust-41", "Datejust 41", "데이트저스트 41", 12_690_000, "watch", ("데저",)),
            P("daytona", "Cosmograph Daytona", "코스모그래프 데이토나", 21_770_000, "watch", ("데이토나",)),
        ],
        "rolex-boutique-kr",
        ("hyundai-dept",),
        luxury=True,
    ),
    B(
        "dyson",
        "Dyson",
        "Dyson Ltd",
        ("Dyson", "다이슨", "戴森"),
        [
            P("v15-detect", "V15 Detect", "V15 디텍트", 1_190_000, "vacuum", ("V15",)),
            P("airwrap", "Airwrap Multi-styler", "에어랩 멀티 스타일러", 699_000, "hair", ("에어랩",)),
            P("supersonic", "Supersonic Hair Dryer", "슈퍼소닉 헤어드라이어", 559_000, "hair", ("슈퍼소닉",)),
        ],
        "dyson-official",
        ("himart", "electromart"),
        accessories=("다이슨 V15 호환 필터 2개입", "Dyson Airwrap compatible storage stand"),
    ),
    B(
        "sony",
        "Sony",
        "Sony Group",
        ("Sony", "소니", "索尼"),
        [
            P("wh-1000xm5", "WH-1000XM5", "WH-1000XM5 헤드폰", 479_000, "headphones", ("1000XM5",)),
            P("playstation-5", "PlayStation 5", "플레이스테이션 5", 628_000, "console", ("PS5", "플스5")),
            P("a7-iv", "Alpha 7 IV", "알파 7 IV", 2_890_000, "camera", ("A7M4",)),
        ],
        "sony-store-kr",
        ("himart", "electromart"),
        accessories=("PS5 호환 듀얼센스 충전 거치대", "Sony WH-1000XM5 compatible ear pads"),
    ),
    B(
        "lg",
        "LG",
        "LG Electronics",
        ("LG", "엘지", "乐金"),
        [
            P("gram-16", "gram 16", "그램 16", 1_990_000, "laptop", ("LG그램",)),
            P("oled-evo-c3-65", 'OLED evo C3 65"', "올레드 에보 C3 65인치", 2_890_000, "tv", ("OLED65C3",)),
            P("standbyme", "StanbyME", "스탠바이미", 1_090_000, "tv", ("스탠바이미",)),
        ],
        "lg-bestshop",
        ("himart", "electromart"),
    ),
    B(
        "canon",
        "Canon",
        "Canon Inc",
        ("Canon", "캐논", "佳能"),
        [
            P("eos-r6-ii", "EOS R6 Mark II", "EOS R6 마크2", 3_190_000, "camera", ("R6m2",)),
            P("eos-r50", "EOS R50", "EOS R50", 929_000, "camera"),
        ],
        "canon-official",
        ("electromart",),
    ),
    B(
        "nintendo",
        "Nintendo",
        "Nintendo Co., Ltd.",
        ("Nintendo", "닌텐도", "任天堂"),
        [
            P("switch-oled", "Switch OLED", "스위치 OLED", 415_000, "console", ("스위치 올레드",)),
            P("pro-controller", "Switch Pro Controller", "스위치 프로 컨트롤러", 79_800, "console", ("프로콘",)),
            P(
                "zelda-totk",
                "The Legend of Zelda: Tears of the Kingdom",
                "젤다의 전설 티어스 오브 더 킹덤",
                69_800,
                "game",
                ("왕눈",),
            ),
        ],
        "nintendo-store-kr",
        ("himart", "electromart"),
        accessories=("닌텐도 스위치 OLED 호환 하드 파우치", "Switch OLED compatible screen protector"),
    ),
    B(
        "pokemon",
        "Pokémon",
        "The Pokémon Company",
        ("Pokémon", "Pokemon", "포켓몬", "宝可梦"),
        [
            P("pikachu-plush", "Pikachu Plush 30cm", "피카츄 인형 30cm", 35_000, "toy", ("피카츄 인형",)),
            P(
                "tcg-booster-box",
                "Pokémon TCG Booster Box",
                "포켓몬 카드 부스터 박스",
                144_000,
                "cards",
                ("포카 박스",),
            ),
        ],
        "pokemon-center-kr",
        ("coupang-retail",),
    ),
    B(
        "lego",
        "LEGO",
        "The LEGO Group",
        ("LEGO", "레고", "乐高"),
        [
            P(
                "millennium-falcon-75192",
                "Millennium Falcon 75192",
                "밀레니엄 팔콘 75192",
                1_199_900,
                "toy",
                ("75192",),
            ),
            P(
                "lamborghini-42115",
                "Technic Lamborghini Sián 42115",
                "테크닉 람보르기니 42115",
                579_900,
                "toy",
                ("42115",),
            ),
            P("eiffel-tower-10307", "Eiffel Tower 10307", "에펠탑 10307", 899_900, "toy", ("10307",)),
        ],
        "lego-official",
        ("coupang-retail",),
        accessories=("레고 호환 LED 조명 키트 (밀레니엄 팔콘 75192용)", "display case for LEGO 10307"),
    ),
    B(
        "sulwhasoo",
        "Sulwhasoo",
        "Amorepacific",
        ("Sulwhasoo", "설화수", "雪花秀"),
        [
            P(
                "first-care-serum-90",
                "First Care Activating Serum 90ml",
                "윤조에센스 90ml",
                150_000,
                "cosmetics",
                ("윤조에센스",),
            ),
            P(
                "ginseng-cream-60",
                "Concentrated Ginseng Rejuvenating Cream 60ml",
                "자음생크림 60ml",
                290_000,
                "cosmetics",
                ("자음생크림",),
            ),
        ],
        "amore-mall",
        ("oliveyoung", "lotte-dept"),
    ),
    B(
        "laneige",
        "Laneige",
        "Amorepacific",
        ("Laneige", "라네즈", "兰芝"),
        [
            P("water-sleeping-mask", "Water Sleeping Mask 70ml", "워터 슬리핑 마스크 70ml", 32_000, "cosmetics"),
            P("lip-sleeping-mask", "Lip Sleeping Mask 20g", "립 슬리핑 마스크 20g", 22_000, "cosmetics", ("립슬리핑",)),
        ],
        "amore-mall",
        ("oliveyoung",),
    ),
    B(
        "innisfree",
        "Innisfree",
        "Amorepacific",
        ("Innisfree", "이니스프리", "悦诗风吟"),
        [
            P(
                "green-tea-serum-80",
                "Green Tea Seed Hyaluronic Serum 80ml",
                "그린티 씨드 히알루론산 세럼 80ml",
                32_000,
                "cosmetics",
                ("그린티 세럼",),
            ),
            P("volcanic-clay-mask", "Volcanic Pore Clay Mask 100ml", "화산송이 모공 마스크 100ml", 18_000, "cosmetics"),
        ],
        "amore-mall",
        ("oliveyoung",),
    ),
]

RETAILER_NAMES = {
    "himart": "롯데하이마트",
    "electromart": "일렉트로마트",
    "coupang-retail": "쿠팡 로켓배송",
    "frisbee": "프리스비",
    "abc-mart": "ABC마트",
    "lotte-dept": "롯데백화점",
    "shinsegae-dept": "신세계백화점",
    "hyundai-dept": "현대백화점",
    "oliveyoung": "올리브영",
    "amore-mall": "아모레몰",
}
# Sellers of fakes: young accounts, some with strikes. The names are invented.
FAKE_SELLERS = [
    ("luxury-outlet-99", "명품아울렛99"),
    ("mirror-grade-kr", "미러급전문"),
    ("best-replica-shop", "BestRep"),
    ("haitao-direct", "海淘直邮"),
    ("gangnam-deals", "강남특가"),
    ("sneaker-factory-1", "스니커팩토리"),
    ("bag-heaven-88", "가방천국88"),
    ("watch-master-kr", "시계마스터"),
    ("cosme-wholesale", "화장품도매"),
    ("global-best-buy", "Global Best Buy"),
    ("tech-bargain-zone", "테크바겐존"),
    ("dream-shop-777", "드림샵777"),
]
# Ordinary people selling their own things second-hand.
PEOPLE = [f"user-{n:04d}" for n in range(1, 61)]
# General shops that sell unbranded or compatible goods.
GENERAL = [
    ("case-studio", "케이스스튜디오"),
    ("daily-living", "데일리리빙"),
    ("book-and-music", "북앤뮤직"),
    ("farm-fresh", "산지직송팜"),
    ("home-realty", "우리부동산"),
    ("toy-world", "토이월드"),
    ("phone-accessory-hub", "폰악세사리허브"),
    ("pet-friends", "펫프렌즈"),
]

COUNTERFEIT_WORDS = [
    "replica",
    "1:1",
    "AAA",
    "정품급",
    "미러급",
    "高仿",
    "레플리카",
    "st급",
    "A급 레플",
    "mirror quality",
    "super fake",
    "정품과 똑같은",
    "复刻",
    "原单",
]
CONFUSABLE = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "i": "і", "y": "у"}  # Cyrillic look-alikes
TYPOS = {
    "Samsung": ["Samsumg", "Samsnug", "Sansung"],
    "Nike": ["Nkie", "Niike"],
    "Gucci": ["Guccl", "Gucii"],
    "Rolex": ["Rolx", "Rollex"],
    "Chanel": ["Chanell", "Chanle"],
    "Apple": ["Appel", "Aple"],
    "Louis Vuitton": ["Louis Vuiton", "Luis Vuitton"],
    "Prada": ["Prado", "Pradda"],
    "Dyson": ["Dysen", "Dysn"],
    "Adidas": ["Addidas", "Adidass"],
    "Hermès": ["Hermez", "Hermmes"],
    "Burberry": ["Burbery", "Burbbery"],
    "Sony": ["Sonny"],
    "Canon": ["Cannon"],
    "LEGO": ["LEG0"],
    "Nintendo": ["Nintedo", "Nitendo"],
    "New Balance": ["New Balence"],
    "Sulwhasoo": ["Sulwasoo"],
    "Laneige": ["Laniege"],
    "Innisfree": ["Inisfree"],
    "Pokémon": ["Pokeman"],
    "LG": ["L.G"],
}
# Words that contain a mark but are not about the brand.
COLLISIONS = [
    ("Applewood smoked bacon 500g", "Applewood 훈연 베이컨, 냉장 배송", 12_900, "food"),
    ("애플망고 2kg 제주 산지직송", "당도 높은 제주 애플망고, 선물용 포장", 45_000, "food"),
    ("파인애플 1통 (Pineapple)", "필리핀산 스위트 파인애플", 6_900, "food"),
    ("삼성동 원룸 월세 (코엑스 도보 5분)", "삼성동 역세권 풀옵션 원룸", 900_000, "real-estate"),
    ("삼성역 주차권 1일권", "삼성역 인근 공영주차장 1일 주차권", 15_000, "tickets"),
    ("Canon in D 피아노 악보 (Pachelbel)", "파헬벨 캐논 변주곡 중급 악보 PDF 아님, 인쇄본", 8_000, "books"),
    ("Legolas elf archer figure 1/6", "Lord of the Rings fan-made figure, unbranded", 89_000, "figure"),
    ("밸런스 보드 요가 홈트 (balance board)", "New 디자인 balance board, 무소음", 35_000, "fitness"),
    (
        "Hermes 신화 그리스 조각상 인테리어 소품",
        "헤르메스 신 석고상 레플리카 아님, 인테리어용 석고 조각",
        39_000,
        "interior",
    ),
    ("Galaxy 별빛 무드등 프로젝터", "은하수 galaxy 조명, 아이방 수면등", 19_900, "lighting"),
    ("Sonya 여성 니트 원피스", "Sonya 자체제작 니트 원피스", 49_000, "clothing"),
    ("청사과 Green Apple 샴푸 1L", "대용량 그린애플향 샴푸", 9_900, "beauty"),
    ("Dunk 덩크슛 농구공 7호", "실내외 겸용 농구공", 25_000, "sports"),
    ("Eiffel Tower 파리 에펠탑 미니어처 금속 기념품", "파리 여행 기념품 에펠탑 모형 15cm", 12_000, "souvenir"),
    ("Polo 카라 티셔츠 무지", "무지 피케 카라티 5색", 15_900, "clothing"),
    ("lg 사이즈 남성 반팔티 (Large)", "오버핏 반팔티 lg/xl", 12_000, "clothing"),
    ("Samba 삼바 댄스 강습 1개월", "라틴댄스 삼바 초급반 수강권", 120_000, "lessons"),
    ("Jordan 요르단 여행 가이드북", "요르단 페트라 여행 책", 18_000, "books"),
]
GENERIC = [
    ("무지 에코백 캔버스", 8_900, "bag"),
    ("스테인리스 텀블러 500ml", 12_000, "kitchen"),
    ("메모리폼 베개", 29_000, "home"),
    ("USB-C 고속 충전 케이블 2m", 7_900, "electronics"),
    ("블루투스 무선 이어폰 (무브랜드)", 19_900, "earbuds"),
    ("기계식 키보드 갈축", 59_000, "electronics"),
    ("여성 트위드 자켓 (자체제작)", 69_000, "clothing"),
    ("남성 러닝화 경량 메쉬", 39_000, "sneakers"),
    ("가죽 카드지갑 수제", 25_000, "wallet"),
    ("고양이 스크래쳐 골판지", 9_900, "pet"),
    ("캠핑 의자 접이식", 32_000, "outdoor"),
    ("아동 그림책 세트 10권", 45_000, "books"),
    ("쌀 10kg 2025년 햅쌀", 32_000, "food"),
    ("손목시계 쿼츠 (무브랜드)", 29_000, "watch"),
    ("토트백 비건레더 블랙", 49_000, "handbag"),
    ("원목 도마 대형", 22_000, "kitchen"),
    ("요가매트 8mm", 19_000, "fitness"),
    ("LED 스탠드 조명", 27_000, "lighting"),
    ("차량용 핸드폰 거치대", 11_900, "car"),
    ("무선 마우스 저소음", 13_900, "electronics"),
]


def _disguise(rng: random.Random, mark: str) -> tuple[str, str]:
    """A brand name hidden from a naive matcher, and the kind of disguise."""
    kind = rng.choice(["separators", "symbols", "homoglyph", "fullwidth", "typo", "hangul-spaced", "mixed-case"])
    latin = mark
    if kind == "separators":
        sep = rng.choice(["-", ".", " ", "_", "*"])
        return sep.join(latin), kind
    if kind == "symbols":
        table = {"s": "$", "S": "$", "a": "@", "o": "0", "O": "0", "i": "1", "I": "1", "l": "1", "e": "3", "E": "3"}
        out = "".join(table.get(c, c) if rng.random() < 0.6 else c for c in latin)
        if out == latin:
            out = latin.replace(latin[1], table.get(latin[1], "*"), 1)
        return out, kind
    if kind == "homoglyph":
        chars = list(latin)
        idx = [i for i, c in enumerate(chars) if c.lower() in CONFUSABLE]
        if not idx:
            return " ".join(latin), "separators"
        for i in rng.sample(idx, k=min(2, len(idx))):
            c = chars[i]
            chars[i] = CONFUSABLE[c.lower()].upper() if c.isupper() else CONFUSABLE[c.lower()]
        return "".join(chars), kind
    if kind == "fullwidth":
        return "".join(
            chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in latin.upper()
        ), kind
    if kind == "typo":
        return rng.choice(TYPOS.get(latin, [latin[:-1]])), kind
    if kind == "hangul-spaced":
        return latin, kind  # replaced by the caller with the spaced Korean mark
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in latin), kind


def main(out: Path = OUT) -> None:
    rng = random.Random(SEED)
    base_day = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    # --- sellers --------------------------------------------------------------------------------------------
    sellers: dict[str, dict] = {}

    def seller(sid: str, name: str, strikes: int, age: int) -> None:
        sellers.setdefault(sid, {"id": sid, "name": name, "strikes": strikes, "account_age_days": age})

    for b in BRANDS:
        seller(
            b.official, f"{b.name} 공식스토어" if b.official != "amore-mall" else "아모레몰", 0, rng.randint(1500, 5000)
        )
        for r in b.retailers:
            seller(r, RETAILER_NAMES[r], 0, rng.randint(2000, 7000))
    for sid, name in FAKE_SELLERS:
        seller(sid, name, rng.choice([0, 0, 1, 2, 3]), rng.randint(3, 90))
    for sid, name in GENERAL:
        seller(sid, name, 0, rng.randint(300, 3000))
    for sid in PEOPLE:
        seller(sid, f"중고거래 {sid[-4:]}", 0, rng.randint(30, 4000))
    seller("kream-resell", "리셀마켓", 0, 1200)  # resells genuine sneakers above retail: not authorised, not fake

    # --- registry -------------------------------------------------------------------------------------------
    registry_brands = []
    for b in BRANDS:
        auths: list = [b.official]
        for r in b.retailers:
            auths.append(r)
        registry_brands.append(
            {
                "id": b.id,
                "name": b.name,
                "owner": b.owner,
                "marks": list(b.marks),
                "products": [
                    {
                        "id": f"{b.id}.{p.key}",
                        "name": p.name,
                        "aliases": [p.ko, *p.aliases],
                        "category": p.category,
                        "reference_price": {"amount": p.price, "currency": "KRW"},
                    }
                    for p in b.products
                ],
                "authorized_sellers": auths,
            }
        )
    # One authorisation that has ended, one that has not begun: dates matter.
    dyson = next(b for b in registry_brands if b["id"] == "dyson")
    dyson["authorized_sellers"] = [a for a in dyson["authorized_sellers"] if a != "electromart"] + [
        {"seller_id": "electromart", "valid_from": "2023-01-01", "valid_until": "2025-12-31"}
    ]
    sony = next(b for b in registry_brands if b["id"] == "sony")
    sony["authorized_sellers"].append({"seller_id": "coupang-retail", "valid_from": "2027-01-01"})
    registry = {"brands": registry_brands, "sellers": sorted(sellers.values(), key=lambda s: s["id"])}

    # --- listings -------------------------------------------------------------------------------------------
    listings: list[dict] = []
    labels: list[tuple[str, str, str]] = []

    def add(
        title: str,
        desc: str,
        price: float,
        seller_id: str,
        label: str,
        kind: str,
        *,
        category: str | None = None,
        condition: str | None = None,
        currency: str = "KRW",
    ) -> None:
        n = len(listings) + 1
        rec: dict = {
            "id": f"demo-{n:05d}",
            "title": title,
            "description": desc,
            "price": int(round(price, -2)) if currency == "KRW" and price >= 1000 else round(price, 2),
            "currency": currency,
            "seller_id": seller_id,
        }
        if category:
            rec["category"] = category
        if condition:
            rec["condition"] = condition
        rec["url"] = f"https://market.example/items/{n:05d}"
        rec["created_at"] = (base_day + timedelta(minutes=37 * n + rng.randint(0, 30))).isoformat()
        listings.append(rec)
        labels.append((rec["id"], label, kind))

    def pick() -> tuple[B, P]:
        b = rng.choice(BRANDS)
        return b, rng.choice(b.products)

    def brand_word(b: B) -> str:
        return rng.choice(b.marks)

    makers = []

    def genuine_official() -> None:
        b, p = pick()
        s = rng.choice([b.official, *b.retailers])
        if b.id == "dyson" and s == "electromart":
            s = b.official
        ratio = rng.uniform(0.9, 1.0)
        t = rng.choice(
            [
                f"[{brand_word(b)}] {p.name} 정품",
                f"{brand_word(b)} {p.ko} 공식 판매",
                f"{b.name} {p.name}",
                f"{p.ko} {brand_word(b)} 정품 새상품",
            ]
        )
        add(
            t,
            rng.choice(
                [
                    "공식 수입 정품, 국내 A/S 가능",
                    "정식 유통 제품입니다. 영수증 발행",
                    "Official store. Warranty included.",
                ]
            ),
            p.price * ratio,
            s,
            "genuine",
            "official",
            category=p.category,
            condition="new",
        )

    makers.append((genuine_official, 30))

    def honest_discount() -> None:
        b, p = pick()
        s = rng.choice([b.official, *b.retailers])
        if b.id == "dyson" and s == "electromart":
            s = b.official
        pct = rng.choice([10, 15, 20, 25, 30])
        add(
            f"{brand_word(b)} {p.name} {pct}% 할인 {rng.choice(['블랙프라이데이', '시즌오프', '특가', '리퍼브 아님'])}",
            f"정품 {pct}% 할인 행사, 재고 한정",
            p.price * (1 - pct / 100),
            s,
            "genuine",
            "discount",
            category=p.category,
            condition="new",
        )

    makers.append((honest_discount, 8))

    def second_hand() -> None:
        b, p = pick()
        ratio = rng.uniform(0.45, 0.8) if not b.luxury else rng.uniform(0.55, 0.9)
        add(
            rng.choice([f"{brand_word(b)} {p.ko} 중고 팝니다", f"(중고) {b.name} {p.name}", f"{p.ko} 사용감 적음"]),
            rng.choice(
                [
                    "1년 사용, 구매 영수증 있습니다",
                    "정품 보증서 함께 드려요. 직거래 가능",
                    "used, good condition, original box",
                ]
            ),
            p.price * ratio,
            rng.choice(PEOPLE),
            "genuine",
            "second-hand",
            category=p.category,
            condition="used",
        )

    makers.append((second_hand, 11))

    def accessory() -> None:
        b = rng.choice([x for x in BRANDS if x.accessories])
        item = rng.choice(b.accessories)
        add(
            item,
            "호환 제품입니다 (정품 아님, 브랜드와 무관한 액세서리)",
            rng.choice([5_900, 9_900, 12_900, 15_900, 19_900]),
            rng.choice(["case-studio", "phone-accessory-hub", "daily-living"]),
            "genuine",
            "accessory",
            category="accessory",
            condition="new",
        )

    makers.append((accessory, 8))

    def collision() -> None:
        title, desc, price, cat = rng.choice(COLLISIONS)
        add(
            title,
            desc,
            price * rng.uniform(0.9, 1.1),
            rng.choice([s for s, _ in GENERAL]),
            "genuine",
            "word-collision",
            category=cat,
        )

    makers.append((collision, 7))

    def generic() -> None:
        title, price, cat = rng.choice(GENERIC)
        add(
            title,
            "브랜드 없는 일반 상품입니다",
            price * rng.uniform(0.85, 1.2),
            rng.choice([s for s, _ in GENERAL] + PEOPLE[:10]),
            "genuine",
            "unbranded",
            category=cat,
            condition=rng.choice(["new", None]),
        )

    makers.append((generic, 10))

    def resell() -> None:
        b = rng.choice([x for x in BRANDS if x.id in ("nike", "adidas", "new-balance")])
        p = rng.choice(b.products)
        add(
            f"{b.name} {p.name} 한정판 리셀",
            "정품 검수 완료, 미개봉 새상품",
            p.price * rng.uniform(1.1, 1.8),
            "kream-resell",
            "genuine",
            "resale-above-retail",
            category=p.category,
            condition="new",
        )

    makers.append((resell, 2))

    def fake_vocab() -> None:
        b, p = pick()
        word = rng.choice(COUNTERFEIT_WORDS)
        t = rng.choice(
            [
                f"{brand_word(b)} {p.name} {word}",
                f"[{word}] {p.ko} {brand_word(b)}",
                f"{p.name} {word} {brand_word(b)} 스타일",
            ]
        )
        add(
            t,
            rng.choice(
                [
                    f"{word} 퀄리티, 정품과 구별 불가",
                    "각인까지 동일, 박스 포함",
                    "工厂直发 做工精细",
                    "Top quality, same as original. No returns.",
                ]
            ),
            p.price * rng.uniform(0.04, 0.25),
            rng.choice(FAKE_SELLERS)[0],
            "counterfeit",
            "vocabulary",
            category=p.category,
            condition="new",
        )

    makers.append((fake_vocab, 12))

    def fake_disguised() -> None:
        b, p = pick()
        latin = next(m for m in b.marks if m.isascii() or "è" in m or "é" in m)
        hidden, kind = _disguise(rng, latin)
        if kind == "hangul-spaced":
            ko = next(m for m in b.marks if any("\uac00" <= c <= "\ud7a3" for c in m))
            hidden = " ".join(ko)
        add(
            f"{hidden} {p.name} {rng.choice(['새상품', '특가', '당일발송', '초특가'])}",
            rng.choice(["문의는 쪽지로", "빠른 배송", "박스 풀구성", "made in factory, best quality"]),
            p.price * rng.uniform(0.05, 0.3),
            rng.choice(FAKE_SELLERS)[0],
            "counterfeit",
            f"disguise-{kind}",
            category=p.category,
            condition="new",
        )

    makers.append((fake_disguised, 9))

    def fake_price() -> None:
        b, p = pick()
        add(
            f"{brand_word(b)} {p.name} 새상품",
            rng.choice(["해외 직구 상품, 박스 있음", "미개봉", "선물 받은 것 팝니다"]),
            p.price * rng.uniform(0.03, 0.15),
            rng.choice(FAKE_SELLERS)[0],
            "counterfeit",
            "impossible-price",
            category=p.category,
            condition="new",
        )

    makers.append((fake_price, 5))

    def hard() -> None:
        case = rng.randrange(5)
        b, p = pick()
        if case == 0:  # an ex-authorised seller: genuine stock, authorisation ended
            pd = rng.choice(next(x for x in BRANDS if x.id == "dyson").products)
            add(
                f"Dyson {pd.name} 재고 정리",
                "정품, 재고 소진시 종료",
                pd.price * 0.8,
                "electromart",
                "genuine",
                "expired-authorisation",
                category=pd.category,
                condition="new",
            )
        elif case == 1:  # a negation: "not a replica"
            add(
                f"{brand_word(b)} {p.ko} 정품 (레플리카 아님)",
                "가품 아닙니다. 백화점 구매 영수증 첨부",
                p.price * rng.uniform(0.8, 0.95),
                rng.choice(PEOPLE),
                "genuine",
                "negated-vocabulary",
                category=p.category,
                condition="used",
            )
        elif case == 2:  # "style" imitation with the brand name and a tiny price
            add(
                f"{brand_word(b)} 스타일 {p.category} 데일리",
                "느낌만 비슷한 디자인 제품",
                p.price * rng.uniform(0.01, 0.05),
                rng.choice(FAKE_SELLERS)[0],
                "counterfeit",
                "style-imitation",
                category=p.category,
                condition="new",
            )
        elif case == 3:  # a fake in Chinese with the Han mark
            han = next((m for m in b.marks if any("\u4e00" <= c <= "\u9fff" for c in m)), b.name)
            add(
                f"{han} {p.name} 原单 正品品质",
                "高仿 一比一 顶级版本",
                p.price * rng.uniform(0.05, 0.2),
                "haitao-direct",
                "counterfeit",
                "chinese-vocabulary",
                category=p.category,
                condition="new",
            )
        else:  # priced in another currency: genuine, converted price is normal
            usd = round(p.price / 1350 * rng.uniform(0.9, 1.0), 2)
            add(
                f"{b.name} {p.name} (US version)",
                "Genuine, imported from the US store",
                usd,
                rng.choice([b.official, *b.retailers]),
                "genuine",
                "foreign-currency",
                category=p.category,
                condition="new",
                currency="USD",
            )

    makers.append((hard, 6))

    # The showcase: one of each classic case, first in the catalog so the demo can point at them.
    s24 = 1_698_400
    showcase = [
        (
            "S-a-m-s-u-n-g Galaxy S24 Ultra 512GB 새상품",
            "박스 풀구성 당일발송",
            289_000,
            "gangnam-deals",
            "counterfeit",
            "disguise-separators",
        ),
        (
            "Sam$ung 갤럭시 S24 울트라 특가",
            "정품 아님 문의 사절",
            259_000,
            "tech-bargain-zone",
            "counterfeit",
            "disguise-symbols",
        ),
        (
            "Sаmsung Galaxy S24 Ultra (global)",
            "global version, fast shipping",
            199_000,
            "global-best-buy",
            "counterfeit",
            "disguise-homoglyph",
        ),
        (
            "ＮＩＫＥ 에어포스 1 '07 화이트",
            "빠른 배송",
            29_000,
            "sneaker-factory-1",
            "counterfeit",
            "disguise-fullwidth",
        ),
        (
            "나 이 키 에어포스1 올백 265",
            "정품급 퀄리티",
            25_000,
            "sneaker-factory-1",
            "counterfeit",
            "disguise-hangul-spaced",
        ),
        ("Samsumg Galaxy Buds3 Pro 무선이어폰", "미개봉", 39_000, "dream-shop-777", "counterfeit", "disguise-typo"),
        (
            "샤넬 클래식 플랩백 미디움 미러급",
            "각인 동일, 더스트백 포함",
            890_000,
            "mirror-grade-kr",
            "counterfeit",
            "vocabulary",
        ),
        ("劳力士 潜航者 高仿 一比一", "顶级复刻 机芯", 450_000, "haitao-direct", "counterfeit", "chinese-vocabulary"),
        (
            "Rolex Submariner Date 41 AAA replica 1:1",
            "super clone, swiss movement",
            380_000,
            "watch-master-kr",
            "counterfeit",
            "vocabulary",
        ),
        (
            "case for Galaxy S24 Ultra (clear, shockproof)",
            "compatible case, not made by Samsung",
            12_900,
            "phone-accessory-hub",
            "genuine",
            "accessory",
        ),
        ("Applewood smoked bacon 500g", "Applewood 훈연 베이컨", 12_900, "farm-fresh", "genuine", "word-collision"),
        (
            "삼성동 원룸 월세 (코엑스 도보 5분)",
            "삼성동 역세권 풀옵션",
            900_000,
            "home-realty",
            "genuine",
            "word-collision",
        ),
        (
            "Samsung Galaxy S24 Ultra 512GB 자급제 정품",
            "삼성전자 공식스토어 직배송",
            s24,
            "samsung-official",
            "genuine",
            "official",
        ),
        ("삼성 갤럭시 S24 울트라 중고 S급", "6개월 사용, 영수증 있음", 980_000, "user-0007", "genuine", "second-hand"),
    ]
    for title, desc, price, sid, label, kind in showcase:
        add(title, desc, price, sid, label, kind, condition="used" if kind == "second-hand" else "new")

    weights = [w for _, w in makers]
    for _ in range(N_LISTINGS - len(showcase)):
        rng.choices(makers, weights=weights)[0][0]()

    # Official insignia (a National Assembly member's badge, police badges, rank insignia) are never for sale, whatever
    # the price or wording; books, documentaries and toys about them are. Added last, so the listings above keep
    # their ids and contents.
    insignia = [
        ("금색 무궁화 국회 배지 재현품 (소장용)", "실제 국회의원 배지와 같은 크기, 금도금", 35_000, "user-0007",
         "counterfeit"),
        ("Police badge prop, metal, realistic weight", "Korean police eagle emblem, pin back", 25_000, "haitao-direct",
         "counterfeit"),
        ("韩国警察徽章 金属 仿真 收藏", "警徽 原尺寸", 19_000, "haitao-direct", "counterfeit"),
        ("대한민국 경찰 100년사 (도서)", "경찰 배지와 제복의 역사를 담은 책, 양장본", 28_000, "user-0007", "genuine"),
        ("어린이용 경찰놀이 장난감 세트", "경찰 배지 스티커, 장난감 무전기 포함 (유아용 완구)", 15_000, "user-0007",
         "genuine"),
        ("Korean police drama documentary DVD", "Documentary series on the Korean police, region 3", 19_000,
         "haitao-direct", "genuine"),
    ]
    for title, desc, price, sid, label in insignia:
        add(title, desc, price, sid, label, "official-insignia", category="collectibles" if label == "counterfeit"
            else ("toys-games" if "장난감" in title else "books-media"))

    out.mkdir(parents=True, exist_ok=True)
    (out / "registry.json").write_text(json.dumps(registry, ensure_ascii=False, indent=1) + "\n", "utf-8")
    with (out / "listings.jsonl").open("w", encoding="utf-8") as f:
        for rec in listings:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (out / "labels.tsv").write_text(
        "id\tlabel\tkind\n" + "".join(f"{i}\t{lab}\t{k}\n" for i, lab, k in labels), "utf-8"
    )
    counts: dict[str, int] = {}
    for _, label, _ in labels:
        counts[label] = counts.get(label, 0) + 1
    print(
        f"wrote {out}: {len(registry_brands)} brands, {len(sellers)} sellers, {len(listings)} listings {counts}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
