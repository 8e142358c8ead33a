"""Scheduled jobs against a real SMTP server (aiosmtpd on a random local port), on SQLite and PostgreSQL.

The story: Seoul Outlet's Gentle Monster distributor letter runs out; it is warned 30 and 7 days before, once
each, in Korean and English; then the proof expires and its old strike lapses.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from klean.adapters.jobs import mail_notifier, run_once
from klean.bootstrap import App
from klean.config import Settings
from klean.domain.auth import Principal, Role
from klean.domain.listing import Listing, Money
from klean.services import accounts, enforcement, jobs, registry, verification

SELLER = "seoul-outlet"
SELLER_EMAIL = "kim@seoul-outlet.kr"
NOW = datetime.now(UTC)


class _Sink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        raw = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        with self.lock:
            self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[tuple[_Sink, int]]:
    sink, port = _Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path: Path, smtp_sink: tuple[_Sink, int]) -> Settings:
    return Settings(home=tmp_path / "home", signing_key_path=tmp_path / "home" / "signing.pem",
                    smtp_relay_host="127.0.0.1", smtp_relay_port=smtp_sink[1], mail_from="trust@klean.local")


def _proof(k: App, *, days_left: int, with_email: bool = True) -> int:
    """An approved Gentle Monster proof for Seoul Outlet that ends `days_left` days from now."""
    registry.create_brand(uow=k.uow_factory(), principal=None, brand_id="gentle-monster", name="Gentle Monster",
                          marks=["Gentle Monster", "젠틀몬스터"], owner="IICOMBINED")
    accounts.create_user(uow=k.uow_factory(), actor=None, user_id="outlet-kim", name="김서울", role=Role.SELLER,
                         seller_id=SELLER, email=SELLER_EMAIL if with_email else None)
    seller = Principal("outlet-kim", Role.SELLER, seller_id=SELLER)
    proof = verification.submit_proof(uow=k.uow_factory(), principal=seller, brand_id="gentle-monster",
                                      document_sha256="ab" * 32, media_type="application/pdf", size=2048,
                                      issuer="IICOMBINED Co., Ltd.",
                                      valid_until=(NOW + timedelta(days=days_left)).date())
    gm_legal = Principal("gm-legal", Role.RIGHTS_HOLDER, org="IICOMBINED")
    verification.decide_proof(uow=k.uow_factory(), principal=gm_legal, proof_id=proof["id"], approve=True,
                              reason="Matches our distributor register")
    return int(proof["id"])


def _run(k: App, at: datetime, app: App | None = None) -> jobs.JobReport:
    target = app or k
    return jobs.run_jobs(uow_factory=k.uow_factory, notify=mail_notifier(target), app_extras=k.extras,
                         policy=enforcement.policy_of(k.policy), now=at)


def test_warnings_30_and_7_days_before_once_each_then_expiry(klean_app: App, smtp_sink: tuple[_Sink, int]) -> None:
    sink, _ = smtp_sink
    pid = _proof(klean_app, days_left=30)
    first = _run(klean_app, NOW)
    assert first.warnings_sent == 1 and len(sink.messages) == 1
    warning = sink.messages[0]
    assert warning["To"] == SELLER_EMAIL and warning["X-Klean-Kind"] == "proof_expiry_warning"
    assert "30일 후 만료됩니다" in str(warning["Subject"]) and "expires in 30 days" in str(warning["Subject"])
    body = warning.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"증빙 #{pid}" in body and f"Your proof #{pid} of authorisation to sell Gentle Monster" in body

    assert _run(klean_app, NOW).warnings_sent == 0  # the same day again: nothing new
    assert _run(klean_app, NOW + timedelta(days=10)).warnings_sent == 0
    assert _run(klean_app, NOW + timedelta(days=23)).warnings_sent == 1  # 7 days left
    assert "7일 후" in str(sink.messages[-1]["Subject"])
    assert _run(klean_app, NOW + timedelta(days=24)).warnings_sent == 0
    assert len(sink.messages) == 2

    with klean_app.uow_factory() as uow:  # the seller's live Gentle Monster listing, checked again at expiry
        uow.listings.upsert(Listing(id="gm-lang-01", title="Gentle Monster Lang 01 sunglasses, full set",
                                    price=Money(Decimal("289000"), "KRW"), seller_id=SELLER, category="eyewear"))
        uow.listings.upsert(Listing(id="nk-af1", title="Nike Air Force 1 '07 white", seller_id=SELLER,
                                    price=Money(Decimal("139000"), "KRW"), category="sneakers"))
        uow.commit()
    expired = _run(klean_app, NOW + timedelta(days=31))
    assert expired.proofs_expired == 1 and expired.warnings_sent == 0
    assert expired.rescan_skipped is None and expired.listings_rescanned == 1  # only the Gentle Monster one
    assert _run(klean_app, NOW + timedelta(days=32)).proofs_expired == 0
    with klean_app.uow_factory() as uow:
        proof = uow.proofs.get(pid)
        assert proof.state.value == "expired" and proof.warnings_sent == (30, 7)
        types = [e.type for e in uow.events.range()]
    assert types.count("proof.expiry_warning") == 2 and types.count("proof.expired") == 1


def test_missed_runs_send_one_warning_and_never_an_earlier_one_later(klean_app: App,
                                                                      smtp_sink: tuple[_Sink, int]) -> None:
    sink, _ = smtp_sink
    _proof(klean_app, days_left=5)
    assert _run(klean_app, NOW).warnings_sent == 1
    assert "5일 후" in str(sink.messages[0]["Subject"])
    assert _run(klean_app, NOW + timedelta(days=1)).warnings_sent == 0
    assert len(sink.messages) == 1


def test_relay_down_is_retried_next_run(klean_app: App, smtp_sink: tuple[_Sink, int]) -> None:
    sink, _ = smtp_sink
    _proof(klean_app, days_left=20)
    down = dataclasses.replace(klean_app, settings=klean_app.settings.model_copy(
        update={"smtp_relay_port": _free_port()}))
    report = _run(klean_app, NOW, app=down)
    assert report.warnings_sent == 0 and len(report.mail_failures) == 1
    assert _run(klean_app, NOW).warnings_sent == 1 and len(sink.messages) == 1


def test_seller_without_email_is_recorded_as_undeliverable(klean_app: App, smtp_sink: tuple[_Sink, int]) -> None:
    _proof(klean_app, days_left=6, with_email=False)
    report = _run(klean_app, NOW)
    assert report.warnings_undeliverable == 1 and report.warnings_sent == 0
    assert _run(klean_app, NOW).warnings_undeliverable == 0  # recorded: not retried every run
    assert smtp_sink[0].messages == []


def test_jobs_expire_old_strikes(klean_app: App) -> None:
    long_ago = NOW - timedelta(days=400)
    with klean_app.uow_factory() as uow:
        enforcement.record_violation(uow=uow, seller_id=SELLER, kind="notice_upheld", actor="minji",
                                     cause_ref="case:1", now=long_ago)
        enforcement.record_violation(uow=uow, seller_id=SELLER, kind="notice_upheld", actor="minji",
                                     cause_ref="case:2", now=NOW - timedelta(days=3))
        uow.commit()
    assert _run(klean_app, NOW).actions_expired == 1
    standing = enforcement.standing(uow=klean_app.uow_factory(), principal=Principal("r", Role.REVIEWER),
                                    seller_id=SELLER)
    assert standing["points"] == 1
    assert [s["state"] for s in standing["strikes"]] == ["expired", "active"]


def test_klean_jobs_run_cli(klean_app: App, database_url: str, smtp_sink: tuple[_Sink, int], tmp_path: Path) -> None:
    sink, port = smtp_sink
    _proof(klean_app, days_left=7)
    env = {**os.environ, "KLEAN_DATABASE_URL": database_url, "KLEAN_HOME": str(tmp_path / "cli-home"),
           "KLEAN_SMTP_RELAY_HOST": "127.0.0.1", "KLEAN_SMTP_RELAY_PORT": str(port)}
    proc = subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", "jobs", "run"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["warnings_sent"] == 1
    assert len(sink.messages) == 1 and sink.messages[0]["To"] == SELLER_EMAIL


def test_the_server_runs_the_jobs_loop(klean_app: App, smtp_sink: tuple[_Sink, int]) -> None:
    from klean.adapters.api.app import create_app

    sink, _ = smtp_sink
    _proof(klean_app, days_left=30)
    looping = dataclasses.replace(klean_app, settings=klean_app.settings.model_copy(
        update={"jobs_interval_seconds": 1}))
    with TestClient(create_app(looping)) as client:
        loop = client.app.state.job_loop  # type: ignore[attr-defined]
        assert loop is not None
        deadline = time.monotonic() + 60  # a bound against hanging, not a speed assertion
        while loop.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert loop.runs >= 2
    assert len(sink.messages) == 1  # two runs, one warning: the loop is idempotent
    plain = TestClient(create_app(klean_app))
    with plain:
        assert plain.app.state.job_loop is None  # type: ignore[attr-defined]


def test_run_once_uses_the_app_policy(klean_app: App) -> None:
    report = run_once(klean_app)
    assert report.as_dict()["proofs_expired"] == 0


def test_statements_of_reasons_are_emailed_once(klean_app: App, smtp_sink: tuple[_Sink, int]) -> None:
    sink, _ = smtp_sink
    accounts.create_user(uow=klean_app.uow_factory(), actor=None, user_id="outlet-kim", name="김서울",
                         role=Role.SELLER, seller_id=SELLER, email=SELLER_EMAIL)
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="gm-kubo-01", title="GM Kubo 01 1:1 copy", seller_id=SELLER,
                                    price=Money(Decimal("25000"), "KRW"), category="eyewear"))
        actions = enforcement.record_violation(uow=uow, seller_id=SELLER, kind="notice_upheld", actor="minji",
                                               cause_ref="case:12", listing_id="gm-kubo-01",
                                               brand_id="gentle-monster", evidence=["notice:5"])
        uow.commit()
    report = _run(klean_app, NOW)
    assert report.statements_sent == len(actions) == 3 and len(sink.messages) == 3
    strike_mail = next(m for m in sink.messages if "strike" in str(m["Subject"]))
    assert strike_mail["X-Klean-Kind"] == "statement_of_reasons" and strike_mail["To"] == SELLER_EMAIL
    text = strike_mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "이의 제기 방법" in text and "How to appeal" in text and "case:12" in text and "notice:5" in text
    assert _run(klean_app, NOW).statements_sent == 0 and len(sink.messages) == 3
