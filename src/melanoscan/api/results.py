"""The screening answer as users see it, built once for the HTTP API and the command line."""

from __future__ import annotations

from typing import Any

from melanoscan.api import i18n
from melanoscan.inference.decision import Decision
from melanoscan.inference.spec import ModelSpec

HOSPITALS_URL = "/hospitals"  # the web page with the map; its data comes from /api/v1/hospitals


def screening_result(decision: Decision, spec: ModelSpec, lang: str) -> dict[str, Any]:
    """status, label, probability, probabilities, message, disclaimer, model and hospitals_url."""
    if decision.status == "ok":
        assert decision.label is not None and decision.probability is not None
        percent = f"{decision.probability * 100:.0f}"
        if decision.label == "melanoma":
            message = i18n.text(lang, "ok_melanoma", percent=percent)
        else:
            message = i18n.text(lang, "ok", label=i18n.label_name(lang, decision.label), percent=percent)
    else:
        message = i18n.text(lang, "retake")
    return {
        "status": decision.status,
        "label": decision.label,
        "probability": decision.probability,
        "probabilities": decision.probabilities,
        "message": message,
        "disclaimer": i18n.text(lang, "disclaimer"),
        "model": {"name": spec.name, "version": spec.version},
        "hospitals_url": HOSPITALS_URL if decision.label == "melanoma" else None,
    }
