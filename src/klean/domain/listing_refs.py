"""Listing references in what people write: the marketplace's listing ids and listing links, found wherever a
consumer puts them (ids glued to Korean particles, in parentheses, full-width, upper-case or spaced; links wrapped
by mail clients, written without https://, on the marketplace's hosts or on others).

What a listing id and a listing link look like is the marketplace's, declared in policy.toml [reports]
(ReferenceRules). Finding is pure text work; whether a reference names a stored listing is the repository's
answer. A reference is *strong* when the writer clearly meant a listing (a listing link, an id after a keyword such
as 상품번호 or "listing #", an id with letters and digits): it is kept and answered even when no listing has it. A
*weak* one (a bare number, a spaced or upper-case spelling) counts only when a listing has it, so prices, phone
numbers and order numbers never become references.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from klean.domain.errors import ValidationError

MAX_REFS = 20
_MAX_CANDIDATES = 60  # weak spellings tried per text: bounded, whatever the text

DEFAULT_ID_PATTERN = r"[A-Za-z]{2,10}-\d{3,10}|\d{7,12}"
DEFAULT_HOSTS = ("market.example",)
DEFAULT_SHAPES = ("/items/{id}", "/item/{id}", "/goods/{id}", "/listings/{id}", "/products/{id}",
                  "?itemId={id}", "?productId={id}", "?listingId={id}", "?id={id}")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_URL_CHAR = r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]"
_URL = re.compile(rf"(?:https?://|(?<![A-Za-z0-9.@/\-])www\.){_URL_CHAR}+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_CASE_NUMBER = re.compile(r"R-\d{8}-[0-9A-Z]{6}")
_HOST_CHARS = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)+$")
# Words that introduce a listing reference, Korean and English; the token after them must look like an id.
_KEYWORD = (r"(?:상품\s*(?:번호|코드|ID|아이디)|판매\s*번호|매물\s*번호|게시(?:글|물)\s*번호|리스팅(?:\s*번호)?"
            r"|listing(?:\s*(?:id|no\.?|number))?|item(?:\s*(?:id|no\.?|number))?"
            r"|product(?:\s*(?:id|no\.?|number))?|ad\s*(?:id|no\.?|number))")
_KEYWORD_REF = re.compile(rf"(?<![A-Za-z]){_KEYWORD}(?![A-Za-z])[\s:#=]*(?:은|는|이|가)?[\s:#=]*"
                          r"(?P<ref>[A-Za-z0-9][A-Za-z0-9_\-]*)", re.IGNORECASE)
# After a number these make it an amount, a date or a count, never a listing.
_UNIT_AFTER = re.compile(r"\s?(?:원|만|천|억|년|월|일|개|명|시|분|초|%|won\b|krw\b|usd\b)", re.IGNORECASE)
_SPACED = re.compile(r"(?<=[A-Za-z])[ _.](?=\d)")


@dataclass(frozen=True)
class ReferenceRules:
    """[reports] of policy.toml: what the marketplace's listing ids and listing links look like."""

    id_pattern: str = DEFAULT_ID_PATTERN
    hosts: tuple[str, ...] = DEFAULT_HOSTS
    url_shapes: tuple[str, ...] = DEFAULT_SHAPES
    version: str = ""

    @staticmethod
    def from_section(section: Mapping[str, Any], version: str = "") -> ReferenceRules:
        """Validate [reports]; a missing key keeps its default, an unknown or malformed one is refused by name."""
        known = {"listing_id_pattern", "listing_hosts", "listing_url_shapes"}
        unknown = set(section) - known
        if unknown:
            raise ValidationError(f"[reports] unknown keys: {', '.join(sorted(unknown))}", field="reports")
        pattern = section.get("listing_id_pattern", DEFAULT_ID_PATTERN)
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValidationError("[reports] listing_id_pattern must be a regular expression",
                                  field="reports.listing_id_pattern")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValidationError(f"[reports] listing_id_pattern is not a valid regular expression: {exc}",
                                  field="reports.listing_id_pattern") from exc
        if compiled.fullmatch(""):
            raise ValidationError("[reports] listing_id_pattern must not match an empty text",
                                  field="reports.listing_id_pattern")
        hosts = section.get("listing_hosts", list(DEFAULT_HOSTS))
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ValidationError("[reports] listing_hosts must be a list of host names",
                                  field="reports.listing_hosts")
        for h in hosts:
            if not _HOST_CHARS.match(h.strip().lower()):
                raise ValidationError(f"[reports] listing_hosts: {h!r} is not a host name (market.example)",
                                      field="reports.listing_hosts")
        shapes = section.get("listing_url_shapes", list(DEFAULT_SHAPES))
        if not isinstance(shapes, list) or not all(isinstance(s, str) for s in shapes):
            raise ValidationError("[reports] listing_url_shapes must be a list of shapes such as \"/items/{id}\"",
                                  field="reports.listing_url_shapes")
        for s in shapes:
            if s.count("{id}") != 1 or not s.startswith(("/", "?")) or (s.startswith("?") and not
                                                                          re.fullmatch(r"\?[A-Za-z0-9_\-]+=\{id\}", s)):
                raise ValidationError(f"[reports] listing_url_shapes: {s!r} must be a path with one {{id}} "
                                      "(\"/items/{id}\") or one query key (\"?itemId={id}\")",
                                      field="reports.listing_url_shapes")
        return ReferenceRules(id_pattern=pattern, hosts=tuple(h.strip().lower() for h in hosts),
                              url_shapes=tuple(shapes), version=version)

    @cached_property
    def _id(self) -> re.Pattern[str]:
        return re.compile(f"(?:{self.id_pattern})", re.IGNORECASE)

    @cached_property
    def _bare(self) -> re.Pattern[str]:
        # Not inside a word, a link, an address or a longer number; Hangul particles may touch it on either side.
        return re.compile(rf"(?<![A-Za-z0-9\-/@&=?%])(?<![A-Za-z0-9]\.)(?:{self.id_pattern})"
                          r"(?![A-Za-z0-9]|-[A-Za-z0-9])", re.IGNORECASE)

    @cached_property
    def _paths(self) -> tuple[re.Pattern[str], ...]:
        out = []
        for shape in self.url_shapes:
            if shape.startswith("/"):
                before, after = shape.split("{id}")
                out.append(re.compile(r"(?:^|/)" + re.escape(before.lstrip("/")) + r"(?P<id>[^/?#&]+)"
                                      + re.escape(after), re.IGNORECASE))
        return tuple(out)

    @cached_property
    def _query_keys(self) -> tuple[str, ...]:
        return tuple(s[1:].split("=")[0].lower() for s in self.url_shapes if s.startswith("?"))

    @cached_property
    def _schemeless(self) -> re.Pattern[str] | None:
        if not self.hosts:
            return None
        hosts = "|".join(re.escape(h) for h in self.hosts)
        return re.compile(rf"(?<![A-Za-z0-9.@/\-])(?:[A-Za-z0-9\-]+\.)*(?:{hosts})(?::\d+)?/{_URL_CHAR}*",
                          re.IGNORECASE)

    def is_listing_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def id_in_url(self, url: str) -> str | None:
        """The listing id a link on one of the marketplace's hosts carries, by the configured shapes."""
        host, path, query = split_url(url)
        if not host or not self.is_listing_host(host):
            return None
        for shape in self._paths:
            m = shape.search(path)
            if m:
                return _safe_id(unquote(m.group("id")))
        if query and self._query_keys:
            for pair in query.split("&"):
                key, _, value = pair.partition("=")
                if value and key.lower() in self._query_keys:
                    return _safe_id(unquote(value))
        return None

    def looks_like_id(self, token: str) -> bool:
        return bool(self._id.fullmatch(token))

    def example_link(self) -> str:
        """How a listing link looks on this marketplace, for answers that ask for one."""
        host = self.hosts[0] if self.hosts else "market.example"
        path = next((s for s in self.url_shapes if s.startswith("/")), "/items/{id}")
        return f"https://{host}{path.replace('{id}', '…')}"


