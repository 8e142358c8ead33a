"""Durability under faults (PostgreSQL): `klean serve` is SIGKILLed in the middle of a burst of concurrent reports and
notices sent with Idempotency-Keys; after a restart every request is retried with its key. Each request that got a
2xx exists exactly once, every request ends up stored exactly once, and the event hash chain still verifies.

A scan killed midway resumes without duplicates: tests/e2e/test_scan_local.py (the scan engineer's kill-and-resume
test) covers it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from klean.adapters.db import migrate
from klean.bootstrap import bootstrap
from klean.config import Settings
from klean.domain.auth import Role
from klean.domain.events import verify_chain
from klean.domain.listing import Listing, Money
from klean.domain.registry import Brand
from klean.services import accounts
from pg_support import pg_url, require_postgres, scratch_database

REPORTS, NOTICES = 24, 12


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    require_postgres()
    with scratch_database("klean_kill") as name:  # empty: seed() migrates it
        yield pg_url(name)


class Server:
    def __init__(self, home: Path, url: str) -> None:
        self.port = free_port()
        self.env = {**os.environ, "KLEAN_HOME": str(home), "KLEAN_DATABASE_URL": url, "KLEAN_LOG_JSON": "true",
                    "KLEAN_SMTP_RELAY_PORT": str(free_port()),  # nobody listens: mail fails fast, work is kept
                    **{f"KLEAN_RATE_LIMIT_{a}_PER_{w}": "1000000" for a in ("REPORTS", "NOTICES")
                       for w in ("KEY", "IP")}}
        self.log = home / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from klean.adapters.cli import main; main()", "serve", "--port",
                 str(self.port), "--workers", "1", "--jobs-interval", "0"],
                env=self.env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # no shutdown hooks, no flush: a power cut, as far as we can
        self.proc.wait(timeout=30)


def seed(url: str, home: Path) -> tuple[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    k = bootstrap(Settings(home=home), database_url=url)
    migrate.upgrade(k.engine)
    with k.uow_factory() as uow:
        uow.brands.add(Brand(id="chanel", name="Chanel", marks=("Chanel", "샤넬"), owner="chanel-sas"))
        for i in range(NOTICES):
            uow.listings.upsert(Listing(id=f"cp-{2000 + i}", title=f"샤넬 클래식 플랩백 미러급 1:1 #{i}",
                                        price=Money.of(350_000, "KRW"), seller_id="mirror-lux"))
        uow.commit()
    _, holder = accounts.create_user(uow=k.uow_factory(), actor=None, user_id="chanel-ip", name="Chanel IP",
                                     role=Role.RIGHTS_HOLDER, org="chanel-sas")
    _, buyer = accounts.create_user(uow=k.uow_factory(), actor=None, user_id="minji", name="Minji",
                                    role=Role.CONSUMER)
    k.engine.dispose()
    return holder, buyer


def requests_to_send(holder: str, buyer: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(REPORTS):
        out.append({"kind": "report", "path": "/v1/reports", "key": f"report-{i}-{uuid.uuid4().hex[:8]}",
                    "headers": {"Authorization": f"Bearer {buyer}"},
                    "json": {"category": "counterfeit", "lang": "ko",
                             "text": f"샤넬 플랩백이 35만원, 정품은 1300만원. cp-{2000 + i % NOTICES} ({i})"}})
    for i in range(NOTICES):
        out.append({"kind": "notice", "path": "/v1/notices", "key": f"notice-{i}-{uuid.uuid4().hex[:8]}",
                    "headers": {"Authorization": f"Bearer {holder}"},
                    "json": {"brand_id": "chanel", "notifier_name": "Chanel SAS, IP department",
                             "notifier_email": "ip@chanel.example",
                             "right": {"kind": "trademark", "registration_number": "40-0123456", "office": "KIPO"},
                             "listings": [f"cp-{2000 + i}"],
                             "explanation": "A mirror-grade copy of the Classic Flap Bag at 3% of its price.",
                             "good_faith": True, "accurate": True, "signature": "Claire Dubois"}})
    return out


def send(base: str, req: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    try:
        r = httpx.post(base + req["path"], json=req["json"], timeout=15,
                       headers={**req["headers"], "Idempotency-Key": req["key"]})
    except httpx.HTTPError:
        return 0, None  # the connection died with the server: the client does not know what happened
    return r.status_code, (r.json() if r.headers.get("content-type", "").startswith("application/json") else None)


def test_sigkill_mid_burst_loses_nothing_acknowledged_and_duplicates_nothing(database: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    holder, buyer = seed(database, home)
    server = Server(home, database)
    server.start()
    todo = requests_to_send(holder, buyer)
    first: dict[str, tuple[int, dict[str, Any] | None]] = {}
    done = threading.Event()

    def one(req: dict[str, Any]) -> None:
        first[req["key"]] = send(server.base, req)
        if sum(1 for s, _ in first.values() if 200 <= s < 300) >= len(todo) // 3:
            done.set()

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(one, req) for req in todo]
        done.wait(timeout=60)  # a third acknowledged: pull the plug while the rest are in flight
        server.kill()
        for f in futures:
            f.result(timeout=60)

    acknowledged = {k for k, (s, _) in first.items() if 200 <= s < 300}
    assert 0 < len(acknowledged) < len(todo), f"the kill should land mid-burst ({len(acknowledged)} acknowledged)"

    server.start()
    try:
        retried: dict[str, tuple[int, dict[str, Any] | None]] = {}
        for req in todo:
            retried[req["key"]] = send(server.base, req)
    finally:
        server.kill()

    failed = {k: v for k, v in retried.items() if not 200 <= v[0] < 300}
    assert not failed, failed
    for key in acknowledged:  # the same answer as before the crash: the same case, not a new one
        before, after = first[key][1], retried[key][1]
        assert before is not None and after is not None
        for field in ("case_number", "notice_id", "id", "case_ids"):
            if field in before:
                assert before[field] == after[field], (key, field)

    engine = create_engine(database)
    with engine.connect() as c:
        reports = c.execute(text("SELECT count(*) FROM consumer_reports")).scalar_one()
        notices = c.execute(text("SELECT count(*) FROM notices")).scalar_one()
        keys = c.execute(text("SELECT count(*), count(DISTINCT key) FROM idempotency_keys")).one()
    engine.dispose()
    assert reports == REPORTS and notices == NOTICES  # each request stored exactly once
    assert keys[0] == keys[1] == len(todo)

    k = bootstrap(Settings(home=home), database_url=database)
    with k.uow_factory() as uow:
        events = uow.events.range()
    k.engine.dispose()
    assert events and verify_chain(events) == []
