"""Consumer reports through the API: anonymous and signed-in, Korean and English, case number and follow token,
independent reports queueing a listing, a reviewer's decision reaching the reporter, idempotent repeats."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from klean.adapters.mail.inbound import RateLimiter
from klean.bootstrap import App
from klean.domain.listing import Listing, Money

MakeUser = Callable[..., dict[str, str]]
LISTING_URL = "https://shop.example.kr/goods/gm-88231"


def seed(app: App) -> None:
    with app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-88231", title="젠틀몬스터 릴리트 선글라스 정품급 S급",
                                    seller_id="busan-shades", price=Money.of(39_000, "KRW"), url=LISTING_URL))
        uow.listings.upsert(Listing(id="ny-4410", title="Nike Air Jordan 1 Chicago, UA 1:1 batch",
                                    seller_id="sneaker-vault", price=Money.of(89_000, "KRW")))
        uow.commit()


def test_anonymous_korean_report_gets_a_case_number_and_can_be_followed(client: TestClient, klean_app: App) -> None:
    seed(klean_app)
    r = client.post("/v1/reports", json={
        "category": "counterfeit", "lang": "ko",
        "text": f"정품이라고 파는데 39,000원이에요. 정가는 30만원이 넘습니다. 로고 각인이 달라요. {LISTING_URL}"})
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["case_number"].startswith("R-") and answer["listing_id"] == "gm-88231"
    assert answer["state"] == "received"
    number, token = answer["case_number"], answer["follow_token"]

    followed = client.get(f"/v1/reports/{number}", headers={"X-Follow-Token": token})
    assert followed.status_code == 200 and followed.json()["state"] == "received"
    assert client.get(f"/v1/reports/{number}", params={"t": token}).status_code == 200
    assert client.get(f"/v1/reports/{number}", headers={"X-Follow-Token": "guess"}).status_code == 404
    assert client.get(f"/v1/reports/{number}").status_code == 404
    with klean_app.uow_factory() as uow:
        events = uow.events.for_subject("report", number)
    assert [e.type for e in events] == ["report.received"]


def test_independent_reports_queue_the_listing_and_the_decision_reaches_reporters(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    reviewer = make_user("rev-minji", "reviewer")
    reporters = [make_user(name, "consumer") for name in ("hana", "jun", "sophie")]
    texts = [("ko", "신발 박스 라벨 폰트가 이상해요, ny-4410 가품 같아요. listing ny-4410"),
             ("en", "The seller says UA 1:1 batch, which means unauthorised replica. listing ny-4410"),
             ("en", "Stitching on the swoosh is wrong and the price is a quarter of retail: listing ny-4410")]
    numbers = []
    for i, (headers, (lang, text)) in enumerate(zip(reporters, texts, strict=True)):
        r = client.post("/v1/reports", headers=headers, json={"category": "counterfeit", "lang": lang, "text": text,
                                                               "contact_email": f"reporter{i}@mail.example"})
        assert r.status_code == 201, r.text
        assert r.json()["listing_id"] == "ny-4410"
        numbers.append(r.json()["case_number"])
        queued = [i for i in client.get("/v1/review/queue", params={"kind": "report"}, headers=reviewer).json()
                  if i["subject_id"] == "ny-4410"]
        assert bool(queued) == (i >= 2)  # the third independent reporter crosses the threshold
    # the same reporter again does not count twice
    again = client.post("/v1/reports", headers=reporters[0], json={"category": "counterfeit", "text": texts[0][1]})
    assert again.status_code == 201
    item = next(i for i in client.get("/v1/review/queue", headers=reviewer).json() if i["subject_id"] == "ny-4410")
    assert item["payload"]["independent_reporters"] == 3

    # a signed-in reporter follows without a token
    assert client.get(f"/v1/reports/{numbers[1]}", headers=reporters[1]).json()["state"] == "received"
    assert client.get(f"/v1/reports/{numbers[1]}", headers=reporters[0]).status_code == 404

    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    assert client.get(f"/v1/reports/{numbers[0]}", headers=reporters[0]).json()["state"] == "under_review"
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "remove", "reason": "Seller's own words: 'UA 1:1 batch' replica"})
    assert r.status_code == 200, r.text
    for headers, number in zip(reporters, numbers, strict=True):
        followed = client.get(f"/v1/reports/{number}", headers=headers).json()
        assert followed["state"] == "actioned" and "replica" in followed["resolution"]
    with klean_app.uow_factory() as uow:
        assert uow.listings.require("ny-4410").status == "removed"
        types = [e.type for e in uow.events.for_subject("listing", "ny-4410")]
    assert "listing.reports_threshold" in types and "listing.removed" in types


def test_a_report_naming_no_known_listing_still_reaches_a_person(client: TestClient, klean_app: App,
                                                                 make_user: MakeUser) -> None:
    seed(klean_app)
    reviewer = make_user("rev-minji", "reviewer")
    r = client.post("/v1/reports", json={"category": "misleading", "lang": "en",
                                         "text": "An Instagram shop sells 'Le Labo' perfume at 9,900 won, "
                                                 "https://instagram.example/p/Cx81"})
    assert r.status_code == 201 and r.json()["listing_id"] is None
    number = r.json()["case_number"]
    item = next(i for i in client.get("/v1/review/queue", params={"kind": "report"}, headers=reviewer).json()
                if i["subject_id"] == number)
    client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer)
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "remove", "reason": "not ours"})
    assert r.status_code == 422  # nothing on this marketplace to remove
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "dismiss", "reason": "Not a listing on this marketplace"})
    assert r.status_code == 200
    with klean_app.uow_factory() as uow:
        found = uow.reports.by_number(number)
    assert found is not None and found[0].state == "no_action"


def test_repeated_report_with_one_idempotency_key_creates_one_report(client: TestClient, klean_app: App) -> None:
    seed(klean_app)
    body = {"category": "counterfeit", "lang": "en", "text": f"Fake Gentle Monster: {LISTING_URL}"}
    key = {"Idempotency-Key": "3f1c9a52-report"}
    first = client.post("/v1/reports", headers=key, json=body)
    second = client.post("/v1/reports", headers=key, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers.get("Idempotent-Replayed") == "true"
    with klean_app.uow_factory() as uow:
        events = uow.events.of_types(["report.received"])
    assert len(events) == 1
    r = client.post("/v1/reports", headers=key, json={**body, "text": "something else entirely here"})
    assert r.status_code == 409
    r = client.post("/v1/reports", headers={"Idempotency-Key": "x" * 300}, json=body)
    assert r.status_code == 422


def test_anonymous_floods_are_rate_limited_but_signed_in_reporters_are_not(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    klean_app.extras["anonymous_report_limiter"] = RateLimiter(limit=2, window=3600)
    body = {"category": "counterfeit", "text": f"Fake sunglasses {LISTING_URL}"}
    assert [client.post("/v1/reports", json=body).status_code for _ in range(3)] == [201, 201, 429]
    r = client.post("/v1/reports", json=body)
    assert r.status_code == 429 and "anonymous reports an hour" in r.json()["error"]["message"]
    consumer = make_user("hana", "consumer")
    assert client.post("/v1/reports", headers=consumer, json=body).status_code == 201


def test_a_report_links_every_listing_it_names_and_keeps_the_unknown_ones(client: TestClient,
                                                                           klean_app: App) -> None:
    seed(klean_app)
    r = client.post("/v1/reports", json={
        "category": "counterfeit", "lang": "ko", "listings": ["https://shop.example.kr/goods/gm-88231"],
        "text": "같은 판매자가 NY-4410번 조던이랑 gm-99999 도 올렸어요. 정가 329000원짜리를 39000원에 팔아요 "
                "(판매자 연락처 010-1234-5678). https://smartstore.naver.com/x/products/4410"})
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["listing_ids"] == ["gm-88231", "ny-4410"] and answer["listing_id"] == "gm-88231"
    assert answer["unknown_refs"] == ["gm-99999"] and answer["other_sites"] == ["smartstore.naver.com"]
    followed = client.get(f"/v1/reports/{answer['case_number']}", headers={"X-Follow-Token": answer["follow_token"]})
    assert followed.json()["listing_ids"] == ["gm-88231", "ny-4410"]
    assert followed.json()["unknown_refs"] == ["gm-99999"]
