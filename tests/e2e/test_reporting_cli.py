"""`klean mail serve` and `klean notices deadlines` as an operator runs them, in subprocesses on the test database."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from klean.bootstrap import App
from klean.domain.cases import NoticeDraft, RightClaim
from klean.domain.listing import Listing, Money
from klean.domain.registry import Brand
from klean.services import notices, review

CLI = "from klean.adapters.cli import main; main()"


def env_for(app: App, home: Path) -> dict[str, str]:
    return {**os.environ, "KLEAN_HOME": str(home), "KLEAN_DATABASE_URL": app.engine.url.render_as_string(
        hide_password=False), "KLEAN_LOG_JSON": "false", "KLEAN_SMTP_RELAY_PORT": "1",
        "KLEAN_REPORT_ADDRESS": "report@klean.local"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mail_serve_takes_a_report_over_smtp(klean_app: App, tmp_path: Path) -> None:
    with klean_app.uow_factory() as uow:
        uow.listings.upsert(Listing(id="dy-v15", title="다이슨 V15 정품 새상품 반값", seller_id="cheap-vacuum",
                                    price=Money.of(590_000, "KRW")))
        uow.commit()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", CLI, "mail", "serve", "--port", str(port)],
                            env=env_for(klean_app, tmp_path / "home"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # wait until it listens
            try:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "klean mail serve did not start"
                time.sleep(0.2)
        with smtp:
            smtp.ehlo()
            smtp.mail("minsu@daum.example")
            smtp.rcpt("report@klean.local")
            code, reply = smtp.data("From: minsu@daum.example\r\nSubject: =?utf-8?B?"
                                    "6rCA7ZKIIOyLoOqzoA==?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                                    "상품번호 dy-v15 는 가품 같습니다. 정가 119만원인데 59만원.\r\n".encode())
        assert code == 250 and b"report R-" in reply
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with klean_app.uow_factory() as uow:
        events = uow.events.of_types(["report.received"])
    assert len(events) == 1 and events[0].payload["listing_id"] == "dy-v15"


def test_notices_deadlines_restores_after_the_window(klean_app: App, tmp_path: Path) -> None:
    with klean_app.uow_factory() as uow:
        uow.brands.add(Brand(id="dyson", name="Dyson", marks=("Dyson", "다이슨"), owner="dyson-ltd"))
        uow.listings.upsert(Listing(id="dy-v15", title="Dyson V15 Detect 정품", seller_id="grey-import",
                                    price=Money.of(890_000, "KRW")))
        for uid, role, org, seller in [("dyson-ip", "rights_holder", "dyson-ltd", None),
                                       ("rev", "reviewer", None, None), ("grey", "seller", None, "grey-import")]:
            uow.users.create(user_id=uid, name=uid, role=role, org=org, seller_id=seller)
        uow.commit()
        rh, rev, seller = (uow.users.principal(u) for u in ("dyson-ip", "rev", "grey"))
    policy = notices.notice_policy(klean_app.policy)
    draft = NoticeDraft(brand_id="dyson", notifier_name="Dyson IP", notifier_email="ip@dyson.example",
                        right=RightClaim(registration_number="40-0912345", office="KIPO"), listings=("dy-v15",),
                        explanation="Sold as new with a counterfeit battery pack and no serial number.",
                        good_faith=True, accurate=True, signature="J. Smith")
    answer, _ = notices.file_notice(uow=klean_app.uow_factory(), principal=rh, draft=draft, policy=policy)
    case_id = answer["cases"][0]["case_id"]
    with klean_app.uow_factory() as uow:
        item_id = uow.queue.open_items(kind="notice")[0].id
    review.claim(uow=klean_app.uow_factory(), principal=rev, item_id=item_id)
    review.decide(uow=klean_app.uow_factory(), principal=rev, item_id=item_id, decision="uphold",
                  reason="No serial number on the unit", policy=policy)
    three_weeks_ago = datetime.now(UTC) - timedelta(days=21)
    notices.file_counter_notice(uow=klean_app.uow_factory(), principal=seller, case_id=case_id, policy=policy,
                                reasons="Parallel import of a genuine unit; serial on the box, customs papers.",
                                now=three_weeks_ago)
    r = subprocess.run([sys.executable, "-c", CLI, "notices", "deadlines"], env=env_for(klean_app, tmp_path / "h"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "restored 1 listing(s)" in r.stdout
    with klean_app.uow_factory() as uow:
        assert uow.listings.require("dy-v15").status == "live"
        assert uow.cases.get(case_id).state == "restored"
