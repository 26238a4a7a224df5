"""Prometheus metrics: request counts, latencies, batch sizes, inference time, served version.

Under gunicorn every worker is its own process. When PROMETHEUS_MULTIPROC_DIR is set (the
gunicorn config sets it and clears it at start), prometheus_client keeps the values in files
there and /metrics adds up all workers; without it /metrics shows this process only.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REQUESTS = Counter("flowzero_serving_requests", "HTTP requests answered", ["model", "api", "code"])
LATENCY = Histogram(
    "flowzero_serving_request_latency_seconds",
    "Time from the request's arrival to its response, seconds",
    ["model", "api"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BATCH = Histogram(
    "flowzero_serving_batch_size",
    "Instances per predict/infer request",
    ["model", "api"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096),
)
INFERENCE = Histogram(
    "flowzero_serving_inference_seconds",
    "Session.run time, seconds",
    ["model"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
REJECTED = Counter(
    "flowzero_serving_rejected", "Requests refused by a server limit before parsing", ["limit"]
)
VERSION = Gauge(
    "flowzero_serving_model_version",
    "The model version being served",
    ["model"],
    multiprocess_mode="max",
)


def render() -> tuple[bytes, str]:
    """(the exposition text, its content type) for GET /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
