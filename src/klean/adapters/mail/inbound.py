"""The e-mail report channel: an SMTP server (aiosmtpd) that turns mail to the report address into reports.

Consumers write as they write any mail: the listing id glued to a Hangul particle or only in the subject, in
full-width digits or in parentheses, several listings at once, a link their client broke across lines, a forward,
a reply over quoted text, a photo, or no listing at all. Korean mail arrives in every historical shape, and its
charset label is not always true: EUC-KR or CP949 (labelled ks_c_5601-1987, or ISO-8859-1, or nothing), UTF-8
labelled EUC-KR, ISO-2022-KR, raw 8-bit headers, base64 or quoted-printable, HTML only, MIME boundaries that do
not match. The text is decoded by the most plausible reading, references are found wherever they are written
(klean.domain.listing_refs, with the marketplace's id and link shapes from policy.toml [reports]), every listing
named is linked, and the answer is written in the sender's language: the case number, the listings linked, the
references that named none of ours, or a question when we cannot tell which listing is meant. Auto-replies,
bounces and our own mail coming back are never answered; every accepted mail is a stored report or a stored
rejection with its reason, and every refusal carries its reason in the SMTP reply.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import html
import logging
import queue
import re
import smtplib
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, make_msgid
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import IntegrityError, OperationalError

from klean.adapters.i18n import render
from klean.bootstrap import App
from klean.domain.errors import DomainError, NotFound
from klean.domain.listing_refs import ReferenceRules, find_references
from klean.domain.messages import Message as Text
from klean.domain.messages import msg
from klean.domain.reports import TEXT_MAX, TEXT_MIN, ReportCategory, ReportDraft, clean_text, guess_lang
from klean.services import reports
from klean.services.notices import notice_policy

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024  # a mail with a few phone photos
DEFAULT_RATE = 5  # mails per sender per window
DEFAULT_RATE_WINDOW = 3600.0
MAX_PHOTOS = 4
# Mails taken at once. On SQLite (one writer at a time) they are stored one by one while the next is read; on
# PostgreSQL they are stored side by side (the event log's head row puts their events in order).
WORKERS = {"sqlite": 2}
DEFAULT_WORKERS = 4
STORE_ATTEMPTS = 3  # a transaction that lost a race (deadlock, the event head's first row) is tried again
MAX_REFERENCE_TEXT = 200_000  # characters of a mail searched for listing references
# Labels mail clients put on Korean text, decoded with the widest compatible codec.
_CHARSET_ALIASES = {"ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949", "euc_kr": "cp949",
                    "x-windows-949": "cp949", "windows-949": "cp949", "ms949": "cp949", "uhc": "cp949",
                    "unknown-8bit": None, "x-unknown": None, "us-ascii": "ascii", "iso-2022-kr": "iso2022_kr",
                    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252"}
_LATIN = ("ascii", "cp1252")
_UNSAFE_KEYWORDS = ("위험", "화재", "폭발", "unsafe", "fire", "burn", "explod")
_CASE_NUMBER = re.compile(r"R-\d{8}-[0-9A-Z]{6}")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|답장|회신|fwd?|fw|전달)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[?(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office(?: reply)?|"
    r"away from (?:the )?office|abwesenheitsnotiz|réponse automatique|自动回复|자동\s*(?:응답|회신|답장))\]?\s*[:：\]]"
    r"|\[\s*(?:자동\s*(?:응답|회신|답장)|부재\s*중)\s*\]|부재\s*중\s*(?:입니다|자동|안내))", re.IGNORECASE)
_AUTOMATED_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon")
_FORWARD_MARKER = re.compile(
    r"^(?:-{2,}\s*(?:forwarded message|original message|원본\s*(?:메일|메시지)|전달된\s*메시지|전달\s*메일)\s*-{2,}"
    r"|begin forwarded message:|_{10,})\s*$", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^(?:on .{4,200} wrote:|.{4,200}님이 작성:|.{4,200}\s작성:)$", re.IGNORECASE)
_MOBILE_SIGNATURE = re.compile(
    r"^(?:sent from my [\w\s-]{2,40}|sent from (?:mail|outlook) for \w+|get outlook for \w+|"
    r"(?:iphone|ipad|galaxy|android|갤럭시)에서 보냄|삼성 갤럭시 스마트폰에서 보냈습니다\.?|"
    r"(?:ios|android)용 outlook 받기|모바일에서 보낸 메일입니다\.?)\s*$", re.IGNORECASE)
_KOREAN_DOMAINS = ("naver.com", "daum.net", "hanmail.net", "kakao.com", "nate.com", "korea.com")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


# --- text from HTML -----------------------------------------------------------------------------------------------

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


# --- charsets -------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=16384)
def _in_ks_x_1001(ch: str) -> bool:
    try:
        ch.encode("euc-kr")
    except UnicodeEncodeError:
        return False
    return True


def _plausibility(text: str) -> float:
    """How much a decoded text looks like what people write: Korean that EUC-KR can write, accents standing
    alone; against it, CP949's rare extra syllables, runs of Latin-1 symbols (mojibake), control characters."""
    score = 0.0
    previous_latin = False
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            previous_latin = False
            continue
        latin = 0xA0 <= o <= 0x24F
        if 0xAC00 <= o <= 0xD7A3:
            score += 1.0 if _in_ks_x_1001(ch) else -2.0
        elif 0x3131 <= o <= 0x318E:
            score += 0.5  # ㅋㅋ, ㅠㅠ
        elif 0x4E00 <= o <= 0x9FFF:
            score -= 0.5  # Hanja: rare in consumer mail, common in misreadings
        elif o < 0xA0 or ch == "\ufffd" or 0xE000 <= o <= 0xF8FF:
            score -= 3.0
        elif latin:
            score -= 1.0 if previous_latin else 0.0
        previous_latin = latin
    return score


