"""Operations: request ids, metrics, body caps, readiness."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    r = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["X-Request-ID"] != "bad id with spaces"
    assert len(r.headers["X-Request-ID"]) == 32


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/v1/me")  # 401
    text = client.get("/metrics").text
    assert 'klean_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/v1/me",status="401"' in text
    assert "klean_review_queue_depth 0.0" in text


def test_oversized_body_is_refused_before_reading(client: TestClient) -> None:
    limit = client.app.state.klean.settings.max_upload_bytes  # type: ignore[attr-defined]
    r = client.post("/v1/screen", content=b"x", headers={"Content-Length": str(limit * 2)})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


def test_readyz_reports_database(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}


def test_api_docs_load_everything_from_klean_itself(client: TestClient) -> None:
    """/docs works offline: Swagger UI's script, style and icon come from the package, not a CDN."""
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets  # nothing from another host
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    assert "SwaggerUIBundle" in client.get("/docs-static/swagger-ui-bundle.js").text
    assert "/openapi.json" in page.text and client.get("/openapi.json").status_code == 200
    assert client.get("/docs-static/LICENSE").status_code == 200  # the vendored files' licence ships with them
