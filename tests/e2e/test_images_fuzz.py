"""No input gives a 500: the image-bank endpoints, fuzzed from their own OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from klean.bootstrap import App
from klean.domain.auth import Role
from klean.services import accounts, image_banks, registry

KEYS: dict[str, str] = {}


@pytest.fixture
def api_schema(klean_app: App) -> Iterator[object]:
    from klean.adapters.api.app import create_app

    registry.create_brand(uow=klean_app.uow_factory(), principal=None, brand_id="chanel", name="Chanel",
                          marks=["Chanel", "샤넬"], owner="Chanel S.A.")
    image_banks.add_entry(uow=klean_app.uow_factory(), principal=None, bank="known_fake", pdq="3c" * 32,
                          brand_id="chanel", source_ref="testbuy:1")
    _, KEYS["admin"] = accounts.create_user(uow=klean_app.uow_factory(), actor=None, user_id="ada",
                                            name="Ada", role=Role.ADMIN)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(klean_app))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(path_regex=r"^/v1/image-banks").parametrize()
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['admin']}"}, checks=[not_a_server_error])
