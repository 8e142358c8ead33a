"""The e-mail report channel over real SMTP on 127.0.0.1: Korean (EUC-KR/CP949, base64) and English
(HTML-only, quoted-printable) mail becomes reports answered with their case number; every rejection has a reason;
a reply naming the listing we asked for completes the report; the answers thread and carry the sender's language.
(The corpus of consumer mail shapes is tests/e2e/test_mail_corpus.py.)"""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
import re
import smtplib
import socket
import time
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
        self.flush: Any = None

    def settle(self) -> None:
        """Wait until the channel's answers so far have reached the relay (they go out from a thread)."""
        assert self.flush is not None and self.flush(timeout=10)
        time.sleep(0.05)

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
    sink.flush = server.handler.flush_replies
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

    sink.settle()
    ack = [m for m in sink.messages if "hana.kim@hanmail.example" in str(m["To"])]
    assert len(ack) == 1 and number in str(ack[0]["Subject"]) and "접수" in str(ack[0]["Subject"])
    assert ack[0]["Content-Language"] == "ko" and ack[0]["Auto-Submitted"] == "auto-replied"
    assert ack[0]["In-Reply-To"] == "<a1@hanmail.example>"  # threaded under the sender's mail
    body = ack[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "이 신고에 포함된 상품: gm-88231" in body
    token = re.search(r"조회 코드: (\S+)", body).group(1)  # type: ignore[union-attr]
    followed = client.get(f"/v1/reports/{number}", headers={"X-Follow-Token": token})
    assert followed.status_code == 200 and followed.json()["state"] == "received"

    # the same mail delivered twice (same Message-ID) is one report with the same number
    code, again = send(port, "hana.kim@hanmail.example", korean_cp949_mail("hana.kim@hanmail.example"))
    assert code == 250 and case_number(again) == number
    with klean_app.uow_factory() as uow:
        assert len(uow.events.of_types(["report.received"])) == 1
    sink.settle()
    assert len([m for m in sink.messages if "hana.kim@hanmail.example" in str(m["To"])]) == 1  # answered once


def test_english_html_only_mail_is_read_safely(channel: tuple[int, Sink], klean_app: App) -> None:
    port, sink = channel
    code, reply = send(port, "sophie@mail.example", english_html_only_mail("sophie@mail.example"))
    assert code == 250, reply
    report = stored_report(klean_app, case_number(reply))
    assert report.lang == "en" and report.listing_id == "lv-5120"
    assert '"mirror quality"' in report.text and "alert" not in report.text and "color:red" not in report.text
    assert "https://market.example/item/lv-5120" in report.listing_refs
    sink.settle()
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
    # an empty mail is not refused: it is answered with what to send, and kept as a rejection with its reason
    code, reply = send(port, "hana@hanmail.example", b"From: hana@hanmail.example\r\nMessage-ID: <e1@h.example>"
                                                     b"\r\n\r\n \r\n")
    assert code == 250 and "empty" in reply and not re.search(r"R-\d{8}", reply)
    sink.settle()
    answer = [m for m in sink.messages if "hana@hanmail.example" in str(m["To"])]
    assert len(answer) == 1 and answer[0]["X-Klean-Report-Status"] == "empty"
    assert "paste the listing's link" in answer[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    with klean_app.uow_factory() as uow:
        assert [(r.sender, r.reason) for r in uow.mail_rejections.recent()] == [("hana@hanmail.example", "empty")]
    # a malformed sender
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        code, resp = smtp.mail("not-an-address")
    assert code == 553 and b"not an e-mail address" in resp
    # bounces are taken without making a report (answering them would loop)
    before = len(sink.messages)
    code, reply = send(port, "", b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered\r\n\r\nbounce")
    assert code == 250 and "discarded" in reply
    sink.settle()
    assert len(sink.messages) == before


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


def answers_to(sink: Sink, address: str) -> list[EmailMessage]:
    sink.settle()
    return [m for m in sink.messages if address in str(m["To"])]


def body_of(m: EmailMessage) -> str:
    return m.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr,no-any-return]


def test_a_reply_naming_the_listing_completes_the_report(channel: tuple[int, Sink], klean_app: App,
                                                        make_user: Any, client: TestClient) -> None:
    port, sink = channel
    minji = "minji.choi@naver.example"
    first = (f"From: =?utf-8?b?{base64.b64encode('최민지'.encode()).decode()}?= <{minji}>\r\nTo: {REPORT_TO}\r\n"
             "Subject: =?utf-8?b?" + base64.b64encode("선글라스 가품 신고".encode()).decode() + "?=\r\n"
             "Message-ID: <m1@naver.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + \
        "어제 마켓에서 산 젠틀몬스터 선글라스가 가짜 같아요. 케이스 각인이 달라요.\r\n".encode()
    code, reply = send(port, minji, first)
    assert code == 250, reply
    number = case_number(reply)
    assert stored_report(klean_app, number).listing_ids == ()
    (question,) = answers_to(sink, minji)
    assert question["X-Klean-Report-Status"] == "listing-needed" and "어느 상품" in str(question["Subject"])
    assert "상품 링크(예: https://market.example/items/…)" in body_of(question)
    reviewer = make_user("rev-jiwoo", "reviewer")
    assert any(i["subject_id"] == number for i in client.get("/v1/review/queue", headers=reviewer).json())

    # she answers the question: her mail client quotes ours and threads the reply under it
    quoted = "\r\n".join("> " + line for line in body_of(question).splitlines())
    answer = (f"From: {minji}\r\nTo: {REPORT_TO}\r\nSubject: Re: [Klean] question\r\n"
              f"In-Reply-To: {question['Message-ID']}\r\nReferences: {question['Message-ID']}\r\n"
              "Message-ID: <m2@naver.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
              f"이 상품이에요\r\n{GM_URL}\r\n\r\n{quoted}\r\n").encode()
    code, reply = send(port, minji, answer)
    assert code == 250 and "updated" in reply and case_number(reply) == number
    report = stored_report(klean_app, number)
    assert report.listing_ids == ("gm-88231",) and report.listing_id == "gm-88231"
    assert "케이스 각인이 달라요" in report.text and "이 상품이에요" in report.text
    with klean_app.uow_factory() as uow:
        amended = uow.events.of_types(["report.amended"])
    assert [e.payload["listing_ids_added"] for e in amended] == [["gm-88231"]]
    # the report no longer waits at the bottom of the queue for want of a listing
    assert not any(i["subject_id"] == number for i in client.get("/v1/review/queue", headers=reviewer).json())
    thanks = answers_to(sink, minji)[-1]
    assert thanks["X-Klean-Report-Status"] == "received" and f"신고 {number}에 내용을 추가했습니다" in str(
        thanks["Subject"])
    assert "이 신고에 포함된 상품: gm-88231" in body_of(thanks) and thanks["In-Reply-To"] == "<m2@naver.example>"

    # someone else cannot add to her report: the same subject from another sender is a report of its own
    other = answer.replace(minji.encode(), b"eve@attacker.example").replace(b"<m2@", b"<e2@")
    code, reply = send(port, "eve@attacker.example", other)
    assert code == 250 and "received" in reply and case_number(reply) != number


def test_every_listing_named_counts_towards_its_own_threshold_and_is_decided_on_its_own(
        channel: tuple[int, Sink], klean_app: App, make_user: Any, client: TestClient) -> None:
    port, sink = channel
    senders = [("hana@hanmail.example", "루이비통 lv-5120이랑 젠틀몬스터 gm-88231 둘 다 같은 판매자의 가품이에요."),
               ("sophie@mail.example", "Both lv-5120 and GM-88231 come from the same counterfeit seller."),
               ("jun@naver.example", "같은 판매자예요 (lv-5120, gm-88231) 정품급이라고 써 있어요")]
    numbers = []
    for n, (sender, text) in enumerate(senders):
        raw = (f"From: {sender}\r\nSubject: fakes\r\nMessage-ID: <t{n}@x.example>\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n").encode()
        code, reply = send(port, sender, raw)
        assert code == 250, reply
        numbers.append(case_number(reply))
        assert sorted(stored_report(klean_app, numbers[-1]).listing_ids) == ["gm-88231", "lv-5120"]
    reviewer = make_user("rev-minji", "reviewer")
    queue = {i["subject_id"]: i for i in client.get("/v1/review/queue", params={"kind": "report"},
                                                    headers=reviewer).json()}
    assert queue["lv-5120"]["payload"]["independent_reporters"] == 3
    assert queue["gm-88231"]["payload"]["independent_reporters"] == 3  # not only the first listing of each mail

    item = queue["lv-5120"]
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "remove", "reason": "Mirror-quality Neverfull sold as genuine"})
    assert r.status_code == 200, r.text
    for number in numbers:  # gm-88231 is still to be decided: the reports stay open
        assert stored_report(klean_app, number).state == "under_review"
    news = answers_to(sink, "hana@hanmail.example")[-1]
    assert "lv-5120" in str(news["Subject"]) and "게시 중단" in str(news["Subject"])
    assert "아직 검토 중인 상품: gm-88231" in body_of(news)
    assert "taken down" in str(answers_to(sink, "sophie@mail.example")[-1]["Subject"])

    item = queue["gm-88231"]
    client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer)
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "dismiss", "reason": "Licensed eyewear, genuine"})
    assert r.status_code == 200, r.text
    for number in numbers:  # closed when the last listing is decided; one was taken down
        assert stored_report(klean_app, number).state == "actioned"
    last = answers_to(sink, "jun@naver.example")[-1]
    assert "gm-88231" in str(last["Subject"]) and "유지" in str(last["Subject"])
    with klean_app.uow_factory() as uow:
        assert uow.listings.require("lv-5120").status == "removed"
        assert uow.listings.require("gm-88231").status == "live"


