"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from melanoscan.api.state import EXTENSION, service

log = logging.getLogger("melanoscan.api")
bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Alive: the process answers. Touches neither the model nor the database."""
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Ready: the model is loaded and the database answers SELECT 1."""
    state = current_app.extensions.get(EXTENSION)
    checks = {"model": state is not None and state.classifier is not None, "database": False}
    if state is not None:
        try:
            state.repository.ping()
            checks["database"] = True
        except Exception as exc:
            log.warning("readiness: database unreachable: %s: %s", type(exc).__name__, exc)
    if all(checks.values()):
        return jsonify({"status": "ready", "checks": checks})
    failing = ", ".join(name for name, ok in checks.items() if not ok)
    return jsonify(
        {
            "status": "not_ready",
            "checks": checks,
            "error": {"code": "not_ready", "message": f"Not ready: {failing} unavailable."},
        }
    ), 503


@bp.get("/metrics")
def metrics():  # type: ignore[no-untyped-def]
    return service(current_app).metrics.exposition()


@bp.get("/api/v1/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI document, generated from the app's routes and api/schemas.py (pydantic and spectree are
    imported on the first request for it, not by every worker at start)."""
    from melanoscan.api.openapi import openapi_document

    return jsonify(openapi_document(current_app._get_current_object()))  # type: ignore[attr-defined]
