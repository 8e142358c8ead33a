"""The e-mail report channel over real SMTP on 127.0.0.1: Korean (EUC-KR/CP949, base64) and English
(HTML-only, quoted-printable) mail becomes reports answered with their case number; every rejection has a reason."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
import re
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from klean.adapters.mail.inbound import MailServer, html_to_text, parse_mail
from klean.bootstrap import App
from klean.domain.listing import Listing, Money

REPORT_TO = "report@klean.local"
GM_URL = "https://shop.example.kr/goods/gm-88231"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """The outbound relay: a real SMTP server that keeps the acknowledgements the channel sends."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def channel(klean_app: App) -> Iterator[tuple[int, Sink]]:
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-88231", title="젠틀몬스터 릴리트 선글라스 정품급", seller_id="busan-shades",
                                    price=Money.of(39_000, "KRW"), url=GM_URL))
        uow.listings.upsert(Listing(id="lv-5120", title="Louis Vuitton Neverfull MM mirror quality",
                                    seller_id="itaewon-lux", price=Money.of(120_000, "KRW")))
        uow.commit()
    sink = Sink()
    relay_port = free_port()
    relay = Controller(sink, hostname="127.0.0.1", port=relay_port)
    relay.start()
    klean_app.settings.smtp_relay_port = relay_port
    klean_app.settings.report_address = REPORT_TO
    port = free_port()
    server = MailServer(klean_app, host="127.0.0.1", port=port, max_bytes=64 * 1024, rate=3, rate_window=3600)
    server.start()
    try:
        yield port, sink
    finally:
        server.stop()
        relay.stop()