def test_concurrent_senders_lose_no_mail(klean_app: App) -> None:
    """Every mail accepted while many senders send at once is a stored report or a stored rejection."""
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    corpus = sorted((Path(__file__).resolve().parents[1] / "data" / "mail_corpus").glob("*.eml"))
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-88231", title="젠틀몬스터 릴리트", seller_id="busan-shades",
                                    price=Money.of(39_000, "KRW"), url="https://market.example/items/gm-88231"))
        uow.commit()
    sink = Sink()
    relay = Controller(sink, hostname="127.0.0.1", port=free_port())
    relay.start()
    klean_app.settings.smtp_relay_port = relay.port
    klean_app.settings.report_address = REPORT_TO
    port = free_port()
    server = MailServer(klean_app, host="127.0.0.1", port=port)  # `klean mail serve`'s defaults
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.esmtp_features["size"] == str(25 * 1024 * 1024)  # room for a few phone photos

        def one(n: int) -> int:
            raw = corpus[n % len(corpus)].read_bytes()
            raw = re.sub(rb"(?im)^message-id:[^\r\n]*", f"Message-ID: <c{n}@load.example>".encode(), raw, count=1)
            sender = "" if "null-sender" in corpus[n % len(corpus)].name else f"c{n}@load.example"
            return send(port, sender, raw)[0]

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(one, range(120)))
        server.handler.flush_replies(timeout=30)
    finally:
        server.stop()
        relay.stop()
    assert codes == [250] * 120
    with klean_app.uow_factory() as uow:
        rejections = uow.mail_rejections.recent(limit=500)
        reports = uow.events.of_types(["report.received"])
    assert len(reports) + len(rejections) == 120
    assert {r.reason for r in rejections} == {"automated", "loop", "empty"}


def test_mail_serve_refuses_a_policy_whose_listing_shapes_are_malformed(tmp_path: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from klean.adapters.cli import app as cli
    from klean.config import get_settings
    from klean.domain.policy_file import bundled_policy_text

    bad = tmp_path / "policy.toml"
    bad.write_text(bundled_policy_text().replace('listing_hosts = ["market.example"]',
                                                 'listing_hosts = ["https://market.example/"]'), "utf-8")
    monkeypatch.setenv("KLEAN_POLICY_PATH", str(bad))
    monkeypatch.setenv("KLEAN_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["mail", "serve", "--port", str(free_port())])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "listing_hosts" in result.output, result.output
