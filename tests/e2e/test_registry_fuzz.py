"""No input gives a 500: the registry and user endpoints, fuzzed from their own OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from klean.bootstrap import App
from klean.domain.auth import Role
from klean.services import accounts, registry

STORY = {"brands": [{"id": "samsung", "name": "Samsung", "owner": "Samsung Electronics",
                     "marks": ["Samsung", "삼성", "三星"],
                     "products": [{"id": "samsung.s24u", "name": "Galaxy S24 Ultra",
                                   "reference_price": {"amount": 1698400, "currency": "KRW"}}],
                     "authorized_sellers": ["samsung-official"]}]}
KEYS: dict[str, str] = {}


@pytest.fixture
def api_schema(klean_app: App) -> Iterator[object]:
    from klean.adapters.api.app import create_app

    registry.import_registry(uow=klean_app.uow_factory(), data=STORY, actor=None)
    _, KEYS["admin"] = accounts.create_user(uow=klean_app.uow_factory(), actor=None, user_id="ada",
                                            name="Ada", role=Role.ADMIN)
    app = create_app(klean_app)
    app.openapi()  # build (and cache) the description here, where a busy machine has no 10 s timeout
    yield schemathesis.openapi.from_asgi("/openapi.json", app, timeout=120)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(path_regex=r"^/v1/(brands|registry|users)").parametrize()
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['admin']}"}, checks=[not_a_server_error])
