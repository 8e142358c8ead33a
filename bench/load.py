"""Load on a running Klean server over HTTP on 127.0.0.1: screenings, listing submissions and reports.

    python bench/load.py --db sqlite --workers 1 --seconds 10 --clients 32
    python bench/load.py --db postgres --workers 4 --seconds 10 --clients 32 \
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/load.py --url http://127.0.0.1:8000 --key klean_... --seconds 10   # an already running server

Without --url it starts `klean serve` itself on a free port, with a fresh home (SQLite) or a fresh PostgreSQL
database, a small real registry (Samsung, Chanel, Gentle Monster, Nike) and a seller and an admin; rate limits are
raised for the run (the bench is one address). Clients are asyncio tasks spread over --procs client processes,
each keeping one keep-alive connection; the mix is --mix screen:submit:report (default 8:1:1). It prints, per
operation and overall: requests, throughput, p50/p99 latency and errors (any non-2xx or transport error).
The clients run on the same machine as the server, so they take CPU from it: the figures are a floor.
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
import uuid
from pathlib import Path
from typing import Any

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
        for action in ("reports", "notices", "refunds"):
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
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
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


def request_for(op: str, rng: random.Random, n: int) -> tuple[str, str, dict[str, Any]]:
    title, price = rng.choice(TITLES)
    if op == "screen":
        return "POST", "/v1/screen", {"title": title, "price": price, "currency": "KRW", "seller_id": "load-seller"}
    if op == "submit":
        return "POST", "/v1/listings", {"id": f"load-{uuid.uuid4().hex[:12]}", "title": title, "price": price,
                                        "currency": "KRW", "seller_id": "load-seller"}
    return "POST", "/v1/reports", {"category": "counterfeit", "lang": "ko",
                                   "text": f"정품이라며 {price:,}원에 팝니다. 가품 같아요 ({n})"}


async def _client_loop(url: str, key: str, ops: list[str], until: float, seed: int,
                       out: dict[str, list[float]], errors: dict[str, int]) -> None:
    import httpx

    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30,
                                 limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
        n = 0
        while time.monotonic() < until:
            op = rng.choice(ops)
            method, path, body = request_for(op, rng, n)
            extra = {"Idempotency-Key": uuid.uuid4().hex} if op == "report" else {}
            start = time.perf_counter()
            try:
                r = await client.request(method, path, json=body, headers=extra)
                ok = 200 <= r.status_code < 300
            except Exception:
                ok = False
            elapsed = time.perf_counter() - start
            n += 1
            if ok:
                out.setdefault(op, []).append(elapsed)
            else:
                errors[op] = errors.get(op, 0) + 1


def _client_process(url: str, key: str, ops: list[str], clients: int, seconds: float, start_at: float,
                    seed: int, queue: Any) -> None:
    out: dict[str, list[float]] = {}
    errors: dict[str, int] = {}

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = time.monotonic() + seconds
        await asyncio.gather(*(_client_loop(url, key, ops, until, seed * 1000 + i, out, errors)
                               for i in range(clients)))

    asyncio.run(main())
    queue.put((out, errors))


def drive(url: str, key: str, *, mix: dict[str, int], clients: int, procs: int, seconds: float) -> dict[str, Any]:
    ops = [op for op, weight in mix.items() for _ in range(weight)]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 2.0  # every process starts together, after its imports
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    workers = [ctx.Process(target=_client_process, args=(url, key, ops, n, seconds, start_at, i, queue))
               for i, n in enumerate(per_proc) if n]
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    for w in workers:
        w.join()
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for out, errs in results:
        for op, values in out.items():
            latencies.setdefault(op, []).extend(values)
        for op, count in errs.items():
            errors[op] = errors.get(op, 0) + count
    return {"latencies": latencies, "errors": errors, "seconds": seconds}


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    seconds = run["seconds"]
    rows = {}
    everything: list[float] = []
    for op in sorted(set(run["latencies"]) | set(run["errors"])):
        values = run["latencies"].get(op, [])
        everything.extend(values)
        rows[op] = {"ok": len(values), "errors": run["errors"].get(op, 0), "per_s": len(values) / seconds,
                    "p50_ms": percentile(values, 0.50) * 1000, "p99_ms": percentile(values, 0.99) * 1000,
                    "mean_ms": (statistics.fmean(values) * 1000) if values else 0.0}
    screenings = sum(rows.get(op, {}).get("ok", 0) for op in ("screen", "submit"))
    return {"ops": rows, "screenings_per_s": screenings / seconds,
            "all": {"ok": len(everything), "errors": sum(run["errors"].values()), "per_s": len(everything) / seconds,
                    "p50_ms": percentile(everything, 0.5) * 1000, "p99_ms": percentile(everything, 0.99) * 1000}}


def print_summary(label: str, s: dict[str, Any]) -> None:
    print(f"\n{label}")
    print(f"{'operation':<10} {'ok':>8} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for op, r in s["ops"].items():
        print(f"{op:<10} {r['ok']:>8} {r['errors']:>7} {r['per_s']:>9.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}")
    a = s["all"]
    print(f"{'all':<10} {a['ok']:>8} {a['errors']:>7} {a['per_s']:>9.1f} {a['p50_ms']:>8.1f} {a['p99_ms']:>8.1f}")
    print(f"screenings/s (screen + submit): {s['screenings_per_s']:.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workers", type=int, default=1, help="server worker processes (started here)")
    p.add_argument("--postgres-url", default=os.environ.get("KLEAN_TEST_POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--url", help="drive an already running server instead of starting one")
    p.add_argument("--key", help="API key for --url (any signed-in role may screen; submit needs a seller)")
    p.add_argument("--clients", type=int, default=32, help="concurrent clients (bounded)")
    p.add_argument("--procs", type=int, default=2, help="client processes")
    p.add_argument("--seconds", type=float, default=10.0, help="duration (bounded)")
    p.add_argument("--warmup", type=float, default=5.0,
                   help="seconds of unmeasured load first (each worker builds its screener on first use)")
    p.add_argument("--mix", default="screen:8,submit:1,report:1")
    p.add_argument("--json", action="store_true", help="print the summary as JSON too")
    args = p.parse_args()
    clients = max(1, min(args.clients, 512))
    seconds = max(1.0, min(args.seconds, 600.0))
    mix = {k: int(v) for k, v in (part.split(":") for part in args.mix.split(","))}
    server = None
    if args.url:
        url, key = args.url, args.key or ""
    else:
        server = Server(args.db, args.workers, args.postgres_url)
        url, key, _admin = server.start()
    try:
        if args.warmup > 0:
            drive(url, key, mix=mix, clients=clients, procs=max(1, args.procs), seconds=min(args.warmup, 120.0))
        run = drive(url, key, mix=mix, clients=clients, procs=max(1, args.procs), seconds=seconds)
    finally:
        if server is not None:
            server.stop()
    s = summarise(run)
    label = f"{args.db if not args.url else url}, {args.workers} worker(s), {clients} clients, {seconds:.0f} s, " \
            f"mix {args.mix}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    print_summary(label, s)
    if args.json:
        print(json.dumps({"label": label, **s}))


if __name__ == "__main__":
    main()
