"""Image banks on SQLite and PostgreSQL: who may change them, PDQ hex import/export, the flood guard, and
the banks reaching the screener (an official Galaxy photo reused by an unauthorised seller; a test-buy fake)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from PIL import Image

from klean.adapters.image_index import attach_image_index
from klean.adapters.imaging import image_features
from klean.bootstrap import App
from klean.domain.images import ImagePolicy
from klean.domain.listing import ImageRef, Listing, Money
from klean.domain.messages import msg
from klean.domain.screening import Evidence, ScreeningPolicy
from klean.services import image_banks, registry
from klean.signals.logo_examples import draw_logo, place_logo, synthetic_photo
from klean.signals.screener import Screener

H1 = "f" * 16 + "0" * 48
H2 = "0123456789abcdef" * 4
H3 = "a5" * 32


def _jpeg(rgb: object, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)  # type: ignore[arg-type]
    return buf.getvalue()


def _brands(app: App) -> None:
    registry.create_brand(uow=app.uow_factory(), principal=None, brand_id="samsung", name="Samsung",
                          marks=["Samsung", "삼성", "三星"], owner="Samsung Electronics")
    registry.create_brand(uow=app.uow_factory(), principal=None, brand_id="chanel", name="Chanel",
                          marks=["Chanel", "샤넬"], owner="Chanel S.A.")


def test_who_may_change_which_bank(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _brands(klean_app)
    admin = make_user("ada", "admin")
    reviewer = make_user("rui", "reviewer")
    samsung = make_user("sam", "rights_holder", org="Samsung Electronics")
    seller = make_user("shop", "seller", seller_id="seoul-deals-77")

    r = client.post("/v1/image-banks/known_fake/entries", headers=reviewer,
                    json={"pdq": H1.upper(), "brand_id": "chanel", "source_ref": "testbuy:3"})
    assert r.status_code == 201, r.text
    fake = r.json()
    assert fake["pdq"] == H1 and fake["bank"] == "known_fake"
    again = client.post("/v1/image-banks/known_fake/entries", headers=admin, json={"pdq": H1, "brand_id": "chanel"})
    assert again.status_code == 201 and again.json()["id"] == fake["id"]  # no duplicate

    r = client.post("/v1/image-banks/official/entries", headers=samsung, json={"pdq": H2, "brand_id": "samsung"})
    assert r.status_code == 201, r.text
    assert client.post("/v1/image-banks/official/entries", headers=samsung,
                       json={"pdq": H2, "brand_id": "chanel"}).status_code == 404  # not its brand
    assert client.post("/v1/image-banks/known_fake/entries", headers=samsung, json={"pdq": H3}).status_code == 403
    assert client.post("/v1/image-banks/negative/entries", headers=seller, json={"pdq": H3}).status_code == 403
    assert client.post("/v1/image-banks/negative/entries", json={"pdq": H3}).status_code == 401
    bad = client.post("/v1/image-banks/known_fake/entries", headers=admin, json={"pdq": "xyz"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "pdq"
    assert client.post("/v1/image-banks/stock/entries", headers=admin, json={"pdq": H3}).json()["error"]["field"] \
        == "bank"
    assert client.post("/v1/image-banks/official/entries", headers=admin, json={"pdq": H3}).status_code == 422

    listed = client.get("/v1/image-banks/official/entries", headers=samsung, params={"brand_id": "samsung"})
    assert [e["pdq"] for e in listed.json()] == [H2]
    assert client.get("/v1/image-banks/known_fake/entries", headers=samsung).status_code == 403
    assert client.get("/v1/image-banks", headers=reviewer).json() == {"official": 1, "known_fake": 1, "negative": 0,
                                                                     "flooded": []}
    assert client.delete(f"/v1/image-banks/entries/{fake['id']}", headers=samsung).status_code == 403
    assert client.delete(f"/v1/image-banks/entries/{fake['id']}", headers=reviewer,
                         params={"reason": "test buy overturned on appeal"}).status_code == 204
    assert client.delete(f"/v1/image-banks/entries/{fake['id']}", headers=reviewer).status_code == 404
    with klean_app.uow_factory() as uow:
        types = [e.type for e in uow.events.for_subject("image_bank_entry", str(fake["id"]))]
    assert types == ["image_bank.entry_added", "image_bank.entry_removed"]


def test_import_export_round_trip_in_plain_pdq_hex(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _brands(klean_app)
    admin = make_user("ada", "admin")
    text = "\n".join([
        "# fakes shared by the Korea IP Protection Agency, 2026-11",
        f"{H1}",
        f"{H2.upper()},87,chanel,case:12",
        f"{H3}\t64\t\tkipo:2026-0042",
        "",
    ])
    r = client.post("/v1/image-banks/known_fake/import", headers={**admin, "Content-Type": "text/plain"},
                    content=text.encode())
    assert r.status_code == 200, r.text
    assert r.json()["lines"] == 3 and r.json()["added"] == 3
    r = client.post("/v1/image-banks/known_fake/import", headers={**admin, "Content-Type": "text/plain"},
                    content=text.encode())
    assert r.json()["added"] == 0 and r.json()["already_present"] == 3  # re-import is idempotent
    exported = client.get("/v1/image-banks/known_fake/export", headers=admin)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/plain")
    lines = [ln for ln in exported.text.splitlines() if not ln.startswith("#")]
    assert lines == [f"{H1},,,import:upload", f"{H2},87,chanel,case:12", f"{H3},64,,kipo:2026-0042"]

    # The export imports elsewhere unchanged: the same hashes, quality, brands and sources.
    with klean_app.uow_factory() as uow:
        for e in uow.image_banks.entries(bank="known_fake"):
            uow.image_banks.remove(e.id, removed_by="test")
        uow.commit()
    again = image_banks.import_bank(uow=klean_app.uow_factory(), principal=None, bank="known_fake",
                                    text=exported.text, source="kipo.txt")
    assert again.added == 3
    assert image_banks.export_bank(uow=klean_app.uow_factory(), principal=None, bank="known_fake") == exported.text

    # A bad line refuses the whole file and names the line.
    bad = f"{H1}\n{H2}\nnot-a-hash,10\n"
    r = client.post("/v1/image-banks/negative/import", headers={**admin, "Content-Type": "text/plain"},
                    content=bad.encode())
    assert r.status_code == 422 and "upload:3" in r.json()["error"]["message"]
    assert client.get("/v1/image-banks", headers=admin).json()["negative"] == 0
    r = client.post("/v1/image-banks/official/import", headers={**admin, "Content-Type": "text/plain"},
                    content=f"{H1}\n".encode())
    assert r.status_code == 422 and r.json()["error"]["field"] == "brand_id"
    r = client.post("/v1/image-banks/negative/import", headers={**admin, "Content-Type": "text/plain"},
                    content=b"\xff\xfe\x00garbage")
    assert r.status_code == 422


def test_upload_an_image_to_a_bank_and_bad_images_are_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    reviewer = make_user("rui", "reviewer")
    photo = _jpeg(synthetic_photo(4))
    r = client.post("/v1/image-banks/known_fake/images", headers=reviewer,
                    files={"file": ("fake.jpg", photo, "image/jpeg")}, data={"source_ref": "testbuy:9"})
    assert r.status_code == 201, r.text
    assert r.json()["pdq"] == image_features(photo, keypoints=False).pdq
    for name, data, reason in [("half.jpg", photo[: len(photo) // 2], "truncated"),
                               ("doc.jpg", b"%PDF-1.4 not an image", "PDF document")]:
        r = client.post("/v1/image-banks/known_fake/images", headers=reviewer,
                        files={"file": (name, data, "image/jpeg")})
        assert r.status_code == 422 and reason in r.json()["error"]["message"], r.text
    blank = io.BytesIO()
    Image.new("RGB", (600, 400), (255, 255, 255)).save(blank, "PNG")
    r = client.post("/v1/image-banks/negative/images", headers=reviewer,
                    files={"file": ("blank.png", blank.getvalue(), "image/png")})
    assert r.status_code == 422 and "quality" in r.json()["error"]["message"]


def test_fill_official_hashes_from_stored_blobs(klean_app: App) -> None:
    from klean.adapters.blobs import BlobStore
    from klean.adapters.image_index import blob_hasher

    _brands(klean_app)
    data = _jpeg(synthetic_photo(66))
    sha = BlobStore(klean_app.settings).put(data, "image/jpeg")
    registry.add_brand_image(uow=klean_app.uow_factory(), principal=None, brand_id="samsung", kind="official",
                             sha256=sha, media_type="image/jpeg", size=len(data), width=1024, height=768,
                             path=f"blobs/{BlobStore.relative_path(sha)}")
    missing = "e" * 64  # a row whose file is gone is skipped, not fatal
    registry.add_brand_image(uow=klean_app.uow_factory(), principal=None, brand_id="samsung", kind="official",
                             sha256=missing, media_type="image/jpeg", size=1, width=1, height=1, path="blobs/gone")
    hasher = blob_hasher(klean_app.settings)
    assert image_banks.fill_official_hashes(uow=klean_app.uow_factory(), hasher=hasher) == 1
    images = {i.sha256: i.pdq for i in registry.registry_snapshot(uow=klean_app.uow_factory()).brand("samsung").images}
    assert images == {sha: image_features(data, keypoints=False).pdq, missing: None}


def _match_evidence(entry_id: int) -> list[Evidence]:
    return [Evidence(signal="known_fake_image", weight=0.9, brand_id="chanel", span=None,
                     reason=msg("Image {image} is the photo of a confirmed fake.", image=1, entry_id=entry_id))]


def test_flood_guard_sends_a_suddenly_busy_entry_to_review(klean_app: App) -> None:
    policy = ImagePolicy(flood_min_matches=20, flood_ratio=5.0, flood_window_hours=24, flood_baseline_days=14)
    entry = image_banks.add_entry(uow=klean_app.uow_factory(), principal=None, bank="known_fake", pdq=H1,
                                  brand_id="chanel", source_ref="testbuy:3")
    steady = image_banks.add_entry(uow=klean_app.uow_factory(), principal=None, bank="known_fake", pdq=H2)
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with klean_app.uow_factory() as uow:
        # The steady entry matched 3 listings a day for two weeks: 30 today is 10x usual, 40 is not far from it.
        for day in range(1, 14):
            for k in range(3):
                image_banks.record_image_matches(uow=uow, listing_id=f"old-{day}-{k}", evidence=_match_evidence(
                    steady.id), policy=policy, now=now - timedelta(days=day, hours=1))
        started: list[int] = []
        for i in range(25):
            started += image_banks.record_image_matches(uow=uow, listing_id=f"bag-{i}", evidence=_match_evidence(
                entry.id), policy=policy, now=now - timedelta(minutes=30 - i))
            # the same listing screened again does not count twice
            image_banks.record_image_matches(uow=uow, listing_id=f"bag-{i}", evidence=_match_evidence(entry.id),
                                             policy=policy, now=now)
        for i in range(10):
            started += image_banks.record_image_matches(uow=uow, listing_id=f"steady-{i}", evidence=_match_evidence(
                steady.id), policy=policy, now=now - timedelta(minutes=5))
        uow.commit()
    assert started == [entry.id]  # at its 20th listing within the day
    snap = image_banks.bank_snapshot(uow=klean_app.uow_factory())
    assert snap.flooded == frozenset({entry.id})
    with klean_app.uow_factory() as uow:
        events = uow.events.for_subject("image_bank_entry", str(entry.id))
    assert [e.type for e in events][-1] == "image_bank.flood_started" and events[-1].actor == "rule:image_flood_guard"
    # A day and a half later the burst is out of the window: the flood ends.
    later = image_banks.check_floods(uow=klean_app.uow_factory(), policy=policy, now=now + timedelta(hours=36))
    assert later["ended"] == [entry.id] and later["flooded"] == []


def test_banks_reach_the_screener(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _brands(klean_app)
    samsung = make_user("sam", "rights_holder", org="Samsung Electronics")
    official = place_logo(synthetic_photo(61), draw_logo("nike"), scale=1.0, angle=0, centre=(500, 380))
    r = client.post("/v1/brands/samsung/images", headers=samsung, data={"kind": "official"},
                    files={"file": ("s24.jpg", _jpeg(official), "image/jpeg")})
    assert r.status_code == 201, r.text
    admin = make_user("ada", "admin")
    # Official images uploaded without a PDQ hash (older uploads, imports) get one; then there is nothing left.
    assert client.post("/v1/image-banks/official/fill-hashes", headers=admin).json()["filled"] in (0, 1)
    assert client.post("/v1/image-banks/official/fill-hashes", headers=admin).json() == {"filled": 0}
    assert all(i.pdq for i in registry.registry_snapshot(uow=klean_app.uow_factory()).brand("samsung").images)
    fake_photo = synthetic_photo(62)
    with klean_app.uow_factory() as uow:  # what the QA service does when a test buy proves a fake
        uow.image_banks.add(bank="known_fake", pdq=image_features(_jpeg(fake_photo), keypoints=False).pdq,
                            brand_id="chanel", source_ref="testbuy:3")
        uow.commit()

    snapshot = registry.registry_snapshot(uow=klean_app.uow_factory())
    screener = attach_image_index(klean_app, Screener(snapshot, ScreeningPolicy("t", 0.5, 0.8)))

    def listing(lid: str, rgb: object) -> Listing:
        feats = image_features(_jpeg(rgb, 70))  # type: ignore[arg-type]
        return Listing(id=lid, title="Galaxy S24 Ultra 512GB 미개봉", price=Money.of(1_150_000, "KRW"),
                       seller_id="seoul-deals-77", images=(ImageRef(path="1.jpg", features=feats),))

    reused = screener.screen(listing("l1", official[:, ::-1]))
    assert [e.signal for e in reused.evidence if e.signal == "official_image_reuse"] == ["official_image_reuse"]
    fake = screener.screen(listing("l2", fake_photo))
    assert any(e.signal == "known_fake_image" and e.reason.params["entry"] == "testbuy:3" for e in fake.evidence)
    assert fake.decision.value == "block"
    clean = screener.screen(listing("l3", synthetic_photo(63)))
    assert not any(e.signal in ("official_image_reuse", "known_fake_image") for e in clean.evidence)


def test_a_submitted_listing_with_a_known_fake_photo_is_blocked_and_its_match_recorded(klean_app: App) -> None:
    from klean.adapters.screening_runtime import screener_for
    from klean.domain.auth import Principal, Role
    from klean.services import screening

    _brands(klean_app)
    fake = image_features(_jpeg(synthetic_photo(71)), keypoints=False)
    entry = image_banks.add_entry(uow=klean_app.uow_factory(), principal=None, bank="known_fake", pdq=fake.pdq,
                                  brand_id="chanel", source_ref="testbuy:5")
    # The marketplace sends its own PDQ hash of the photo (no file): it is matched as given.
    listing = Listing(id="mkt-88", title="빈티지 숄더백 새상품", price=Money.of(79_000, "KRW"),
                      seller_id="bag-factory-cn", images=(ImageRef(pdq=fake.pdq),))
    seller = Principal(user_id="bagshop", role=Role.SELLER, seller_id="bag-factory-cn")
    submitted = screening.submit_listing(uow=klean_app.uow_factory(), principal=seller, listing=listing,
                                         screener=screener_for(klean_app))
    assert submitted.status == "blocked"
    assert any(e.signal == "known_fake_image" for e in submitted.result.evidence)
    with klean_app.uow_factory() as uow:
        assert [lid for lid, _ in uow.image_banks.matches_of(entry.id)] == ["mkt-88"]


def test_new_bank_entries_are_added_to_the_built_index_and_removals_rebuild_it(klean_app: App) -> None:
    from klean.signals.images import INDEX_KEY

    _brands(klean_app)
    snapshot = registry.registry_snapshot(uow=klean_app.uow_factory())
    screener = attach_image_index(klean_app, Screener(snapshot, ScreeningPolicy("t", 0.5, 0.8)))
    built = screener.context.indexes[INDEX_KEY]
    photo = synthetic_photo(81)
    features = image_features(_jpeg(photo))
    listing = Listing(id="n-1", title="숄더백", price=Money.of(59_000, "KRW"), seller_id="bag-factory-cn",
                      images=(ImageRef(path="1.jpg", features=features),))
    assert not any(e.signal == "known_fake_image" for e in screener.screen(listing).evidence)
    entry = image_banks.add_entry(uow=klean_app.uow_factory(), principal=None, bank="known_fake", pdq=features.pdq,
                                  source_ref="case:31")
    attach_image_index(klean_app, screener)
    assert screener.context.indexes[INDEX_KEY] is built  # added in place, not rebuilt
    assert any(e.signal == "known_fake_image" for e in screener.screen(listing).evidence)
    image_banks.remove_entry(uow=klean_app.uow_factory(), principal=None, entry_id=entry.id, reason="mistake")
    attach_image_index(klean_app, screener)
    assert screener.context.indexes[INDEX_KEY] is not built
    assert not any(e.signal == "known_fake_image" for e in screener.screen(listing).evidence)


def test_listing_images_sent_as_bytes_are_screened_and_unusable_ones_named(client: TestClient, klean_app: App,
                                                                           make_user) -> None:  # type: ignore[no-untyped-def]
    """A reseller copies Samsung's official Galaxy photo into its listing and sends the file (base64), not a PDQ
    hash: Klean hashes it through the safe intake and finds the reuse; an image it cannot screen is a 422."""
    import base64

    from klean.adapters.blobs import BlobStore

    _brands(klean_app)
    samsung = make_user("sam", "rights_holder", org="Samsung Electronics")
    seller = make_user("shop", "seller", seller_id="seoul-deals-77")
    official = _jpeg(synthetic_photo(91))
    r = client.post("/v1/brands/samsung/images", headers=samsung, data={"kind": "official"},
                    files={"file": ("s24-ultra.jpg", official, "image/jpeg")})
    assert r.status_code == 201, r.text
    copy = _jpeg(synthetic_photo(91)[:, ::-1], quality=60)  # mirrored and recompressed
    listing = {"id": "img-1", "title": "갤럭시 S24 울트라 256GB 새제품", "price": 1_200_000, "currency": "KRW",
               "seller_id": "seoul-deals-77", "images": [{"data": base64.b64encode(copy).decode()}]}

    dry = client.post("/v1/screen", headers=seller, json=listing)
    assert dry.status_code == 200, dry.text
    assert any(e["signal"] == "official_image_reuse" for e in dry.json()["evidence"]), dry.json()
    sub = client.post("/v1/listings", headers=seller, json=listing)
    assert sub.status_code == 201, sub.text
    assert any(e["signal"] == "official_image_reuse" for e in sub.json()["evidence"])
    stored = client.get("/v1/listings/img-1", headers=seller).json()["listing"]["images"][0]
    assert len(stored["pdq"]) == 64 and "data" not in stored
    assert BlobStore(klean_app.settings).exists(stored["sha256"])  # the file as submitted, kept as evidence

    for images, field in (([{"path": "photos/s24.jpg"}], "images[0]"),
                          ([{"pdq": "ab" * 32}, {"sha256": "cd" * 32}], "images[1]"),
                          ([{"data": "not base64!"}], "images[0].data"),
                          ([{"data": base64.b64encode(b"%PDF-1.4 not a photo").decode()}], "images[0].data"),
                          ([{"data": base64.b64encode(copy[:400]).decode()}], "images[0].data")):
        for path in ("/v1/screen", "/v1/listings"):
            r = client.post(path, headers=seller, json={**listing, "id": "img-2", "images": images})
            assert r.status_code == 422, (path, images, r.text)
            assert r.json()["error"]["field"] == field, r.json()
    assert client.get("/v1/listings/img-2", headers=seller).status_code == 404  # nothing half-stored
