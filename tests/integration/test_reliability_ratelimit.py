"""Rate limits per API key and per client address: reports, notices, refunds, sign-in; in-process and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from klean.adapters.api.ratelimit import MemoryCounter, RateLimiter, RedisCounter
from klean.bootstrap import App
from klean.config import Settings

MakeUser = Callable[..., dict[str, str]]
REDIS_URL = "redis://127.0.0.1:6379/15"
REPORT = {"category": "counterfeit", "lang": "en",
          "text": "Sold as genuine Chanel Classic Flap for 89,000 won; the CC logo is mirrored."}


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
        return True
    except Exception:
        return False


def tight(klean_app: App, **limits: int) -> None:
    """Give the running app small limits (the settings object is read when the limiter is built).

    The window is an hour so that a test's few requests never straddle a fixed-window boundary.
    """
    klean_app.settings.rate_limit_window_seconds = 3600
    for name, value in limits.items():
        setattr(klean_app.settings, f"rate_limit_{name}", value)


def test_anonymous_reports_are_limited_per_address_with_retry_after(klean_app: App) -> None:
    from klean.adapters.api.app import create_app

    tight(klean_app, reports_per_ip=3)
    with TestClient(create_app(klean_app)) as client:
        codes = [client.post("/v1/reports", json=REPORT).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        r = client.post("/v1/reports", json=REPORT)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= klean_app.settings.rate_limit_window_seconds
        # Another address has its own budget.
        other = TestClient(create_app(klean_app), client=("203.0.113.7", 5000))
        assert other.post("/v1/reports", json=REPORT).status_code == 201


def test_one_key_is_limited_even_across_addresses(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    tight(klean_app, refunds_per_key=2, refunds_per_ip=100)
    buyer = make_user("minji", "consumer")
    app = create_app(klean_app)
    codes = []
    for i in range(3):
        c = TestClient(app, client=(f"198.51.100.{i + 1}", 4000))
        codes.append(c.post("/v1/refunds/claims", json={"order_id": "ORD-2025-77881", "note": "smells of glue"},
                            headers=buyer).status_code)
    assert codes[:2] != [429, 429] and all(code != 429 for code in codes[:2])
    assert codes[2] == 429
    # A different buyer on the same address is not affected by minji's key budget.
    other = make_user("jisoo", "consumer")
    assert TestClient(app, client=("198.51.100.1", 4000)).post(
        "/v1/refunds/claims", json={"order_id": "ORD-2025-77882"}, headers=other).status_code != 429


def test_notices_and_sign_in_are_limited(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    tight(klean_app, notices_per_key=1, notices_per_ip=100, signin_per_ip=2)
    holder = make_user("chanel-legal", "rights_holder", org="Chanel")
    with TestClient(create_app(klean_app)) as client:
        first = client.post("/v1/notices", json={}, headers=holder)
        assert first.status_code == 422  # counted even when invalid: probing costs budget too
        assert client.post("/v1/notices", json={}, headers=holder).status_code == 429
        signin = [client.post("/portal/signin", data={"login": "x", "password": "y"}).status_code
                  for _ in range(3)]
        assert signin[2] == 429 and 429 not in signin[:2]


def test_an_unlimited_route_is_never_counted(klean_app: App, make_user: MakeUser) -> None:
    from klean.adapters.api.app import create_app

    tight(klean_app, reports_per_ip=1)
    with TestClient(create_app(klean_app)) as client:
        assert all(client.get("/healthz").status_code == 200 for _ in range(5))


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not _redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield REDIS_URL


def test_redis_counters_are_shared_between_workers(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url, secret_key=uuid.uuid4().hex, rate_limit_reports_per_ip=3)
    # Two limiters = two workers; they share the Redis counters, so the fourth request overall is refused.
    worker_a, worker_b = RateLimiter(settings), RateLimiter(settings)
    assert isinstance(worker_a.counter, RedisCounter)
    results = [w.check("reports", ip="192.0.2.10", key=None) for w in (worker_a, worker_b, worker_a, worker_b)]
    assert results[:3] == [0, 0, 0] and results[3] > 0
    # In-process counters would have let each worker take its own three.
    local = Settings(secret_key=settings.secret_key, rate_limit_reports_per_ip=3)
    a, b = RateLimiter(local, MemoryCounter()), RateLimiter(local, MemoryCounter())
    assert [w.check("reports", ip="192.0.2.10", key=None) for w in (a, b, a, b)] == [0, 0, 0, 0]


def test_redis_unreachable_fails_open() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", rate_limit_reports_per_ip=1)
    limiter = RateLimiter(settings)
    assert [limiter.check("reports", ip="192.0.2.11", key=None) for _ in range(3)] == [0, 0, 0]


def test_server_with_redis_limits(klean_app: App, redis_url: str) -> None:
    from klean.adapters.api.app import create_app

    klean_app.settings.redis_url = redis_url
    klean_app.settings.secret_key = uuid.uuid4().hex  # fresh buckets for this test
    tight(klean_app, reports_per_ip=2)
    with TestClient(create_app(klean_app)) as one, TestClient(create_app(klean_app)) as two:
        assert one.post("/v1/reports", json=REPORT).status_code == 201
        assert two.post("/v1/reports", json=REPORT).status_code == 201
        assert one.post("/v1/reports", json=REPORT).status_code == 429