def decode_text(data: bytes, declared: str | None) -> str:
    """Text of bytes whose charset label may be wrong: the label, UTF-8, CP949 (EUC-KR's superset), ISO-2022-KR
    (and Windows-1252 for Latin labels) are tried, and the most plausible reading wins; the label breaks ties."""
    label = (declared or "").strip().strip('"').lower()
    codec = _CHARSET_ALIASES.get(label, label) if label else None
    if not data:
        return ""
    if b"\x1b$)C" in data:
        codec = "iso2022_kr"
    elif max(data) < 0x80 and codec in (None, *_LATIN, "utf-8", "utf8"):
        return data.decode("ascii")
    order = [c for c in dict.fromkeys([codec, "utf-8", "cp949", "iso2022_kr",
                                       *(("cp1252", "latin-1") if codec in (None, *_LATIN) else ())]) if c]
    best: tuple[float, str] | None = None
    for candidate in order:
        try:
            text = data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, text)
    return best[1] if best is not None else data.decode("utf-8", errors="replace")


def _raw_headers(raw: bytes) -> dict[str, bytes]:
    """The first occurrence of each header as raw bytes (unfolded), read before any decoding."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    block = raw[:min(end, 512 * 1024)]
    out: dict[str, bytes] = {}
    for line in re.split(rb"\r?\n(?![ \t])", block):
        name, sep, value = line.partition(b":")
        if sep and re.fullmatch(rb"[!-9;-~]{1,76}", name):
            out.setdefault(name.decode("ascii").lower(), re.sub(rb"\r?\n[ \t]+", b" ", value).strip())
    return out


def decode_header_value(value: bytes) -> str:
    """An RFC 2047 header (or raw 8-bit bytes) as text, each piece by its most plausible reading, on one line."""
    text = value.decode("latin-1")
    if "=?" in text:
        try:
            pieces = decode_header(text)
        except (ValueError, LookupError):
            pieces = [(value, None)]
        out = []
        for piece, charset in pieces:
            data = piece if isinstance(piece, bytes) else piece.encode("latin-1", "replace")
            out.append(decode_text(data, charset))
        text = "".join(out)
    else:
        text = decode_text(value, None)
    return " ".join(unicodedata.normalize("NFC", text).split())[:1000]


# --- the mail -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Photo:
    data: bytes
    filename: str


@dataclass(frozen=True)
class ParsedMail:
    sender: str
    subject: str
    text: str  # what is stored as the report's text: subject and body (the plain part, else the HTML as text)
    lang: str  # the sender's language, from what they wrote
    refs: list[str]  # references that stand on their own (see klean.domain.listing_refs)
    message_id: str | None
    html_only: bool
    automated: bool  # auto-replies and bounces: never answered, never a report
    reference_text: str = ""  # everywhere references may be: subject, text, quotes, forwards, links, file names
    own_text: str = ""  # the sender's own words: no quotes, forwards or signatures
    photos: tuple[Photo, ...] = ()
    attachment_names: tuple[str, ...] = ()
    empty: bool = False  # nothing to report: no words, no reference, no photo
    loop: bool = False  # our own mail coming back
    follow_up: str | None = None  # the case number this mail answers (a reply to one of our answers)
    size: int = 0


def _walk(part: Message, *, inside: bool = False) -> Iterator[tuple[Message, bool]]:
    """Every leaf part, and whether it is inside an attached message (a forward)."""
    payload = part.get_payload()
    if part.get_content_type() == "message/rfc822":
        for inner in payload if isinstance(payload, list) else []:
            yield from _walk(inner, inside=True)
        return
    if part.is_multipart():
        for sub in payload if isinstance(payload, list) else []:
            yield from _walk(sub, inside=inside)
        return
    yield part, inside


def _attached_messages(msg: Message) -> Iterator[Message]:
    for part in msg.walk():
        payload = part.get_payload()
        if part.get_content_type() == "message/rfc822" and isinstance(payload, list):
            yield from payload


def _html(markup: str) -> tuple[str, list[str]]:
    parser = _TextFromHtml()
    parser.feed(markup)
    parser.close()
    return html_to_text(markup), parser.links


def _repaired(msg: Message, raw: bytes) -> Message:
    """A multipart whose declared boundary is missing or is not the one its parts use: parsed again with the
    boundary its body actually uses."""
    if msg.is_multipart() or msg.get_content_maintype() != "multipart":
        return msg
    body = msg.get_payload()
    if not isinstance(body, str):
        return msg
    marks = re.findall(r"(?m)^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", body)
    if not marks:
        return msg
    boundary = max(set(marks), key=marks.count)
    head_end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    if head_end < 0:
        return msg
    head = raw[:head_end]
    fixed = re.sub(rb"(?is)(content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
                   lambda m: re.sub(rb"(?is);?\s*boundary\s*=\s*(\"[^\"]*\"|[^;\r\n]*)", b"", m.group(1))
                   + b'; boundary="' + boundary.encode("ascii", "replace") + b'"', head, count=1)
    repaired = message_from_bytes(fixed + raw[head_end:], policy=policy.compat32)
    return repaired if repaired.is_multipart() else msg


def _raw_body_text(msg: Message) -> str:
    """The body of a mail whose MIME tree could not be read: its text with MIME headers and boundaries left out
    and base64 blocks decoded where they decode."""
    payload = msg.get_payload()
    if not isinstance(payload, str):
        return ""
    text = decode_text(payload.encode("utf-8", "surrogateescape"), None)
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        joined = "".join(block)
        block.clear()
        try:
            out.append(decode_text(base64.b64decode(joined, validate=True), None))
        except (binascii.Error, ValueError):
            out.append(joined)

    for line in text.splitlines():
        s = line.strip()
        if re.fullmatch(r"[A-Za-z0-9+/=]{16,}", s):
            block.append(s)
            continue
        if block:
            flush()
        if s.startswith("--") or re.match(r"(?i)^(content-[\w-]+|mime-version):", s):
            continue
        out.append(line)
    if block:
        flush()
    return "\n".join(out)


def _split_own_text(body: str) -> tuple[str, str]:
    """(the sender's own words, what they quote or forward); signatures belong to neither."""
    own: list[str] = []
    others: list[str] = []
    mode = "own"
    for line in body.splitlines():
        s = line.strip()
        if mode == "forward":
            others.append(line)
            continue
        if line.rstrip() == "--" or line == "-- ":
            mode = "signature" if mode == "own" else mode
            continue
        if _FORWARD_MARKER.match(s):
            mode = "forward"
            continue
        if mode == "signature":
            continue
        if s.startswith(">"):
            others.append(s.lstrip("> "))
        elif _ATTRIBUTION.match(s) or _MOBILE_SIGNATURE.match(s):
            continue
        else:
            own.append(line)
    return "\n".join(own).strip(), "\n".join(others).strip()


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in re.sub(r"(?:https?://|www\.)\S+|\S+@\S+", " ", text))


