"""Load on a running Klean server over HTTP on 127.0.0.1: screenings, listing submissions and reports.

    python bench/load.py --db sqlite --workers 1 --seconds 10 --clients 16
    python bench/load.py --db postgres --workers 4 --seconds 10 --clients 32 --mix screen:1
    python bench/load.py --db postgres --workers 4 --seconds 10 --rate 500 --mix screen:1     # open loop
    python bench/load.py --url http://127.0.0.1:8000 --key klean_... --seconds 10   # an already running server

Without --url it starts `klean serve` itself on a free port, with a fresh home (SQLite) or a fresh PostgreSQL
database, a small real registry (Samsung, Chanel, Gentle Monster, Nike) and a seller and an admin; rate limits are
raised for the run (the bench is one address). The mix is --mix screen:submit:report (default 8:1:1); `batch` is
`POST /v1/listings:batch` with --batch-size listings (each with its own Idempotency-Key), and the summary gives the
listings stored per second (submissions plus batched listings):

    python bench/load.py --db postgres --workers 4 --seconds 15 --clients 4 --mix batch:1 --batch-size 500

Two ways to load the server:
- closed loop (default): --clients connections, each sending its next request as soon as the last one is answered.
  Throughput is what the server sustains at that concurrency, and by Little's law latency is clients/throughput.
- open loop (--rate N): requests are sent at a fixed arrival rate of N per second whatever the server does, over
  at most --clients keep-alive connections, and each latency is measured from the request's *scheduled* send
  time, so time spent queueing (for a connection, or because the generator fell behind) counts.

The client is a small HTTP/1.1 keep-alive client on asyncio streams (uvloop when installed) in --procs processes,
so it takes little CPU; it runs on the same machine as the server, so the figures are a floor. It prints, per
operation and overall: requests, throughput, p50/p99 latency and errors (any non-2xx or transport error), plus the
CPU time the clients and (when started here) the server used per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REGISTRY = {"brands": [
    {"id": "samsung", "name": "Samsung", "owner": "Samsung Electronics", "marks": ["Samsung", "삼성", "三星"],
     "products": [{"id": "samsung.s24u", "name": "Galaxy S24 Ultra",
                   "reference_price": {"amount": 1698400, "currency": "KRW"}}],
     "authorized_sellers": ["samsung-official"]},
    {"id": "chanel", "name": "Chanel", "owner": "Chanel", "marks": ["Chanel", "샤넬", "香奈儿"],
     "products": [{"id": "chanel.flap", "name": "Classic Flap Bag",
                   "reference_price": {"amount": 13_160_000, "currency": "KRW"}}]},
    {"id": "gentlemonster", "name": "Gentle Monster", "owner": "IICOMBINED", "marks": ["Gentle Monster", "젠틀몬스터"],
     "products": [{"id": "gm.lilit", "name": "Lilit", "reference_price": {"amount": 329_000, "currency": "KRW"}}]},
    {"id": "nike", "name": "Nike", "owner": "Nike Inc", "marks": ["Nike", "나이키", "耐克"],
     "products": [{"id": "nike.aj1", "name": "Air Jordan 1",
                   "reference_price": {"amount": 209_000, "currency": "KRW"}}]},
]}
TITLES = [
    ("Samsung Galaxy S24 Ultra 256GB 자급제 미개봉", 1_390_000),
    ("샤넬 클래식 플랩백 미러급 정품급", 89_000),
    ("젠틀몬스터 릴리트 선글라스 S급", 39_000),
    ("Nike Air Jordan 1 Chicago UA 1:1 batch", 89_000),
    ("무지 면 티셔츠 3장 세트", 19_900),
    ("Dyson-style cordless vacuum, unbranded", 129_000),
    ("나이키 에어조던1 시카고 정품 새상품", 249_000),
    ("Samsung 45W 충전기 정품", 39_000),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Server:
    """`klean serve` in a subprocess with a fresh database; stopped (and the database dropped) on exit."""

    def __init__(self, db: str, workers: int, postgres_url: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="klean-load-"))
        self.port = free_port()
        self.pg_name = ""
        self.postgres_url = postgres_url
        self.env = {**os.environ, "KLEAN_HOME": str(self.home), "KLEAN_LOG_JSON": "true",
                    "KLEAN_JOBS_INTERVAL_SECONDS": "0"}
        for action in ("reports", "notices", "refunds", "screen"):  # a load test is not an abuser
            for who in ("key", "ip"):
                self.env[f"KLEAN_RATE_LIMIT_{action.upper()}_PER_{who.upper()}"] = "100000000"
        if db == "postgres":
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            self.pg_name = f"klean_load_{uuid.uuid4().hex[:10]}"
            admin = create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
            admin.dispose()
            self.env["KLEAN_DATABASE_URL"] = make_url(postgres_url).set(database=self.pg_name).render_as_string(
                hide_password=False)
        else:
            self.env.pop("KLEAN_DATABASE_URL", None)
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                             env=self.env, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise SystemExit(f"klean {' '.join(args)} failed: {out.stderr}")
        return out.stdout.strip()

    def start(self) -> tuple[str, str, str]:
        self.cli("init")
        reg = self.home / "registry.json"
        reg.write_text(json.dumps(REGISTRY), encoding="utf-8")
        self.cli("registry", "import", str(reg))
        seller_key = self.cli("users", "create", "load-seller", "--role", "seller", "--seller-id", "load-seller")
        admin_key = self.cli("users", "create", "load-admin", "--role", "admin")
        self.log = open(self.home / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from klean.adapters.cli import main; main()", "serve", "--port", str(self.port),
             "--workers", str(self.workers), "--jobs-interval", "0"],
            env=self.env, stdout=self.log, stderr=self.log, start_new_session=True)
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        else:
            raise SystemExit("server did not become ready; see " + str(self.home / "server.log"))
        return url, seller_key.splitlines()[-1], admin_key.splitlines()[-1]

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.log.close()
        if self.pg_name:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            admin = create_engine(make_url(self.postgres_url).set(database="postgres"),
                                  isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()


def _catalogue_listing(rng: random.Random) -> dict[str, Any]:
    title, price = rng.choice(TITLES)
    return {"id": f"load-{uuid.uuid4().hex[:12]}", "title": title, "price": price, "currency": "KRW",
            "seller_id": "load-seller"}


def request_for(op: str, rng: random.Random, n: int, batch_size: int = 500) -> tuple[str, str, dict[str, Any]]:
    if op == "batch":  # a catalogue feed: each listing with its own Idempotency-Key
        return "POST", "/v1/listings:batch", {"listings": [
            {"idempotency_key": uuid.uuid4().hex, "listing": _catalogue_listing(rng)} for _ in range(batch_size)]}
    title, price = rng.choice(TITLES)
    if op == "screen":
        return "POST", "/v1/screen", {"title": title, "price": price, "currency": "KRW", "seller_id": "load-seller"}
    if op == "submit":
        return "POST", "/v1/listings", {"id": f"load-{uuid.uuid4().hex[:12]}", "title": title, "price": price,
                                        "currency": "KRW", "seller_id": "load-seller"}
    return "POST", "/v1/reports", {"category": "counterfeit", "lang": "ko",
                                   "text": f"정품이라며 {price:,}원에 팝니다. 가품 같아요 ({n})"}


class Connection:
    """One HTTP/1.1 keep-alive connection: send a request, read the status and the body (Content-Length or
    chunked). Reconnects after a transport error or `Connection: close`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.body = b""  # the last response body, when asked to keep it

    async def request(self, raw: bytes, *, keep_body: bool = False) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert self.reader is not None
        try:
            self.writer.write(raw)
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length, chunked, close = -1, False, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    chunked = "chunked" in value.lower()
                elif name == "connection":
                    close = "close" in value.lower()
            body = b""
            if chunked:
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    body += (await self.reader.readexactly(size + 2))[:size]
                    if size == 0:
                        break
            elif length >= 0:
                body = await self.reader.readexactly(length)
            else:
                body = await self.reader.read()
                close = True
            self.body = body if keep_body else b""
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Requests:
    """Request bytes for the mix, drawn from a seeded generator."""

    def __init__(self, url: str, key: str, ops: list[str], seed: int, batch_size: int = 500) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"Host: {parts.netloc}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        self.ops = ops
        self.batch_size = batch_size
        self.rng = random.Random(seed)
        self.n = 0

    def next(self) -> tuple[str, bytes]:
        op = self.rng.choice(self.ops)
        method, path, body = request_for(op, self.rng, self.n, self.batch_size)
        self.n += 1
        data = json.dumps(body, ensure_ascii=False).encode()
        extra = f"Idempotency-Key: {uuid.uuid4().hex}\r\n" if op == "report" else ""
        return op, (f"{method} {path} HTTP/1.1\r\n{self.head}{extra}Content-Length: {len(data)}\r\n\r\n"
                    .encode() + data)


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, dict[str, int]] = {}  # op -> status code or exception name -> count
        self.lag: list[float] = []  # open loop: how late each request left the generator
        self.listings = 0  # listings stored by batch requests
        self.elapsed = 0.0  # from the start until the last answer (a long batch may end after --seconds)

    def ok(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)

    def error(self, op: str, kind: str) -> None:
        per_op = self.errors.setdefault(op, {})
        per_op[kind] = per_op.get(kind, 0) + 1


