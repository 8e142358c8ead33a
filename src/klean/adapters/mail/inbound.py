"""The e-mail report channel: an SMTP server (aiosmtpd) that turns mail to the report address into reports.

Korean mail arrives in every historical shape: EUC-KR or its Microsoft superset CP949 (labelled
ks_c_5601-1987), UTF-8, base64 or quoted-printable, HTML only. Every rejection carries its reason in the
SMTP reply text, so a legitimate sender learns what to fix.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from klean.bootstrap import App
from klean.domain.errors import DomainError
from klean.domain.reports import ReportCategory, ReportDraft, clean_text, extract_refs, guess_lang
from klean.services import reports
from klean.services.notices import notice_policy

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 512 * 1024
DEFAULT_RATE = 5  # reports per sender per window
DEFAULT_RATE_WINDOW = 3600.0
# Labels mail clients put on Korean text, decoded with the widest compatible codec.
_CHARSET_ALIASES = {"ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949", "euc_kr": "cp949",
                    "x-windows-949": "cp949", "unknown-8bit": "utf-8"}
_UNSAFE_KEYWORDS = ("위험", "화재", "폭발", "unsafe", "fire", "burn", "explod")


class _TextFromHtml(HTMLParser):
    """Visible text of an HTML body plus the URLs of its links; scripts and styles dropped, nothing fetched."""

    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    _SKIP = {"script", "style", "head", "title", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith(("http://", "https://")):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextFromHtml()
    parser.feed(markup)
    parser.close()
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts))
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    links = [u for u in dict.fromkeys(parser.links) if u not in text]
    return html.unescape(text + ("\n" + "\n".join(links) if links else ""))


def _decode_part(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        for fallback in ("utf-8", "cp949"):
            try:
                return payload.decode(fallback)
            except UnicodeDecodeError:
                continue
        return payload.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class ParsedMail:
    sender: str
    subject: str
    text: str
    lang: str
    refs: list[str]
    message_id: str | None
    html_only: bool
    automated: bool  # auto-replies and bounces: never answered, never a report


def parse_mail(raw: bytes, *, envelope_sender: str = "") -> ParsedMail:
    """Subject, body text (plain preferred, else HTML made text), language and listing references of a mail."""
    msg: EmailMessage = message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    try:
        subject = str(msg.get("subject", "") or "")
    except (ValueError, LookupError):  # a malformed encoded-word: keep what is readable
        subject = str(msg.get_all("subject", [""])[0])
    plain: list[str] = []
    htmls: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(_decode_part(part))  # type: ignore[arg-type]
        elif ctype == "text/html":
            htmls.append(_decode_part(part))  # type: ignore[arg-type]
    html_only = not plain and bool(htmls)
    body = "\n".join(plain) if plain else "\n".join(html_to_text(h) for h in htmls)
    text = clean_text(f"{subject}\n{body}" if subject else body)
    sender = envelope_sender
    try:
        from_header = msg.get("from")
        addresses: tuple[Address, ...] = getattr(from_header, "addresses", ()) if from_header else ()
        if not sender and addresses:
            sender = addresses[0].addr_spec
    except (ValueError, LookupError, IndexError):
        pass
    auto = str(msg.get("auto-submitted", "no")).lower() != "no" or bool(msg.get("x-autoreply")) or \
        str(msg.get("precedence", "")).lower() in ("bulk", "junk", "list")
    return ParsedMail(sender=sender.strip().lower(), subject=subject.strip(), text=text, lang=guess_lang(text),
                      refs=extract_refs(text), message_id=(str(msg.get("message-id") or "").strip() or None),
                      html_only=html_only, automated=auto)


def guess_category(text: str) -> str:
    folded = text.casefold()
    if any(k in folded for k in _UNSAFE_KEYWORDS):
        return ReportCategory.UNSAFE.value
    return ReportCategory.COUNTERFEIT.value


@dataclass
class RateLimiter:
    """At most `limit` events per key in a sliding window of `window` seconds."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            q = self._seen.setdefault(key, deque())
            while q and now - q[0] > self.window:
                q.popleft()
            return len(q) < self.limit

    def hit(self, key: str) -> None:
        with self._lock:
            self._seen.setdefault(key, deque()).append(self.clock())

    def reserve(self, key: str) -> float:
        """Take a place in the window at once if there is one (0.0), else the seconds until one frees. Checking and
        counting under one lock: concurrent requests cannot all pass a check made before any of them counted."""
        now = self.clock()
        with self._lock:
            q = self._seen.setdefault(key, deque())
            while q and now - q[0] > self.window:
                q.popleft()
            if len(q) < self.limit:
                q.append(now)
                return 0.0
            return max(0.001, self.window - (now - q[0]))

    def release(self, key: str) -> None:
        """Give back a place taken by reserve that was not used (the request failed or was a replay)."""
        with self._lock:
            q = self._seen.get(key)
            if q:
                q.pop()


_ADDR = re.compile(r"^[^@\s<>\x00-\x1f]{1,64}@[^@\s<>\x00-\x1f]{1,255}$")


