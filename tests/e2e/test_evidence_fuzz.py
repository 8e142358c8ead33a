"""No input gives a 500: the evidence and transparency endpoints, fuzzed from their own OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from klean.adapters import evidence_package
from klean.bootstrap import App
from klean.domain.auth import Role
from klean.domain.listing import Listing, Money
from klean.services import accounts

KEYS: dict[str, str] = {}


@pytest.fixture
def api_schema(klean_app: App) -> Iterator[object]:
    from klean.adapters.api.app import create_app

    assert klean_app.settings.signing_key_path is not None
    evidence_package.keygen(klean_app.settings.signing_key_path)
    for user, role, org in (("ada", Role.ADMIN, None), ("gm-legal", Role.RIGHTS_HOLDER, "IICOMBINED")):
        _, KEYS[user] = accounts.create_user(uow=klean_app.uow_factory(), actor=None, user_id=user, name=user,
                                             role=role, org=org)
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-lang-01", title="젠틀몬스터 랑 01 미러급", seller_id="seoul-outlet",
                                    price=Money(Decimal("29000"), "KRW"), category="eyewear"))
        uow.events.append(type="case.received", actor="gm-legal", subject_type="case", subject_id="1",
                          payload={"listing_id": "gm-lang-01", "brand_id": "gentle-monster"})
        snap = uow.listings.set_status("gm-lang-01", "removed", cause="case:1")
        uow.events.append(type="listing.removed", actor="rev-kim", subject_type="listing", subject_id="gm-lang-01",
                          payload={"cause": "case:1", "snapshot_id": snap.id, "snapshot_sha256": snap.sha256})
        uow.commit()
    # The schema straight from the app rather than over /openapi.json: no request to time out on a busy machine.
    api = create_app(klean_app)
    loaded = schemathesis.openapi.from_dict(api.openapi())
    loaded.app = api
    yield loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(path_regex=r"^/v1/(evidence|transparency)").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_as_admin(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['ada']}"}, checks=[not_a_server_error])


@schema.include(path_regex=r"^/v1/(evidence|transparency)").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_as_rights_holder(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['gm-legal']}"}, checks=[not_a_server_error])
