"""melanoscan serve: run the HTTP service with gunicorn (production) or Flask's server (--dev).

Production start (what `make run` does, with a bigger bind and more workers as needed):

    MELANOSCAN_DATA_DIR=/var/lib/melanoscan MELANOSCAN_WORKERS=2 \\
        melanoscan serve --host 0.0.0.0 --port 8000

This runs gunicorn in-process with `gunicorn_options(Settings)` (workers, ONNX Runtime threads per
worker, timeouts, request-line/header limits); gunicorn.conf.py is the same function, so the same
service can be started by gunicorn itself:

    gunicorn -c gunicorn.conf.py 'melanoscan.api:create_app()'

Put a reverse proxy (nginx, Caddy) with TLS in front; set MELANOSCAN_DATABASE_URL to use PostgreSQL.
The schema is migrated once here, in the master process, before workers start.
Metrics are per worker unless PROMETHEUS_MULTIPROC_DIR is set (see melanoscan.api.metrics).
"""

from __future__ import annotations

import argparse
import logging
import os
import runpy
import shutil
from pathlib import Path
from typing import Any

from melanoscan.config import PROJECT_ROOT, Settings

GUNICORN_CONF = PROJECT_ROOT / "gunicorn.conf.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="melanoscan serve", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
    parser.add_argument("--model", default=None, help="ONNX model file (its .json metadata next to it)")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in --data-dir)")
    parser.add_argument("--threshold", type=float, default=None, help="report the top class at >= this (0.5)")
    parser.add_argument("--data-dir", default=None, help="folder for the SQLite database (default ./var)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default min(2, cores))")
    parser.add_argument("--config", default=None, help="a gunicorn config file instead of melanoscan's settings")
    parser.add_argument("--dev", action="store_true", help="Flask's development server, one process")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(
        model_path=args.model,
        database_url=args.database_url,
        threshold=args.threshold,
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    if args.host or args.port:  # the flags name the address; MELANOSCAN_BIND does not outrank them
        settings = settings.with_(bind="")
    return settings


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """gunicorn's settings, from melanoscan's (gunicorn.conf.py is these, for `gunicorn -c`).

    Inference is CPU-bound and ONNX Runtime already spreads one image over its threads, so: a few workers,
    each with its share of the cores (Settings.resolved_ort_threads), not oversubscribed. Each worker is
    gunicorn's threaded worker with melanoscan's changes (melanoscan.serving.worker): `settings.threads`
    threads read uploads concurrently, so a few stalled clients cannot starve /healthz; a client that sends
    nothing for `settings.client_read_timeout` seconds is dropped; decoding runs one upload at a time per
    worker; requests gunicorn cannot parse get the API's JSON error. Its logger (melanoscan.serving.glogging)
    replaces any IP address in a log line with <ip>."""
    from melanoscan.serving.glogging import ACCESS_LOG_FORMAT

    return {
        "bind": [settings.resolved_bind],
        "workers": settings.resolved_workers,
        "worker_class": "melanoscan.serving.worker.ThreadWorker",
        "threads": settings.threads,
        "logger_class": "melanoscan.serving.glogging.PrivateLogger",
        "timeout": settings.timeout,
        "graceful_timeout": 20,
        "keepalive": 5,
        # Refuse oversized request lines and headers early (the body limit is the app's MAX_CONTENT_LENGTH).
        "limit_request_line": 4094,
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
        # Recycle workers now and then, with jitter so they do not all restart at once.
        "max_requests": 2000,
        "max_requests_jitter": 200,
        "control_socket_disable": True,  # gunicorn >= 24 would open a control socket in $HOME
        "preload_app": False,  # each worker loads its own ONNX Runtime session after fork
        # The app writes one JSON access line per request itself (melanoscan.api.request_log), so gunicorn's
        # own access log stays off.
        "accesslog": None,
        "access_log_format": ACCESS_LOG_FORMAT,  # if turned on: no %(h)s (the client's address)
        "errorlog": "-",
        "forwarded_allow_ips": "127.0.0.1",
        "on_starting": on_starting,
        "child_exit": child_exit,
    }


def on_starting(server: Any) -> None:
    """Start each run with an empty Prometheus multiprocess folder (stale files skew counters)."""
    path = Settings.from_env().prometheus_multiproc_dir
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if Settings.from_env().prometheus_multiproc_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def prepare(settings: Settings) -> None:
    """Migrate (and load hospitals) once before any worker starts, so workers never race on it."""
    from melanoscan.api import prepare_database
    from melanoscan.storage.db import make_engine, make_session_factory

    engine = make_engine(settings.resolved_database_url)
    try:
        prepare_database(engine, make_session_factory(engine), load_hospitals=settings.load_hospitals)
    finally:
        engine.dispose()


def run_gunicorn(settings: Settings, config_file: str | None) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            options = runpy.run_path(config_file) if config_file else gunicorn_options(settings)
            for key, value in options.items():
                if key.lower() in self.cfg.settings and value is not None:
                    self.cfg.set(key.lower(), value)
            self.cfg.set("bind", [settings.resolved_bind])
            self.cfg.set("workers", settings.resolved_workers)

        def load(self) -> Any:
            from melanoscan.api import create_app

            return create_app(settings)

    Application().run()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(args)
    if not Path(settings.model_path).exists():
        logging.error("model file not found: %s", settings.model_path)
        return 2
    prepare(settings)
    if args.dev:
        from melanoscan.api import create_app

        app = create_app(settings.with_(migrate_on_start=False, workers=1))
        app.run(host=settings.host, port=settings.port, threaded=True)
        return 0
    # Workers find the schema at head; skip their own migration run.
    run_gunicorn(settings.with_(migrate_on_start=False), args.config)
    return 0
