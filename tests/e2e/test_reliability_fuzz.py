"""Every API operation fuzzed from the app's own OpenAPI description (in-process, bounded, deterministic), as an
admin: no input gives a server error, and every documented response matches its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from klean.adapters.db import migrate
from klean.bootstrap import bootstrap
from klean.config import Settings
from klean.domain.auth import Role
from klean.domain.listing import Listing, Money
from klean.services import accounts, registry

STORY = {"brands": [{"id": "samsung", "name": "Samsung", "owner": "Samsung Electronics",
                     "marks": ["Samsung", "삼성", "三星"],
                     "products": [{"id": "samsung.s24u", "name": "Galaxy S24 Ultra",
                                   "reference_price": {"amount": 1698400, "currency": "KRW"}}],
                     "authorized_sellers": ["samsung-official"]}],
         "sellers": [{"id": "samsung-official", "name": "삼성전자 공식몰"}]}
KEYS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from klean.adapters.api.app import create_app

    home: Path = tmp_path_factory.mktemp("fuzz")
    # Limits off: the fuzzer is one client sending thousands of requests, and 429 is not what is under test here.
    k = bootstrap(Settings(home=home, signing_key_path=home / "signing.pem",
                           **{f"rate_limit_{a}_per_{w}": 10**9 for a in ("reports", "notices", "refunds")
                              for w in ("key", "ip")}),
                  database_url=f"sqlite:///{home / 'klean.db'}")
    migrate.upgrade(k.engine)
    registry.import_registry(uow=k.uow_factory(), data=STORY, actor=None)
    with k.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-88231", title="삼성 갤럭시 S24 울트라 정품급", seller_id="busan-phones",
                                    price=Money.of(390_000, "KRW")))
        uow.commit()
    _, KEYS["admin"] = accounts.create_user(uow=k.uow_factory(), actor=None, user_id="ada", name="Ada",
                                            role=Role.ADMIN)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(k))
    k.engine.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_or_an_undocumented_answer(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['admin']}"},
                           checks=[not_a_server_error, response_schema_conformance])
