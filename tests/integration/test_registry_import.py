"""Registry files: all-or-nothing import naming the record and field at fault, idempotent re-import,
duplicates detected, export/import round trip."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from klean.bootstrap import App
from klean.domain.errors import ValidationError
from klean.domain.files import validate
from klean.services import registry


def story() -> dict[str, Any]:
    return {
        "brands": [
            {"id": "samsung", "name": "Samsung", "owner": "Samsung Electronics",
             "marks": ["Samsung", "삼성", "三星", "Galaxy", "갤럭시"],
             "trademark_registrations": [{"office": "KIPO", "number": "4000000000000"}],
             "products": [
                 {"id": "samsung.s24u", "name": "Galaxy S24 Ultra", "aliases": ["갤럭시 S24 울트라"],
                  "category": "smartphone", "reference_price": {"amount": 1698400, "currency": "KRW"}},
                 {"name": "Galaxy Buds3 Pro", "reference_price": {"amount": 319000, "currency": "KRW"}},
             ],
             "authorized_sellers": ["samsung-official",
                                    {"seller_id": "himart", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}],
             "logos": [{"path": "logos/samsung.png"}]},
            {"id": "nike", "name": "Nike", "owner": "Nike Inc", "marks": ["Nike", "나이키", "耐克"],
             "products": [{"id": "nike.af1", "name": "Air Force 1 '07",
                           "reference_price": {"amount": 139000, "currency": "KRW"}}]},
        ],
        "sellers": [
            {"id": "samsung-official", "name": "삼성전자 공식스토어", "strikes": 0, "account_age_days": 3650},
            {"id": "himart", "name": "롯데하이마트", "strikes": 0, "account_age_days": 5000},
            {"id": "luxury-outlet-99", "name": "명품아울렛99", "strikes": 2, "account_age_days": 12},
        ],
    }


def _count_events(app: App) -> int:
    with app.uow_factory() as uow:
        return len(uow.events.range())


def test_import_then_reimport_is_idempotent(klean_app: App) -> None:
    first = registry.import_registry(uow=klean_app.uow_factory(), data=story(), actor=None)
    assert (first.brands_created, first.sellers_created) == (2, 3)
    events = _count_events(klean_app)
    again = registry.import_registry(uow=klean_app.uow_factory(), data=story(), actor=None)
    assert (again.brands_created, again.brands_updated, again.brands_unchanged) == (0, 0, 2)
    assert (again.sellers_created, again.sellers_updated, again.sellers_unchanged) == (0, 0, 3)
    assert again.version == first.version
    assert _count_events(klean_app) == events  # nothing changed, nothing recorded
    snap = registry.registry_snapshot(uow=klean_app.uow_factory())
    samsung = snap.brand("samsung")
    assert samsung is not None and samsung.marks == ("Samsung", "삼성", "三星", "Galaxy", "갤럭시")
    assert {p.id for p in samsung.products} == {"samsung.s24u", "samsung.1"}
    himart = next(a for a in samsung.authorisations if a.seller_id == "himart")
    assert str(himart.valid_until) == "2026-12-31"
    assert snap.sellers["luxury-outlet-99"].strikes == 2
    with klean_app.uow_factory() as uow:  # the snapshot's fast reader and the ORM reader agree
        assert uow.brands.all() == uow.brands.list()
        assert uow.sellers.all() == uow.sellers.list()


def test_reimport_updates_what_the_file_changes(klean_app: App) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=story(), actor=None)
    changed = story()
    samsung = changed["brands"][0]
    samsung["marks"] = ["Samsung", "삼성", "三星", "Galaxy"]  # 갤럭시 goes
    samsung["products"][0]["reference_price"]["amount"] = 1599000  # the price dropped
    samsung["authorized_sellers"] = ["samsung-official"]  # Himart's authorisation ends
    changed["sellers"][2]["strikes"] = 3
    result = registry.import_registry(uow=klean_app.uow_factory(), data=changed, actor=None)
    assert (result.brands_updated, result.brands_unchanged, result.sellers_updated) == (1, 1, 1)
    snap = registry.registry_snapshot(uow=klean_app.uow_factory())
    brand = snap.brand("samsung")
    assert brand is not None and "갤럭시" not in brand.marks
    assert [str(p.reference_price) for p in brand.products if p.id == "samsung.s24u"] == ["1,599,000 KRW"]
    assert [a.seller_id for a in brand.authorisations] == ["samsung-official"]
    assert snap.sellers["luxury-outlet-99"].strikes == 3


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d["brands"][1]["marks"].append(""), "brands/1/marks/3"),
    (lambda d: d["brands"][1].pop("name"), "brands/1"),
    (lambda d: d["brands"][0]["products"][1]["reference_price"].update(amount=-1),
     "brands/0/products/1/reference_price/amount"),
    (lambda d: d["brands"][0]["products"][0]["reference_price"].update(currency="won"),
     "brands/0/products/0/reference_price/currency"),
    (lambda d: d["brands"][1].update(id="samsung"), "brands/1/id"),
    (lambda d: d["brands"][1]["marks"].append("ＳＡＭＳＵＮＧ"), "brands/1/marks/3"),  # Samsung's, fullwidth
    (lambda d: d["brands"][1]["products"][0].update(id="samsung.s24u"), "brands/1/products/0/id"),
    (lambda d: d["brands"][0]["authorized_sellers"][1].update(valid_until="2025-01-01"),
     "brands/0/authorized_sellers/1/valid_until"),
    (lambda d: d["brands"][0]["authorized_sellers"][1].update(valid_until="31/12/2026"),
     "brands/0/authorized_sellers/1"),
    (lambda d: d["sellers"].append({"id": "himart"}), "sellers/3/id"),
    (lambda d: d["sellers"][0].update(strikes="none"), "sellers/0/strikes"),
    (lambda d: d["brands"][1].update(id="nike brand"), "brands/1/id"),
    (lambda d: d["brands"][1].update(name="N" * 201), "brands/1/name"),
    (lambda d: d.update(brands="samsung"), "brands"),
    (lambda d: d["brands"][1].update(nicknames=["나이기", "Swoosh", "ＳＷＯＯＳＨ"]), "brands/1/nicknames/2"),
    (lambda d: d["brands"][1].update(design_cues=["스우시 로고", {"term": "  \t "}]), "brands/1/design_cues/1"),
    (lambda d: d["brands"][1].update(design_cues=[{"term": "스우시 로고", "weight": 1.5}]), "brands/1/design_cues/0"),
    (lambda d: d["brands"][1].update(collisions=["나이키 미사일", "나이키  미사일"]), "brands/1/collisions/1"),
    (lambda d: d["brands"][1].update(nicknames=[f"나이키{i}호" for i in range(300)],
                                     collisions=[f"나이키 {i}번지" for i in range(201)]), "brands/1/collisions/200"),
])
def test_a_bad_file_imports_nothing_and_names_the_field(klean_app: App, mutate: Any, field: str) -> None:
    data = story()
    mutate(data)
    with pytest.raises(ValidationError) as info:
        registry.import_registry(uow=klean_app.uow_factory(), data=data, actor=None)
    assert info.value.field == field, info.value.message
    assert info.value.message.startswith(field)
    snap = registry.registry_snapshot(uow=klean_app.uow_factory())
    assert snap.brands == () and snap.sellers == {}
    assert _count_events(klean_app) == 0


def test_marks_held_by_a_brand_outside_the_file_are_detected(klean_app: App) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=story(), actor=None)
    knock_off = {"brands": [{"id": "samsong", "name": "Samsong", "marks": ["Samsong", "sam sung"]}]}
    with pytest.raises(ValidationError) as info:
        registry.import_registry(uow=klean_app.uow_factory(), data=knock_off, actor=None)
    assert info.value.field == "brands/0/marks/1" and "samsung" in info.value.message


def test_repeated_marks_in_one_brand_are_kept_once(klean_app: App) -> None:
    data = story()
    data["brands"][1]["marks"] += ["NIKE", "nike ", "나이키"]
    result = registry.import_registry(uow=klean_app.uow_factory(), data=data, actor=None)
    assert result.duplicate_marks_dropped == 3
    assert registry.get_brand(uow=klean_app.uow_factory(), principal=None, brand_id="nike").marks == \
        ("Nike", "나이키", "耐克")


def test_brand_knowledge_is_stored_exported_and_reimported_unchanged(klean_app: App) -> None:
    data = story()
    data["brands"][1].update(
        nicknames=["나이기", {"term": "스우쉬", "weight": 0.3},
                   {"term": "에어포스", "weight": 0.2, "with_product": True}],
        design_cues=[{"term": "스우시 로고", "weight": 0.5}, "swoosh logo"],
        collisions=["나이키 미사일", "Nike missile"], pack=False)
    registry.import_registry(uow=klean_app.uow_factory(), data=copy.deepcopy(data), actor=None)
    nike = registry.registry_snapshot(uow=klean_app.uow_factory()).brand("nike")
    assert nike is not None and nike.use_pack is False
    assert [(t.term, t.kind, t.weight, t.with_product, t.source) for t in nike.knowledge] == [
        ("나이기", "nickname", 0.45, False, "registry"), ("스우쉬", "nickname", 0.3, False, "registry"),
        ("에어포스", "nickname", 0.2, True, "registry"), ("스우시 로고", "design_cue", 0.5, False, "registry"),
        ("swoosh logo", "design_cue", 0.4, False, "registry"), ("나이키 미사일", "collision", 0.0, False, "registry"),
        ("Nike missile", "collision", 0.0, False, "registry")]
    samsung = registry.registry_snapshot(uow=klean_app.uow_factory()).brand("samsung")
    assert samsung is not None and samsung.knowledge == () and samsung.use_pack is True

    exported = registry.export_registry(uow=klean_app.uow_factory(), principal=None)
    validate("registry", exported)
    out = next(b for b in exported["brands"] if b["id"] == "nike")
    assert {k: out[k] for k in ("nicknames", "design_cues", "collisions", "pack")} == {
        k: data["brands"][1][k] for k in ("nicknames", "design_cues", "collisions", "pack")}
    assert "pack" not in next(b for b in exported["brands"] if b["id"] == "samsung")

    # The same knowledge in another order is the same registry: nothing changes, no events.
    events = _count_events(klean_app)
    data["brands"][1]["nicknames"].reverse()
    result = registry.import_registry(uow=klean_app.uow_factory(), data=data, actor=None)
    assert result.brands_unchanged == 2 and _count_events(klean_app) == events
    # Dropping a nickname from the file drops it from the brand, and is one audited update.
    data["brands"][1]["nicknames"] = ["나이기"]
    data["brands"][1].pop("pack")
    result = registry.import_registry(uow=klean_app.uow_factory(), data=data, actor=None)
    assert result.brands_updated == 1
    nike = registry.registry_snapshot(uow=klean_app.uow_factory()).brand("nike")
    assert nike is not None and nike.use_pack is True and [t.term for t in nike.terms("nickname")] == ["나이기"]


def test_export_import_round_trip(klean_app: App, tmp_path: Any) -> None:
    from klean.bootstrap import bootstrap
    from klean.config import Settings

    registry.import_registry(uow=klean_app.uow_factory(), data=story(), actor=None)
    exported = registry.export_registry(uow=klean_app.uow_factory(), principal=None)
    validate("registry", exported)
    other = bootstrap(Settings(home=tmp_path / "other"), database_url=f"sqlite:///{tmp_path / 'other.db'}")
    from klean.adapters.db import migrate

    migrate.upgrade(other.engine)
    registry.import_registry(uow=other.uow_factory(), data=copy.deepcopy(exported), actor=None)
    assert registry.export_registry(uow=other.uow_factory(), principal=None) == exported
    assert registry.registry_snapshot(uow=other.uow_factory()).version == \
        registry.registry_snapshot(uow=klean_app.uow_factory()).version
    other.engine.dispose()
