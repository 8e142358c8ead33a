"""A real server and a real browser: uvicorn serving Klean on 127.0.0.1, Playwright driving /usr/bin/chromium.

Screenshots of every visited page go to artifacts/screenshots/; console errors fail the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("KLEAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A migrated SQLite database in tmp_path and `klean serve` on a free port; yields (base url, env)."""
    port = _free_port()
    env = {**os.environ, "KLEAN_HOME": str(tmp_path / "home"), "KLEAN_LOG_JSON": "true",
           "KLEAN_DATABASE_URL": f"sqlite:///{tmp_path / 'klean.db'}"}
    klean = [sys.executable, "-m", "klean.adapters.cli"]
    subprocess.run([*klean, "init"], env=env, check=True, capture_output=True, timeout=120)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([*klean, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield base, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"CI=true but no Chromium at {CHROMIUM}: browser tests must run in CI")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A phone-sized page that records console errors and saves a screenshot per visited URL."""
    context = browser.new_context(viewport={"width": 414, "height": 896}, locale="ko-KR")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def shot(name: str) -> Path:
        counter["n"] += 1
        path = ARTIFACTS / f"{request.node.name}-{counter['n']:02d}-{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    pg.shot = shot  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def klean_cli(live_server: tuple[str, dict[str, str]]) -> Callable[..., str]:
    """Run `klean ...` against the live server's database; returns stdout."""
    _, env = live_server

    def run(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "klean.adapters.cli", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    return run
