"""Reading consumer mail whose labels lie: charsets by their most plausible reading, raw 8-bit headers, broken MIME
boundaries, the sender's own words apart from quotes and signatures, auto-replies and our own mail coming back."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klean.adapters.mail.inbound import decode_header_value, decode_text, parse_mail

KOREAN = "정품 인증서도 위조된 것 같아요. 케이스 각인이 달라요 ㅠㅠ"


@pytest.mark.parametrize("data,label", [
    (KOREAN.encode("euc-kr"), "iso-8859-1"),  # EUC-KR labelled Latin-1
    (KOREAN.encode("cp949"), "utf-8"),  # CP949 labelled UTF-8
    (KOREAN.encode("utf-8"), "euc-kr"),  # UTF-8 labelled EUC-KR
    (KOREAN.encode("utf-8"), "ks_c_5601-1987"),
    (KOREAN.encode("cp949"), None),  # no label at all
    (KOREAN.encode("cp949"), "us-ascii"),
    (KOREAN.encode("iso2022_kr"), "us-ascii"),  # 7-bit ISO-2022-KR
    (KOREAN.encode("cp949"), "x-klingon"),  # a label no codec has
    (KOREAN.encode("cp949"), "ks_c_5601-1987"),  # the truth, in Outlook's words
])
def test_korean_is_read_whatever_the_label_says(data: bytes, label: str | None) -> None:
    assert decode_text(data, label) == KOREAN


@pytest.mark.parametrize("text,label", [
    ("Café crème, déjà vu — “quoted”", "iso-8859-1"),  # Windows-1252 quotes under a Latin-1 label
    ("Café crème, déjà vu", "iso-8859-1"),
    ("plain ascii", None),
])
def test_latin_text_is_not_misread_as_korean(text: str, label: str) -> None:
    assert decode_text(text.encode("cp1252"), label) == text


@given(st.binary(max_size=300), st.sampled_from([None, "utf-8", "euc-kr", "iso-8859-1", "nonsense"]))
def test_any_bytes_decode_to_text(data: bytes, label: str | None) -> None:
    assert isinstance(decode_text(data, label), str)


def test_headers_are_read_by_their_most_plausible_charset_on_one_line() -> None:
    mislabelled = b"=?iso-8859-1?B?" + base64.b64encode("가품 신고합니다".encode("euc-kr")) + b"?="
    assert decode_header_value(mislabelled) == "가품 신고합니다"
    assert decode_header_value("가품 신고 sb-70312".encode("cp949")) == "가품 신고 sb-70312"  # raw 8-bit
    injected = b"=?utf-8?B?" + base64.b64encode(b"Fake bag\r\nBcc: victim@evil.example") + b"?="
    assert decode_header_value(injected) == "Fake bag Bcc: victim@evil.example"


def test_a_multipart_whose_boundary_does_not_match_is_read_with_the_boundary_it_uses() -> None:
    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/alternative; boundary="declared"\r\n\r\n'
           b"--actual\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.b64encode("ny-4410 조던 가품입니다".encode()) + b"\r\n--actual--\r\n")
    parsed = parse_mail(raw, envelope_sender="a@b.example")
    assert "ny-4410 조던 가품입니다" in parsed.text and parsed.lang == "ko" and parsed.refs == ["ny-4410"]


def test_a_mime_tree_that_cannot_be_read_leaves_its_raw_body() -> None:
    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
           b"Content-Type: text/plain\r\n\r\nThe bag lv-5120 is fake\r\n")
    parsed = parse_mail(raw, envelope_sender="a@b.example")
    assert "The bag lv-5120 is fake" in parsed.text and "Content-Type" not in parsed.text


def test_the_senders_own_words_decide_the_language_not_the_quote() -> None:
    raw = ("From: ben@mail.example\r\nSubject: Fake Jordans\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Please check this, my friend sent it.\r\n\r\n"
           "On Mon, Nov 23, 2026 at 8:14 PM Jun <jun@mail.example> wrote:\r\n"
           "> 조던1 시카고 ny-4410 UA 1:1 배치 8만9천원에 팔고 있어요. 박스 라벨 폰트가 달라요.\r\n").encode()
    parsed = parse_mail(raw, envelope_sender="ben@mail.example")
    assert parsed.lang == "en" and parsed.refs == ["ny-4410"] and "조던1" not in parsed.own_text


def test_nothing_but_a_signature_is_an_empty_mail_in_the_signatures_language() -> None:
    parsed = parse_mail("From: a@naver.example\r\nSubject: \r\n\r\n\r\niPhone에서 보냄\r\n".encode(),
                        envelope_sender="a@naver.example")
    assert parsed.empty and parsed.lang == "ko"
    parsed = parse_mail(b"From: Tom <tom@mail.example>\r\n\r\n", envelope_sender="tom@mail.example")
    assert parsed.empty and parsed.lang == "en"
    parsed = parse_mail(b"From: =?utf-8?b?" + base64.b64encode("김민지".encode()) + b"?= <m@mail.example>\r\n\r\n",
                        envelope_sender="m@mail.example")
    assert parsed.empty and parsed.lang == "ko"  # no words at all: the name says Korean


@pytest.mark.parametrize("headers", [
    b"Auto-Submitted: auto-replied\r\nSubject: Out of office\r\n",
    b"Subject: Automatic reply: [Klean] Report received: R-20261120-K7MN2P\r\n",
    b"Subject: [\xec\x9e\x90\xeb\x8f\x99\xec\x9d\x91\xeb\x8b\xb5] \xeb\xb6\x80\xec\x9e\xac\xec\xa4\x91\r\n",
    b"Precedence: bulk\r\nSubject: newsletter\r\n",
    b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\nSubject: failure\r\n",
])
def test_auto_replies_and_bounces_are_recognised(headers: bytes) -> None:
    assert parse_mail(headers + b"\r\nbody text gm-88231\r\n", envelope_sender="x@y.example").automated


def test_a_consumer_starting_a_subject_with_out_of_stock_is_not_an_auto_reply() -> None:
    for subject in ("부재중 택배 가품 신고", "Out of stock but fake: gm-88231", "Auto parts fake gm-88231"):
        raw = f"Subject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfake\r\n".encode()
        assert not parse_mail(raw, envelope_sender="x@y.example").automated, subject


def test_our_own_mail_coming_back_is_a_loop() -> None:
    own = ("report@klean.local", "noreply@klean.local")
    back = b"From: noreply@klean.local\r\nSubject: [Klean] Report received: R-20261120-K7MN2P\r\n\r\nThanks\r\n"
    assert parse_mail(back, envelope_sender="forwarder@corp.example", own_addresses=own).loop
    relayed = b"From: a@b.example\r\nX-Klean-Report-Status: received\r\n\r\nThanks\r\n"
    assert parse_mail(relayed, envelope_sender="a@b.example", own_addresses=own).loop
    assert not parse_mail(b"From: a@b.example\r\n\r\nfake gm-88231\r\n", envelope_sender="a@b.example",
                          own_addresses=own).loop


def test_a_reply_to_our_answer_names_its_case() -> None:
    by_subject = (b"From: a@b.example\r\nSubject: Re: [Klean] Which listing do you mean? Report R-20261124-ABC234"
                  b"\r\n\r\nx")
    assert parse_mail(by_subject, envelope_sender="a@b.example").follow_up == "R-20261124-ABC234"
    by_header = b"From: a@b.example\r\nSubject: the link\r\nIn-Reply-To: <R-20261124-ABC234.1796@klean.local>\r\n\r\nx"
    assert parse_mail(by_header, envelope_sender="a@b.example").follow_up == "R-20261124-ABC234"
    quoted_only = b"From: a@b.example\r\nSubject: fake bag\r\n\r\nabout R-20261124-ABC234 again"
    assert parse_mail(quoted_only, envelope_sender="a@b.example").follow_up is None
