"""Outbound e-mail through a real SMTP server (aiosmtpd) listening on a random local port."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from klean.adapters.mail.outbound import MailError, build_message, send_mail
from klean.config import Settings


class _Sink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        raw = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[tuple[_Sink, int]]:
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def test_korean_notice_arrives_intact(smtp_sink: tuple[_Sink, int], tmp_path: object) -> None:
    sink, port = smtp_sink
    settings = Settings(smtp_relay_host="127.0.0.1", smtp_relay_port=port, mail_from="trust@klean.local")
    send_mail(settings, to="seller@seoul-outlet.kr", subject="정품 인증서가 7일 후 만료됩니다 (Gentle Monster)",
              text="안녕하세요, 서울아울렛 님.\nGentle Monster 인증서 #12 가 2026-12-01 에 만료됩니다.",
              html="<p>안녕하세요</p>", headers={"X-Klean-Kind": "proof_expiry_warning"})
    assert len(sink.messages) == 1
    got = sink.messages[0]
    assert str(got["Subject"]) == "정품 인증서가 7일 후 만료됩니다 (Gentle Monster)"
    assert got["X-Klean-Kind"] == "proof_expiry_warning"
    assert got["From"] == "trust@klean.local"
    plain = got.get_body(preferencelist=("plain",))
    assert plain is not None and "서울아울렛" in plain.get_content()
    html = got.get_body(preferencelist=("html",))
    assert html is not None and "안녕하세요" in html.get_content()


def test_unreachable_relay_raises_mail_error() -> None:
    settings = Settings(smtp_relay_host="127.0.0.1", smtp_relay_port=_free_port())
    with pytest.raises(MailError):
        send_mail(settings, to="seller@example.com", subject="hello", text="body")


def test_header_injection_is_refused() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        build_message(settings, to="a@example.com", subject="hi\r\nBcc: victim@example.com", text="x")
    with pytest.raises(ValueError):
        build_message(settings, to="a@example.com\nBcc: v@example.com", subject="hi", text="x")
