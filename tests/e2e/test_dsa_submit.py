"""`klean dsa submit` against a stand-in for the EU DSA Transparency Database on 127.0.0.1 (tests/dsa_tdb.py: the
documented API with its validation; the real database cannot be reached from here), on SQLite and PostgreSQL.

Every statement arrives exactly once, whatever fails on the way: a 500, a 429, a batch the database took but never
answered for, a run that stops half way, a run that dies holding a batch; refusals keep the database's message,
duplicates count as submitted, a wrong token stops the run with nothing lost, sandbox and production each get
everything once, and the scheduled jobs under `klean serve` send what is new.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

import dsa_history
from dsa_tdb import StandIn
from klean.adapters.dsa_client import HttpTdbClient
from klean.bootstrap import App
from klean.domain.listing import Listing, Money
from klean.services import dsa


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with StandIn().running() as s:
        yield s


@pytest.fixture
def run(klean_app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """`klean dsa ...` as a fresh process would run it, against the test database and a stand-in."""
    from klean.adapters.cli import app as cli
    from klean.config import get_settings

    monkeypatch.setenv("KLEAN_DATABASE_URL", klean_app.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("KLEAN_HOME", str(tmp_path / "cli-home"))
    monkeypatch.setenv("KLEAN_DSA_BACKOFF_SECONDS", "0.01")

    def invoke(stand: StandIn, *args: str, token: str | None = None, lease: float = 300.0) -> Result:
        monkeypatch.setenv("KLEAN_DSA_TDB_URL", stand.url)
        monkeypatch.setenv("KLEAN_DSA_TDB_TOKEN", stand.token if token is None else token)
        monkeypatch.setenv("KLEAN_DSA_LEASE_SECONDS", str(lease))
        get_settings.cache_clear()
        return CliRunner().invoke(cli, ["dsa", *args])

    yield invoke
    get_settings.cache_clear()


def _blocks(k: App, n: int, prefix: str = "lst") -> None:
    with k.uow_factory() as uow:
        for i in range(n):
            lid = f"{prefix}-{i:03d}"
            uow.listings.upsert(Listing(id=lid, title=f"Nike Dunk Low rep batch {prefix} {i}",
                                        price=Money.of(39000, "KRW"), seller_id="kicks_4_less", category="shoes"),
                                status="held")
            snap = uow.listings.set_status(lid, "blocked", cause="screening")
            uow.events.append(type="listing.blocked", actor="rule:screening", subject_type="listing",
                              subject_id=lid, payload={"snapshot_id": snap.id, "snapshot_sha256": snap.sha256},
                              reason="Nike mark with replica vocabulary")
        uow.commit()


def _outbox(k: App, target: str) -> dict[str, str]:
    with k.uow_factory() as uow:
        return {s.puid: s.state for s in uow.dsa.list(target=target, limit=10_000)}


def _posts(stand: StandIn) -> int:
    return sum(1 for method, path, _ in stand.requests if method == "POST")


def test_a_full_history_reaches_the_database_exactly_once_across_failures_and_restarts(
        client: TestClient, klean_app: App, make_user: Any, run: Any) -> None:
    h = dsa_history.build(client, klean_app, make_user)
    with StandIn(people=h.people).running() as stand:
        # Run 1 stops after two requests: the first gets a 500 (retried), the second is taken but never answered.
        stand.script = ["500", "drop"]
        first = run(stand, "submit", "--batch-size", "5", "--max-batches", "2")
        assert first.exit_code == 1, first.output
        assert "waiting" in first.output
        dropped = set(stand.stored)  # the unanswered batch: the database has it, Klean cannot know
        assert len(dropped) == 5 and all(stand.posted[p] == 2 for p in dropped)  # the 500, then the drop
        # Run 2, a new process: asks about the unanswered batch before sending anything, then sends the rest
        # through a 429.
        stand.script = ["429"]
        second = run(stand, "submit", "--batch-size", "5")
        assert second.exit_code == 0, second.output
        assert "5 found after an interrupted run" in second.output
        assert all(stand.lookups[p] == 1 for p in dropped)
        target = HttpTdbClient(stand.url, stand.token).target
        outbox = _outbox(klean_app, target)
        assert len(outbox) >= 18 and set(outbox.values()) == {"submitted"}
        assert set(stand.stored) == set(outbox)
        assert max(stand.accepted.values()) == 1  # stored once each
        assert all(stand.posted[p] == 2 for p in dropped)  # looked up, never sent again
        # Run 3: nothing new, nothing sent. Then a new action: only its statement goes.
        posts = _posts(stand)
        assert run(stand, "submit").exit_code == 0 and _posts(stand) == posts
        _blocks(klean_app, 1, prefix="late")
        assert run(stand, "submit").exit_code == 0
        assert _posts(stand) == posts + 1 and len(stand.stored) == len(outbox) + 1
        status = run(stand, "status")
        assert status.exit_code == 0 and f"{len(outbox) + 1} submitted, 0 refused" in status.output


def test_a_run_that_died_holding_a_batch_is_looked_up_once_its_lease_ends(klean_app: App, stand_in: StandIn,
                                                                        run: Any) -> None:
    _blocks(klean_app, 7)
    client = HttpTdbClient(stand_in.url, stand_in.token)
    dsa.record_statements(uow_factory=klean_app.uow_factory, target=client.target)
    now = datetime.now(UTC)
    with klean_app.uow_factory() as uow:  # a run claims three, sends them, and dies before it records anything
        batch = uow.dsa.claim(target=client.target, now=now, limit=3, token="dead-run",
                              lease_until=now + timedelta(seconds=4))
        uow.commit()
    assert client.post_statements([s.body for s in batch]).status == 201
    held = {s.puid for s in batch}
    result = run(stand_in, "submit")  # while the lease holds, the batch is the dead run's
    assert result.exit_code == 1 and "3 waiting" in result.output, result.output
    assert set(stand_in.stored) - held and all(stand_in.posted[p] == 1 for p in stand_in.stored)
    time.sleep(max(0.0, (now + timedelta(seconds=4) - datetime.now(UTC)).total_seconds()) + 0.1)
    result = run(stand_in, "submit")
    assert result.exit_code == 0 and "3 found after an interrupted run" in result.output, result.output
    assert set(_outbox(klean_app, client.target).values()) == {"submitted"} and len(stand_in.stored) == 7
    assert all(stand_in.posted[p] == 1 for p in stand_in.stored) and all(stand_in.lookups[p] == 1 for p in held)


def test_refusals_keep_the_database_message_and_duplicates_count_as_submitted(klean_app: App, stand_in: StandIn,
                                                                              run: Any) -> None:
    _blocks(klean_app, 4)
    client = HttpTdbClient(stand_in.url, stand_in.token)
    dsa.record_statements(uow_factory=klean_app.uow_factory, target=client.target)
    with klean_app.uow_factory() as uow:
        statements = uow.dsa.list(target=client.target)
    there = statements[0].body
    stand_in.stored[there["puid"]] = there  # sent earlier by other means: a duplicate
    stand_in.people = ["rep batch lst 2"]  # the stand-in refuses the statement that says this
    result = run(stand_in, "submit")
    assert result.exit_code == 1 and "2 submitted" in result.output and "1 already there" in result.output
    assert "1 refused" in result.output and "personal data: names 'rep batch lst 2'" in result.output
    states = _outbox(klean_app, client.target)
    assert sorted(states.values()) == ["refused", "submitted", "submitted", "submitted"]
    posts = _posts(stand_in)
    again = run(stand_in, "submit")  # a refusal is final: not sent again
    assert again.exit_code == 0 and _posts(stand_in) == posts
    status = run(stand_in, "status")
    assert "1 refused" in status.output and "personal data" in status.output


def test_a_refused_token_stops_the_run_and_loses_nothing(klean_app: App, stand_in: StandIn, run: Any) -> None:
    _blocks(klean_app, 3)
    result = run(stand_in, "submit", token="expired-token")
    assert result.exit_code == 1 and "refused the token (HTTP 401)" in result.output and not stand_in.stored
    client = HttpTdbClient(stand_in.url, stand_in.token)
    assert set(_outbox(klean_app, client.target).values()) == {"pending"}
    result = run(stand_in, "submit")
    assert result.exit_code == 0 and len(stand_in.stored) == 3


def test_sandbox_and_production_each_get_every_statement_once(klean_app: App, run: Any) -> None:
    _blocks(klean_app, 3)
    with StandIn().running() as sandbox, StandIn().running() as production:
        assert run(sandbox, "submit").exit_code == 0
        assert run(production, "submit").exit_code == 0
        assert run(sandbox, "submit").exit_code == 0
        assert set(sandbox.stored) == set(production.stored) and len(sandbox.stored) == 3
        assert max(sandbox.accepted.values()) == max(production.accepted.values()) == 1
    result = run(sandbox, "submit", token="")
    assert result.exit_code == 2 and "KLEAN_DSA_TDB_TOKEN" in result.output


def test_the_scheduled_jobs_send_what_is_new(klean_app: App, stand_in: StandIn) -> None:
    from klean.adapters.jobs import run_once

    _blocks(klean_app, 2)
    assert run_once(klean_app, notify=lambda **_: None).dsa is None  # not configured: nothing is sent
    klean_app.settings.dsa_tdb_url = stand_in.url
    klean_app.settings.dsa_tdb_token = stand_in.token
    klean_app.settings.dsa_backoff_seconds = 0.05
    report = run_once(klean_app, notify=lambda **_: None)
    assert report.dsa is not None and report.dsa["submitted"] == 2 and report.dsa["pending"] == 0
    stand_in.script = ["500"]
    _blocks(klean_app, 1, prefix="late")
    report = run_once(klean_app, notify=lambda **_: None)  # no pause inside a scheduled run: the next one retries
    assert report.dsa is not None and report.dsa["pending"] == 1 and "did not take a batch" in report.dsa["stopped"]
    with klean_app.uow_factory() as uow:
        (waiting,) = uow.dsa.list(target=HttpTdbClient(stand_in.url, "x").target, states=["pending"])
    assert waiting.next_attempt_at is not None and waiting.message == "HTTP 500: Server Error"
    time.sleep(max(0.0, (waiting.next_attempt_at - datetime.now(UTC)).total_seconds()) + 0.05)
    assert run_once(klean_app, notify=lambda **_: None).dsa["submitted"] == 1  # type: ignore[index]
    assert len(stand_in.stored) == 3


def test_runs_at_the_same_time_never_send_a_statement_twice(klean_app: App, stand_in: StandIn) -> None:
    """Several server workers' scheduled jobs and an operator's `klean dsa submit`, all at once."""
    _blocks(klean_app, 12)
    target = HttpTdbClient(stand_in.url, stand_in.token).target
    reports: list[dsa.SubmitReport] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        try:
            reports.append(dsa.submit_statements(uow_factory=klean_app.uow_factory, target=target, batch_size=1,
                                                 client=HttpTdbClient(stand_in.url, stand_in.token), backoff=0.01))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.recorded for r in reports) == 12 and sum(r.submitted for r in reports) == 12
    assert len(stand_in.stored) == 12 and max(stand_in.posted.values()) == 1
    assert set(_outbox(klean_app, target).values()) == {"submitted"}
