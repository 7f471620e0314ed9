"""The screening answer as users see it, built once for the HTTP API and the command line."""

from __future__ import annotations

from typing import Any

from melanoscan.api import i18n
from melanoscan.inference.decision import BLANK_PHOTO, MELANOMA, Decision
from melanoscan.inference.spec import ModelSpec

HOSPITALS_URL = "/hospitals"  # the web page with the map; its data comes from /api/v1/hospitals


def percent(probability: float) -> str:
    """Whole percent for people, never claiming certainty: 0.998 is ">99", not "100"."""
    value = probability * 100
    if value >= 99.5:
        return ">99"
    if value < 0.5:
        return "<1"
    return f"{value:.0f}"


def screening_result(decision: Decision, spec: ModelSpec, lang: str) -> dict[str, Any]:
    """status, label, probability, probabilities, melanoma_alert, retake_reason, message, disclaimer, model and
    hospitals_url."""
    if decision.status == "ok":
        assert decision.label is not None and decision.probability is not None
        if decision.label == MELANOMA:
            message = i18n.text(lang, "ok_melanoma", percent=percent(decision.probability))
        else:
            label = i18n.label_name(lang, decision.label)
            message = i18n.text(lang, "ok", label=label, percent=percent(decision.probability))
    elif decision.retake_reason == BLANK_PHOTO:
        message = i18n.text(lang, "retake_blank")
    else:
        message = i18n.text(lang, "retake")
    if decision.melanoma_alert and decision.label != MELANOMA:
        message += " " + i18n.text(lang, "melanoma_alert", percent=percent(decision.probabilities[MELANOMA]))
    return {
        "status": decision.status,
        "label": decision.label,
        "probability": decision.probability,
        "probabilities": decision.probabilities,
        "melanoma_alert": decision.melanoma_alert,
        "retake_reason": decision.retake_reason,
        "message": message,
        "disclaimer": i18n.text(lang, "disclaimer"),
        "model": {"name": spec.name, "version": spec.version},
        "hospitals_url": HOSPITALS_URL if decision.melanoma_alert else None,
    }