@dataclass(frozen=True)
class Reference:
    """A listing reference as written (`text`), with the ids to look up and whether it stands on its own."""

    text: str
    kind: str  # "id" | "url"
    ids: tuple[str, ...] = ()
    strong: bool = True
    host: str | None = None  # for links
    listing_host: bool = False  # a link on one of the marketplace's hosts
    key: str = field(default="", compare=False)


def split_url(url: str) -> tuple[str, str, str]:
    """(host, path, query) of an absolute or www. link; empty host when it is not one."""
    m = re.match(r"(?:https?://)?(?:[^/?#@\s]*@)?([^/?#:\s]+)(?::\d+)?([^?#]*)(?:\?([^#]*))?", url, re.IGNORECASE)
    if not m:
        return "", "", ""
    return m.group(1).lower(), m.group(2) or "", m.group(3) or ""


def _safe_id(value: str) -> str | None:
    value = value.strip()
    return value if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}", value) else None


def fold(text: str) -> str:
    """NFKC (full-width letters, digits and brackets to ASCII), every dash to '-', invisible characters out."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_INVISIBLE)


def _key(ref: str) -> str:
    return re.sub(r"[\s_.\-]", "", ref.lower())


_QUOTE_PREFIX = re.compile(r"^(?:\s*>)+\s?")


def unwrap_links(text: str, rules: ReferenceRules) -> str:
    """Put back together links a mail client broke across lines: inside <...> (RFC 3986 appendix C), after a
    delimiter (/ ? & = - _ %), or wherever joining the next line's first word makes a listing link."""
    text = re.sub(r"<\s*((?:https?://|www\.)[^<>]{1,2000}?)\s*>",
                  lambda m: "<" + re.sub(r"\s+", "", m.group(1)) + ">", text)
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while i + 1 < len(lines):
            end = list(_URL.finditer(line))
            if rules._schemeless is not None:
                end += list(rules._schemeless.finditer(line))
            tail = max(end, key=lambda m: m.end(), default=None)
            if tail is None or line[tail.end():].strip():
                break
            url = tail.group(0)
            prefix = _QUOTE_PREFIX.match(line)
            nxt = lines[i + 1]
            if prefix and nxt.startswith(prefix.group(0).rstrip()):
                nxt = _QUOTE_PREFIX.sub("", nxt, count=1)
            cont = re.match(rf"{_URL_CHAR}+", nxt)
            if not cont or (len(nxt) > cont.end() and not nxt[cont.end()].isspace()):
                break
            joined = url + cont.group(0)
            if not (url.endswith(("/", "?", "&", "=", "-", "_", "%")) or _better_link(url, joined, rules)):
                break
            line = line[:tail.end()] + nxt[:cont.end()] + " " + nxt[cont.end():]
            i += 1
        out.append(line)
        i += 1
    return "\n".join(out)