def _lang_hint(display_names: list[str], sender: str, content_language: str) -> str | None:
    if any(guess_lang(n) == "ko" for n in display_names if n):
        return "ko"
    if content_language.lower().startswith("ko"):
        return "ko"
    domain = sender.rpartition("@")[2].lower()
    if domain.endswith(".kr") or domain in _KOREAN_DOMAINS:
        return "ko"
    if content_language.lower().startswith("en"):
        return "en"
    return None


def _is_automated(msg: Message, headers: dict[str, bytes], subject: str, senders: list[str]) -> bool:
    def h(name: str) -> str:
        return headers.get(name, b"").decode("latin-1").strip().lower()

    if h("auto-submitted") not in ("", "no"):
        return True
    if any(h(name) for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-auto-reply")):
        return True
    if h("precedence") in ("bulk", "junk", "list", "auto_reply"):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    if any(s.partition("@")[0].lower() in _AUTOMATED_SENDERS for s in senders):
        return True
    return bool(_AUTO_SUBJECT.match(subject))


@dataclass
class _Parts:
    plain: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)  # the text of attached messages
    names: list[str] = field(default_factory=list)  # attachments' file names
    photos: list[Photo] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # link targets of HTML parts


def _parts(msg: Message) -> _Parts:
    out = _Parts()
    for part, inside in _walk(msg):
        filename = _filename(part)
        ctype = part.get_content_type()
        if filename:
            out.names.append(filename)
        if part.get_content_maintype() == "image" or (filename and re.search(
                r"\.(?:jpe?g|png|gif|webp|heic)$", filename, re.IGNORECASE)):
            data = _payload(part)
            if data:
                out.photos.append(Photo(data=data, filename=filename or ""))
            continue
        if ctype not in ("text/plain", "text/html"):
            continue
        text = decode_text(_payload(part), part.get_param("charset"))  # type: ignore[arg-type]
        if ctype == "text/html":
            text, found = _html(text)
            out.links.extend(found)
        (out.forwarded if inside else (out.plain if ctype == "text/plain" else out.htmls)).append(text)
    return out


