"""Evidence packages as files: the signing key on disk, the .zip, and the human-readable summary (HTML, PDF).

The key never enters the database: it is a PEM file at settings.signing_key_path, created 0600 by
`klean evidence keygen`, and refused when others can read it.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from jinja2 import Environment, select_autoescape

from klean.bootstrap import App
from klean.config import Settings
from klean.domain.auth import Principal
from klean.domain.errors import DomainError, NotFound, ValidationError
from klean.domain.evidence import (
    EVENTS,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    EvidenceBundle,
    Finding,
    VerificationReport,
    build_manifest,
    chain_info,
    events_to_jsonl,
    generate_private_key_pem,
    key_fingerprint,
    manifest_to_bytes,
    public_key_pem,
    safe_name,
    sha256_hex,
    sign,
    verify_package,
)
from klean.domain.transparency import fired_signals, tdb_payload
from klean.services import evidence as evidence_service

MAX_PACKAGE_BYTES = 2 * 1024**3  # uncompressed total a verifier will read: a zip bomb stops here
MAX_MEMBER_BYTES = 256 * 1024**2  # one file of a package (photos are at most 10 MiB, the event slice far less)
MAX_MEMBERS = 100_000
_READ_CHUNK = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
KOREAN_FONT = "HYSMyeongJo-Medium"  # a CID font reportlab ships: Korean without any font file

# ---- the signing key ----------------------------------------------------------------------------------


def keygen(path: Path, *, force: bool = False) -> bytes:
    """Create an Ed25519 private key at `path` (0600); return its public key PEM."""
    if path.exists() and not force:
        raise ValidationError(f"{path} exists; pass --force to replace it (packages signed with it will still "
                              f"verify against their embedded key, not against a new trusted one)", field="path")
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = generate_private_key_pem()
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(tmp, 0o600)  # the umask cannot widen it, but an existing tmp file might have been wider
    os.replace(tmp, path)
    return public_key_pem(pem)


def load_private_key(settings: Settings) -> bytes:
    path = settings.signing_key_path
    if path is None:
        raise ValidationError("no signing key configured: set KLEAN_SIGNING_KEY_PATH and run `klean evidence keygen`",
                              field="signing_key_path")
    if not path.is_file():
        raise NotFound(f"no signing key at {path}: run `klean evidence keygen`", field="signing_key_path")
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ValidationError(f"signing key {path} is readable by others: chmod 600 it", field="signing_key_path")
    return path.read_bytes()


def blob_reader(settings: Settings) -> Callable[[str], bytes | None]:
    try:
        from klean.adapters.blobs import BlobStore
    except ImportError:  # uploads not installed: snapshots still carry each image's SHA-256
        return lambda sha: None
    store = BlobStore(settings)

    def read(sha: str) -> bytes | None:
        try:
            return store.get(sha)
        except (DomainError, OSError):
            return None

    return read


# ---- the summary --------------------------------------------------------------------------------------

LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Evidence package", "subject": "Subject", "exported": "Exported", "by": "by",
        "policy": "Policy version", "integrity": "Integrity", "merkle": "Merkle root of the event-log slice",
        "events": "Events in the slice", "full": "carried in full", "key": "Signing key (Ed25519) fingerprint",
        "verify_how": "To verify without Klean: check the SHA-256 of every file against manifest.json (sha256sum), "
                      "then the Ed25519 signature manifest.sig (base64) over manifest.json with public_key.pem "
                      "(for example with OpenSSL 3: base64 -d manifest.sig > manifest.sig.bin; openssl pkeyutl -verify "
                      "-pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig.bin), and "
                      "compare the key's fingerprint with the one the platform publishes. With Klean: "
                      "klean evidence verify FILE --public-key PLATFORM_KEY.pem.",
        "listings": "Listings as captured when acted on", "listing": "Listing", "title_col": "Title",
        "price": "Price", "seller": "Seller", "captured": "Captured", "cause": "Cause", "status": "Status before",
        "images": "Images (SHA-256)", "sha": "Snapshot SHA-256", "decisions": "Decisions and statements of reasons",
        "when": "When", "what": "What", "who": "Who", "why": "Reason", "ground": "Ground", "source": "Source",
        "automated": "Automated decision", "timeline": "Event log", "seq": "#", "notes": "Notes",
        "none": "none", "score": "Screening score", "signals": "Signals",
    },
    "ko": {
        "title": "증거 패키지", "subject": "대상", "exported": "생성 일시", "by": "생성자",
        "policy": "정책 버전", "integrity": "무결성", "merkle": "이벤트 로그 구간의 머클 루트",
        "events": "구간 내 이벤트 수", "full": "전문 포함", "key": "서명 키(Ed25519) 지문",
        "verify_how": "Klean 없이 검증하는 방법: 모든 파일의 SHA-256을 manifest.json과 대조한 뒤(sha256sum), "
                      "manifest.json에 대한 Ed25519 서명 manifest.sig(base64)를 public_key.pem으로 확인합니다"
                      "(예: OpenSSL 3에서 base64 -d manifest.sig > manifest.sig.bin; openssl pkeyutl -verify -pubin "
                      "-inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig.bin). 키 지문이 "
                      "플랫폼이 공개한 지문과 같은지도 확인하십시오. Klean으로는 "
                      "klean evidence verify FILE --public-key PLATFORM_KEY.pem.",
        "listings": "조치 당시 수집된 상품 게시물", "listing": "게시물", "title_col": "제목",
        "price": "가격", "seller": "판매자", "captured": "수집 일시", "cause": "사유", "status": "조치 전 상태",
        "images": "이미지(SHA-256)", "sha": "스냅샷 SHA-256", "decisions": "결정 및 처분 이유서",
        "when": "일시", "what": "내용", "who": "처리자", "why": "이유", "ground": "근거", "source": "경로",
        "automated": "자동화된 결정", "timeline": "이벤트 로그", "seq": "번호", "notes": "참고",
        "none": "없음", "score": "심사 점수", "signals": "신호",
    },
}

_HTML = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<title>{{ L.title }}: {{ b.subject_type }} {{ b.subject_id }}</title>
<style>
body{font-family:"Noto Sans CJK KR","Malgun Gothic","Apple SD Gothic Neo",sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #999;padding:.3em;
vertical-align:top;text-align:left;font-size:.9em}code{font-size:.85em;word-break:break-all}h1{font-size:1.5em}
</style></head><body>
<h1>{{ L.title }}: {{ b.subject_type }} {{ b.subject_id }}</h1>
<p>{{ L.exported }}: {{ b.exported_at.isoformat() }} · {{ L.by }} {{ b.exported_by }}
 · {{ L.policy }}: {{ b.policy_version or L.none }}</p>
<h2>{{ L.integrity }}</h2>
<table><tr><th>{{ L.merkle }}</th><td><code>{{ chain.merkle_root }}</code></td></tr>
<tr><th>{{ L.events }}</th><td>{{ chain.first_seq }}..{{ chain.last_seq }} ({{ chain.events }};
 {{ chain.full_events }} {{ L.full }})</td></tr>
<tr><th>{{ L.key }}</th><td><code>{{ fingerprint }}</code></td></tr></table>
<p>{{ L.verify_how }}</p>
<h2>{{ L.listings }}</h2>
<table><tr><th>{{ L.listing }}</th><th>{{ L.title_col }}</th><th>{{ L.price }}</th><th>{{ L.seller }}</th>
<th>{{ L.captured }}</th><th>{{ L.cause }}</th><th>{{ L.status }}</th><th>{{ L.score }} / {{ L.signals }}</th>
<th>{{ L.images }}</th><th>{{ L.sha }}</th></tr>
{% for s in snapshots %}<tr><td>{{ s.listing_id }}</td><td>{{ s.title }}</td><td>{{ s.price }}</td>
<td>{{ s.seller }}</td><td>{{ s.taken_at }}</td><td>{{ s.cause }}</td><td>{{ s.status }}</td>
<td>{{ s.score }} {{ s.signals }}</td><td>{% for i in s.images %}<code>{{ i }}</code><br>{% endfor %}</td>
<td><code>{{ s.sha256 }}</code></td></tr>{% else %}<tr><td colspan="10">{{ L.none }}</td></tr>{% endfor %}
</table>
<h2>{{ L.decisions }}</h2>
<table><tr><th>{{ L.seq }}</th><th>{{ L.when }}</th><th>{{ L.what }}</th><th>{{ L.who }}</th><th>{{ L.why }}</th>
<th>{{ L.ground }}</th><th>{{ L.source }}</th><th>{{ L.automated }}</th></tr>
{% for d in decisions %}<tr><td>{{ d.seq }}</td><td>{{ d.at }}</td><td>{{ d.type }}</td><td>{{ d.actor }}</td>
<td>{{ d.reason }}</td><td>{{ d.ground }}</td><td>{{ d.source }}</td><td>{{ d.automated }}</td></tr>
{% else %}<tr><td colspan="8">{{ L.none }}</td></tr>{% endfor %}</table>
<h2>{{ L.timeline }}</h2>
<table><tr><th>{{ L.seq }}</th><th>{{ L.when }}</th><th>{{ L.what }}</th><th>{{ L.who }}</th><th>{{ L.why }}</th></tr>
{% for e in events %}<tr><td>{{ e.seq }}</td><td>{{ e.at.isoformat() }}</td><td>{{ e.type }} ({{ e.subject_type }}
 {{ e.subject_id }})</td><td>{{ e.actor }}</td><td>{{ e.reason or "" }}</td></tr>{% endfor %}</table>
{% if b.notes %}<h2>{{ L.notes }}</h2><ul>{% for n in b.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _summary_rows(bundle: EvidenceBundle) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    snaps = []
    for s in bundle.snapshots:
        c = s["content"]
        listing = c.get("listing") or {}
        signals = sorted(fired_signals(x for x in c.get("evidence") or [] if isinstance(x, Mapping)))
        snaps.append({
            "listing_id": s["listing_id"], "title": listing.get("title", ""),
            "price": f"{listing.get('price', '')} {listing.get('currency', '')}".strip(),
            "seller": listing.get("seller_id", ""), "taken_at": s["taken_at"], "cause": s["cause"],
            "status": c.get("status", ""), "score": "" if c.get("score") is None else c.get("score"),
            "signals": ", ".join(signals),
            "images": [i.get("sha256") or i.get("path") for i in listing.get("images") or [] if isinstance(i, Mapping)],
            "sha256": s["sha256"],
        })
    decisions = []
    for d in bundle.decisions:
        e, sor = d["event"], d.get("statement_of_reasons") or {}
        decisions.append({"seq": e["seq"], "at": e["at"], "type": e["type"], "actor": e["actor"],
                          "reason": e.get("reason") or "", "ground": (sor.get("illegal_content_legal_ground")
                                                                        or sor.get("incompatible_content_ground")
                                                                        or ""),
                          "source": sor.get("source_type", ""), "automated": sor.get("automated_decision", "")})
    return snaps, decisions


def summary_html(bundle: EvidenceBundle, *, lang: str, fingerprint: str) -> bytes:
    snaps, decisions = _summary_rows(bundle)
    html = _env.from_string(_HTML).render(
        lang=lang, L=LABELS[lang], b=bundle, chain=chain_info(bundle.chain, bundle.relevant_seqs),
        fingerprint=fingerprint, snapshots=snaps, decisions=decisions, events=bundle.relevant_events(),
    )
    return html.encode()


def summary_pdf(bundle: EvidenceBundle, *, lang: str, fingerprint: str) -> bytes:
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]

    if KOREAN_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(KOREAN_FONT))
    L = LABELS[lang]
    base = getSampleStyleSheet()
    # Korean text in the CID font (listings and reasons are often Korean even in an English summary); ids,
    # hashes and dates in Helvetica, whose hyphens and digits the CID font would space out.
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=KOREAN_FONT, fontSize=8, leading=10,
                          wordWrap="CJK")
    latin = ParagraphStyle("latin", parent=body, fontName="Helvetica", wordWrap=None)
    mono = ParagraphStyle("mono", parent=latin, fontName="Courier", fontSize=7, leading=9)
    head = ParagraphStyle("head", parent=base["Heading2"], fontName=KOREAN_FONT)
    title = ParagraphStyle("title", parent=base["Title"], fontName=KOREAN_FONT)

    def p(text: object) -> Paragraph:
        value = "" if text is None else str(text)
        if _HEX64.match(value):  # a digest on two lines of 32, so that it is read and copied whole
            return Paragraph(f"{value[:32]}<br/>{value[32:]}", mono)
        if _ISO_TIME.match(value):
            value = f"{value[:10]} {value[11:19]} UTC" if value.endswith("+00:00") else value
        return Paragraph(escape(value), latin if value.isascii() else body)

    def table(header: Sequence[str] | None, rows: Sequence[Sequence[object]], widths: Sequence[float]) -> Table:
        data = ([[p(h) for h in header]] if header else []) + [[p(c) for c in r] for r in rows]
        t = Table(data or [[p(L["none"])]], colWidths=list(widths), repeatRows=1 if header else 0)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        return t

    snaps, decisions = _summary_rows(bundle)
    chain = chain_info(bundle.chain, bundle.relevant_seqs)
    story: list[Any] = [
        Paragraph(escape(f"{L['title']}: {bundle.subject_type} {bundle.subject_id}"), title),
        p(f"{L['exported']}: {bundle.exported_at:%Y-%m-%d %H:%M:%S} UTC · {L['by']} {bundle.exported_by} · "
          f"{L['policy']}: {bundle.policy_version or L['none']}"),
        Paragraph(escape(L["integrity"]), head),
        table(None, [[L["merkle"], chain.merkle_root],
                         [L["events"], f"{chain.first_seq}..{chain.last_seq} ({chain.events}; "
                                       f"{chain.full_events} {L['full']})"],
                         [L["key"], fingerprint]], [70 * mm, 190 * mm]),
        p(L["verify_how"]), Spacer(1, 4 * mm),
        Paragraph(escape(L["listings"]), head),
        table([L["listing"], L["title_col"], L["price"], L["seller"], L["captured"], L["status"], L["score"],
               L["sha"]],
              [[s["listing_id"], s["title"], s["price"], s["seller"], s["taken_at"], s["status"],
                f"{s['score']} {s['signals']}", s["sha256"]] for s in snaps],
              [25 * mm, 54 * mm, 25 * mm, 22 * mm, 28 * mm, 18 * mm, 28 * mm, 60 * mm]),
        Paragraph(escape(L["decisions"]), head),
        table([L["seq"], L["when"], L["what"], L["who"], L["why"], L["ground"], L["source"]],
              [[d["seq"], d["at"], d["type"], d["actor"], d["reason"], d["ground"], d["source"]] for d in decisions],
              [12 * mm, 35 * mm, 35 * mm, 28 * mm, 60 * mm, 60 * mm, 30 * mm]),
        Paragraph(escape(L["timeline"]), head),
        table([L["seq"], L["when"], L["what"], L["who"], L["why"]],
              [[e.seq, e.at.isoformat(), f"{e.type} ({e.subject_type} {e.subject_id})", e.actor, e.reason or ""]
               for e in bundle.relevant_events()],
              [12 * mm, 40 * mm, 80 * mm, 35 * mm, 93 * mm]),
    ]
    if bundle.notes:
        story += [Paragraph(escape(L["notes"]), head), *[p(n) for n in bundle.notes]]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"{L['title']} {bundle.subject_type} {bundle.subject_id}", author="Klean",
                            invariant=1)  # invariant: the same bundle renders to the same bytes
    doc.build(story)
    return buf.getvalue()


# ---- the package --------------------------------------------------------------------------------------


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode()


def package_files(bundle: EvidenceBundle, *, private_key_pem: bytes, lang: str = "en") -> dict[str, bytes]:
    """Every file of the package, the manifest signed."""
    lang = lang if lang in LABELS else "en"
    public = public_key_pem(private_key_pem)
    fingerprint = key_fingerprint(public)
    files: dict[str, bytes] = {EVENTS: events_to_jsonl(bundle.chain, bundle.relevant_seqs)}
    for s in bundle.snapshots:
        files[f"snapshots/{safe_name(s['listing_id'])}/{safe_name(s['id'])}.json"] = _json(dict(s))
    files["decisions.json"] = _json(list(bundle.decisions))
    files["statements_of_reasons.json"] = _json([tdb_payload(d["statement_of_reasons"]) for d in bundle.decisions
                                                 if d.get("statement_of_reasons")])
    for group, records in sorted(bundle.records.items()):
        files[f"records/{safe_name(group)}.json"] = _json(list(records))
    for sha, data in sorted(bundle.images.items()):
        files[f"images/{sha}"] = data
    files["summary.html"] = summary_html(bundle, lang=lang, fingerprint=fingerprint)
    files["summary.pdf"] = summary_pdf(bundle, lang=lang, fingerprint=fingerprint)
    manifest = build_manifest(files, subject_type=bundle.subject_type, subject_id=bundle.subject_id,
                              created_at=bundle.exported_at.isoformat(), created_by=bundle.exported_by, lang=lang,
                              chain=chain_info(bundle.chain, bundle.relevant_seqs),
                              policy_version=bundle.policy_version)
    manifest_bytes = manifest_to_bytes(manifest)
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = sign(private_key_pem, manifest_bytes)
    files[PUBLIC_KEY] = public
    return files


def zip_files(files: Mapping[str, bytes], *, when: tuple[int, int, int, int, int, int] = (2026, 1, 1, 0, 0, 0)
              ) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        order = [MANIFEST, SIGNATURE, PUBLIC_KEY, *sorted(set(files) - {MANIFEST, SIGNATURE, PUBLIC_KEY})]
        for name in order:
            if name in files:
                info = zipfile.ZipInfo(name, date_time=when)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, files[name])
    return buf.getvalue()


def read_zip(data: bytes) -> tuple[dict[str, bytes], list[Finding]]:
    """The files of a package, and findings about the archive itself (duplicates, unsafe names).

    Sizes are checked before anything is inflated (the declared total, each file, the number of files) and again
    while reading, and an archive this machine cannot hold or parse is a ValidationError (the CLI's exit 2), never
    a MemoryError or a traceback."""
    try:
        return _read_zip(data)
    except MemoryError:
        raise ValidationError("the package is too large to check in this machine's memory", field="file") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error) as exc:
        raise ValidationError(f"not a readable zip archive: {exc}", field="file") from exc


def _read_zip(data: bytes) -> tuple[dict[str, bytes], list[Finding]]:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValidationError(f"not a zip archive: {exc}", field="file") from exc
    findings: list[Finding] = []
    files: dict[str, bytes] = {}
    with z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ValidationError(f"the archive holds {len(infos):,} files, more than {MAX_MEMBERS:,}: refusing "
                                  "to read it", field="file")
        if sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
            raise ValidationError("archive expands beyond 2 GiB: refusing to read it", field="file")
        big = next((i for i in infos if i.file_size > MAX_MEMBER_BYTES), None)
        if big is not None:
            raise ValidationError(f"{big.filename[:200]!r} declares {big.file_size:,} bytes, more than any file of "
                                  f"a package ({MAX_MEMBER_BYTES:,}): refusing to read it", field="file")
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename
            if name.startswith("/") or ".." in name.split("/"):
                findings.append(Finding("added", name, "unsafe path in the archive"))
                continue
            if name in files:
                findings.append(Finding("added", name, "appears more than once in the archive"))
                continue
            try:
                parts: list[bytes] = []
                with z.open(info) as member:
                    while chunk := member.read(_READ_CHUNK):
                        total += len(chunk)
                        if total > MAX_PACKAGE_BYTES:  # zipfile stops at the declared size; this is a backstop
                            raise ValidationError("archive expands beyond 2 GiB: refusing to read it", field="file")
                        parts.append(chunk)
                files[name] = b"".join(parts)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError,
                    zlib.error) as exc:  # a CRC error from edited bytes, an unknown compression, encryption
                findings.append(Finding("altered", name, f"unreadable in the archive: {exc}"))
    return files, findings


def verify_zip(data: bytes, trusted_public_key_pem: bytes | None = None) -> VerificationReport:
    files, archive_findings = read_zip(data)
    report = verify_package(files, trusted_public_key_pem)
    if not archive_findings:
        return report
    return VerificationReport(findings=tuple(archive_findings) + report.findings, subject=report.subject,
                              files_checked=report.files_checked, events_checked=report.events_checked,
                              merkle_root=report.merkle_root, key_fingerprint=report.key_fingerprint,
                              notes=report.notes)


def export_package(app: App, *, principal: Principal | None, subject_type: str, subject_id: str,
                   lang: str = "en") -> tuple[bytes, str]:
    """Collect, render, sign and zip; return the archive and the SHA-256 of its manifest."""
    key = load_private_key(app.settings)  # first: a missing key must not leave an export event behind
    built: dict[str, Any] = {}

    def seal(bundle: EvidenceBundle) -> str:
        files = package_files(bundle, private_key_pem=key, lang=lang)
        t = bundle.exported_at
        built["zip"] = zip_files(files, when=(t.year, t.month, t.day, t.hour, t.minute, t.second))
        built["sha"] = sha256_hex(files[MANIFEST])
        return str(built["sha"])

    evidence_service.collect_evidence(
        uow=app.uow_factory(), principal=principal, subject_type=subject_type, subject_id=subject_id,
        policy_version=app.policy.version, read_blob=blob_reader(app.settings), seal=seal)
    return built["zip"], built["sha"]