def _better_link(url: str, joined: str, rules: ReferenceRules) -> bool:
    alone, both = rules.id_in_url(url.rstrip(".,;:!?")), rules.id_in_url(joined.rstrip(".,;:!?"))
    if both is None:
        return False
    return alone is None or (not rules.looks_like_id(alone) and rules.looks_like_id(both))


def find_references(text: str, rules: ReferenceRules, *, explicit: Sequence[str] = ()) -> list[Reference]:
    """Listing references in free text (and any given explicitly), in order of appearance, each once."""
    found: list[tuple[int, Reference]] = []
    for n, given in enumerate(explicit):
        found.append((-len(explicit) + n, _explicit(given.strip(), rules)))
    work = unwrap_links(fold(text), rules)
    blank = list(work)

    def consume(a: int, b: int) -> None:
        blank[a:b] = " " * (b - a)

    for m in _EMAIL.finditer(work):
        consume(m.start(), m.end())
    for m in _CASE_NUMBER.finditer(work):
        consume(m.start(), m.end())
    links = list(_URL.finditer("".join(blank)))
    if rules._schemeless is not None:
        taken = {(m.start(), m.end()) for m in links}
        links += [m for m in rules._schemeless.finditer("".join(blank))
                  if not any(a <= m.start() < b for a, b in taken)]
    for m in links:
        url = m.group(0).rstrip(".,;:!?'\"")
        consume(m.start(), m.end())
        found.append((m.start(), _link(url, rules)))
    scan = "".join(blank)
    seen_spans: list[tuple[int, int]] = []
    for m in _KEYWORD_REF.finditer(scan):
        token = m.group("ref").rstrip("-_")
        if not _idish(token, rules) or _UNIT_AFTER.match(scan, m.end("ref")):
            continue
        seen_spans.append((m.start("ref"), m.end("ref")))
        found.append((m.start("ref"), Reference(text=token, kind="id", ids=(token,), strong=True)))
    for m in rules._bare.finditer(scan):
        if any(a <= m.start() < b for a, b in seen_spans) or _UNIT_AFTER.match(scan, m.end()):
            continue
        token = m.group(0)
        distinctive = any(c.isalpha() for c in token) and any(c.isdigit() for c in token)
        found.append((m.start(), Reference(text=token, kind="id", ids=(token,), strong=distinctive)))
    spaced = _SPACED.sub("-", scan)
    if spaced != scan:
        for m in rules._bare.finditer(spaced):
            if scan[m.start():m.end()] != m.group(0) and not _UNIT_AFTER.match(spaced, m.end()):
                found.append((m.start(), Reference(text=scan[m.start():m.end()], kind="id", ids=(m.group(0),),
                                                   strong=False)))
    return _ordered(found)