def _follow_up(subject: str, headers: dict[str, bytes]) -> str | None:
    """The case number a mail answers: in a reply's subject, or in our Message-ID it is a reply to."""
    in_subject = _CASE_NUMBER.search(subject)
    if in_subject and _REPLY_PREFIX.match(subject):
        return in_subject.group(0)
    threads = " ".join(headers.get(n, b"").decode("latin-1") for n in ("in-reply-to", "references"))
    ours = re.search(r"<(R-\d{8}-[0-9A-Z]{6})\.", threads)
    return ours.group(1) if ours else None


def _is_loop(senders: list[str], headers: dict[str, bytes], own_addresses: tuple[str, ...]) -> bool:
    """Our own mail coming back: from one of our addresses (sent or forwarded), or still carrying our headers."""
    x_loop = headers.get("x-loop", b"").decode("latin-1").lower()
    return any(s in own_addresses for s in senders) or "x-klean-report-status" in headers or \
        any(a in x_loop for a in own_addresses if a)


def parse_mail(raw: bytes, *, envelope_sender: str = "", rules: ReferenceRules | None = None,
               own_addresses: tuple[str, ...] = ()) -> ParsedMail:
    """Everything the channel needs from a mail, read by the most plausible charset, tolerating broken MIME."""
    rules = rules or ReferenceRules()
    # compat32: headers are decoded here, by the most plausible charset (the default policy's header objects
    # would decode them by their labels, and cost more than the rest of the parse)
    msg: Message = _repaired(message_from_bytes(raw, policy=policy.compat32), raw)
    headers = _raw_headers(raw)
    subject = decode_header_value(headers.get("subject", b""))
    parts = _parts(msg)
    inner_subjects = [decode_header_value(str(m.get("subject", "")).encode("utf-8", "surrogateescape"))
                      for m in _attached_messages(msg) if m.get("subject")]
    body = "\n".join(parts.plain) if parts.plain else "\n".join(parts.htmls)
    if not body.strip() and not parts.forwarded and not parts.photos and msg.get_content_maintype() in (
            "multipart", "text"):
        body = _raw_body_text(msg)  # a MIME tree that could not be read: its raw text
    sender = envelope_sender.strip().lower()
    try:
        addresses = getaddresses([decode_header_value(headers.get("from", b""))])
    except (ValueError, LookupError, IndexError):
        addresses = []
    from_addresses = [addr.strip().lower() for _, addr in addresses if addr]
    sender = sender or (from_addresses[0] if from_addresses else "")
    own_body, quoted = _split_own_text(body)
    bare_subject = _REPLY_PREFIX.sub("", subject)
    own_text = "\n".join(t for t in (bare_subject, own_body) if t)
    everything = "\n".join(t for t in (subject, body, *parts.forwarded, *inner_subjects, *parts.links, *parts.names)
                           if t)[:MAX_REFERENCE_TEXT]
    if _letters(own_text) >= 3:
        lang = guess_lang(own_text)
    elif _letters(everything) >= 2:
        lang = guess_lang(everything)
    else:  # no words at all: the sender's name, language header or mail provider
        lang = _lang_hint([name for name, _ in addresses], sender,
                          headers.get("content-language", b"").decode("latin-1")) or "en"
    stored = "\n".join(t for t in (subject, body if body.strip() else "\n".join(parts.forwarded)) if t)
    stored += "".join(f"\nattachment: {n}" for n in parts.names)
    refs = find_references(everything, rules)
    meaningful = clean_text("\n".join(t for t in (bare_subject, own_body, quoted, *parts.forwarded) if t))
    message_id_raw = headers.get("message-id", b"").decode("latin-1")
    found_id = _MESSAGE_ID.search(message_id_raw)
    return ParsedMail(
        sender=sender, subject=subject, text=clean_text(stored), lang=lang, refs=[r.text for r in refs if r.strong],
        message_id=found_id.group(0) if found_id else (message_id_raw.strip()[:250] or None),
        html_only=not parts.plain and bool(parts.htmls),
        automated=_is_automated(msg, headers, subject, [sender, *from_addresses]), reference_text=everything,
        own_text=own_text, photos=tuple(parts.photos), attachment_names=tuple(parts.names),
        empty=len(meaningful) < TEXT_MIN and not refs and not parts.photos,
        loop=_is_loop([sender, *from_addresses], headers, own_addresses), follow_up=_follow_up(subject, headers),
        size=len(raw))


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, LookupError, TypeError):
        return None
    if not name:
        return None
    name = " ".join(str(name).split())
    if "=?" in name:  # an encoded word inside the parameter, as Outlook writes Korean file names
        name = decode_header_value(name.encode("utf-8", "surrogateescape"))
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")[:200] or None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, LookupError, TypeError):
        return b""
    return data if isinstance(data, bytes) else b""


