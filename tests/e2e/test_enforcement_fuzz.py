"""No input gives a 500: the enforcement and verification endpoints, fuzzed from their own OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from klean.bootstrap import App
from klean.domain.auth import Role
from klean.domain.listing import Listing, Money
from klean.services import accounts, enforcement, registry

KEYS: dict[str, str] = {}
pytestmark = pytest.mark.slow


@pytest.fixture
def api_schema(klean_app: App) -> Iterator[object]:
    from klean.adapters.api.app import create_app

    registry.create_brand(uow=klean_app.uow_factory(), principal=None, brand_id="gentle-monster",
                          name="Gentle Monster", marks=["Gentle Monster", "젠틀몬스터"], owner="IICOMBINED")
    for user, role, extra in (("ada", Role.ADMIN, {}), ("outlet-kim", Role.SELLER, {"seller_id": "seoul-outlet"}),
                              ("minji", Role.REVIEWER, {})):
        _, KEYS[user] = accounts.create_user(uow=klean_app.uow_factory(), actor=None, user_id=user, name=user,
                                             role=role, **extra)
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-lang-01", title="Gentle Monster Lang 01", seller_id="seoul-outlet",
                                    price=Money(Decimal("89000"), "KRW"), category="eyewear"))
        enforcement.record_violation(uow=uow, seller_id="seoul-outlet", kind="notice_upheld", actor="minji",
                                     cause_ref="case:1", listing_id="gm-lang-01")
        uow.commit()
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(klean_app))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(path_regex=r"^/v1/(enforcement|verification|sellers)").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_as_admin(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['ada']}"}, checks=[not_a_server_error])


@schema.include(path_regex=r"^/v1/(enforcement|verification|sellers)").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_as_seller(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['outlet-kim']}"}, checks=[not_a_server_error])