def _idish(token: str, rules: ReferenceRules) -> bool:
    """A token after a listing keyword that can be an id: the marketplace's shape, or letters with digits (4+), or a
    number of 5 digits or more. Never a word ("listings", "items")."""
    if rules.looks_like_id(token):
        return True
    digits = sum(c.isdigit() for c in token)
    if not digits:
        return False
    return len(token) >= 5 if digits == len(token) else len(token) >= 4


def _explicit(given: str, rules: ReferenceRules) -> Reference:
    if re.match(r"(?:https?://|www\.)", given, re.IGNORECASE):
        ref = _link(given, rules)
        return Reference(text=ref.text, kind="url", ids=ref.ids, strong=True, host=ref.host,
                         listing_host=ref.listing_host)
    token = fold(given)
    return Reference(text=given, kind="id", ids=(token,), strong=True)


def _link(url: str, rules: ReferenceRules) -> Reference:
    host = split_url(url)[0]
    mine = bool(host) and rules.is_listing_host(host)
    listing_id = rules.id_in_url(url) if mine else None
    return Reference(text=url, kind="url", ids=(listing_id,) if listing_id else (), strong=listing_id is not None,
                     host=host or None, listing_host=mine)


def _ordered(found: Iterable[tuple[int, Reference]]) -> list[Reference]:
    out: list[Reference] = []
    keys: dict[str, int] = {}
    candidates = 0
    for _, ref in sorted(found, key=lambda pair: pair[0]):
        key = _key(ref.text) if ref.kind == "id" else ref.text.lower()
        id_keys = [_key(i) for i in ref.ids]
        # A link is kept as written even when its id was named before (it is what the person sent); a bare id
        # already named, by itself or by a link, is not kept twice.
        if key in keys or (ref.kind == "id" and any(k in keys for k in id_keys)):
            at = keys.get(key, next((keys[k] for k in id_keys if k in keys), -1))
            if at >= 0 and ref.strong and not out[at].strong:
                out[at] = Reference(text=out[at].text, kind=out[at].kind, ids=out[at].ids, strong=True,
                                    host=out[at].host, listing_host=out[at].listing_host)
            continue
        if not ref.strong:
            candidates += 1
            if candidates > _MAX_CANDIDATES:
                continue
        keys[key] = len(out)
        for k in id_keys:
            keys.setdefault(k, len(out))
        out.append(ref)
    return out


def id_spellings(listing_id: str) -> list[str]:
    """The spellings of an id to look up: as written, lower-case, upper-case."""
    return list(dict.fromkeys([listing_id, listing_id.lower(), listing_id.upper()]))
