"""Agencies acting for many brands (issue 23): mandates uploaded, reviewed, expiring and ended by the member at once;
notices (single, bulk CSV) only under a live mandate; the members' cases; the per-member report; the trusted lane
gated by the agency's own accuracy."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.cases import NoticeDraft, RightClaim
from klean.domain.errors import Forbidden
from klean.domain.listing import Listing, Money
from klean.domain.policy_file import PolicyDocument
from klean.domain.registry import Brand, Product
from klean.services import agencies, notices

MakeUser = Callable[..., dict[str, str]]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
AGENCY_ORG = "Korea IP Protection Agency"
NEXT_YEAR = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()


def seed(app: App) -> None:
    """Three brands of three owners; counterfeit listings of each from two Seoul resellers."""
    with app.uow_factory() as uow:
        uow.brands.add(Brand(id="samsung", name="Samsung", marks=("Samsung", "삼성"), owner="samsung-electronics",
                             products=(Product(id="samsung.s24u", brand_id="samsung", name="Galaxy S24 Ultra",
                                               reference_price=Money.of(1_698_400, "KRW"),
                                               aliases=("갤럭시 S24 울트라",), category="phones"),)))
        uow.brands.add(Brand(id="chanel", name="Chanel", marks=("Chanel", "샤넬"), owner="chanel-sas"))
        uow.brands.add(Brand(id="hermes", name="Hermès", marks=("Hermès", "에르메스"), owner="hermes-paris"))
        for lid, title, price, seller in [
            ("cp-1001", "삼성 갤럭시 S24 울트라 정품 미개봉 특가", 390_000, "seoul-deals"),
            ("cp-1002", "Galaxy S24 Ultra 512GB copy grade AAA", 250_000, "seoul-deals"),
            ("cp-2001", "샤넬 클래식 플랩백 미러급 1:1", 350_000, "mirror-lux"),
            ("cp-2002", "Chanel Boy bag replica, 정품급 가죽", 420_000, "mirror-lux"),
            ("cp-3001", "에르메스 버킨 미러급", 890_000, "mirror-lux"),
        ]:
            uow.listings.upsert(Listing(id=lid, title=title, price=Money.of(price, "KRW"), seller_id=seller))
        uow.commit()


def statement(brand: str = "samsung", listings: list[str] | None = None) -> dict[str, Any]:
    return {"brand_id": brand, "notifier_name": "KIPA enforcement desk", "notifier_email": "desk@kipa.example",
            "right": {"kind": "trademark", "registration_number": "40-0789123", "office": "KIPO"},
            "listings": listings if listings is not None else ["cp-1001"],
            "explanation": "Sold as genuine at a fraction of the reference price by a seller the member has not "
                           "authorised; the member confirmed the goods are counterfeit.",
            "good_faith": True, "accurate": True, "signature": "Park Min-seo, KIPA"}


def upload_mandate(client: TestClient, agency: dict[str, str], brand: str, **form: str) -> dict[str, Any]:
    r = client.post("/v1/mandates", headers=agency, files={"file": ("letter.pdf", PDF, "application/pdf")},
                    data={"brand_id": brand, "valid_until": NEXT_YEAR, **form})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def approve(client: TestClient, reviewer: dict[str, str], mandate_id: int) -> dict[str, Any]:
    r = client.post(f"/v1/mandates/{mandate_id}/decision", headers=reviewer,
                    json={"approve": True, "reason": "Letter signed by the member's legal director"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def event_types(app: App, subject_type: str, subject_id: str) -> list[str]:
    with app.uow_factory() as uow:
        return [e.type for e in uow.events.for_subject(subject_type, subject_id)]


def listing_status(app: App, listing_id: str) -> str:
    with app.uow_factory() as uow:
        return uow.listings.require(listing_id).status  # type: ignore[no-any-return]


def with_policy(app: App, **overrides: Any) -> None:
    sections = dict(app.policy.sections)
    sections["notices"] = {**sections.get("notices", {}), **overrides}
    app.policy = PolicyDocument(version=f"{app.policy.version}-test", sections=sections)


def test_an_agency_files_only_under_a_live_mandate_and_a_member_leaving_ends_it_at_once(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make_user("rev-hana", "reviewer")
    samsung = make_user("samsung-ip", "rights_holder", org="samsung-electronics")

    # no mandate at all: refused with the reason
    r = client.post("/v1/notices", headers=agency, json=statement("samsung"))
    assert r.status_code == 403 and "no mandate for brand samsung" in r.json()["error"]["message"]

    mandate = upload_mandate(client, agency, "samsung", kind="membership")
    assert mandate["state"] == "submitted" and mandate["member"] == "samsung-electronics"
    assert mandate["live"] is False
    r = client.post("/v1/notices", headers=agency, json=statement("samsung"))
    assert r.status_code == 403 and "not been approved" in r.json()["error"]["message"]
    # the member's rights holder sees the mandate over its brand; another agency does not
    assert [m["id"] for m in client.get("/v1/mandates", headers=samsung).json()] == [mandate["id"]]
    other = make_user("brandguard-desk", "agency", org="BrandGuard Asia")
    assert client.get(f"/v1/mandates/{mandate['id']}", headers=other).status_code == 404
    assert client.get("/v1/mandates", headers=other).json() == []
    # only reviewers decide, with a reason
    r = client.post(f"/v1/mandates/{mandate['id']}/decision", headers=samsung,
                    json={"approve": True, "reason": "ok"})
    assert r.status_code == 403
    assert approve(client, reviewer, mandate["id"])["live"] is True

    # live: the agency's notice is filed, in the trusted lane, and takes the listing down at once
    r = client.post("/v1/notices", headers=agency, json=statement("samsung"))
    assert r.status_code == 201, r.text
    assert r.json()["trusted"] is True and r.json()["cases"][0]["state"] == "actioned"
    assert listing_status(klean_app, "cp-1001") == "removed"
    # ... but never for a brand it holds no mandate for
    r = client.post("/v1/notices", headers=agency, json=statement("hermes", ["cp-3001"]))
    assert r.status_code == 403 and "no mandate for brand hermes" in r.json()["error"]["message"]
    assert listing_status(klean_app, "cp-3001") == "live"

    # the member leaves: the mandate ends at once, with an event, and the next notice is refused
    r = client.post(f"/v1/mandates/{mandate['id']}/end", headers=samsung,
                    json={"reason": "Samsung left the agency's programme on 1 December"})
    assert r.status_code == 200 and r.json()["state"] == "ended" and r.json()["live"] is False
    assert "mandate.ended" in event_types(klean_app, "mandate", str(mandate["id"]))
    r = client.post("/v1/notices", headers=agency, json=statement("samsung", ["cp-1002"]))
    assert r.status_code == 403 and "was ended" in r.json()["error"]["message"]
    assert listing_status(klean_app, "cp-1002") == "live"
    # an ended mandate is not resumed
    r = client.post(f"/v1/mandates/{mandate['id']}/decision", headers=reviewer,
                    json={"approve": True, "reason": "Trying again"})
    assert r.status_code == 409
    # a rights holder of another brand may not end it
    chanel = make_user("chanel-legal", "rights_holder", org="chanel-sas")
    assert client.post(f"/v1/mandates/{mandate['id']}/end", headers=chanel,
                       json={"reason": "not mine"}).status_code == 404


def test_an_expired_mandate_stops_at_once_and_the_job_marks_it(client: TestClient, klean_app: App,
                                                                make_user: MakeUser) -> None:
    seed(klean_app)
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make_user("rev-hana", "reviewer")
    mandate = upload_mandate(client, agency, "chanel", valid_until=(datetime.now(UTC).date() + timedelta(days=10))
                             .isoformat())
    approve(client, reviewer, mandate["id"])
    principal = Principal("kipa-desk", Role.AGENCY, org=AGENCY_ORG)
    draft = NoticeDraft(
        brand_id="chanel", notifier_name="KIPA", notifier_email="desk@kipa.example",
        right=RightClaim(registration_number="40-0123456", office="KIPO"),
        listings=("cp-2001",), explanation="Mirror-grade copy of the Classic Flap bag.", good_faith=True,
        accurate=True, signature="Park Min-seo")
    later = datetime.now(UTC) + timedelta(days=11)  # the day after its end date, before any job has run
    with pytest.raises(Forbidden, match="expired on"):
        notices.file_notice(uow=klean_app.uow_factory(), principal=principal, draft=draft,
                            policy=notices.notice_policy(klean_app.policy), now=later)
    assert agencies.expire_mandates(uow=klean_app.uow_factory(), today=later.date()) == 1
    assert "mandate.expired" in event_types(klean_app, "mandate", str(mandate["id"]))
    assert client.get(f"/v1/mandates/{mandate['id']}", headers=agency).json()["state"] == "expired"
    # a mandate already past its end date is refused at upload, and one over three years too
    r = client.post("/v1/mandates", headers=agency, files={"file": ("letter.pdf", PDF, "application/pdf")},
                    data={"brand_id": "chanel", "valid_until": "2020-01-01"})
    assert r.status_code == 422 and "in the past" in r.json()["error"]["message"]
    r = client.post("/v1/mandates", headers=agency, files={"file": ("letter.pdf", PDF, "application/pdf")},
                    data={"brand_id": "chanel", "valid_until": "2099-01-01"})
    assert r.status_code == 422
    # only agencies upload mandates, and only documents
    seller = make_user("mirror-lux", "seller", seller_id="mirror-lux")
    r = client.post("/v1/mandates", headers=seller, files={"file": ("letter.pdf", PDF, "application/pdf")},
                    data={"brand_id": "chanel", "valid_until": NEXT_YEAR})
    assert r.status_code == 403
    r = client.post("/v1/mandates", headers=agency, files={"file": ("letter.pdf", b"MZ\x90\x00", "application/pdf")},
                    data={"brand_id": "chanel", "valid_until": NEXT_YEAR})
    assert r.status_code in (415, 422)


def test_a_bulk_csv_over_many_brands_files_per_brand_and_refuses_the_unmandated(
        client: TestClient, klean_app: App, make_user: MakeUser) -> None:
    seed(klean_app)
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make_user("rev-hana", "reviewer")
    for brand in ("samsung", "chanel"):
        approve(client, reviewer, upload_mandate(client, agency, brand)["id"])
    base = statement("samsung", listings=[])
    csv_text = ("brand_id,listing,registration_number\n"
                "samsung,cp-1001,40-0789123\nsamsung,cp-1002,\nchanel,cp-2001,40-0123456\n"
                "chanel,cp-2002,\nhermes,cp-3001,40-0999999\n")
    r = client.post("/v1/notices/bulk", headers={**agency, "Idempotency-Key": "kipa-2026-12-02"},
                    files={"file": ("week49.csv", csv_text.encode(), "text/csv")},
                    data={"notice": json.dumps(base)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert [n["brand_id"] for n in body["notices"]] == ["samsung", "chanel"] and body["cases"] == 4
    assert body["refused"] == [{"brand_id": "hermes", "listings": ["cp-3001"], "reason": body["refused"][0]["reason"]}]
    assert "no mandate for brand hermes" in body["refused"][0]["reason"]
    assert listing_status(klean_app, "cp-2002") == "removed" and listing_status(klean_app, "cp-3001") == "live"
    with klean_app.uow_factory() as uow:
        received = uow.events.for_subject("notice", str(body["notices"][1]["notice_id"]))[0]
    assert received.payload["right"]["registration_number"] == "40-0123456"  # the right the file gives for it
    # the same upload again with the same key opens nothing new
    r = client.post("/v1/notices/bulk", headers={**agency, "Idempotency-Key": "kipa-2026-12-02"},
                    files={"file": ("week49.csv", csv_text.encode(), "text/csv")},
                    data={"notice": json.dumps(base)})
    assert r.status_code == 201 and [n["notice_id"] for n in r.json()["notices"]] == \
        [n["notice_id"] for n in body["notices"]]
    # nothing the agency may file for: 403 with every reason
    r = client.post("/v1/notices/bulk", headers=agency,
                    files={"file": ("h.csv", b"brand_id,listing\nhermes,cp-3001\n", "text/csv")},
                    data={"notice": json.dumps(base)})
    assert r.status_code == 403 and "hermes" in r.json()["error"]["message"]
    # an incomplete statement is answered with every missing element, as POST /v1/notices does
    r = client.post("/v1/notices/bulk", headers=agency,
                    files={"file": ("s.csv", b"listing\ncp-1002\n", "text/csv")},
                    data={"notice": json.dumps({**base, "good_faith": False, "signature": ""})})
    assert r.status_code == 422 and r.json()["error"]["code"] == "incomplete_notice"
    # a rights holder's bulk CSV of its own brand goes through the same path
    samsung = make_user("samsung-ip", "rights_holder", org="samsung-electronics")
    r = client.post("/v1/notices/bulk", headers=samsung, files={"file": ("s.csv", b"cp-1002\n", "text/csv")},
                    data={"notice": json.dumps(base)})
    assert r.status_code == 201 and r.json()["cases"] == 1


def test_the_agency_sees_its_members_cases_and_a_per_member_report(client: TestClient, klean_app: App,
                                                                   make_user: MakeUser) -> None:
    seed(klean_app)
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    colleague = make_user("kipa-analyst", "agency", org=AGENCY_ORG)
    reviewer = make_user("rev-hana", "reviewer")
    chanel = make_user("chanel-legal", "rights_holder", org="chanel-sas")
    approve(client, reviewer, upload_mandate(client, agency, "chanel")["id"])
    approve(client, reviewer, upload_mandate(client, agency, "samsung")["id"])
    # the member files one itself; the agency files two (one for each member)
    own = client.post("/v1/notices", headers=chanel, json={**statement("chanel", ["cp-2002"]),
                                                           "notifier_name": "Chanel Legal"}).json()
    filed = client.post("/v1/notices", headers=agency, json=statement("chanel", ["cp-2001"])).json()
    client.post("/v1/notices", headers=colleague, json=statement("samsung", ["cp-1001"]))
    seen = {c["case_id"] for c in client.get("/v1/cases", headers=agency).json()}
    assert own["cases"][0]["case_id"] in seen and filed["cases"][0]["case_id"] in seen
    assert client.get(f"/v1/cases/{own['cases'][0]['case_id']}", headers=agency).status_code == 200
    other = make_user("brandguard-desk", "agency", org="BrandGuard Asia")
    assert client.get("/v1/cases", headers=other).json() == []
    assert client.get(f"/v1/cases/{own['cases'][0]['case_id']}", headers=other).status_code == 404
    # ... and its members' evidence packages, not others'
    from klean.adapters import evidence_package

    evidence_package.keygen(klean_app.settings.signing_key_path)
    r = client.get(f"/v1/evidence/cases/{own['cases'][0]['case_id']}", headers=agency)
    assert r.status_code == 200 and evidence_package.verify_zip(r.content).ok
    assert client.get(f"/v1/evidence/cases/{own['cases'][0]['case_id']}", headers=other).status_code == 403
    assert client.get("/v1/evidence/listings/cp-2001", headers=agency).status_code == 403

    with klean_app.uow_factory() as uow:  # the ladder restricts the Chanel copier after the removal
        uow.enforcement.add(seller_id="mirror-lux", kind="restriction", state="active", rule="ladder[1]",
                            ground="repeated counterfeit listings", violation_kind="trusted_takedown",
                            cause_ref=f"case:{filed['cases'][0]['case_id']}", actor="rule:ladder",
                            policy_version="test")
        uow.commit()
    report = client.get("/v1/agency/report", headers=agency)
    assert report.status_code == 200, report.text
    members = {m["member"]: m for m in report.json()["members"]}
    assert set(members) == {"chanel-sas", "samsung-electronics"}
    chanel_row = members["chanel-sas"]["brands"][0]
    # the agency's own notices count (both of its users'), not the member's own notice
    assert chanel_row["notices"] == 1 and chanel_row["listings_removed"] == 1 and chanel_row["mandate_live"]
    assert chanel_row["time_to_action_median_seconds"] is not None
    assert chanel_row["sellers_restricted"] == 1 and members["samsung-electronics"]["totals"]["sellers_restricted"] == 0
    assert members["samsung-electronics"]["totals"]["listings_removed"] == 1
    only_chanel = client.get("/v1/agency/report", params={"member": "chanel-sas"}, headers=agency).json()
    assert [m["member"] for m in only_chanel["members"]] == ["chanel-sas"]
    # reviewers name the agency; others may not see it
    assert client.get("/v1/agency/report", params={"agency": AGENCY_ORG}, headers=reviewer).status_code == 200
    assert client.get("/v1/agency/report", headers=chanel).status_code == 403


def test_the_agencys_trusted_lane_is_gated_by_its_own_accuracy(client: TestClient, klean_app: App,
                                                                make_user: MakeUser) -> None:
    seed(klean_app)
    with_policy(klean_app, trusted_min_decided=1)  # judge the agency from its first decided notice
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make_user("rev-hana", "reviewer")
    approve(client, reviewer, upload_mandate(client, agency, "chanel")["id"])
    r = client.post("/v1/notices", headers=agency, json=statement("chanel", ["cp-2001"]))
    case_id = r.json()["cases"][0]["case_id"]
    assert r.json()["trusted"] is True and listing_status(klean_app, "cp-2001") == "removed"
    items = client.get("/v1/review/queue", params={"kind": "notice"}, headers=reviewer).json()
    item = next(i for i in items if i["subject_id"] == str(case_id))
    assert client.post(f"/v1/review/items/{item['id']}/claim", headers=reviewer).status_code == 200
    r = client.post(f"/v1/review/items/{item['id']}/decide", headers=reviewer,
                    json={"decision": "reject", "reason": "The seller showed a boutique receipt: genuine bag"})
    assert r.status_code == 200, r.text
    record = client.get("/v1/notifiers/kipa-desk/record", headers=agency).json()
    assert record["trusted_lane"] is False and record["trusted_removed_at"]
    assert "notifier.trusted_removed" in event_types(klean_app, "user", "kipa-desk")
    r = client.post("/v1/notices", headers=agency, json=statement("chanel", ["cp-2002"]))
    assert r.status_code == 201 and r.json()["trusted"] is False
    assert listing_status(klean_app, "cp-2002") == "live"


def test_the_report_from_the_command_line_and_the_jobs_expire_mandates(
        client: TestClient, klean_app: App, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from klean.adapters.cli import app as cli
    from klean.config import get_settings
    from klean.services import jobs

    seed(klean_app)
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    reviewer = make_user("rev-hana", "reviewer")
    approve(client, reviewer, upload_mandate(client, agency, "samsung")["id"])
    short = upload_mandate(client, agency, "chanel",
                           valid_until=(datetime.now(UTC).date() + timedelta(days=3)).isoformat())
    approve(client, reviewer, short["id"])
    assert client.post("/v1/notices", headers=agency, json=statement("samsung")).status_code == 201
    monkeypatch.setenv("KLEAN_DATABASE_URL", klean_app.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("KLEAN_HOME", str(tmp_path / "cli-home"))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["agency", "report", AGENCY_ORG])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("samsung-electronics\tsamsung"))
    assert line.split("\t")[2:6] == ["live", "1", "1", "1"]
    result = CliRunner().invoke(cli, ["agency", "report", AGENCY_ORG, "--json"])
    assert json.loads(result.output)["agency"] == AGENCY_ORG
    assert CliRunner().invoke(cli, ["agency", "report", AGENCY_ORG, "--since", "yesterday"]).exit_code == 2

    report = jobs.run_jobs(uow_factory=klean_app.uow_factory, notify=lambda **_: None,
                           now=datetime.now(UTC) + timedelta(days=4))
    assert report.mandates_expired == 1
    assert client.get(f"/v1/mandates/{short['id']}", headers=agency).json()["state"] == "expired"
    get_settings.cache_clear()


def test_a_mandate_waits_in_the_reviewers_portal_queue_in_korean(client: TestClient, klean_app: App,
                                                                   make_user: MakeUser) -> None:
    from klean.services import accounts

    seed(klean_app)
    agency = make_user("kipa-desk", "agency", org=AGENCY_ORG)
    upload_mandate(client, agency, "samsung", kind="membership")
    make_user("rev-hana", "reviewer")
    accounts.set_password(uow=klean_app.uow_factory(), actor=None, user_id="rev-hana", password="a long passphrase 7")
    token = client.get("/portal/signin").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/portal/signin", data={"login": "rev-hana", "password": "a long passphrase 7",
                                               "csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get("/portal/review?lang=ko")
    assert page.status_code == 200 and "대행기관 위임장" in page.text
