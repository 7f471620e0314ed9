"""The screening answer's contract, checked the same way by every API test."""

from __future__ import annotations

import math
import re
import uuid

from live_server import MODEL
from melanoscan.inference.spec import ModelSpec, spec_path_for

# Every API test runs the shipped model, so its alert threshold is the one the answers must follow.
SHIPPED_ALERT_THRESHOLD = ModelSpec.load(spec_path_for(MODEL)).melanoma_alert_threshold
CLASSES = ("melanoma", "nevus", "seborrheic_keratosis")
KEYS = {
    "status",
    "label",
    "probability",
    "probabilities",
    "melanoma_alert",
    "carcinoma_alert",
    "retake_reason",
    "advice",
    "message",
    "disclaimer",
    "model",
    "hospitals_url",
    "screening_id",
}


def check_screening(
    body: dict, threshold: float = 0.5, alert_threshold: float | None = SHIPPED_ALERT_THRESHOLD
) -> None:
    assert set(body) == KEYS, body
    probs = body["probabilities"]
    assert set(probs) == set(CLASSES)
    assert all(0.0 <= p <= 1.0 for p in probs.values())
    assert math.isclose(sum(probs.values()), 1.0, abs_tol=1e-6)
    top_label, top_p = max(probs.items(), key=lambda item: item[1])
    if body["status"] == "ok":
        assert top_p >= threshold and body["retake_reason"] is None
        assert body["label"] == top_label and body["probability"] == top_p
    else:
        assert body["status"] == "retake" and body["retake_reason"] in ("uncertain", "blank_photo")
        assert body["label"] is None and body["probability"] is None
        if body["retake_reason"] == "uncertain":
            assert top_p < threshold
        else:  # a blank photo is sent back whatever the model said, and raises no alert
            assert body["melanoma_alert"] is False and body["hospitals_url"] is None
            assert body["carcinoma_alert"] is False and body["advice"] == "retake"
            _check_common(body)
            return
    alert = body["label"] == "melanoma" or (alert_threshold is not None and probs["melanoma"] >= alert_threshold)
    assert body["melanoma_alert"] is alert
    assert body["carcinoma_alert"] is False  # the shipped model has no carcinoma outputs
    assert body["hospitals_url"] == ("/hospitals" if alert else None)
    if alert:
        assert body["advice"] == "see_dermatologist"
    else:
        assert body["advice"] == ("retake" if body["status"] == "retake" else "monitor")
    assert re.search(r"\d[.,]\d", body["message"]) is None  # whole percent for people, never decimals
    _check_common(body)


def _check_common(body: dict) -> None:
    assert body["message"] and body["disclaimer"]
    assert body["model"]["name"] and body["model"]["version"]
    uuid.UUID(body["screening_id"])


def check_error(body: dict, code: str | None = None) -> None:
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
