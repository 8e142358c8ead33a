"""The skeleton itself: migrations on both backends, the event chain, API keys and errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect

from klean.adapters.db import migrate
from klean.bootstrap import App
from klean.domain.events import verify_chain


def test_migrations_reach_head_and_go_down(klean_app: App) -> None:
    assert migrate.current_revision(klean_app.engine) == migrate.head_revision()
    assert "events" in inspect(klean_app.engine).get_table_names()
    migrate.downgrade(klean_app.engine, "base")
    assert "events" not in inspect(klean_app.engine).get_table_names()
    migrate.upgrade(klean_app.engine)
    assert "brands" in inspect(klean_app.engine).get_table_names()


def test_event_log_is_hash_chained(klean_app: App) -> None:
    with klean_app.uow_factory() as uow:
        for i in range(5):
            uow.events.append(type="test.happened", actor="tester", subject_type="thing", subject_id=str(i),
                              payload={"i": i, "text": "삼성 三星"})
        uow.commit()
    with klean_app.uow_factory() as uow:
        events = uow.events.range()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert verify_chain(events) == []
    tampered = [*events]
    tampered[2] = type(events[2])(**{**events[2].__dict__, "payload": {"i": 99}})
    assert verify_chain(tampered)  # the altered event no longer matches its hash


def test_api_key_authenticates_and_bad_keys_get_401(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    headers = make_user("ada", "admin")
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    for bad in ("nonsense", "klean_x_y", headers["Authorization"][7:-2] + "zz"):
        r = client.get("/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "unauthenticated"
    r = client.get("/v1/me", headers=headers)
    assert r.status_code == 200
    assert r.json()["role"] == "admin"


def test_user_ids_that_differ_only_by_case_are_one_user(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("ada", "admin")
    assert client.post("/v1/users", headers=admin, json={"id": "Kim.Samsung", "role": "reviewer"}).status_code == 201
    for twin in ("kim.samsung", "KIM.SAMSUNG", "ADA"):
        r = client.post("/v1/users", headers=admin, json={"id": twin, "role": "reviewer"})
        assert r.status_code == 409 and r.json()["error"]["field"] == "id", r.text
