"""The services' English messages that consumer pages show come out in the page's language: each message here is
raised by the code that raises it in production, so a re-worded service message that the portal no longer
recognises fails here (the refund service's messages are raised against a database in
tests/e2e/test_portal_i18n.py)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from starlette.datastructures import UploadFile

from klean.adapters.i18n import LANGUAGES, gettext
from klean.adapters.uploads import validate_image
from klean.adapters.web.server_messages import PATTERNS, localise
from klean.adapters.web.views import read_upload
from klean.config import Settings
from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError
from klean.domain.reports import ReportDraft, validate_report

TRANSLATED = [code for code in LANGUAGES if code != "en"]


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _settings(tmp_path: Path, **kw: int) -> Settings:
    return Settings(home=tmp_path, **kw)  # type: ignore[arg-type]


def _report(**kw: object) -> Callable[[Path], object]:
    fields: dict[str, object] = {"category": "counterfeit", "text": "the logo is crooked", "lang": "th", **kw}
    return lambda _tmp: validate_report(ReportDraft(**fields))  # type: ignore[arg-type]


def _upload(data: bytes, limit: int) -> Callable[[Path], object]:
    """read_upload on an event loop of its own thread: the browser tests' Playwright keeps a loop running in the
    worker's main thread, where asyncio.run refuses to start."""
    def run(_tmp: Path) -> object:
        with ThreadPoolExecutor(1) as pool:
            coro = read_upload(UploadFile(io.BytesIO(data), filename="bag.png"), limit)
            return pool.submit(asyncio.run, coro).result()
    return run


RAISERS: dict[str, Callable[[Path], object]] = {
    "short text": _report(text="fake"),
    "long text": _report(text="x" * 5001),
    "category": _report(category="bootleg"),
    "e-mail": _report(contact_email="not-an-address"),
    "listing reference": _report(listings=("x" * 2001,)),
    "upload over the limit": _upload(b"x" * 20, 10),
    "empty photo": lambda tmp: validate_image(b"", _settings(tmp)),
    "photo too large": lambda tmp: validate_image(_png(8, 8), _settings(tmp, max_upload_bytes=16)),
    "not an image": lambda tmp: validate_image(b"<svg onload=alert(1)>", _settings(tmp)),
    "too many pixels": lambda tmp: validate_image(_png(300, 200), _settings(tmp, max_image_pixels=10_000)),
    "truncated": lambda tmp: validate_image(_png(64, 64)[:-30], _settings(tmp)),
    "role": lambda _tmp: Principal("shop-1", Role.SELLER).require(Role.CONSUMER),
}


@pytest.mark.parametrize("case", list(RAISERS))
def test_a_consumer_sees_the_service_message_in_the_page_language(case: str, tmp_path: Path) -> None:
    with pytest.raises(DomainError) as caught:
        RAISERS[case](tmp_path)
    english = caught.value.message
    assert any(p.fullmatch(english) for p, _t, _s in PATTERNS) or gettext(english, "ko") != english, english
    for lang in TRANSLATED:
        shown = localise(english, lang)
        assert shown != english and shown != localise(english, "en"), (lang, english, shown)


def test_values_are_kept_and_written_the_reader_s_way() -> None:
    assert localise("text: describe the problem in at least 5 characters", "th") == \
        "กรุณาอธิบายปัญหาอย่างน้อย 5 ตัวอักษร"
    assert localise("the file is larger than 10485760 bytes", "id") == \
        "Ukuran foto terlalu besar: maksimal 10.485.760 byte."
    assert localise("no order ord-42 of yours", "vi") == \
        "Không tìm thấy đơn hàng ord-42 trong tài khoản của bạn. Vui lòng kiểm tra lại mã đơn hàng."
    closed = localise("the claim window closed at the end of 2026-05-06 (Asia/Bangkok): 6 months from delivered",
                      "th")
    assert "6 พฤษภาคม" in closed and "Asia/Bangkok" in closed and "6 เดือนหลังได้รับสินค้า" in closed
    # English readers get the plain sentence too, not the service's field-prefixed one
    assert localise("text: describe the problem in at least 5 characters", "en") == \
        "Describe the problem in at least 5 characters."


def test_a_message_nobody_recognises_stays_as_it_is() -> None:
    assert localise("the moon is made of cheese", "th") == "the moon is made of cheese"
    assert localise("please sign in", "vi") == "Vui lòng đăng nhập."  # a catalog msgid as it is
