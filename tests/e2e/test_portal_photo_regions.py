"""A reviewer sees which part of a listing photo matched (issue 19): the review page draws the listing's stored
photos with the matched region outlined, and serves each photo only to those who may see the item."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from klean.adapters.blobs import BlobStore
from klean.bootstrap import App
from klean.services import accounts, registry
from klean.signals.image_edits import EDITS
from klean.signals.logo_examples import synthetic_photo

PASSWORD = "correct horse 1"


def _jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _sign_in(client: TestClient, klean_app: App, make_user, user_id: str, role: str, **kw: str) -> None:  # type: ignore[no-untyped-def]
    make_user(user_id, role, **kw)
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id=user_id, password=PASSWORD)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/portal/signin").text).group(1)  # type: ignore[union-attr]
    r = client.post("/portal/signin", data={"login": user_id, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303


def test_the_review_page_outlines_the_part_of_the_photo_that_matched(client: TestClient, klean_app: App,
                                                                     make_user) -> None:  # type: ignore[no-untyped-def]
    registry.create_brand(uow=klean_app.uow_factory(), principal=None, brand_id="samsung", name="Samsung",
                          marks=["Samsung", "삼성"], owner="Samsung Electronics")
    samsung = make_user("sam", "rights_holder", org="Samsung Electronics")
    official = synthetic_photo(91)
    r = client.post("/v1/brands/samsung/images", headers=samsung, data={"kind": "official"},
                    files={"file": ("s24-ultra.jpg", _jpeg(official), "image/jpeg")})
    assert r.status_code == 201, r.text
    # The seller keeps the left 80% of Samsung's photo: only the region stage finds it, and names where.
    copy = _jpeg(EDITS["crop 20% left"](official, 1), quality=80)
    width, height = Image.open(io.BytesIO(copy)).size
    seller = make_user("shop", "seller", seller_id="seoul-deals-77")
    listing = {"id": "img-9", "title": "삼성 갤럭시 S24 울트라 정품 새제품 급처", "price": 390_000, "currency": "KRW",
               "seller_id": "seoul-deals-77", "images": [{"data": base64.b64encode(copy).decode()}]}
    sub = client.post("/v1/listings", headers=seller, json=listing)
    assert sub.status_code == 201, sub.text
    assert sub.json()["status"] in ("held", "blocked"), sub.json()
    reuse = [e for e in sub.json()["evidence"] if e["signal"] == "official_image_reuse"]
    assert reuse, sub.json()["evidence"]

    _sign_in(client, klean_app, make_user, "minji", "reviewer")
    queue = client.get("/portal/review?lang=en")
    found = re.search(r'href="/portal/review/(\d+)"[^>]*>[^<]*img-9|/portal/review/(\d+)/claim', queue.text)
    assert found, queue.text
    item_id = int(found.group(1) or found.group(2))
    page = client.get(f"/portal/review/{item_id}?lang=ko")
    assert page.status_code == 200
    figure = re.search(r'<figure class="photo" id="photo-1">(.*?)</figure>', page.text, re.S)
    assert figure, page.text
    assert f'viewBox="0 0 {width} {height}"' in figure.group(1)
    assert f'href="/portal/review/{item_id}/photos/1"' in figure.group(1)
    box = re.search(r'<rect class="match" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', figure.group(1))
    assert box, figure.group(1)
    x, y, w, h = map(int, box.groups())
    assert 0 <= x < width and 0 <= y < height and w * h >= 0.3 * width * height  # most of the photo matched
    assert "테두리 친 부분이 등록된 사진이나 로고와 일치합니다" in figure.group(1)

    photo = client.get(f"/portal/review/{item_id}/photos/1")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content == copy and photo.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/portal/review/{item_id}/photos/2").status_code == 404
    assert client.get(f"/portal/review/{item_id}/photos/0").status_code in (404, 422)

    # A photo whose stored bytes are gone is not drawn, and not served.
    stored = client.get("/v1/listings/img-9", headers=seller).json()["listing"]["images"][0]
    BlobStore(klean_app.settings).path(stored["sha256"]).unlink()
    assert 'id="photos"' not in client.get(f"/portal/review/{item_id}").text
    assert client.get(f"/portal/review/{item_id}/photos/1").status_code == 404


def test_only_reviewers_see_the_photos_of_an_item(client: TestClient, klean_app: App, make_user) -> None:  # type: ignore[no-untyped-def]
    _sign_in(client, klean_app, make_user, "shop", "seller", seller_id="seoul-deals-77")
    r = client.get("/portal/review/1/photos/1", follow_redirects=False)
    assert r.status_code == 403
