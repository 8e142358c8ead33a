"""Evidence packages: what they hold, their signed manifest, and verification that names every alteration.

A package is a set of files (path -> bytes). `manifest.json` lists every other content file with its
SHA-256 and size, the subject, and the chain context of the event-log slice it carries; `manifest.sig`
is an Ed25519 signature over the exact bytes of `manifest.json`; `public_key.pem` is the signer's key.
Verification is pure: it takes the files and, optionally, a public key the verifier trusts, and returns
every finding, each naming the file (and event or snapshot) at fault.

The event log slice (`events.jsonl`) is contiguous: events that concern the subject are carried in full,
events between them that concern others are carried as links only (seq, prev_hash, hash), so the chain
can be checked end to end without disclosing other parties' data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from klean.domain.errors import ValidationError
from klean.domain.events import Event, canonical_json, merkle_root

FORMAT = "klean-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
EVENTS = "events.jsonl"
# Files that authenticate the others: not listed in the manifest (the manifest cannot hash itself).
SIDE_FILES = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(value: object) -> str:
    """A file-name-safe rendering of an id (ids come from marketplaces and may hold any character)."""
    text = _SAFE.sub("_", str(value)).strip("._") or "_"
    if text != str(value):  # keep distinct ids distinct after replacement
        text = f"{text[:80]}-{hashlib.sha256(str(value).encode()).hexdigest()[:8]}"
    return text[:120]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- the manifest -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ChainInfo:
    """The event-log slice carried: contiguous seqs first..last, how many in full, their Merkle root."""

    first_seq: int | None
    last_seq: int | None
    events: int
    full_events: int
    merkle_root: str


@dataclass(frozen=True)
class Manifest:
    subject_type: str
    subject_id: str
    created_at: str
    created_by: str
    lang: str
    chain: ChainInfo
    files: tuple[FileEntry, ...]
    policy_version: str | None = None
    format: str = FORMAT

    def entry(self, path: str) -> FileEntry | None:
        for f in self.files:
            if f.path == path:
                return f
        return None


def build_manifest(files: Mapping[str, bytes], *, subject_type: str, subject_id: str, created_at: str,
                   created_by: str, lang: str, chain: ChainInfo, policy_version: str | None = None) -> Manifest:
    entries = tuple(FileEntry(path=p, sha256=sha256_hex(b), size=len(b))
                    for p, b in sorted(files.items()) if p not in SIDE_FILES)
    return Manifest(subject_type=subject_type, subject_id=subject_id, created_at=created_at, created_by=created_by,
                    lang=lang, chain=chain, files=entries, policy_version=policy_version)


def manifest_to_dict(m: Manifest) -> dict[str, Any]:
    return {
        "format": m.format, "subject": {"type": m.subject_type, "id": m.subject_id}, "created_at": m.created_at,
        "created_by": m.created_by, "lang": m.lang, "policy_version": m.policy_version,
        "chain": {"first_seq": m.chain.first_seq, "last_seq": m.chain.last_seq, "events": m.chain.events,
                  "full_events": m.chain.full_events, "merkle_root": m.chain.merkle_root},
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in m.files],
    }


def manifest_to_bytes(m: Manifest) -> bytes:
    # Indented for people who open it; the signature covers these exact bytes, so layout is irrelevant to trust.
    return (json.dumps(manifest_to_dict(m), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def manifest_from_bytes(data: bytes) -> Manifest:
    try:
        d = json.loads(data.decode("utf-8"))
        if d.get("format") != FORMAT:
            raise ValidationError(f"manifest format {d.get('format')!r} is not {FORMAT}", field=MANIFEST)
        c = d["chain"]
        return Manifest(
            format=d["format"], subject_type=str(d["subject"]["type"]), subject_id=str(d["subject"]["id"]),
            created_at=str(d["created_at"]), created_by=str(d["created_by"]), lang=str(d["lang"]),
            policy_version=d.get("policy_version"),
            chain=ChainInfo(first_seq=c["first_seq"], last_seq=c["last_seq"], events=int(c["events"]),
                            full_events=int(c["full_events"]), merkle_root=str(c["merkle_root"])),
            files=tuple(FileEntry(path=str(f["path"]), sha256=str(f["sha256"]), size=int(f["size"]))
                        for f in d["files"]),
        )
    except ValidationError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(f"manifest.json is not a valid manifest: {exc!r}", field=MANIFEST) from exc


# ---- signing (Ed25519) ----------------------------------------------------------------------------------


def generate_private_key_pem() -> bytes:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"signing key is not an unencrypted PEM private key: {exc}", field="signing_key") \
            from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError("signing key is not an Ed25519 key", field="signing_key")
    return key


def _public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"not a PEM public key: {exc}", field="public_key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError("public key is not an Ed25519 key", field="public_key")
    return key


def public_key_pem(private_pem: bytes) -> bytes:
    return _private_key(private_pem).public_key().public_bytes(serialization.Encoding.PEM,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo)


def key_fingerprint(public_pem: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, hex: short enough to read aloud or print in a summary."""
    raw = _public_key(public_pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)


