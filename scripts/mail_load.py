"""Load on the e-mail report channel: `klean mail serve` on one core, fed the consumer-mail corpus at a fixed rate.

    python scripts/mail_load.py --rate 50 --seconds 20 [--database-url postgresql+psycopg://...] [--cores 0]

Starts `klean mail serve` in a fresh home (SQLite unless --database-url), pinned to the given core(s), with a
local relay that takes its answers; then sends the corpus (tests/data/mail_corpus) over real SMTP on a fixed
schedule (open loop: latency counts from the scheduled send time, so queueing shows), each mail with a Message-ID
and sender of its own. At the end it checks that nothing was lost: every mail answered 250 is a stored report or a
stored rejection (auto-replies, loops, empty mail), and prints rate, latency and the server's CPU time per mail.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "mail_corpus"
LISTINGS = ["gm-88231", "lv-5120", "ny-4410", "ch-20931", "sb-70312", "7264581"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Relay:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def mails() -> list[tuple[str, bytes]]:
    """(name, raw) of the corpus, without the bounce (its null sender is sent as such below)."""
    return [(p.stem, p.read_bytes()) for p in sorted(CORPUS.glob("*.eml"))]


def personalise(raw: bytes, n: int) -> bytes:
    """The same mail as another message: its own Message-ID (a repeat would be taken as a second delivery)."""
    new_id = f"<load-{n}-{time.monotonic_ns()}@load.example>".encode()
    if re.search(rb"(?im)^message-id:", raw):
        return re.sub(rb"(?im)^message-id:[^\r\n]*", b"Message-ID: " + new_id, raw, count=1)
    return b"Message-ID: " + new_id + b"\r\n" + raw


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=50.0, help="mails per second offered")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clients", type=int, default=16, help="SMTP connections sending at once")
    ap.add_argument("--cores", default="0", help="cores the server may use (taskset list)")
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="klean-mail-load-"))
    relay = Relay()
    relay_port, port = free_port(), free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=relay_port)
    controller.start()
    env = {**os.environ, "KLEAN_HOME": str(home), "KLEAN_SMTP_RELAY_PORT": str(relay_port),
           "KLEAN_REPORT_ADDRESS": "report@klean.local", "KLEAN_LOG_JSON": "false"}
    if args.database_url:
        env["KLEAN_DATABASE_URL"] = args.database_url
    klean = shutil.which("klean") or str(Path(sys.executable).parent / "klean")
    subprocess.run([klean, "init"], env=env, check=True, capture_output=True)
    seed = ("from klean.bootstrap import bootstrap\nfrom klean.domain.listing import Listing, Money\n"
            "k = bootstrap()\nwith k.uow_factory() as uow:\n"
            f"    for lid in {LISTINGS!r}:\n"
            "        uow.listings.upsert(Listing(id=lid, title='t', seller_id='s', price=Money.of(1000, 'KRW'),"
            " url=f'https://market.example/items/{lid}'))\n    uow.commit()\n")
    subprocess.run([sys.executable, "-c", seed], env=env, check=True)
    server = subprocess.Popen(["taskset", "-c", args.cores, klean, "mail", "serve", "--port", str(port),
                               "--rate", "1000"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        corpus = mails()
        total = int(args.rate * args.seconds)
        results: list[tuple[int, float]] = []
        lock = threading.Lock()
        local = threading.local()
        start = time.monotonic() + 0.5
        cpu_before = cpu_seconds(server.pid)

        def connection() -> smtplib.SMTP:
            smtp = getattr(local, "smtp", None)
            if smtp is None:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
                smtp.ehlo()
                local.smtp = smtp
            return smtp

        def send(n: int) -> None:
            name, raw = corpus[n % len(corpus)]
            due = start + n / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sender = "" if "null-sender" in name else f"load{n}@load.example"
            try:
                smtp = connection()
                code = 250
                try:
                    smtp.sendmail(sender, ["report@klean.local"], personalise(raw, n))
                except smtplib.SMTPResponseException as exc:
                    code = exc.smtp_code
                    smtp.rset()
            except (OSError, smtplib.SMTPException):
                local.smtp = None
                code = -1
            with lock:
                results.append((code, time.monotonic() - due))

        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            list(pool.map(send, range(total)))
        elapsed = time.monotonic() - start
        cpu = cpu_seconds(server.pid) - cpu_before
        time.sleep(1.0)
        url = args.database_url or f"sqlite:///{home / 'klean.db'}"
        engine = create_engine(url)
        with engine.connect() as c:
            stored = c.execute(text("SELECT count(*) FROM consumer_reports")).scalar_one()
            rejected = c.execute(text("SELECT count(*) FROM mail_rejections")).scalar_one()
            reasons = dict(c.execute(text("SELECT reason, count(*) FROM mail_rejections GROUP BY reason")).all())
        engine.dispose()
        accepted = sum(1 for code, _ in results if code == 250)
        others = sorted({code for code, _ in results if code != 250})
        latencies = sorted(lat for _, lat in results)
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(f"offered {total} mails at {args.rate:g}/s on core(s) {args.cores}: {accepted} accepted (250), "
              f"other answers {others or 'none'}; {total / elapsed:.1f} mails/s over {elapsed:.1f} s; "
              f"latency p50 {p50:.0f} ms, p99 {p99:.0f} ms")
        print(f"server CPU {cpu:.1f} s = {cpu / total * 1000:.1f} ms per mail "
              f"(one core: at most {total / cpu:.0f} mails/s); answers relayed: {relay.count}")
        print(f"stored: {stored} reports + {rejected} rejections {reasons} = {stored + rejected}; "
              f"lost: {accepted - stored - rejected}")
        return 0 if accepted == stored + rejected and accepted == total else 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        controller.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
