"""POST /api/v1/screenings: one photo in, the screening answer out. The photo stays in memory."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Blueprint, current_app, jsonify, request

from melanoscan.api import i18n
from melanoscan.api.state import service
from melanoscan.errors import MelanoscanError
from melanoscan.screening.answer import answer

log = logging.getLogger("melanoscan.api")
bp = Blueprint("screenings", __name__)

FIELD = "image"


def read_upload() -> bytes:
    if request.mimetype != "multipart/form-data":
        raise MelanoscanError(
            "unsupported_content_type",
            f"Expected multipart/form-data with a file field named '{FIELD}', got {request.mimetype or 'no body'}.",
            415,
        )
    upload = request.files.get(FIELD)  # may raise RequestEntityTooLarge -> 413
    if upload is None:
        # A part may come without a name (None): a 400 all the same, never a 500 (found by Schemathesis).
        received = sorted({str(k) for k in (*request.files.keys(), *request.form.keys()) if k})
        detail = f" (received: {', '.join(received)[:200]})" if received else ""
        raise MelanoscanError("missing_image", f"Send the photo as a file field named '{FIELD}'{detail}.", 400)
    data: bytes = upload.read()
    return data


@bp.post("/api/v1/screenings")
def create_screening():  # type: ignore[no-untyped-def]
    state = service(current_app)
    lang = i18n.request_lang()
    try:
        data = read_upload()
        started = time.perf_counter()
        outcome = state.screener.screen(data)
    except MelanoscanError as exc:
        state.metrics.rejected.labels(exc.code).inc()
        raise
    latency_ms = (time.perf_counter() - started) * 1000.0
    state.metrics.inference.observe(latency_ms / 1000.0)
    decision, spec = outcome.decision, outcome.spec

    screening_id = str(uuid.uuid4())
    width, height = outcome.original_size
    try:
        state.repository.add(
            id=screening_id,
            status=decision.status,
            label=decision.label,
            probabilities=decision.probabilities,
            melanoma_alert=decision.melanoma_alert,
            carcinoma_alert=decision.carcinoma_alert,
            retake_reason=decision.retake_reason,
            model_name=spec.name,
            model_version=spec.version,
            image_width=width,
            image_height=height,
            image_bytes=len(data),
            latency_ms=latency_ms,
            lang=lang,
        )
    except Exception as exc:  # the user still gets the answer; ops get a log line and a counter
        state.metrics.record_failures.inc()
        log.error("could not record screening %s: %s: %s", screening_id, type(exc).__name__, exc)
    state.metrics.screenings.labels(decision.status, decision.label or "none").inc()
    if decision.melanoma_alert:
        state.metrics.melanoma_alerts.inc()
    if decision.carcinoma_alert:
        state.metrics.carcinoma_alerts.inc()
    if decision.retake_reason:
        state.metrics.retakes.labels(decision.retake_reason).inc()

    response = jsonify({**answer(decision, spec, lang), "screening_id": screening_id})
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"
    return response