def guess_category(text: str) -> str:
    folded = text.casefold()
    if any(k in folded for k in _UNSAFE_KEYWORDS):
        return ReportCategory.UNSAFE.value
    return ReportCategory.COUNTERFEIT.value


# --- rate limits ----------------------------------------------------------------------------------------------------

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


# --- answers --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    to: str
    subject: str
    text: str
    headers: dict[str, str]


class ReplySender:
    """Answers go out from a thread of their own, in order, so a slow relay never holds up taking mail; a failed
    answer is logged (the report is stored and can be followed on the portal)."""

    def __init__(self, send: Callable[[Reply], None]) -> None:
        self._send = send
        self._queue: queue.Queue[Reply | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="klean-mail-replies", daemon=True)
        self._thread.start()

    def put(self, reply: Reply) -> None:
        self._queue.put(reply)

    def _run(self) -> None:
        while True:
            reply = self._queue.get()
            try:
                if reply is None:
                    return
                self._send(reply)
            except Exception:
                log.exception("could not send the answer %r to %s", reply.subject if reply else "", reply and reply.to)
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every answer queued so far went out (or failed); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        self._queue.put(None)
        self._thread.join(timeout)


_ADDR = re.compile(r"^[^@\s<>\x00-\x1f]{1,64}@[^@\s<>\x00-\x1f]{1,255}$")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _join(paragraphs: list[Text], lang: str) -> str:
    return "\n\n".join(render(p, lang) for p in paragraphs) + "\n"


