"""melanoscan serve: run the HTTP service with gunicorn (production) or Flask's server (--dev).

Production start (what `make run` does, with a bigger bind and more workers as needed):

    MELANOSCAN_DATA_DIR=/var/lib/melanoscan MELANOSCAN_WORKERS=2 \\
        melanoscan serve --host 0.0.0.0 --port 8000

This runs gunicorn in-process with the settings of `gunicorn.conf.py` (workers, ONNX Runtime threads
per worker, timeouts, request-line/header limits) when that file is found, and built-in equivalents
otherwise. The same service can be started by gunicorn itself:

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
from pathlib import Path
from typing import Any

from melanoscan.config import PROJECT_ROOT, Settings

GUNICORN_CONF = PROJECT_ROOT / "gunicorn.conf.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="melanoscan serve", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
    parser.add_argument("--model", default=None, help="ONNX model file (its .json metadata next to it)")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in --data-dir)")
    parser.add_argument("--threshold", type=float, default=None, help="report the top class at >= this (0.5)")
    parser.add_argument("--data-dir", default=None, help="folder for the SQLite database (default ./var)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default min(2, cores))")
    parser.add_argument("--config", default=None, help=f"gunicorn config file (default {GUNICORN_CONF})")
    parser.add_argument("--dev", action="store_true", help="Flask's development server, one process")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        model_path=args.model,
        database_url=args.database_url,
        threshold=args.threshold,
        data_dir=args.data_dir,
    )


def prepare(settings: Settings) -> None:
    """Migrate (and load hospitals) once before any worker starts, so workers never race on it."""
    from melanoscan.api import prepare_database
    from melanoscan.storage.db import make_engine, make_session_factory

    engine = make_engine(settings.resolved_database_url)
    try:
        prepare_database(engine, make_session_factory(engine), load_hospitals=settings.load_hospitals)
    finally:
        engine.dispose()


def run_gunicorn(settings: Settings, bind: str, workers: int | None, config_file: str | None) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            path = config_file or (str(GUNICORN_CONF) if GUNICORN_CONF.exists() else None)
            if path:
                for key, value in runpy.run_path(path).items():
                    if key in self.cfg.settings and value is not None:
                        self.cfg.set(key.lower(), value)
            else:
                for key, value in _builtin_defaults().items():
                    self.cfg.set(key, value)
            self.cfg.set("bind", [bind])
            if workers:
                self.cfg.set("workers", workers)

        def load(self) -> Any:
            from melanoscan.api import create_app

            return create_app(settings)

    Application().run()


def _builtin_defaults() -> dict[str, Any]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = int(os.environ.get("MELANOSCAN_WORKERS") or min(2, cores))
    os.environ.setdefault("MELANOSCAN_ORT_THREADS", str(max(1, cores // workers)))
    return {
        "workers": workers,
        "worker_class": "melanoscan.serving.worker.ThreadWorker",
        "threads": Settings.from_env().threads,
        "logger_class": "melanoscan.serving.glogging.PrivateLogger",
        "timeout": 30,
        "graceful_timeout": 20,
        "limit_request_line": 4094,
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
        "accesslog": None,
        "access_log_format": '"%(r)s" %(s)s %(b)s %(L)ss "%(a)s"',
        "control_socket_disable": True,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = args.host or os.environ.get("MELANOSCAN_HOST", "127.0.0.1")
    port = args.port or int(os.environ.get("MELANOSCAN_PORT", "8000"))
    if args.workers:
        os.environ["MELANOSCAN_WORKERS"] = str(args.workers)
    settings = settings_from(args)
    if not Path(settings.model_path).exists():
        logging.error("model file not found: %s", settings.model_path)
        return 2
    prepare(settings)
    if args.dev:
        from melanoscan.api import create_app

        create_app(settings.with_(migrate_on_start=False)).run(host=host, port=port, threaded=True)
        return 0
    # Workers find the schema at head; skip their own migration run.
    run_gunicorn(settings.with_(migrate_on_start=False), f"{host}:{port}", args.workers, args.config)
    return 0
