"""Prometheus metrics, one CollectorRegistry per app (tests build many apps in one process).

Under gunicorn every worker is its own process with its own counters. By default /metrics shows the
worker that happened to answer the scrape. Set PROMETHEUS_MULTIPROC_DIR (an empty, writable folder) in
the environment *before* the server starts to get figures summed over all workers: prometheus_client
then keeps values in files there (it reads that variable itself), Settings.prometheus_multiproc_dir tells
/metrics to sum them, and gunicorn.conf.py wipes the folder on start and marks dead workers.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self, multiproc_dir: str = "") -> None:
        self.multiproc_dir = multiproc_dir
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "melanoscan_http_requests_total",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "melanoscan_http_request_duration_seconds",
            "HTTP request latency by route and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.screenings = Counter(
            "melanoscan_screenings_total",
            "Screenings answered, by outcome and reported label.",
            ["status", "label"],
            registry=self.registry,
        )
        self.melanoma_alerts = Counter(
            "melanoscan_melanoma_alerts_total",
            "Screenings that told the user melanoma cannot be ruled out (a drift signal: compare with the model card).",
            registry=self.registry,
        )
        self.carcinoma_alerts = Counter(
            "melanoscan_carcinoma_alerts_total",
            "Screenings that told the user it may be another skin cancer or a pre-cancer (models with those outputs).",
            registry=self.registry,
        )
        self.retakes = Counter(
            "melanoscan_retakes_total",
            "Photos sent back, by reason: uncertain (no class reached the threshold) or blank_photo.",
            ["reason"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "melanoscan_images_rejected_total",
            "Uploads refused, by error code.",
            ["code"],
            registry=self.registry,
        )
        self.inference = Histogram(
            "melanoscan_screening_seconds",
            "Decode + preprocess + inference time per screening.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.record_failures = Counter(
            "melanoscan_screening_record_failures_total",
            "Screenings answered but not recorded because the database failed.",
            registry=self.registry,
        )

    def exposition(self) -> Response:
        registry: CollectorRegistry
        if self.multiproc_dir:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiproc_dir)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)  # it names its charset

    def install(self, app: Flask) -> None:
        @app.before_request
        def _start_timer() -> None:
            g._melanoscan_started = time.perf_counter()

        @app.after_request
        def _observe(response: Response) -> Response:
            started = g.pop("_melanoscan_started", None)
            # Route templates, not raw paths: unmatched URLs must not explode the label set.
            route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            # Likewise methods: gunicorn passes any upper-case token, so a client could mint labels at will.
            method = request.method if request.method in KNOWN_METHODS else "other"
            self.requests.labels(route, method, str(response.status_code)).inc()
            if started is not None:
                self.latency.labels(route, method).observe(time.perf_counter() - started)
            return response