def sign(private_pem: bytes, data: bytes) -> bytes:
    """The detached signature as base64 text (one line), as stored in manifest.sig."""
    return base64.b64encode(_private_key(private_pem).sign(data)) + b"\n"


def signature_valid(public_pem: bytes, data: bytes, signature_b64: bytes) -> bool:
    try:
        sig = base64.b64decode(signature_b64.strip(), validate=True)
        _public_key(public_pem).verify(sig, data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# ---- the event-log slice ------------------------------------------------------------------------------


def event_to_record(e: Event, *, full: bool) -> dict[str, Any]:
    if not full:
        return {"seq": e.seq, "prev_hash": e.prev_hash, "hash": e.hash, "redacted": True}
    return {"seq": e.seq, "type": e.type, "actor": e.actor, "subject_type": e.subject_type,
            "subject_id": e.subject_id, "at": e.at.isoformat(), "payload": dict(e.payload),
            "policy_version": e.policy_version, "reason": e.reason, "prev_hash": e.prev_hash, "hash": e.hash}


def events_to_jsonl(events: Sequence[Event], full_seqs: Iterable[int]) -> bytes:
    full = set(full_seqs)
    return b"".join(canonical_json(event_to_record(e, full=e.seq in full)) + b"\n" for e in events)


def chain_info(events: Sequence[Event], full_seqs: Iterable[int]) -> ChainInfo:
    full = set(full_seqs)
    return ChainInfo(first_seq=events[0].seq if events else None, last_seq=events[-1].seq if events else None,
                     events=len(events), full_events=sum(1 for e in events if e.seq in full),
                     merkle_root=merkle_root([e.hash for e in events]))


def _record_hash(r: Mapping[str, Any]) -> str:
    """The hash an event record should carry, recomputed from JSON exactly as events.compute_hash does."""
    body = {k: r.get(k) for k in ("seq", "type", "actor", "subject_type", "subject_id", "at", "payload",
                                  "policy_version", "reason", "prev_hash")}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def parse_events(data: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    for n, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            if not isinstance(r, dict) or not isinstance(r.get("seq"), int):
                raise ValueError("not an event record with an integer seq")
            records.append(r)
        except ValueError as exc:
            problems.append(f"line {n}: unreadable event record ({exc})")
    return records, problems


# ---- verification -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str  # altered | added | removed | manifest | signature | key | chain | snapshot
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.path}: {self.detail}"


@dataclass(frozen=True)
class VerificationReport:
    findings: tuple[Finding, ...]
    subject: str = ""
    files_checked: int = 0
    events_checked: int = 0
    merkle_root: str = ""
    key_fingerprint: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.findings

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}


