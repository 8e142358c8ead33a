"""The consumer-mail corpus (tests/data/mail_corpus) through the real SMTP channel: each mail is sent to `klean mail
serve`'s server on 127.0.0.1 and judged by what a person expects of it (expectations.toml): which listings the
report links, which references are named as unknown, whether the sender is asked which listing they mean, the
language of the answer, and no answer at all to auto-replies, bounces and loops."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
import socket
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from klean.adapters.mail.inbound import MailServer
from klean.bootstrap import App
from klean.domain.listing import Listing, Money
from klean.domain.reports import guess_lang

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail_corpus"
REPORT_TO = "report@klean.local"
LISTINGS = [  # id, title, seller, price (KRW)
    ("gm-88231", "젠틀몬스터 릴리트 선글라스 정품급", "busan-shades", 39_000),
    ("lv-5120", "Louis Vuitton Neverfull MM mirror quality", "itaewon-lux", 120_000),
    ("ny-4410", "Nike Air Jordan 1 Chicago, UA 1:1 batch", "sneaker-vault", 89_000),
    ("ch-20931", "샤넬 클래식 플랩백 미러급 풀구성", "seoul-luxe", 450_000),
    ("sb-70312", "갤럭시 버즈2 프로 정품 미개봉", "gadget-outlet", 39_000),
    ("7264581", "다이슨 에어랩 컴플리트 롱 병행수입 특가", "hair-deals", 159_000),
]


def expectations() -> list[dict[str, Any]]:
    return list(tomllib.loads((CORPUS / "expectations.toml").read_text("utf-8"))["mail"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """The outbound relay: a real SMTP server that keeps every answer the channel sends."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(([a.lower() for a in envelope.rcpt_tos],
                              email.message_from_bytes(raw, policy=email.policy.default)))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address.lower() in rcpts]


@pytest.fixture
def corpus_channel(klean_app: App) -> Iterator[tuple[int, Sink, MailServer]]:
    with klean_app.uow_factory() as uow:
        for lid, title, seller, price in LISTINGS:
            uow.listings.upsert(Listing(id=lid, title=title, seller_id=seller, price=Money.of(price, "KRW"),
                                        url=f"https://market.example/items/{lid}"))
        uow.commit()
    sink = Sink()
    relay_port = free_port()
    relay = Controller(sink, hostname="127.0.0.1", port=relay_port)
    relay.start()
    klean_app.settings.smtp_relay_port = relay_port
    klean_app.settings.report_address = REPORT_TO
    port = free_port()
    server = MailServer(klean_app, host="127.0.0.1", port=port)  # the defaults of `klean mail serve`
    server.start()
    try:
        yield port, sink, server
    finally:
        server.stop()
        relay.stop()


