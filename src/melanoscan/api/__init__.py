"""The Flask application factory: settings -> classifier, database, blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask

from melanoscan.config import Settings


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the WSGI app. The model is loaded once here, per process (gunicorn: per worker)."""
    settings = settings or Settings.from_env(**overrides)
    app = Flask(__name__, static_folder=None)
    app.config["MELANOSCAN"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    # (helpers extend this: classifier, database, blueprints, errors, metrics)
    return app