def verify_package(files: Mapping[str, bytes], trusted_public_key_pem: bytes | None = None) -> VerificationReport:
    """Check the signature, every file hash, the event chain and the snapshots; name whatever is wrong."""
    findings: list[Finding] = []
    notes: list[str] = []
    manifest_bytes = files.get(MANIFEST)
    if manifest_bytes is None:
        return VerificationReport(findings=(Finding("removed", MANIFEST, "the manifest is missing"),))
    try:
        manifest = manifest_from_bytes(manifest_bytes)
    except ValidationError as exc:
        return VerificationReport(findings=(Finding("manifest", MANIFEST, exc.message),))

    # Signature: with the embedded key, and against the trusted key when the verifier brings one.
    fingerprint = ""
    embedded = files.get(PUBLIC_KEY)
    sig = files.get(SIGNATURE)
    key_for_check = embedded
    if embedded is None:
        findings.append(Finding("removed", PUBLIC_KEY, "the signer's public key is missing"))
    else:
        try:
            fingerprint = key_fingerprint(embedded)
        except ValidationError as exc:
            findings.append(Finding("key", PUBLIC_KEY, exc.message))
            key_for_check = None
    if trusted_public_key_pem is not None:
        try:
            trusted_fp = key_fingerprint(trusted_public_key_pem)
        except ValidationError as exc:
            findings.append(Finding("key", "--public-key", exc.message))
        else:
            if fingerprint and fingerprint != trusted_fp:
                findings.append(Finding("key", PUBLIC_KEY, f"package signed by key {fingerprint[:16]}, not by the "
                                                           f"trusted key {trusted_fp[:16]}"))
            key_for_check = trusted_public_key_pem
    if sig is None:
        findings.append(Finding("removed", SIGNATURE, "the manifest signature is missing"))
    elif key_for_check is not None and not signature_valid(key_for_check, manifest_bytes, sig):
        findings.append(Finding("signature", SIGNATURE, "the signature does not match manifest.json under the "
                                                        + ("trusted key" if trusted_public_key_pem else
                                                           "embedded key")
                                                        + ": the manifest or the signature was altered"))

    # Files against the manifest.
    listed = {f.path: f for f in manifest.files}
    for path, entry in sorted(listed.items()):
        data = files.get(path)
        if data is None:
            findings.append(Finding("removed", path, "listed in the manifest but not in the package"))
        elif sha256_hex(data) != entry.sha256 or len(data) != entry.size:
            findings.append(Finding("altered", path, f"SHA-256 {sha256_hex(data)[:16]}… ({len(data)} bytes), "
                                                     f"manifest says {entry.sha256[:16]}… ({entry.size} bytes)"))
    for path in sorted(set(files) - set(listed) - SIDE_FILES):
        findings.append(Finding("added", path, "in the package but not in the manifest"))

    # The event chain: contiguous, linked, each full event matching its hash, and the Merkle root.
    records: list[dict[str, Any]] = []
    if EVENTS in files:
        records, problems = parse_events(files[EVENTS])
        findings.extend(Finding("chain", EVENTS, p) for p in problems)
        findings.extend(_check_chain(records, manifest.chain))
    elif manifest.entry(EVENTS) is None:
        notes.append("no event log slice in this package")

    findings.extend(_check_snapshots(files, records))
    return VerificationReport(
        findings=tuple(findings), subject=f"{manifest.subject_type} {manifest.subject_id}",
        files_checked=len(listed), events_checked=len(records), merkle_root=manifest.chain.merkle_root,
        key_fingerprint=fingerprint, notes=tuple(notes),
    )


def _check_chain(records: Sequence[Mapping[str, Any]], chain: ChainInfo) -> list[Finding]:
    out: list[Finding] = []
    prev: Mapping[str, Any] | None = None
    for r in records:
        seq = r["seq"]
        if prev is not None:
            if seq != prev["seq"] + 1:
                missing = f"{prev['seq'] + 1}" if seq == prev["seq"] + 2 else f"{prev['seq'] + 1}..{seq - 1}"
                out.append(Finding("chain", EVENTS, f"event {missing} removed: seq jumps from {prev['seq']} to {seq}"
                                   if seq > prev["seq"] else f"event {seq} out of order after {prev['seq']}"))
            if r.get("prev_hash") != prev.get("hash"):
                out.append(Finding("chain", EVENTS, f"event {seq} links to {str(r.get('prev_hash'))[:12]}…, but the "
                                                    f"event before it has hash {str(prev.get('hash'))[:12]}…"))
        if not r.get("redacted") and _record_hash(r) != r.get("hash"):
            out.append(Finding("chain", EVENTS, f"event {seq} ({r.get('type')}) altered: its content does not "
                                                f"match its hash"))
        prev = r
    hashes = [str(r.get("hash")) for r in records]
    try:
        root = merkle_root(hashes)
    except ValueError:
        root = "unreadable hashes"
    if root != chain.merkle_root:
        out.append(Finding("chain", EVENTS, f"Merkle root {root[:16]}… differs from the manifest's "
                                            f"{chain.merkle_root[:16]}…"))
    first = records[0]["seq"] if records else None
    last = records[-1]["seq"] if records else None
    if (first, last, len(records)) != (chain.first_seq, chain.last_seq, chain.events):
        out.append(Finding("chain", EVENTS, f"slice holds events {first}..{last} ({len(records)}), the manifest "
                                            f"says {chain.first_seq}..{chain.last_seq} ({chain.events})"))
    full = sum(1 for r in records if not r.get("redacted"))
    if full != chain.full_events:
        out.append(Finding("chain", EVENTS, f"{full} events carried in full, the manifest says {chain.full_events}"))
    return out


