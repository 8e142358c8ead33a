"""Evidence packages: export a case, verify it, and catch every kind of tampering by name.

The story: a seller, luxe_outlet_77, lists a "mirror-grade 1:1" Chanel Classic Flap Bag for 189,000 KRW
(the real one sells for about 15,000,000 KRW). Chanel's legal team files a notice; the case is upheld and the
listing is taken down. Meanwhile other things happen on the platform (a Nike listing is screened and blocked)
that Chanel's package must not disclose but whose hashes keep the chain verifiable.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from klean.adapters import evidence_package
from klean.adapters.blobs import BlobStore
from klean.adapters.db.models.registry import BrandRow
from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.errors import Forbidden, NotFound
from klean.domain.events import compute_hash
from klean.domain.evidence import (
    EVENTS,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    _record_hash,
    event_to_record,
    generate_private_key_pem,
    manifest_from_bytes,
    public_key_pem,
    sign,
    verify_package,
)
from klean.domain.listing import ImageRef, Listing, Money
from klean.services.evidence import collect_evidence

FAKE_PHOTO = b"\x89PNG\r\n\x1a\n" + b"quilted lambskin, CC turn-lock, serial sticker missing" * 20


def _seed(app: App) -> dict[str, str]:
    """Put the story in place through the repositories; return the ids."""
    photo_sha = BlobStore(app.settings).put(FAKE_PHOTO, "image/png")
    with app.uow_factory() as uow:
        uow.session.add(BrandRow(id="chanel", name="Chanel", owner="Chanel SAS"))
        uow.session.add(BrandRow(id="nike", name="Nike", owner="Nike Inc."))
        uow.listings.upsert(Listing(
            id="lst-chanel-1", title="샤넬 클래식 플랩백 미러급 1:1 정품급 (CHANEL Classic Flap)",
            description="정품과 동일한 양가죽, 박스·더스트백 포함", price=Money(Decimal("189000"), "KRW"),
            seller_id="luxe_outlet_77", category="bags", images=(ImageRef(path="p1.png", sha256=photo_sha),)))
        uow.listings.upsert(Listing(id="lst-nike-9", title="나이키 덩크 로우 판다 레플 st",
                                    price=Money(Decimal("39000"), "KRW"), seller_id="kicks_4_less", category="shoes"))
        uow.events.append(type="screening.completed", actor="rule:screening", subject_type="listing",
                          subject_id="lst-chanel-1", payload={"score": 0.62, "decision": "review"})
        uow.events.append(type="notice.received", actor="chanel-legal", subject_type="notice", subject_id="1",
                          payload={"brand_id": "chanel", "listings": ["lst-chanel-1"]})
        uow.events.append(type="case.received", actor="chanel-legal", subject_type="case", subject_id="1",
                          payload={"notice_id": 1, "listing_id": "lst-chanel-1", "trusted": False})
        # Someone else's business in between: must appear only as chain links.
        snap_n = uow.listings.set_status("lst-nike-9", "blocked", cause="screening")
        uow.events.append(type="listing.blocked", actor="rule:screening", subject_type="listing",
                          subject_id="lst-nike-9", payload={"snapshot_id": snap_n.id,
                                                            "snapshot_sha256": snap_n.sha256},
                          reason="Nike mark with 'rep' vocabulary at 24% of reference price")
        uow.events.append(type="case.actioned", actor="rev-kim", subject_type="case", subject_id="1",
                          payload={"from": "under_review", "to": "actioned", "listing_id": "lst-chanel-1"},
                          reason="Counterfeit: 1:1 mirror-grade wording, price 1.3% of reference")
        snap = uow.listings.set_status("lst-chanel-1", "removed", cause="case:1")
        uow.events.append(type="listing.removed", actor="rev-kim", subject_type="listing",
                          subject_id="lst-chanel-1", payload={"cause": "case:1", "snapshot_id": snap.id,
                                                              "snapshot_sha256": snap.sha256, "trusted": False},
                          reason="Counterfeit: 1:1 mirror-grade wording, price 1.3% of reference")
        uow.events.append(type="user.created", actor="operator", subject_type="user", subject_id="someone",
                          payload={"role": "consumer"})
        # A second notice on the same listing, by an agency for another client, and a buyer's order:
        # neither belongs in Chanel's package of case 1.
        uow.events.append(type="case.received", actor="ipagency-kr", subject_type="case", subject_id="2",
                          payload={"notice_id": 2, "listing_id": "lst-chanel-1", "trusted": False})
        uow.events.append(type="order.posted", actor="marketplace", subject_type="order", subject_id="ord-55",
                          payload={"listing_id": "lst-chanel-1", "seller_id": "luxe_outlet_77",
                                   "buyer_id": "buyer-jin"})
        uow.events.append(type="report.received", actor="consumer-minsu", subject_type="report",
                          subject_id="R-20261124-0001", payload={"listing_id": "lst-chanel-1",
                                                                 "category": "counterfeit"})
        uow.commit()
    return {"photo_sha": photo_sha}


@pytest.fixture
def seeded(klean_app: App) -> App:
    assert klean_app.settings.signing_key_path is not None
    evidence_package.keygen(klean_app.settings.signing_key_path)
    _seed(klean_app)
    return klean_app


def _files(app: App, subject_type: str = "case", subject_id: str = "1", lang: str = "en") -> dict[str, bytes]:
    data, _ = evidence_package.export_package(app, principal=None, subject_type=subject_type,
                                              subject_id=subject_id, lang=lang)
    files, findings = evidence_package.read_zip(data)
    assert findings == []
    return files


def _events(files: dict[str, bytes]) -> list[dict]:
    return [json.loads(line) for line in files[EVENTS].decode().splitlines()]


def test_round_trip_export_then_verify(seeded: App) -> None:
    data, manifest_sha = evidence_package.export_package(seeded, principal=None, subject_type="case",
                                                         subject_id="1", lang="ko")
    report = evidence_package.verify_zip(data)
    assert report.ok, [str(f) for f in report.findings]
    assert report.subject == "case 1"
    files, _ = evidence_package.read_zip(data)
    trusted = public_key_pem(seeded.settings.signing_key_path.read_bytes())  # type: ignore[union-attr]
    assert evidence_package.verify_zip(data, trusted).ok
    manifest = manifest_from_bytes(files[MANIFEST])
    assert {f.path for f in manifest.files} == set(files) - {MANIFEST, SIGNATURE, PUBLIC_KEY}
    # the snapshot as captured when acted on: text, price, seller, image hash, and the image itself
    snap_paths = [p for p in files if p.startswith("snapshots/lst-chanel-1/")]
    assert len(snap_paths) == 1
    snap = json.loads(files[snap_paths[0]])
    assert snap["content"]["listing"]["title"].startswith("샤넬 클래식 플랩백")
    assert snap["content"]["listing"]["price"] == 189000 and snap["content"]["status"] == "live"
    assert files[f"images/{snap['content']['listing']['images'][0]['sha256']}"] == FAKE_PHOTO
    # the chain slice: this case's events in full, the Nike block and the user event as links only
    events = _events(files)
    full = [e for e in events if not e.get("redacted")]
    assert {e["type"] for e in full} >= {"notice.received", "case.received", "case.actioned", "listing.removed",
                                         "screening.completed"}
    assert all("nike" not in json.dumps(e).lower() for e in events)
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[-1]["seq"] + 1))
    # decisions with DSA statements of reasons, a Korean summary in HTML and PDF
    decisions = json.loads(files["decisions.json"])
    removal = next(d for d in decisions if d["event"]["type"] == "listing.removed")
    assert removal["statement_of_reasons"]["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert removal["statement_of_reasons"]["source_type"] == "SOURCE_ARTICLE_16"
    html = files["summary.html"].decode()
    assert "증거 패키지" in html and "샤넬 클래식 플랩백" in html and manifest.chain.merkle_root in html
    assert files["summary.pdf"].startswith(b"%PDF")
    assert manifest_sha and len(manifest_sha) == 64
    with seeded.uow_factory() as uow:
        exported = uow.events.for_subject("case", "1")[-1]
    assert exported.type == "evidence.exported" and exported.payload["manifest_sha256"] == manifest_sha
    # the next package of the case carries the record of this one, hash-chained
    later = _files(seeded)
    assert any(e.get("type") == "evidence.exported" and e["payload"]["manifest_sha256"] == manifest_sha
               for e in _events(later))


def test_event_records_recompute_to_the_logs_own_hashes(seeded: App) -> None:
    with seeded.uow_factory() as uow:
        for e in uow.events.range():
            assert _record_hash(json.loads(json.dumps(event_to_record(e, full=True)))) == compute_hash(e) == e.hash


def _with(files: dict[str, bytes], **changes: bytes | None) -> dict[str, bytes]:
    out = dict(files)
    for path, value in changes.items():
        path = path.replace("__", "/").replace("_dot_", ".")
        if value is None:
            out.pop(path, None)
        else:
            out[path] = value
    return out


@pytest.mark.parametrize("tamper, kinds, names", [
    ("file_changed", {"altered"}, "summary.html"),
    ("file_added", {"added"}, "records/a_note_from_the_seller.json"),
    ("file_removed", {"removed", "snapshot"}, "snapshots/lst-chanel-1/"),
    ("manifest_changed", {"signature"}, "manifest.sig"),
    ("signature_changed", {"signature"}, "manifest.sig"),
    ("event_altered", {"altered", "chain"}, "listing.removed"),
    ("event_removed", {"altered", "chain"}, "removed: seq jumps"),
    ("wrong_public_key", {"key", "signature"}, "not by the trusted key"),
    ("re_signed_by_another_key", {"key"}, "not by the trusted key"),
])
def test_tampering_is_caught_and_named(seeded: App, tamper: str, kinds: set[str], names: str) -> None:
    files = _files(seeded)
    trusted = public_key_pem(seeded.settings.signing_key_path.read_bytes())  # type: ignore[union-attr]
    other_key = generate_private_key_pem()
    use_trusted: bytes | None = None
    if tamper == "file_changed":
        files = _with(files, **{"summary_dot_html": files["summary.html"].replace(b"189000", b"18900000")})
    elif tamper == "file_added":
        files = _with(files, **{"records__a_note_from_the_seller_dot_json": b'{"genuine": true}'})
    elif tamper == "file_removed":
        snap = next(p for p in files if p.startswith("snapshots/lst-chanel-1/"))
        files.pop(snap)
    elif tamper == "manifest_changed":
        files[MANIFEST] = files[MANIFEST].replace(b'"created_by": "operator"', b'"created_by": "court-clerk"')
    elif tamper == "signature_changed":
        files[SIGNATURE] = sign(other_key, files[MANIFEST])
    elif tamper in ("event_altered", "event_removed"):
        lines = files[EVENTS].decode().splitlines()
        idx = next(i for i, line in enumerate(lines) if '"listing.removed"' in line)
        if tamper == "event_altered":
            lines[idx] = lines[idx].replace("Counterfeit", "Genuine")
        else:
            del lines[idx - 1]  # the case.actioned decision just before the removal
        files[EVENTS] = ("\n".join(lines) + "\n").encode()
    elif tamper == "wrong_public_key":
        use_trusted = public_key_pem(other_key)
    elif tamper == "re_signed_by_another_key":
        # A forger rebuilds manifest, signature and key consistently: only a pinned trusted key catches it.
        files[PUBLIC_KEY] = public_key_pem(other_key)
        files[SIGNATURE] = sign(other_key, files[MANIFEST])
        assert verify_package(files).ok
        use_trusted = trusted
    report = verify_package(files, use_trusted)
    assert not report.ok
    assert kinds <= report.kinds(), [str(f) for f in report.findings]
    assert any(names in str(f) for f in report.findings), [str(f) for f in report.findings]
    if tamper == "event_altered":
        seq = next(e["seq"] for e in _events(files) if e.get("type") == "listing.removed")
        assert any(f"event {seq} (listing.removed) altered" in str(f) for f in report.findings)


def test_an_event_rehashed_by_a_forger_still_breaks_the_link(seeded: App) -> None:
    files = _files(seeded)
    records = _events(files)
    i = next(i for i, r in enumerate(records) if r.get("type") == "case.actioned")
    records[i]["reason"] = "Rejected: seller showed an invoice"
    records[i]["hash"] = _record_hash(records[i])
    files[EVENTS] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    report = verify_package(files)
    assert any(f"event {records[i + 1]['seq']} links to" in str(f) for f in report.findings)


def test_a_zip_with_a_duplicate_entry_is_named(seeded: App) -> None:
    data, _ = evidence_package.export_package(seeded, principal=None, subject_type="case", subject_id="1")
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("summary.html", b"<p>nothing to see</p>")
    report = evidence_package.verify_zip(buf.getvalue())
    assert any(f.kind == "added" and f.path == "summary.html" for f in report.findings)


def test_listing_and_seller_packages(seeded: App) -> None:
    listing = _files(seeded, "listing", "lst-chanel-1")
    assert verify_package(listing).ok
    assert any(e.get("type") == "case.received" for e in _events(listing))
    seller = _files(seeded, "seller", "luxe_outlet_77")
    assert verify_package(seller).ok
    assert any(e.get("type") == "listing.removed" for e in _events(seller))


def test_a_case_package_holds_its_own_case_and_no_buyers(seeded: App) -> None:
    bundle = collect_evidence(uow=seeded.uow_factory(), principal=Principal("chanel-ip", Role.RIGHTS_HOLDER,
                                                                            org="Chanel SAS"),
                              subject_type="case", subject_id="1")
    carried = bundle.relevant_events()
    assert not any(e.subject_type == "case" and e.subject_id == "2" for e in carried)
    assert not any(e.type.startswith(("order.", "report.")) for e in carried)
    assert any(e.type == "listing.removed" for e in carried)
    admin_listing = collect_evidence(uow=seeded.uow_factory(), principal=Principal("ada", Role.ADMIN),
                                     subject_type="listing", subject_id="lst-chanel-1")
    types = {(e.type, e.subject_id) for e in admin_listing.relevant_events()}
    assert ("case.received", "2") in types and ("order.posted", "ord-55") in types
    assert ("report.received", "R-20261124-0001") in types


def test_who_may_export(seeded: App) -> None:
    def as_(role: Role, org: str | None = None, user: str = "u") -> Callable[[], object]:
        return lambda: collect_evidence(uow=seeded.uow_factory(), principal=Principal(user, role, org=org),
                                        subject_type="case", subject_id="1")

    assert as_(Role.RIGHTS_HOLDER, "Chanel SAS")().subject_id == "1"  # type: ignore[attr-defined]
    assert as_(Role.RIGHTS_HOLDER, "Hermès", user="chanel-legal")()  # the filer
    with pytest.raises(Forbidden):
        as_(Role.RIGHTS_HOLDER, "Nike Inc.")()
    with pytest.raises(Forbidden):
        as_(Role.SELLER)()
    with pytest.raises(Forbidden):
        collect_evidence(uow=seeded.uow_factory(), principal=Principal("x", Role.RIGHTS_HOLDER, org="Chanel SAS"),
                         subject_type="seller", subject_id="luxe_outlet_77")
    with pytest.raises(NotFound):
        collect_evidence(uow=seeded.uow_factory(), principal=None, subject_type="case", subject_id="404")


def test_api_streams_the_case_package_to_its_owner_only(seeded: App, client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    chanel = make_user("chanel-ip", "rights_holder", org="Chanel SAS")
    nike = make_user("nike-ip", "rights_holder", org="Nike Inc.")
    r = client.get("/v1/evidence/cases/1?lang=ko", headers=chanel)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert evidence_package.verify_zip(r.content).ok
    assert client.get("/v1/evidence/cases/1", headers=nike).status_code == 403
    assert client.get("/v1/evidence/cases/1").status_code == 401
    assert client.get("/v1/evidence/cases/999", headers=chanel).status_code == 404
    assert client.get("/v1/evidence/cases/1?lang=fr", headers=chanel).status_code == 422
    assert client.get("/v1/evidence/listings/lst-chanel-1", headers=chanel).status_code == 403


def test_keygen_writes_0600_and_refuses_to_overwrite(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "signing.pem"
    evidence_package.keygen(key)
    assert key.stat().st_mode & 0o777 == 0o600
    with pytest.raises(Exception, match="exists"):
        evidence_package.keygen(key)
    key.chmod(0o644)
    from klean.config import Settings

    with pytest.raises(Exception, match="readable by others"):
        evidence_package.load_private_key(Settings(home=tmp_path, signing_key_path=key))