class ReportHandler:
    """aiosmtpd handler: RCPT only to the report address, size caps, per-sender rate, one report per mail."""

    def __init__(self, app: App, *, max_bytes: int = DEFAULT_MAX_BYTES, rate: int = DEFAULT_RATE,
                 rate_window: float = DEFAULT_RATE_WINDOW,
                 send_reply: Callable[[str, str, str], None] | None = None) -> None:
        self.app = app
        self.address = app.settings.report_address.strip().lower()
        self.max_bytes = max_bytes
        self.limiter = RateLimiter(limit=rate, window=rate_window)
        self.send_reply = send_reply if send_reply is not None else self._send_reply

    def _send_reply(self, to: str, subject: str, text: str) -> None:
        try:
            from klean.adapters.mail.outbound import send_mail
        except ImportError:
            log.warning("outbound mail not installed: no reply to %s", to)
            return
        send_mail(self.app.settings, to=to, subject=subject, text=text,
                  headers={"Auto-Submitted": "auto-replied"})

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        for option in mail_options:
            name, _, value = option.partition("=")
            if name.upper() == "SIZE" and value.isdigit() and int(value) > self.max_bytes:
                return f"552 5.3.4 Message too big for the report channel (at most {self.max_bytes} bytes)"
        address = "" if address.strip() in ("", "<>") else address  # the null sender of bounces
        if address and not _ADDR.match(address):
            return f"553 5.1.7 Sender address {address!r} is not an e-mail address"
        if address and not self.limiter.allow(address.lower()):
            return "450 4.7.1 Too many reports from this sender recently; please try again later"
        envelope.mail_from = address or "<>"  # aiosmtpd needs a non-empty reverse path to go on
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.strip().lower() != self.address:
            return f"550 5.1.1 <{address}>: this server only accepts reports sent to <{self.address}>"
        if envelope.rcpt_tos:
            return "452 4.5.3 One recipient per message"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        if len(raw) > self.max_bytes:
            return f"552 5.3.4 Message too big for the report channel (at most {self.max_bytes} bytes)"
        sender = (envelope.mail_from or "").strip().lower()
        sender = "" if sender == "<>" else sender
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self._accept, raw, sender)
        except Exception:  # a bug or a database outage must not lose the mail: ask the sender to retry
            log.exception("could not take a report from %s", sender)
            return "451 4.3.0 Temporary failure storing the report; please try again later"

    def _accept(self, raw: bytes, sender: str) -> str:
        parsed = parse_mail(raw, envelope_sender=sender)
        if parsed.automated or not sender:  # bounces (null sender) and auto-replies: answering them loops
            return "250 OK: automatic message discarded (no report made)"
        if not parsed.text or len(parsed.text) < 5:
            return "550 5.6.0 Empty report: describe the listing and paste its link"
        draft = ReportDraft(category=guess_category(parsed.text), text=parsed.text[:5000], lang=parsed.lang,
                            contact_email=sender)
        try:
            answer, replayed = reports.submit_report(
                uow=self.app.uow_factory(), principal=None, draft=draft, policy=notice_policy(self.app.policy),
                channel="email", reporter_key=f"email:{sender}", idempotency_key=parsed.message_id[:200]
                if parsed.message_id else None)
        except DomainError as exc:
            return f"550 5.6.0 Report not accepted: {exc.message}"
        if not replayed:
            self.limiter.hit(sender)
            self._reply(sender, parsed, answer)
        return f"250 OK: report {answer['case_number']} received"

    def _reply(self, sender: str, parsed: ParsedMail, answer: dict[str, Any]) -> None:
        number, token = answer["case_number"], answer["follow_token"]
        if parsed.lang == "ko":
            subject = f"[Klean] 신고가 접수되었습니다: {number}"
            text = (f"신고해 주셔서 감사합니다.\n접수 번호: {number}\n확인 토큰: {token}\n"
                    f"처리 상황은 접수 번호와 토큰으로 확인할 수 있습니다: GET /v1/reports/{number}\n")
        else:
            subject = f"[Klean] Report received: {number}"
            text = (f"Thank you for your report.\nCase number: {number}\nFollow token: {token}\n"
                    f"Follow its status with the case number and token: GET /v1/reports/{number}\n")
        try:
            self.send_reply(sender, subject, text)
        except Exception:  # the report is stored; a failed acknowledgement must not reject the mail
            log.exception("could not acknowledge report %s to %s", number, sender)


class MailServer:
    """The report channel's SMTP server on a thread (aiosmtpd Controller): start(), stop()."""

    def __init__(self, app: App, *, host: str = "127.0.0.1", port: int = 2525,
                 max_bytes: int = DEFAULT_MAX_BYTES, rate: int = DEFAULT_RATE,
                 rate_window: float = DEFAULT_RATE_WINDOW) -> None:
        self.handler = ReportHandler(app, max_bytes=max_bytes, rate=rate, rate_window=rate_window)
        self.controller = Controller(self.handler, hostname=host, port=port, data_size_limit=max_bytes,
                                     enable_SMTPUTF8=True, decode_data=False,
                                     ident="Klean report channel")

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