def _check_snapshots(files: Mapping[str, bytes], records: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Each snapshot matches the hash taken when it was captured, and the hash the acting event recorded."""
    out: list[Finding] = []
    by_id: dict[str, tuple[str, str]] = {}
    for path, data in sorted(files.items()):
        if not (path.startswith("snapshots/") and path.endswith(".json")):
            continue
        try:
            snap = json.loads(data)
            content, recorded = snap["content"], str(snap["sha256"])
        except (ValueError, KeyError, TypeError):
            out.append(Finding("snapshot", path, "unreadable snapshot"))
            continue
        if sha256_hex(canonical_json(content)) != recorded:
            out.append(Finding("snapshot", path, "content does not match the SHA-256 taken at capture"))
        by_id[str(snap.get("id"))] = (path, recorded)
    for r in records:
        payload = r.get("payload") or {}
        sid, ssha = payload.get("snapshot_id"), payload.get("snapshot_sha256")
        if r.get("redacted") or sid is None or ssha is None:
            continue
        found = by_id.get(str(sid))
        if found is None:
            out.append(Finding("snapshot", f"snapshots/…/{safe_name(sid)}.json",
                               f"event {r['seq']} acted on snapshot {sid}, which is not in the package"))
        elif found[1] != ssha:
            out.append(Finding("snapshot", found[0], f"event {r['seq']} recorded snapshot SHA-256 {str(ssha)[:16]}…, "
                                                     f"the file holds {found[1][:16]}…"))
    return out


# ---- what an export refers to -------------------------------------------------------------------------

# Payload keys that point at another subject, and the subject type they point at.
REFERENCE_KEYS: Mapping[str, str] = {
    "listing_id": "listing", "listing_ids": "listing", "seller_id": "seller", "case_id": "case",
    "notice_id": "notice", "report_id": "report", "testbuy_id": "testbuy", "test_buy_id": "testbuy",
    "pick_id": "testbuy", "appeal_id": "appeal", "action_id": "action", "claim_id": "refund_claim",
    "counter_notice_id": "counter_notice", "complaint_id": "complaint", "order_id": "order",
}
SUBJECT_ALIASES: Mapping[str, str] = {"test_buy": "testbuy", "qa_pick": "testbuy"}
CAUSE_PREFIXES: Mapping[str, str] = {"case": "case", "testbuy": "testbuy", "report": "report", "appeal": "appeal",
                                     "notice": "notice", "screening": "listing"}


def references(e: Event) -> set[tuple[str, str]]:
    """Every (subject type, id) an event is about: its subject, payload ids and cause references."""
    refs = {(SUBJECT_ALIASES.get(e.subject_type, e.subject_type), str(e.subject_id))}
    p = e.payload or {}
    for key, kind in REFERENCE_KEYS.items():
        value = p.get(key)
        values = value if isinstance(value, list | tuple) else [value]
        refs.update((kind, str(v)) for v in values if v is not None and not isinstance(v, dict | list))
    for key in ("cause_ref", "cause", "ref"):
        value = p.get(key)
        if isinstance(value, str) and ":" in value:
            prefix, _, rest = value.partition(":")
            if prefix in CAUSE_PREFIXES and rest:
                refs.add((CAUSE_PREFIXES[prefix], rest.split()[0]))
    return refs


# Subject types an export follows from one event to the next (sellers only when the seller is the subject:
# a case about one listing must not sweep in the seller's whole history).
FOLLOW: Mapping[str, frozenset[str]] = {
    "case": frozenset({"listing", "notice", "report", "testbuy", "appeal", "action", "counter_notice",
                       "complaint", "refund_claim"}),
    "listing": frozenset({"case", "notice", "report", "testbuy", "appeal", "action", "counter_notice",
                          "complaint", "refund_claim"}),
    "seller": frozenset({"listing", "case", "notice", "report", "testbuy", "appeal", "action", "counter_notice",
                         "complaint", "refund_claim"}),
}


@dataclass(frozen=True)
class EvidenceBundle:
    """Everything collected for one package, before it is rendered, hashed and signed."""

    subject_type: str
    subject_id: str
    exported_by: str
    exported_at: datetime
    policy_version: str | None
    chain: tuple[Event, ...]  # contiguous slice of the log
    relevant_seqs: frozenset[int]  # carried in full; the rest of the slice are links
    snapshots: tuple[Mapping[str, Any], ...]  # {id, listing_id, taken_at, cause, sha256, content}
    decisions: tuple[Mapping[str, Any], ...]  # {event, statement_of_reasons}
    records: Mapping[str, Sequence[Mapping[str, Any]]]  # notices, reports, test_buys, screening, ...
    images: Mapping[str, bytes] = field(default_factory=dict)  # sha256 -> bytes, each checked against its name
    notes: tuple[str, ...] = ()

    def relevant_events(self) -> list[Event]:
        return [e for e in self.chain if e.seq in self.relevant_seqs]


def record_group(e: Event) -> str:
    """Which records file of a package an event belongs to."""
    t = e.type.lower()
    head = t.split(".", 1)[0]
    if head in ("notice", "case", "counter_notice", "complaint"):
        return "notices"
    if head == "report":
        return "reports"
    if head in ("qa", "test_buy", "testbuy"):
        return "test_buys"
    if head in ("screening", "scan") or (head == "listing" and "screen" in t):
        return "screening"
    if head in ("refund", "order"):
        return "refunds"
    if head in ("appeal", "enforcement", "strike", "seller", "action", "proof"):
        return "enforcement"
    return "other"