async def _send(conn: Connection, op: str, raw: bytes, since: float, tally: Tally) -> None:
    try:
        async with asyncio.timeout(600 if op == "batch" else 30):
            status = await conn.request(raw, keep_body=op == "batch")
    except Exception as exc:  # transport errors and timeouts count as errors
        tally.error(op, type(exc).__name__)
        return
    if 200 <= status < 300 and op == "batch":
        out = json.loads(conn.body)
        if out["refused"]:  # a batch answered 200 with refused listings is an error of this run
            tally.error(op, f"{out['refused']} listings refused")
            return
        tally.listings += out["submitted"] + out["replayed"]
    if 200 <= status < 300:
        tally.ok(op, time.perf_counter() - since)
    else:
        tally.error(op, str(status))


async def _closed_loop(reqs: Requests, clients: int, seconds: float, tally: Tally) -> None:
    until = time.perf_counter() + seconds

    async def client() -> None:
        conn = Connection(reqs.host, reqs.port)
        while time.perf_counter() < until:
            op, raw = reqs.next()
            await _send(conn, op, raw, time.perf_counter(), tally)
        conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))


async def _open_loop(reqs: Requests, clients: int, seconds: float, rate: float, tally: Tally) -> None:
    """Send at `rate` per second on a fixed schedule; latency counts from the scheduled time, so waiting for a free
    connection (at most `clients`) or for a late generator is part of it."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(clients):
        idle.put_nowait(Connection(reqs.host, reqs.port))

    async def one(op: str, raw: bytes, scheduled: float) -> None:
        conn = await idle.get()
        try:
            await _send(conn, op, raw, scheduled, tally)
        finally:
            idle.put_nowait(conn)

    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter()
    total = int(seconds * rate)
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tally.lag.append(max(0.0, time.perf_counter() - scheduled))
        op, raw = reqs.next()
        task = asyncio.create_task(one(op, raw, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=60)
    while not idle.empty():
        idle.get_nowait().close()


def _client_process(url: str, key: str, ops: list[str], clients: int, seconds: float, rate: float,
                    start_at: float, seed: int, queue: Any, batch_size: int = 500) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    tally = Tally()
    reqs = Requests(url, key, ops, seed, batch_size)

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        if rate > 0:
            await _open_loop(reqs, clients, seconds, rate, tally)
        else:
            await _closed_loop(reqs, clients, seconds, tally)

    cpu = time.process_time()
    asyncio.run(main())
    tally.elapsed = time.time() - start_at
    queue.put((tally.latencies, tally.errors, tally.lag, time.process_time() - cpu, tally.listings, tally.elapsed))


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in a process group (Linux /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def drive(url: str, key: str, *, mix: dict[str, int], clients: int, procs: int, seconds: float, rate: float = 0.0,
          server_cpu: Callable[[], float] | None = None, batch_size: int = 500) -> dict[str, Any]:
    ops = [op for op, weight in mix.items() for _ in range(weight)]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 2.0  # every process starts together, after its imports
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    workers = [ctx.Process(target=_client_process,
                           args=(url, key, ops, n, seconds, rate / procs, start_at, i, queue, batch_size))
               for i, n in enumerate(per_proc) if n]
    for w in workers:
        w.start()
    time.sleep(max(0.0, start_at - time.time()))
    server_before = server_cpu() if server_cpu else None
    results = [queue.get(timeout=seconds + 700) for _ in workers]
    server_used = server_cpu() - server_before if server_cpu and server_before is not None else None
    for w in workers:
        w.join()
    latencies: dict[str, list[float]] = {}
    errors: dict[str, dict[str, int]] = {}
    lag: list[float] = []
    client_cpu = 0.0
    batched, elapsed = 0, seconds
    for out, errs, lags, cpu, listings, took in results:
        batched += listings
        elapsed = max(elapsed, took)
        for op, values in out.items():
            latencies.setdefault(op, []).extend(values)
        for op, kinds in errs.items():
            for kind, count in kinds.items():
                errors.setdefault(op, {})[kind] = errors.get(op, {}).get(kind, 0) + count
        lag.extend(lags)
        client_cpu += cpu
    return {"latencies": latencies, "errors": errors, "seconds": seconds, "rate": rate, "lag": lag,
            "client_cpu": client_cpu, "server_cpu": server_used, "batched_listings": batched, "elapsed": elapsed}


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    # Rates over the time until the last answer: a request sent just before --seconds ran out still counts, and a
    # long one (a batch) would otherwise inflate them.
    seconds = max(run["seconds"], run.get("elapsed", 0.0))
    rows = {}
    everything: list[float] = []
    for op in sorted(set(run["latencies"]) | set(run["errors"])):
        values = run["latencies"].get(op, [])
        everything.extend(values)
        rows[op] = {"ok": len(values), "errors": sum(run["errors"].get(op, {}).values()),
                    "error_kinds": run["errors"].get(op, {}), "per_s": len(values) / seconds,
                    "p50_ms": percentile(values, 0.50) * 1000, "p99_ms": percentile(values, 0.99) * 1000,
                    "mean_ms": (statistics.fmean(values) * 1000) if values else 0.0}
    screenings = sum(rows.get(op, {}).get("ok", 0) for op in ("screen", "submit"))
    answered = len(everything) + sum(r["errors"] for r in rows.values())
    out: dict[str, Any] = {
        "ops": rows, "screenings_per_s": screenings / seconds,
        "all": {"ok": len(everything), "errors": sum(r["errors"] for r in rows.values()),
                "per_s": len(everything) / seconds, "p50_ms": percentile(everything, 0.5) * 1000,
                "p99_ms": percentile(everything, 0.99) * 1000},
        "client_cpu_ms_per_request": run["client_cpu"] / max(1, answered) * 1000,
        # listings stored per second: single submissions plus the listings of batches
        "listings_per_s": (rows.get("submit", {}).get("ok", 0) + run.get("batched_listings", 0)) / seconds,
    }
    if run.get("server_cpu") is not None:
        out["server_cpu_ms_per_request"] = run["server_cpu"] / max(1, answered) * 1000
    if run.get("rate"):
        out["offered_per_s"] = run["rate"]
        out["send_lag_p99_ms"] = percentile(run["lag"], 0.99) * 1000
    return out


def print_summary(label: str, s: dict[str, Any]) -> None:
    print(f"\n{label}")
    print(f"{'operation':<10} {'ok':>8} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for op, r in s["ops"].items():
        print(f"{op:<10} {r['ok']:>8} {r['errors']:>7} {r['per_s']:>9.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}")
    a = s["all"]
    print(f"{'all':<10} {a['ok']:>8} {a['errors']:>7} {a['per_s']:>9.1f} {a['p50_ms']:>8.1f} {a['p99_ms']:>8.1f}")
    print(f"screenings/s (screen + submit): {s['screenings_per_s']:.1f}")
    if s.get("listings_per_s"):
        print(f"listings stored/s (submit + batched listings): {s['listings_per_s']:.1f}")
    for op, r in s["ops"].items():
        if r["error_kinds"]:
            print(f"errors in {op}: " + ", ".join(f"{k} x{v}" for k, v in sorted(r["error_kinds"].items())))
    cpu = f"CPU per request: clients {s['client_cpu_ms_per_request']:.2f} ms"
    if "server_cpu_ms_per_request" in s:
        cpu += f", server (all workers) {s['server_cpu_ms_per_request']:.2f} ms"
    print(cpu)
    if "offered_per_s" in s:
        print(f"open loop: offered {s['offered_per_s']:.0f}/s, generator send lag p99 {s['send_lag_p99_ms']:.1f} ms "
              "(latencies count from the scheduled send time)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workers", type=int, default=1, help="server worker processes (started here)")
    p.add_argument("--postgres-url", default=os.environ.get("KLEAN_TEST_POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--url", help="drive an already running server instead of starting one")
    p.add_argument("--key", help="API key for --url (any signed-in role may screen; submit needs a seller)")
    p.add_argument("--clients", type=int, default=None,
                   help="closed loop: concurrent clients (default 32); open loop: most connections (default 64)")
    p.add_argument("--rate", type=float, default=0.0,
                   help="open loop: requests per second on a fixed schedule (0: closed loop)")
    p.add_argument("--procs", type=int, default=1, help="client processes")
    p.add_argument("--seconds", type=float, default=10.0, help="duration (bounded)")
    p.add_argument("--warmup", type=float, default=5.0,
                   help="seconds of unmeasured load first (each worker builds its screener on first use)")
    p.add_argument("--mix", default="screen:8,submit:1,report:1",
                   help="op:weight,... among screen, submit, report and batch")
    p.add_argument("--batch-size", type=int, default=500, help="listings per batch request (1-500)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON too")
    args = p.parse_args()
    rate = max(0.0, min(args.rate, 100_000.0))
    clients = max(1, min(args.clients if args.clients is not None else (64 if rate else 32), 512))
    procs = max(1, min(args.procs, clients))
    seconds = max(1.0, min(args.seconds, 600.0))
    mix = {k: int(v) for k, v in (part.split(":") for part in args.mix.split(","))}
    batch_size = max(1, min(args.batch_size, 500))
    server = None
    if args.url:
        url, key = args.url, args.key or ""
    else:
        server = Server(args.db, args.workers, args.postgres_url)
        url, key, _admin = server.start()
    server_cpu = None
    if server is not None and server.proc is not None:
        pgid = server.proc.pid  # started in its own session: the group holds the server and its workers
        server_cpu = lambda: _group_cpu_seconds(pgid)  # noqa: E731
    try:
        if args.warmup > 0:
            drive(url, key, mix=mix, clients=clients, procs=procs, seconds=min(args.warmup, 120.0), rate=rate,
                  batch_size=batch_size)
        run = drive(url, key, mix=mix, clients=clients, procs=procs, seconds=seconds, rate=rate,
                    server_cpu=server_cpu, batch_size=batch_size)
    finally:
        if server is not None:
            server.stop()
    s = summarise(run)
    mode = f"open loop {rate:.0f}/s over at most {clients} connections" if rate else f"{clients} clients"
    batches = f" (batches of {batch_size})" if "batch" in mix else ""
    label = f"{args.db if not args.url else url}, {args.workers} worker(s), {mode}, {seconds:.0f} s, " \
            f"mix {args.mix}{batches}, {procs} client process(es), load average {os.getloadavg()[0]:.1f} on " \
            f"{os.cpu_count()} CPUs"
    print_summary(label, s)
    if args.json:
        print(json.dumps({"label": label, **s}))


if __name__ == "__main__":
    main()
