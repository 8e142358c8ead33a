"""`klean ingest` (issue 25) on SQLite and PostgreSQL: listing change streams from JSONL (file, stdin, HTTP) and from
a real Redis stream through a consumer group, at least once with idempotent effects: a change delivered twice is
stored once, entries are acknowledged only after their effects committed, and a crashed consumer's entries are
claimed again by another.

The story: "Dream Outlet 77" publishes its catalogue changes; the marketplace's feed runs as the operator `ingest`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from klean.adapters.ingest import IngestReport, RedisIngest, ingest_jsonl, open_lines
from klean.bootstrap import App
from klean.domain.auth import Principal, Role
from klean.domain.events import verify_chain
from klean.services import registry

REDIS_URL = "redis://127.0.0.1:6379/15"
OPERATOR = Principal("ingest", Role.ADMIN)
REGISTRY: dict[str, Any] = {
    "brands": [{"id": "chanel", "name": "Chanel", "marks": ["Chanel", "샤넬"],
                "products": [{"id": "chanel.cf", "name": "Classic 11.12 Handbag (Medium)", "aliases": ["클래식 플랩"],
                              "category": "bags", "reference_price": {"amount": 15570000, "currency": "KRW"}}]}],
    "sellers": [{"id": "dream_outlet_77", "strikes": 0, "account_age_days": 900}],
}


def _listing(n: int, **kw: Any) -> dict[str, Any]:
    return {"id": f"DO-{n}", "title": f"무지 면 티셔츠 {n}장 세트", "price": 19900, "currency": "KRW",
            "seller_id": "dream_outlet_77", "category": "clothing", **kw}


FAKE = _listing(99, title="샤넬 클래식 플랩백 미러급 레플리카 1:1", price=89000, category="bags")


def _submitted(app: App) -> dict[str, int]:
    """listing id -> how many listing.submitted events it has."""
    with app.uow_factory() as uow:
        out: dict[str, int] = {}
        for e in uow.events.range():
            if e.type == "listing.submitted":
                out[e.subject_id] = out.get(e.subject_id, 0) + 1
        assert verify_chain(uow.events.range()) == []
        return out


def _lines() -> list[str]:
    return [json.dumps(_listing(1)),  # a bare listing: keyed by its content
            json.dumps({"idempotency_key": "chg-2", "listing": _listing(2)}),
            "",
            "{not json",
            json.dumps({"idempotency_key": "chg-3", "listing": _listing(3, price=-1)}),
            json.dumps(FAKE)]


def test_jsonl_twice_stores_each_change_once_and_names_the_refused_lines(klean_app: App, tmp_path: Path) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=REGISTRY, actor=None)
    feed = tmp_path / "changes.jsonl"
    feed.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    first = ingest_jsonl(klean_app, OPERATOR, open_lines(str(feed)), batch_size=2, source="changes.jsonl")
    assert first.as_dict() == {"read": 5, "submitted": 3, "replayed": 0, "refused": 2, "batches": 3}
    assert [(r["where"], r["status"]) for r in first.refused] == [("changes.jsonl:4", 422), ("changes.jsonl:5", 422)]
    assert "not JSON" in first.refused[0]["message"] and first.refused[1]["field"] == "listing.price"
    # Read again from the start (the consumer lost its place): the same effects, nothing new.
    again = ingest_jsonl(klean_app, OPERATOR, open_lines(str(feed)), source="changes.jsonl")
    assert (again.submitted, again.replayed, len(again.refused)) == (0, 3, 2)
    assert _submitted(klean_app) == {"DO-1": 1, "DO-2": 1, "DO-99": 1}
    with klean_app.uow_factory() as uow:
        assert uow.listings.require("DO-99").status == "blocked"
        assert len(uow.enforcement.for_seller("dream_outlet_77")) == 1  # one warning, not two


class _Feed(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def http_feed() -> Iterator[str]:
    _Feed.body = ("\n".join(json.dumps(_listing(n)) for n in range(10, 14)) + "\n").encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/changes.jsonl"
    server.shutdown()
    server.server_close()


def test_jsonl_over_http_and_stdin_through_the_command(klean_app: App, http_feed: str, database_url: str,
                                                       tmp_path: Path) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=REGISTRY, actor=None)
    env = {**os.environ, "KLEAN_DATABASE_URL": database_url, "KLEAN_HOME": str(tmp_path)}
    klean = [sys.executable, "-c", "from klean.adapters.cli import main; main()", "ingest", "jsonl"]
    r = subprocess.run([*klean, http_feed], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["submitted"] == 4
    stdin = "\n".join([*_lines()[:2], "[1, 2]"]) + "\n"
    r = subprocess.run([*klean, "-"], input=stdin, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 1  # a refused line
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"read": 3, "submitted": 2, "replayed": 0, "refused": 1,
                                                            "batches": 1}
    assert '"where": "stdin:3"' in r.stderr and "each entry must be an object" in r.stderr
    assert set(_submitted(klean_app)) == {"DO-1", "DO-2", "DO-10", "DO-11", "DO-12", "DO-13"}


def _redis() -> Any:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture
def stream() -> Iterator[tuple[Any, str]]:
    client = _redis()
    key = f"klean-test:listings:{uuid.uuid4().hex[:8]}"
    yield client, key
    client.delete(key, f"{key}:refused")


def test_redis_stream_entries_are_acknowledged_after_commit_and_a_crashed_consumers_are_claimed_again(
        klean_app: App, stream: tuple[Any, str]) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data=REGISTRY, actor=None)
    client, key = stream
    for n in range(1, 6):
        client.xadd(key, {"listing": json.dumps(_listing(n)), "idempotency_key": f"chg-{n}"})
    client.xadd(key, {"change": json.dumps(FAKE)})
    client.xadd(key, {"listing": "{broken"})
    client.xadd(key, {"something": "else"})

    crashed = RedisIngest(klean_app, OPERATOR, client, stream=key, group="feed", consumer="worker-a", batch_size=3)
    crashed.ensure_group("0")
    # worker-a reads the first three entries and commits their effects, then dies before XACK ...
    got = client.xreadgroup("feed", "worker-a", {key: ">"}, count=3)
    entries = [(i, f) for _, batch in got for i, f in batch]
    from klean.adapters import ingest as ingest_module

    items = [ingest_module.batch_item(crashed._change(f), klean_app, keyed_by_content=True) for _, f in entries]
    ingest_module._submit(klean_app, OPERATOR, items)
    # ... and reads two more that it never gets to store at all.
    client.xreadgroup("feed", "worker-a", {key: ">"}, count=2)
    assert client.xpending(key, "feed")["pending"] == 5
    assert set(_submitted(klean_app)) == {"DO-1", "DO-2", "DO-3"}

    # worker-b claims what worker-a left (idle time 0 for the test), then reads the rest.
    survivor = RedisIngest(klean_app, OPERATOR, client, stream=key, group="feed", consumer="worker-b",
                           batch_size=3, min_idle_ms=0)
    report = survivor.run(once=True, block_ms=50, report=IngestReport())
    assert (report.read, report.submitted, report.replayed, len(report.refused)) == (8, 3, 3, 2)
    assert client.xpending(key, "feed")["pending"] == 0
    assert _submitted(klean_app) == {"DO-1": 1, "DO-2": 1, "DO-3": 1, "DO-4": 1, "DO-5": 1, "DO-99": 1}
    refused = [json.loads(f[b"reason"]) for _, f in client.xrange(f"{key}:refused")]
    assert [r["status"] for r in refused] == [422, 422]
    assert "not JSON" in refused[0]["message"] and "`change` or `listing`" in refused[1]["message"]

    # Entries published again by an at-least-once producer: replayed by their keys, nothing stored twice.
    client.xadd(key, {"listing": json.dumps(_listing(1)), "idempotency_key": "chg-1"})
    client.xadd(key, {"change": json.dumps(FAKE)})
    again = survivor.run(once=True, block_ms=50)
    assert (again.submitted, again.replayed) == (0, 2)
    assert _submitted(klean_app)["DO-99"] == 1
