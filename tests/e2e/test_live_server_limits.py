"""Limits that only a real server shows: `klean serve` (uvicorn) in a subprocess, spoken to over real sockets.

A chunked body declares no length, so only counting the bytes as they stream can stop it; X-Forwarded-For is
uvicorn's business before it is ours; and concurrency needs real threads in the server's pool.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

Start = Callable[..., str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Start]:
    """Start `klean serve` on the test's database with extra KLEAN_ settings; returns its base URL."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = _free_port()
        full = {**os.environ, "KLEAN_HOME": str(tmp_path / "home"), "KLEAN_DATABASE_URL": database_url,
                "KLEAN_LOG_JSON": "true", **{f"KLEAN_{k.upper()}": v for k, v in env.items()}}
        log = (tmp_path / f"server-{port}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "klean.adapters.cli", "serve", "--port", str(port),
                                 "--jobs-interval", "0"], env=full, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("server did not start:\n" + (tmp_path / f"server-{port}.log").read_text()[-3000:])
            time.sleep(0.2)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _stream_chunked(base: str, path: str, content_type: str, prefix: bytes, *,
                    give_up_after: int) -> tuple[bytes, int]:
    """POST a chunked body, 64 KiB at a time, until the server answers or `give_up_after` bytes are sent; return
    (the response's first bytes, how many body bytes were sent)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n").encode() + b"%x\r\n" % len(prefix) + prefix + b"\r\n")
    chunk = b"%x\r\n" % 65536 + b"a" * 65536 + b"\r\n"
    sent = 0
    try:
        while sent < give_up_after:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered (and stopped reading)
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 65536
        else:
            sock.sendall(b"0\r\n\r\n")
        sock.settimeout(30)
        answer = b""
        while b"\r\n\r\n" not in answer:
            got = sock.recv(65536)
            if not got:
                break
            answer += got
        return answer, sent
    finally:
        sock.close()


@pytest.mark.parametrize(("path", "content_type", "prefix"), [
    ("/v1/listings", "application/json", b'{"id": "x", "title": "'),
    ("/portal/report", "multipart/form-data; boundary=klean", b'--klean\r\nContent-Disposition: form-data; '
                                                              b'name="photos"; filename="a.jpg"\r\n\r\n'),
], ids=["api", "portal"])
def test_REFUSED_a_chunked_body_is_cut_off_the_moment_it_passes_the_cap(serve: Start, path: str, content_type: str,
                                                                       prefix: bytes) -> None:
    base = serve(max_upload_bytes=str(1024 * 1024))  # cap: 1 MiB + 1 MiB of headroom for form fields
    cap = 2 * 1024 * 1024
    answer, sent = _stream_chunked(base, path, content_type, prefix, give_up_after=64 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Socket buffers on both sides hold a few MiB at most: the server stopped reading near the cap, not at 64 MiB.
    assert sent < cap + 8 * 1024 * 1024, sent


REPORT = {"category": "counterfeit", "lang": "en",
          "text": "Sold as a genuine Chanel Classic Flap for 89,000 won; the CC logo is upside down."}


def test_REFUSED_concurrent_anonymous_reports_get_exactly_the_hourly_allowance(serve: Start) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from klean.adapters.api.routes.reports import ANONYMOUS_REPORTS_PER_HOUR

    base = serve()
    with httpx.Client(base_url=base, timeout=60) as client, ThreadPoolExecutor(40) as pool:
        # One report first: the event log's first entry is written alone (a fresh chain has no head row yet).
        assert client.post("/v1/reports", json=REPORT).status_code == 201
        answers = list(pool.map(lambda _: client.post("/v1/reports", json=REPORT), range(40)))
    codes = sorted(r.status_code for r in answers)
    allowed = ANONYMOUS_REPORTS_PER_HOUR - 1
    assert codes == [201] * allowed + [429] * (40 - allowed), codes
    refused = [r for r in answers if r.status_code == 429]
    assert all(0 < int(r.headers["Retry-After"]) <= 3600 for r in refused)


def test_REFUSED_x_forwarded_for_is_believed_only_from_trusted_proxies(serve: Start) -> None:
    def spoofing(base: str) -> list[int]:
        # Each request claims another client address; the per-address report limit is 2 a minute.
        return [httpx.post(f"{base}/v1/reports", json=REPORT, headers={"X-Forwarded-For": f"203.0.113.{i}"},
                           timeout=30).status_code for i in range(1, 5)]

    assert spoofing(serve(rate_limit_reports_per_ip="2")) == [201, 201, 429, 429]  # by default: nobody's header
    # Behind a proxy that Klean is told about, the header names the client, so each address has its own budget.
    assert spoofing(serve(rate_limit_reports_per_ip="2", trusted_proxies="127.0.0.1")) == [201] * 4
