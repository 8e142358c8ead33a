"""Listing submission at feed rate (issue 25) on SQLite and PostgreSQL: `POST /v1/listings` with an Idempotency-Key,
and `POST /v1/listings:batch`, where each listing has its own result and key, a refused listing does not fail the
batch, and a bad batch is a 413 or 422 with its reason.

The story: "Dream Outlet 77" sends its catalogue feed; "Seoul Deals" is another seller.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from klean.bootstrap import App
from klean.domain.events import verify_chain
from klean.services import registry

REGISTRY: dict[str, Any] = {
    "brands": [
        {"id": "samsung", "name": "Samsung Electronics", "owner": "Samsung Electronics",
         "marks": ["Samsung", "삼성", "Galaxy", "갤럭시"],
         "products": [{"id": "samsung.watch6", "name": "Galaxy Watch6 40mm", "aliases": ["갤럭시 워치6", "Watch6"],
                       "category": "wearables", "reference_price": {"amount": 299000, "currency": "KRW"}}],
         "authorized_sellers": ["dream_outlet_77"]},
        {"id": "chanel", "name": "Chanel", "marks": ["Chanel", "샤넬"],
         "products": [{"id": "chanel.cf", "name": "Classic 11.12 Handbag (Medium)", "aliases": ["클래식 플랩"],
                       "category": "bags", "reference_price": {"amount": 15570000, "currency": "KRW"}}]},
    ],
    "sellers": [{"id": "dream_outlet_77", "strikes": 0, "account_age_days": 900},
                {"id": "seoul_deals", "strikes": 0, "account_age_days": 900}],
}
GENUINE = {"id": "DO-W6-1", "title": "갤럭시 워치6 40mm 미개봉 정품", "price": 289000, "currency": "KRW",
           "seller_id": "dream_outlet_77", "category": "wearables", "condition": "new"}
FAKE = {"id": "DO-CF-1", "title": "샤넬 클래식 플랩백 미러급 레플리카 1:1", "price": 89000, "currency": "KRW",
        "seller_id": "dream_outlet_77", "category": "bags", "condition": "new"}


def _entry(key: str | None, **listing: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "listing": listing}


def _events(app: App, listing_id: str) -> int:
    with app.uow_factory() as uow:
        return sum(e.type == "listing.submitted" for e in uow.events.for_subject("listing", listing_id))


def test_a_single_submission_with_an_idempotency_key_is_stored_once(client: TestClient, klean_app: App,
                                                                    make_user) -> None:  # type: ignore[no-untyped-def]
    registry.import_registry(uow=klean_app.uow_factory(), data=REGISTRY, actor=None)
    shop = make_user("dream", "seller", seller_id="dream_outlet_77")
    headers = {**shop, "Idempotency-Key": "feed-2026-12-02-0001"}
    first = client.post("/v1/listings", json=FAKE, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/v1/listings", json=FAKE, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert first.json()["status"] == "blocked" and first.json()["reasons"]
    # The same answer read in Korean: stored without a language, rendered for the reader.
    ko = client.post("/v1/listings?lang=ko", json=FAKE, headers=headers).json()
    assert ko["status"] == "blocked" and ko["reasons"] != first.json()["reasons"]
    assert _events(klean_app, "DO-CF-1") == 1
    with klean_app.uow_factory() as uow:  # one violation recorded, not three
        assert len(uow.enforcement.for_seller("dream_outlet_77")) == 1
    reused = client.post("/v1/listings", json={**FAKE, "price": 99000}, headers=headers)
    assert reused.status_code == 409 and "different request" in reused.json()["error"]["message"]
    # Without a key a resubmission is screened again, as before.
    assert client.post("/v1/listings", json=GENUINE, headers=shop).status_code == 201
    assert client.post("/v1/listings", json=GENUINE, headers=shop).status_code == 201
    assert _events(klean_app, "DO-W6-1") == 2


def test_a_batch_answers_each_listing_and_a_refused_one_does_not_fail_it(
        client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    registry.import_registry(uow=klean_app.uow_factory(), data=REGISTRY, actor=None)
    shop = make_user("dream", "seller", seller_id="dream_outlet_77")
    other = make_user("seoul", "seller", seller_id="seoul_deals")
    assert client.post("/v1/listings", json={**GENUINE, "id": "SD-1", "seller_id": "seoul_deals"},
                       headers=other).status_code == 201
    batch = {"listings": [
        _entry("k-0", **GENUINE),
        _entry("k-1", **FAKE),
        _entry("k-2", **{**GENUINE, "id": "DO-W6-2", "price": -5}),  # not a listing: 422 in its place
        _entry("k-3", **{**GENUINE, "id": "SD-1"}),  # another seller's listing id: 409
        _entry("k-4", **{**GENUINE, "id": "X-1", "seller_id": "seoul_deals"}),  # not this seller's: 403
        _entry(None, **{**GENUINE, "id": "DO-W6-3", "title": "Galaxy Watch6 40mm strap only"}),
        "not an object",
        _entry("k-0", **GENUINE),  # the same key and listing again in the same batch: the first answer
        _entry("k-1", **{**FAKE, "price": 1}),  # the same key for another listing: 409
    ]}
    r = client.post("/v1/listings:batch", json=batch, headers=shop)
    assert r.status_code == 200, r.text
    out = r.json()
    statuses = [x["status"] for x in out["results"]]
    assert statuses == [201, 201, 422, 409, 403, 201, 422, 200, 409], out
    assert [x["index"] for x in out["results"]] == list(range(9))
    assert (out["submitted"], out["replayed"], out["refused"]) == (3, 1, 5)
    results = out["results"]
    assert results[0]["result"]["status"] == "live" and results[1]["result"]["status"] == "blocked"
    assert results[2]["error"]["field"] == "listing.price"
    assert "another seller" in results[3]["error"]["message"]
    assert results[7]["replayed"] and results[7]["result"] == results[0]["result"]
    assert results[8]["error"]["field"] == "Idempotency-Key"

    # The feed is sent again after a timeout: every keyed listing answers as before, nothing is stored twice; the
    # refused ones are refused again (their keys were not used up), the unkeyed one is screened again.
    again = client.post("/v1/listings:batch", json=batch, headers=shop).json()
    assert [x["status"] for x in again["results"]] == [200, 200, 422, 409, 403, 201, 422, 200, 409]
    assert again["results"][1]["result"] == results[1]["result"]
    assert _events(klean_app, "DO-W6-1") == 1 and _events(klean_app, "DO-CF-1") == 1
    assert _events(klean_app, "DO-W6-3") == 2
    # A key given back by a refused listing is free: the corrected listing goes through with it.
    fixed = client.post("/v1/listings:batch", json={"listings": [_entry("k-2", **{**GENUINE, "id": "DO-W6-2"})]},
                        headers=shop).json()
    assert fixed["results"][0]["status"] == 201
    # The same keys belong to each single submission too: one scope per user.
    single = client.post("/v1/listings", json=FAKE, headers={**shop, "Idempotency-Key": "k-1"})
    assert single.headers.get("Idempotent-Replayed") == "true" and single.json() == results[1]["result"]
    with klean_app.uow_factory() as uow:
        assert verify_chain(uow.events.range()) == []


def test_a_bad_batch_is_refused_whole_with_its_reason(client: TestClient, klean_app: App,
                                                      make_user) -> None:  # type: ignore[no-untyped-def]
    registry.import_registry(uow=klean_app.uow_factory(), data=REGISTRY, actor=None)
    shop = make_user("dream", "seller", seller_id="dream_outlet_77")
    reviewer = make_user("minji", "reviewer")
    too_many = {"listings": [_entry(f"k-{i}", **{**GENUINE, "id": f"DO-{i}"}) for i in range(501)]}
    r = client.post("/v1/listings:batch", json=too_many, headers=shop)
    assert r.status_code == 413 and "at most 500" in r.json()["error"]["message"]
    r = client.post("/v1/listings:batch", json={"listings": []}, headers=shop)
    assert r.status_code == 422 and r.json()["error"]["field"] == "listings"
    assert client.post("/v1/listings:batch", json={"listings": "DO-1"}, headers=shop).status_code == 422
    assert client.post("/v1/listings:batch", json=[GENUINE], headers=shop).status_code == 422
    assert client.post("/v1/listings:batch", json={"listings": [_entry("k", **GENUINE)]},
                       headers=reviewer).status_code == 403
    with klean_app.uow_factory() as uow:
        assert uow.listings.get("DO-1") is None and uow.listings.get("DO-W6-1") is None
    # 500 is allowed: the whole feed is stored, one result each, 50 listings per transaction (so that one feed
    # never holds the event log's lock for the whole batch).
    commits: list[int] = []

    def committed(_session: Session) -> None:
        commits.append(1)

    event.listen(Session, "after_commit", committed)
    try:
        full = client.post("/v1/listings:batch", json={"listings": too_many["listings"][:500]}, headers=shop)
    finally:
        event.remove(Session, "after_commit", committed)
    assert full.status_code == 200 and full.json()["submitted"] == 500
    assert len(commits) == 10
