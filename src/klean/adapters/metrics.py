"""Prometheus metrics shared by adapters (one registry per process; see README for multi-worker notes)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "klean_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "klean_http_request_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SCREENINGS = Counter("klean_screenings_total", "Listings screened", ["decision", "source"], registry=REGISTRY)
QUEUE_DEPTH = Gauge("klean_review_queue_depth", "Open items in the reviewer queue", registry=REGISTRY)
SCAN_ROWS = Counter("klean_scan_rows_total", "Rows processed by catalog scans", ["outcome"], registry=REGISTRY)
SCAN_PROGRESS = Gauge("klean_scan_progress_ratio", "Progress of the running catalog scan (0..1)", registry=REGISTRY)