def send(port: int, sender: str, raw: bytes) -> tuple[int, str]:
    """One SMTP transaction; the last reply (code, text)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo()
        code, resp = smtp.mail(sender)
        if code != 250:
            return code, resp.decode()
        code, resp = smtp.rcpt(REPORT_TO)
        if code != 250:
            return code, resp.decode()
        try:
            code, resp = smtp.data(raw)
        except smtplib.SMTPDataError as exc:
            return exc.smtp_code, exc.smtp_error.decode()
        return code, resp.decode()


def envelope_sender(exp: dict[str, Any], raw: bytes) -> str:
    if "envelope" in exp:
        return str(exp["envelope"])
    from_header = email.message_from_bytes(raw, policy=email.policy.compat32).get("From", "")
    return parseaddr(str(from_header))[1]


def reply_body(m: EmailMessage) -> str:
    part = m.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""  # type: ignore[no-any-return]


@dataclass
class Outcome:
    code: int
    answer: str
    report: Any = None
    replies: list[EmailMessage] = field(default_factory=list)


def judge(exp: dict[str, Any], out: Outcome) -> list[str]:
    """What differs from what a person expects of this mail (empty: handled as expected)."""
    problems: list[str] = []
    if out.code != 250:
        return [f"SMTP {out.code} {out.answer!r} instead of 250"]
    wants_report = bool(exp.get("report", True))
    if wants_report and out.report is None:
        problems.append(f"no report stored (SMTP answer {out.answer!r})")
    if not wants_report and out.report is not None:
        problems.append(f"a report was stored: {out.report.case_number}")
    if out.report is not None and wants_report:
        linked = list(out.report.listing_ids)
        if sorted(linked) != sorted(exp.get("listings", [])):
            problems.append(f"listings {linked} instead of {exp.get('listings', [])}")
        unknown = list(out.report.unknown_refs)
        if sorted(unknown) != sorted(exp.get("unknown", [])):
            problems.append(f"unknown references {unknown} instead of {exp.get('unknown', [])}")
        photos = out.report.text.count("photo sha256:")
        if photos != exp.get("photos", 0):
            problems.append(f"{photos} photos kept instead of {exp.get('photos', 0)}")
    if exp["reply"] == "none":
        if out.replies:
            problems.append(f"answered ({out.replies[0]['Subject']!r}) although no answer was expected")
        return problems
    if len(out.replies) != 1:
        return [*problems, f"{len(out.replies)} answers instead of 1"]
    reply = out.replies[0]
    body = reply_body(reply)
    lang = guess_lang(f"{reply['Subject']}\n{body}")
    if lang != exp["reply"] or reply["Content-Language"] != exp["reply"]:
        problems.append(f"answered in {lang} (Content-Language {reply['Content-Language']}) instead of "
                        f"{exp['reply']}")
    asks = str(reply.get("X-Klean-Report-Status", "received")) in ("listing-needed", "empty")
    if asks != bool(exp.get("asks", False)):
        problems.append("the answer asks which listing" if asks else "the answer does not ask which listing")
    for text in [*exp.get("unknown", []), *exp.get("mentions", [])]:
        if text not in body:
            problems.append(f"the answer does not mention {text!r}")
    if out.report is not None and out.report.case_number not in body:
        problems.append("the answer does not give the case number")
    for name in exp.get("unsafe_headers", []):
        if reply.get(name) is not None:
            problems.append(f"the answer carries a {name} header")
    if "\n" in str(reply["Subject"]) or "\r" in str(reply["Subject"]):
        problems.append("the answer's subject has a line break")
    return problems


def run_corpus(app: App, port: int, sink: Sink, server: MailServer) -> dict[str, tuple[dict[str, Any], Outcome]]:
    results: dict[str, tuple[dict[str, Any], Outcome]] = {}
    for exp in expectations():
        raw = (CORPUS / f"{exp['file']}.eml").read_bytes()
        sender = envelope_sender(exp, raw)
        code, answer = send(port, sender, raw)
        out = Outcome(code=code, answer=answer)
        m = re.search(r"R-\d{8}-[A-Z0-9]{6}", answer)
        if m:
            with app.uow_factory() as uow:
                found = uow.reports.by_number(m.group(0))
            out.report = found[0] if found else None
        results[exp["file"]] = (exp, out)
    server.handler.flush_replies(timeout=30)
    time.sleep(0.2)  # the relay hands the last answer over
    for exp, out in results.values():
        raw = (CORPUS / f"{exp['file']}.eml").read_bytes()
        sender = envelope_sender(exp, raw)
        out.replies = sink.to(sender) if sender else []
    return results


def test_every_mail_of_the_corpus_is_handled_as_a_person_expects(
        corpus_channel: tuple[int, Sink, MailServer], klean_app: App) -> None:
    port, sink, server = corpus_channel
    files = sorted(p.stem for p in CORPUS.glob("*.eml"))
    assert files == sorted(e["file"] for e in expectations()), "every mail has one expectation"
    assert len(files) >= 40
    results = run_corpus(klean_app, port, sink, server)
    failures = {name: problems for name, (exp, out) in results.items() if (problems := judge(exp, out))}
    handled = len(results) - len(failures)
    report = "\n".join(f"  {name}: {'; '.join(p)}" for name, p in failures.items())
    print(f"\nmail corpus: {handled} of {len(results)} handled as expected\n{report}")
    assert not failures, f"{handled} of {len(results)} handled as expected:\n{report}"

    # every accepted mail is a stored report or a stored rejection with its reason
    with klean_app.uow_factory() as uow:
        rejections = uow.mail_rejections.recent(limit=1000)
    stored = sum(1 for _, out in results.values() if out.report is not None)
    assert stored + len(rejections) == len(results)
    assert all(r.reason for r in rejections)