def send(port: int, sender: str, raw: bytes, rcpt: str = REPORT_TO) -> tuple[int, str]:
    """One SMTP transaction; the DATA reply (code, text)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        code, resp = smtp.mail(sender)
        if code != 250:
            return code, resp.decode()
        code, resp = smtp.rcpt(rcpt)
        if code != 250:
            return code, resp.decode()
        code, resp = smtp.data(raw)
        return code, resp.decode()


def korean_cp949_mail(sender: str, message_id: str = "<a1@hanmail.example>") -> bytes:
    subject = "가품 신고: 젠틀몬스터 선글라스"
    body = (f"안녕하세요. 아래 상품이 정품급이라며 39,000원에 팔리고 있습니다.\r\n"
            f"정가는 30만원대이고 케이스 각인이 다릅니다.\r\n{GM_URL}\r\n")
    enc_subject = base64.b64encode(subject.encode("cp949")).decode()
    return (f"From: =?ks_c_5601-1987?B?{base64.b64encode('김하나'.encode('cp949')).decode()}?= <{sender}>\r\n"
            f"To: {REPORT_TO}\r\nSubject: =?ks_c_5601-1987?B?{enc_subject}?=\r\nMessage-ID: {message_id}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"ks_c_5601-1987\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(body.encode("cp949"))


def english_html_only_mail(sender: str) -> bytes:
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>This <b>Louis Vuitton Neverfull</b> is sold as &quot;mirror quality&quot; for 120,000 won.</p>"
            "<p>Listing id: lv-5120 &mdash; <a href=\"https://market.example/item/lv-5120\">see it here</a></p>"
            "</body></html>")
    return (f"From: Sophie Martin <{sender}>\r\nTo: {REPORT_TO}\r\nSubject: Counterfeit LV bag\r\n"
            "Message-ID: <b2@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + quopri.encodestring(html.encode())


def stored_report(app: App, number: str) -> Any:
    with app.uow_factory() as uow:
        found = uow.reports.by_number(number)
    assert found is not None
    return found[0]


def case_number(reply: str) -> str:
    m = re.search(r"R-\d{8}-[A-Z0-9]{6}", reply)
    assert m, reply
    return m.group(0)


def test_korean_cp949_mail_becomes_a_report_answered_with_its_case_number(
        channel: tuple[int, Sink], klean_app: App, client: TestClient) -> None:
    port, sink = channel
    code, reply = send(port, "hana.kim@hanmail.example", korean_cp949_mail("hana.kim@hanmail.example"))
    assert code == 250, reply
    number = case_number(reply)
    report = stored_report(klean_app, number)
    assert (report.channel, report.lang, report.listing_id) == ("email", "ko", "gm-88231")
    assert "케이스 각인이 다릅니다" in report.text and "젠틀몬스터" in report.text
    assert report.contact_email == "hana.kim@hanmail.example"

    ack = [m for m in sink.messages if "hana.kim@hanmail.example" in str(m["To"])]
    assert len(ack) == 1 and number in str(ack[0]["Subject"]) and "접수" in str(ack[0]["Subject"])
    body = ack[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    token = re.search(r"확인 토큰: (\S+)", body).group(1)  # type: ignore[union-attr]
    followed = client.get(f"/v1/reports/{number}", headers={"X-Follow-Token": token})
    assert followed.status_code == 200 and followed.json()["state"] == "received"

    # the same mail delivered twice (same Message-ID) is one report with the same number
    code, again = send(port, "hana.kim@hanmail.example", korean_cp949_mail("hana.kim@hanmail.example"))
    assert code == 250 and case_number(again) == number
    with klean_app.uow_factory() as uow:
        assert len(uow.events.of_types(["report.received"])) == 1


def test_english_html_only_mail_is_read_safely(channel: tuple[int, Sink], klean_app: App) -> None:
    port, sink = channel
    code, reply = send(port, "sophie@mail.example", english_html_only_mail("sophie@mail.example"))
    assert code == 250, reply
    report = stored_report(klean_app, case_number(reply))
    assert report.lang == "en" and report.listing_id == "lv-5120"
    assert '"mirror quality"' in report.text and "alert" not in report.text and "color:red" not in report.text
    assert "https://market.example/item/lv-5120" in report.listing_refs
    assert any("Report received" in str(m["Subject"]) for m in sink.messages)


def test_multipart_utf8_mail_prefers_the_plain_part(channel: tuple[int, Sink], klean_app: App) -> None:
    port, _ = channel
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "jun@naver.example", REPORT_TO, "짝퉁 신고 / fake report"
    msg.set_content("상품번호 lv-5120 는 미러급 가품입니다. The seller admits it is a mirror copy.")
    msg.add_alternative("<p>HTML version that should not be used</p>", subtype="html")
    code, reply = send(port, "jun@naver.example", msg.as_bytes())
    assert code == 250, reply
    report = stored_report(klean_app, case_number(reply))
    assert report.listing_id == "lv-5120" and "HTML version" not in report.text


def test_every_rejection_says_why(channel: tuple[int, Sink], klean_app: App) -> None:
    port, sink = channel
    # only the report address
    code, reply = send(port, "hana@hanmail.example", b"Subject: hi\r\n\r\nfake bag", rcpt="ceo@klean.local")
    assert code == 550 and "only accepts reports sent to" in reply
    # too big, declared with SIZE (smtplib sends it because the server advertises SIZE)
    big = b"Subject: huge\r\n\r\n" + (b"A" * 70 + b"\r\n") * 1024
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp, pytest.raises(smtplib.SMTPSenderRefused) as refused:
        smtp.sendmail("hana@hanmail.example", [REPORT_TO], big)
    assert refused.value.smtp_code == 552 and b"size" in refused.value.smtp_error.lower()
    # too big without a declaration: the data check
    code, reply = send(port, "hana@hanmail.example", big)
    assert code == 552 and reply
    # an empty report
    code, reply = send(port, "hana@hanmail.example", b"From: hana@hanmail.example\r\n\r\n \r\n")
    assert code == 550 and "Empty report" in reply
    # a malformed sender
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        code, resp = smtp.mail("not-an-address")
    assert code == 553 and b"not an e-mail address" in resp
    # bounces are taken without making a report (answering them would loop)
    before = len(sink.messages)
    code, reply = send(port, "", b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered\r\n\r\nbounce")
    assert code == 250 and "discarded" in reply and len(sink.messages) == before


def test_a_flood_from_one_sender_is_rate_limited(channel: tuple[int, Sink], klean_app: App) -> None:
    port, _ = channel
    sender = "flood@spam.example"
    for i in range(3):
        raw = (f"From: {sender}\r\nSubject: fake {i}\r\nMessage-ID: <f{i}@spam.example>\r\n\r\n"
               f"Fake Gentle Monster number {i}: {GM_URL}\r\n").encode()
        code, reply = send(port, sender, raw)
        assert code == 250, reply
    code, reply = send(port, sender, b"Subject: fake 4\r\n\r\nanother one " + GM_URL.encode())
    assert code == 450 and "Too many reports" in reply
    # others are not affected
    code, reply = send(port, "hana@hanmail.example", f"Subject: x\r\n\r\nfake {GM_URL}".encode())
    assert code == 250


def test_html_mail_becomes_text_without_scripts_and_keeps_link_targets() -> None:
    text = html_to_text("<style>x{}</style><p>Fake &amp; cheap</p><script>steal()</script>"
                        "<a href='https://m.example/i/1'>link</a><a href='javascript:alert(1)'>x</a>")
    assert "Fake & cheap" in text and "steal" not in text and "https://m.example/i/1" in text
    assert "javascript" not in text


def test_mail_in_euc_kr_quoted_printable_is_decoded() -> None:
    body = "짝퉁 나이키 신발 신고합니다".encode("euc-kr")
    qp = "".join(f"={b:02X}" for b in body)
    raw = ("From: jun@naver.example\r\nSubject: =?EUC-KR?B?"
           + base64.b64encode("신고".encode("euc-kr")).decode()
           + "?=\r\nContent-Type: text/plain; charset=euc-kr\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           + qp + "\r\n").encode()
    parsed = parse_mail(raw, envelope_sender="jun@naver.example")
    assert parsed.subject == "신고" and "짝퉁 나이키 신발" in parsed.text and parsed.lang == "ko"
    assert not parsed.automated and not parsed.html_only
    auto = parse_mail(b"Auto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nback monday",
                      envelope_sender="a@b.c")
    assert auto.automated