class ReportHandler:
    """aiosmtpd handler: RCPT only to the report address, size caps, per-sender rate, one report per mail."""

    def __init__(self, app: App, *, max_bytes: int = DEFAULT_MAX_BYTES, rate: int = DEFAULT_RATE,
                 rate_window: float = DEFAULT_RATE_WINDOW,
                 send_reply: Callable[[str, str, str], None] | None = None) -> None:
        self.app = app
        self.address = app.settings.report_address.strip().lower()
        self.own_addresses = tuple(a for a in {self.address, app.settings.mail_from.strip().lower()} if a)
        self.max_bytes = max_bytes
        self.limiter = RateLimiter(limit=rate, window=rate_window)
        self.policy = notice_policy(app.policy)
        self.rules = reports.reference_rules(app.policy)  # refused at start, naming the key, when malformed
        self._plain_send = send_reply
        self._relay: smtplib.SMTP | None = None  # used by the reply thread only
        dialect = app.engine.dialect.name
        self._workers = ThreadPoolExecutor(max_workers=WORKERS.get(dialect, DEFAULT_WORKERS),
                                           thread_name_prefix="klean-mail")
        self._store_lock: Any = threading.Lock() if dialect == "sqlite" else contextlib.nullcontext()
        self.replies = ReplySender(self._deliver)

    def _deliver(self, reply: Reply) -> None:
        """Send one answer (on the reply thread), over one relay connection kept open between answers."""
        if self._plain_send is not None:
            self._plain_send(reply.to, reply.subject, reply.text)
            return
        from klean.adapters.mail.outbound import SMTP_TIMEOUT_SECONDS, build_message

        settings = self.app.settings
        message = build_message(settings, to=reply.to, subject=reply.subject, text=reply.text, headers=reply.headers)
        for attempt in (1, 2):
            try:
                if self._relay is None:
                    self._relay = smtplib.SMTP(settings.smtp_relay_host, settings.smtp_relay_port,
                                               timeout=SMTP_TIMEOUT_SECONDS)
                    self._relay.ehlo()
                data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # SMTP's line ends
                refused = self._relay.sendmail(settings.mail_from, [reply.to], data)
                if refused:
                    log.warning("the relay refused the answer to %s: %s", reply.to, refused)
                return
            except (OSError, smtplib.SMTPException):
                self._close_relay()
                if attempt == 2:  # a connection the relay closed since the last answer is retried once
                    raise

    def _close_relay(self) -> None:
        relay, self._relay = self._relay, None
        if relay is not None:
            try:
                relay.quit()
            except (OSError, smtplib.SMTPException):
                relay.close()

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued, then let the relay connection go."""
        self._workers.shutdown(wait=True)
        self.replies.close(timeout)
        self._close_relay()

    def flush_replies(self, timeout: float = 10.0) -> bool:
        return self.replies.flush(timeout)

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
            return await loop.run_in_executor(self._workers, self._accept_with_retries, raw, sender)
        except Exception:  # a bug or a database outage must not lose the mail: ask the sender to retry
            log.exception("could not take a report from %s", sender)
            return "451 4.3.0 Temporary failure storing the report; please try again later"

    def _reject(self, parsed: ParsedMail, sender: str, reason: str, detail: str, *, answer: bool) -> bool:
        return reports.record_mail_rejection(
            uow=self.app.uow_factory(), sender=sender, message_id=parsed.message_id, reason=reason, detail=detail,
            size=parsed.size, lang=parsed.lang, answered=answer)

    def _accept_with_retries(self, raw: bytes, sender: str) -> str:
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                return self._accept(raw, sender)
            except (OperationalError, IntegrityError):
                if attempt == STORE_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)  # everything was rolled back: the mail is taken again from the start
        raise AssertionError("unreachable")

    def _accept(self, raw: bytes, sender: str) -> str:
        """Take one mail: read it (alongside other mails), store it as a report, an addition to the sender's
        report or a rejection with its reason, and queue its answer."""
        parsed = parse_mail(raw, envelope_sender=sender, rules=self.rules, own_addresses=self.own_addresses)
        if not sender or parsed.automated or parsed.loop or parsed.empty:
            with self._store_lock:
                return self._take_rejection(parsed, sender)
        photos, photo_notes = self._keep_photos(parsed)
        text = self._stored_text(parsed, photos)
        key = None
        if parsed.message_id:  # a second delivery of the same mail is the same report; a reused id with other
            # words is a mail of its own
            key = f"{parsed.message_id[:180]}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        with self._store_lock:
            if parsed.follow_up:
                try:
                    answer, replayed = reports.amend_report(
                        uow=self.app.uow_factory(), case_number=parsed.follow_up, reporter_key=f"email:{sender}",
                        text=text, policy=self.policy, rules=self.rules, idempotency_key=key,
                        reference_text=parsed.own_text if find_references(parsed.own_text, self.rules)
                        else parsed.reference_text)
                except NotFound:
                    pass  # not this sender's open report: a report of its own
                except DomainError as exc:
                    return f"550 5.6.0 Report not accepted: {exc.message}"
                else:
                    if not replayed:
                        self.limiter.hit(sender)
                        # answered when it changed what the report names: a "thank you" needs no answer, and
                        # an auto-responder that quotes our subject cannot keep a conversation going
                        if answer["listing_ids_added"] or answer["unknown_refs"]:
                            self._answer(sender, parsed, answer, photos=len(photos), photo_notes=photo_notes)
                    return f"250 OK: report {answer['case_number']} updated"
            draft = ReportDraft(category=guess_category(parsed.text), text=text, lang=parsed.lang,
                                contact_email=sender)
            try:
                answer, replayed = reports.submit_report(
                    uow=self.app.uow_factory(), principal=None, draft=draft, policy=self.policy, rules=self.rules,
                    channel="email", reporter_key=f"email:{sender}", reference_text=parsed.reference_text,
                    idempotency_key=key)
            except DomainError as exc:
                return f"550 5.6.0 Report not accepted: {exc.message}"
            if not replayed:
                self.limiter.hit(sender)
                self._answer(sender, parsed, answer, photos=len(photos), photo_notes=photo_notes)
            return f"250 OK: report {answer['case_number']} received"

    def _take_rejection(self, parsed: ParsedMail, sender: str) -> str:
        if not sender or parsed.automated:  # bounces (null sender) and auto-replies: answering them loops
            self._reject(parsed, sender, "automated", "bounce" if not sender else "auto-reply", answer=False)
            return "250 OK: automatic message discarded (no report made)"
        if parsed.loop:
            self._reject(parsed, sender, "loop", "our own mail came back", answer=False)
            return "250 OK: our own message discarded (no report made)"
        if self._reject(parsed, sender, "empty", "no words, listing or photo", answer=True):
            self.limiter.hit(sender)
            self._answer_empty(sender, parsed)
        return "250 OK: empty message, no report made; we answered with what to send"

    @staticmethod
    def _stored_text(parsed: ParsedMail, photos: list[str]) -> str:
        # The report record has no photo field: the stored photos are named in the text, as the portal does.
        lines = "".join(f"\nphoto sha256:{sha}" for sha in photos)
        text = (parsed.text[:TEXT_MAX - len(lines)] + lines).strip()
        return text if len(text) >= TEXT_MIN else f"{text} (no text)".strip()

    def _keep_photos(self, parsed: ParsedMail) -> tuple[list[str], list[str]]:
        """Photos kept with the report (safe images only, stored by digest); what was not kept, and why."""
        from klean.adapters.blobs import BlobStore
        from klean.adapters.uploads import validate_image

        kept: list[str] = []
        notes: list[str] = []
        for photo in parsed.photos:
            if len(kept) >= MAX_PHOTOS:
                notes.append(photo.filename or "photo")
                continue
            try:
                info = validate_image(photo.data, self.app.settings, field="photo")
            except DomainError:
                notes.append(photo.filename or "photo")
                continue
            sha = BlobStore(self.app.settings).put(photo.data, info.media_type)
            if sha not in kept:
                kept.append(sha)
        return kept, notes

    def _reply_headers(self, parsed: ParsedMail, status: str, case_number: str | None) -> dict[str, str]:
        domain = self.app.settings.mail_from.rpartition("@")[2] or "klean.local"
        message_id = make_msgid(domain=domain)
        headers = {"Auto-Submitted": "auto-replied", "X-Klean-Report-Status": status,
                   "Content-Language": parsed.lang,
                   # the case number in our Message-ID: a reply to this answer finds its report by In-Reply-To
                   "Message-ID": f"<{case_number}.{message_id[1:]}" if case_number else message_id}
        if parsed.message_id and _MESSAGE_ID.fullmatch(parsed.message_id):
            headers["In-Reply-To"] = parsed.message_id
            headers["References"] = parsed.message_id
        return headers

    def _follow_paragraph(self, number: str, token: str | None) -> Text:
        base = self.app.settings.public_url.rstrip("/")
        if base and token:
            return msg("Follow your report at {url}", url=f"{base}/portal/follow?case={number}&t={token}")
        return msg("Follow your report on the Klean portal's follow page (/portal/follow) with the case number "
                   "and the follow code.")

    def _answer(self, sender: str, parsed: ParsedMail, answer: dict[str, Any], *, photos: int,
                photo_notes: list[str]) -> None:
        number = answer["case_number"]
        token = answer.get("follow_token")
        listings = list(answer.get("listing_ids") or [])
        unknown = list(answer.get("unknown_refs") or [])
        others = list(answer.get("other_sites") or [])
        host = self.rules.hosts[0] if self.rules.hosts else "market.example"
        amended = bool(answer.get("amended"))
        paragraphs: list[Text] = []
        if amended:
            subject = msg("[Klean] Report {number} updated", number=number)
            paragraphs.append(msg("Thank you: we added what you sent to report {number}.", number=number))
        else:
            subject = msg("[Klean] Report received: {number}", number=number)
            paragraphs.append(msg("Thank you for your report."))
        if listings:
            status = "received"
            paragraphs.append(msg("Listings in this report: {listings}.", listings=", ".join(listings)))
        else:
            status = "listing-needed"
            subject = msg("[Klean] Which listing do you mean? Report {number}", number=number)
            paragraphs.append(msg("We could not tell which listing your report is about. Reply to this mail with "
                                  "the listing's link (like {example}) or its listing number, and we will add it "
                                  "to report {number}.", example=self.rules.example_link(), number=number))
        if unknown:
            paragraphs.append(msg("We could not find these listings on {host}: {refs}. If you meant other "
                                  "listings, reply to this mail with their links or listing numbers.",
                                  host=host, refs=", ".join(_short(u) for u in unknown[:10])))
        if others and not listings:
            paragraphs.append(msg("The links you sent lead to other sites ({sites}); we can act only on listings "
                                  "on {host}.", sites=", ".join(others), host=host))
        if photos:
            paragraphs.append(msg("Photos kept with the report: {count}.", count=photos))
        if photo_notes:
            paragraphs.append(msg("Not kept (not a photo we can read, or more than {max}): {names}.",
                                  max=MAX_PHOTOS, names=", ".join(photo_notes)))
        if token:
            paragraphs.append(msg("Case number: {number}\nFollow code: {token}", number=number, token=token))
        else:
            paragraphs.append(msg("Case number: {number} (follow it with the code from our first answer)",
                                  number=number))
        paragraphs.append(self._follow_paragraph(number, token))
        self.replies.put(Reply(to=sender, subject=render(subject, parsed.lang), text=_join(paragraphs, parsed.lang),
                               headers=self._reply_headers(parsed, status, number)))

    def _answer_empty(self, sender: str, parsed: ParsedMail) -> None:
        subject = msg("[Klean] Your mail to {address} was empty", address=self.address)
        paragraphs = [msg("Your mail reached us without a description or a listing, so no report was made. To "
                          "report a suspected fake, write what is wrong, paste the listing's link (like {example}) "
                          "or its listing number, and attach photos if you have them.",
                          example=self.rules.example_link())]
        self.replies.put(Reply(to=sender, subject=render(subject, parsed.lang), text=_join(paragraphs, parsed.lang),
                               headers=self._reply_headers(parsed, "empty", None)))


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
        self.handler.close(timeout=10.0)


__all__ = ["DEFAULT_MAX_BYTES", "MailServer", "ParsedMail", "RateLimiter", "ReportHandler",
           "decode_text", "html_to_text", "parse_mail"]
