"""Statements of reasons for a full history (tests/dsa_history.py) built through the real services, on SQLite and on
PostgreSQL: the Transparency Database's published rules (tests/dsa_tdb.py) take every one; each says truthfully
where the decision came from, when it ends and what was automated; nobody is named; the transparency report's
figures by source agree; the API and the CLI give them as the database's bulk endpoint takes them."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import dsa_history
import dsa_tdb
from klean.bootstrap import App, bootstrap
from klean.config import Settings
from klean.domain import dsa
from klean.domain.errors import ValidationError
from klean.domain.listing import Listing, Money
from klean.services import dsa as dsa_service
from klean.services.transparency import transparency_report

REPORT_SOURCES = {"SOURCE_ARTICLE_16": ("rights_holder_notice",), "SOURCE_TRUSTED_FLAGGER": ("trusted_lane",),
                  "SOURCE_TYPE_OTHER_NOTIFICATION": ("consumer_report",),
                  "SOURCE_VOLUNTARY": ("proactive_screening", "test_buy", "other")}


def _today() -> Any:
    return datetime.now(UTC).date()


def _listing(body: dict[str, Any]) -> str:
    found = re.match(r"Listing (\S+) was", body["decision_facts"])
    assert found, body["decision_facts"][:200]
    return found.group(1)


def test_every_statement_of_a_full_history_is_taken_and_true(client: TestClient, klean_app: App,
                                                               make_user: Any) -> None:
    h = dsa_history.build(client, klean_app, make_user)
    built = dsa_service.export_statements(uow=klean_app.uow_factory(), principal=None, start=_today(), end=_today())
    assert len(built) >= 18
    for s in built:
        assert s.problems == (), (s.puid, s.problems)
        assert dsa_tdb.errors(s.body, people=h.people) == {}, (s.puid, dsa_tdb.errors(s.body, people=h.people))
    bodies = [s.body for s in built]
    with klean_app.uow_factory() as uow:
        instance = uow.dsa.meta("instance_id")
    assert len({b["puid"] for b in bodies}) == len(bodies)
    assert all(b["puid"].startswith(f"klean-{instance}-e") for b in bodies)

    listings = {_listing(b): b for b in bodies if b.get("decision_visibility")}
    assert {lid: b["source_type"] for lid, b in listings.items()} == h.listing_source
    notice = listings[h.notice_listing]  # a Galaxy screening had let through, with its evidence
    assert "Screening signals:" in notice["decision_facts"]
    assert (notice["automated_detection"], notice["automated_decision"]) == ("No", "AUTOMATED_DECISION_NOT_AUTOMATED")
    assert notice["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert len(dsa_history.LONG_NOTICE_REASON) > 2000 >= len(notice["illegal_content_explanation"])
    assert "(shortened; the full reasons are in the statement sent to the seller" in \
        notice["illegal_content_explanation"]
    held = listings["flap-held"]  # held by screening, removed by a reviewer
    assert (held["automated_detection"], held["automated_decision"]) == ("Yes", "AUTOMATED_DECISION_PARTIALLY")
    assert held["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert len(held["incompatible_content_explanation"]) <= 2000
    assert listings["flap-trusted"]["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert listings["gx-fake"]["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert listings["gx-5"]["incompatible_content_illegal"] == "No"  # listed without authorisation, not a fake

    ends = sorted(b["end_date_service_restriction"] for b in bodies if b.get("decision_provision"))
    assert ends == sorted(d for ds in h.restricted_until.values() for d in ds) and len(ends) == 4
    suspensions = sorted((b.get("end_date_account_restriction") or "") for b in bodies if b.get("decision_account"))
    assert suspensions == sorted((d or "") for d in h.suspended_until.values()) == ["", h.suspended_until[
        "sneaker-vault"]]

    report = transparency_report(uow=klean_app.uow_factory(), start=_today(), end=_today())
    taken = {k: v["blocked_before_live"] + v["taken_down_after"] for k, v in report["by_source"].items()}
    stated = Counter(b["source_type"] for b in listings.values())
    assert {t: sum(taken[s] for s in sources) for t, sources in REPORT_SOURCES.items()} == \
        {t: stated.get(t, 0) for t in REPORT_SOURCES}
    assert taken["consumer_report"] == 1 and taken["other"] == 5

    admin = make_user("ada", "admin")
    day = _today().isoformat()
    r = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin)
    assert r.status_code == 200 and set(r.json()) == {"statements"}
    assert r.json()["statements"] == bodies and r.headers["x-total-count"] == str(len(bodies))
    assert all(set(b) <= set(dsa.FIELDS) for b in r.json()["statements"])


def test_a_territory_outside_the_eu_eea_is_refused_everywhere(client: TestClient, klean_app: App, make_user: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from klean.adapters.cli import app as cli
    from klean.config import get_settings

    for territory in (["KR", "GB"], ["XX"], ["EL"]):
        with pytest.raises(ValidationError) as caught:
            dsa_service.export_statements(uow=klean_app.uow_factory(), principal=None, start=_today(),
                                          end=_today(), territorial_scope=territory)
        assert caught.value.field == "territorial_scope" and territory[-1] in caught.value.message
    admin = make_user("ada", "admin")
    day = _today().isoformat()
    r = client.get(f"/v1/transparency/statements?from={day}&territory=KR,GB", headers=admin)
    assert r.status_code == 422 and "KR" in r.json()["error"]["message"]
    assert client.get(f"/v1/transparency/statements?from={day}&territory=de,EU", headers=admin).status_code == 200
    monkeypatch.setenv("KLEAN_DATABASE_URL", klean_app.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["report", "statements", "--from", day, "--territory", "KR,GB"])
        assert result.exit_code == 2 and "KR" in result.output and "GB" in result.output
    finally:
        get_settings.cache_clear()


def _blocks(k: App, n: int, prefix: str = "lst") -> None:
    with k.uow_factory() as uow:
        for i in range(n):
            lid = f"{prefix}-{i:03d}"
            uow.listings.upsert(Listing(id=lid, title=f"Nike Dunk Low rep batch {i}", price=Money.of(39000, "KRW"),
                                        seller_id="kicks_4_less", category="shoes"), status="held")
            snap = uow.listings.set_status(lid, "blocked", cause="screening")
            uow.events.append(type="listing.blocked", actor="rule:screening", subject_type="listing",
                              subject_id=lid, payload={"snapshot_id": snap.id, "snapshot_sha256": snap.sha256},
                              reason="Nike mark with replica vocabulary")
        uow.commit()


def test_the_api_gives_the_bulk_endpoint_body_100_at_a_time(client: TestClient, klean_app: App,
                                                            make_user: Any) -> None:
    _blocks(klean_app, 105)
    admin = make_user("ada", "admin")
    day = _today().isoformat()
    first = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin)
    assert first.status_code == 200 and len(first.json()["statements"]) == 100
    assert first.headers["x-total-count"] == "105" and first.headers["x-klean-refused-count"] == "0"
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    second = client.get(f"/v1/transparency/statements?from={day}&to={day}&page=2", headers=admin)
    assert len(second.json()["statements"]) == 5 and "link" not in second.headers
    puids = [s["puid"] for s in first.json()["statements"] + second.json()["statements"]]
    assert len(set(puids)) == 105
    assert all(dsa_tdb.errors(s, people=["kicks_4_less"]) == {} for s in first.json()["statements"])


def test_a_statement_that_would_be_refused_is_reported_never_written(client: TestClient, klean_app: App,
                                                                       make_user: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from klean.adapters.cli import app as cli
    from klean.config import get_settings

    _blocks(klean_app, 3)
    real = dsa.problems
    flagged = "lst-001"

    def problems(statement: Any) -> list[str]:
        found = real(statement)
        return [*found, "decision_facts: pretend refusal"] if flagged in statement["decision_facts"] else found

    monkeypatch.setattr(dsa, "problems", problems)
    admin = make_user("ada", "admin")
    day = _today().isoformat()
    r = client.get(f"/v1/transparency/statements?from={day}&to={day}", headers=admin)
    assert r.status_code == 200 and len(r.json()["statements"]) == 2
    assert r.headers["x-klean-refused-count"] == "1"
    (refused,) = r.json()["refused"]
    assert refused["problems"] == ["decision_facts: pretend refusal"]
    monkeypatch.setenv("KLEAN_DATABASE_URL", klean_app.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["report", "statements", "--from", day, "--to", day])
        assert result.exit_code == 1 and len(result.stdout.splitlines()) == 2
        assert flagged not in result.stdout and "pretend refusal" in result.stderr
        assert refused["puid"] in result.stderr
        result = CliRunner().invoke(cli, ["report", "statements", "--from", day, "--to", day, "--format", "bulk"])
        assert [len(json.loads(line)["statements"]) for line in result.stdout.splitlines()] == [2]
    finally:
        get_settings.cache_clear()


def test_puids_never_repeat_in_a_recreated_database(klean_app: App, tmp_path: Path) -> None:
    other = bootstrap(Settings(home=tmp_path / "other"), database_url=f"sqlite:///{tmp_path / 'other.db'}")
    try:
        from klean.adapters.db import migrate

        migrate.upgrade(other.engine)
        puids = []
        for k in (klean_app, other):
            _blocks(k, 1)
            (s,) = dsa_service.export_statements(uow=k.uow_factory(), principal=None, start=_today(), end=_today())
            puids.append(s.puid)
            again = dsa_service.export_statements(uow=k.uow_factory(), principal=None, start=_today(), end=_today())
            assert again[0].puid == s.puid  # stable within one database
        seqs = [re.search(r"-e(\d+)-", p).group(1) for p in puids]  # type: ignore[union-attr]
        assert seqs[0] == seqs[1] and puids[0] != puids[1]  # the same event number, another database
    finally:
        other.engine.dispose()
