"""The Flask application factory: settings -> classifier, database, blueprints.

Production: `melanoscan serve` (gunicorn, see melanoscan.cli.serve), or directly
`gunicorn -c gunicorn.conf.py 'melanoscan.api:create_app()'`.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from flask import Flask, Request

from melanoscan.config import Settings

log = logging.getLogger("melanoscan.api")


class InMemoryRequest(Request):
    """Uploads stay in memory. Werkzeug would spool files over 500 KB to a temporary file on disk;
    photos must never touch the disk. MAX_CONTENT_LENGTH bounds the memory this can take."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> io.BytesIO:
        return io.BytesIO()


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the WSGI app. The model is loaded once here, per process (gunicorn: per worker)."""
    from melanoscan.api import errors, ops, ratelimit, request_log, screenings, transport
    from melanoscan.api.metrics import Metrics
    from melanoscan.api.state import EXTENSION, ServiceState
    from melanoscan.hospitals import api as hospitals_api
    from melanoscan.inference.engine import Classifier
    from melanoscan.screening.pipeline import Screener
    from melanoscan.storage.db import make_engine, make_session_factory
    from melanoscan.storage.repository import ScreeningRepository
    from melanoscan.web import views as web_views

    if settings is None:
        settings = Settings.from_env(**overrides)
    elif overrides:
        settings = settings.with_(**{k: v for k, v in overrides.items() if v is not None})
    if not 0.0 < settings.threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {settings.threshold}")

    app = Flask(__name__, static_folder=None)
    app.request_class = InMemoryRequest
    app.config["MELANOSCAN"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Korean stays readable

    classifier = Classifier(settings.model_path, threads=settings.resolved_ort_threads)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    metrics = Metrics(settings.prometheus_multiproc_dir)
    app.extensions[EXTENSION] = ServiceState(
        settings=settings,
        classifier=classifier,
        screener=Screener(
            classifier,
            threshold=settings.threshold,
            max_pixels=settings.max_pixels,
            memory_budget=settings.decode_memory_mb * 2**20,
        ),
        engine=engine,
        session_factory=session_factory,
        repository=ScreeningRepository(session_factory),
        metrics=metrics,
    )
    app.extensions["melanoscan.session_factory"] = session_factory  # for the hospitals blueprint
    if settings.migrate_on_start:
        prepare_database(engine, session_factory, load_hospitals=settings.load_hospitals)

    request_log.init_app(app, settings.log_level)  # first: every later hook (and a 429) gets the request id
    metrics.install(app)
    errors.register_error_handlers(app)
    ratelimit.init_app(app, settings)  # POST /api/v1/screenings only; off with Settings.ratelimit_enabled
    app.register_blueprint(screenings.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(hospitals_api.bp)
    app.register_blueprint(web_views.bp)
    app.after_request(security_headers)
    compress_responses(app)
    # body read errors -> 400/408; requests with a body run settings.upload_slots at a time per process
    app.wsgi_app = transport.BodyErrors(app.wsgi_app, settings.upload_slots)  # type: ignore[method-assign]
    return app


def compress_responses(app: Flask) -> None:
    """Brotli (else gzip) for pages, scripts, styles, SVG and JSON: on a slow phone network the first page is
    mostly bytes of text. Level 6 is the knee of brotli's size/time curve (Leaflet: 40 KB in 9 ms; level 11
    saves 3 KB more for 320 ms). Photos and PNG icons are already compressed and go as they are."""
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 6)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    Compress(app)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # an upload's bytes are never run as a script or page
    "X-Frame-Options": "DENY",  # no clickjacking of the camera button
    "Referrer-Policy": "same-origin",  # links out (directions, map tiles) do not carry our URLs
}


def security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def prepare_database(engine: Any, session_factory: Any, *, load_hospitals: bool) -> bool:
    """Upgrade the schema to head, then load the shipped hospital table into an empty database.
    A database that is down does not stop the service: screenings still answer, /readyz says 503."""
    from melanoscan.hospitals.loader import ensure_loaded
    from melanoscan.storage.migrate import upgrade

    try:
        upgrade(engine)
    except Exception as exc:
        log.error("database migration failed (serving without recording): %s: %s", type(exc).__name__, exc)
        return False
    if load_hospitals:
        try:
            ensure_loaded(session_factory)
        except Exception as exc:
            log.error("loading the hospital table failed: %s: %s", type(exc).__name__, exc)
            return False
    return True
