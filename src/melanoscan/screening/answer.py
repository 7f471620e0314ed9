"""The screening answer as people read it, built once for the HTTP API and the command line."""

from __future__ import annotations

from typing import Any

from melanoscan import texts
from melanoscan.inference.spec import ModelSpec
from melanoscan.screening.decision import BLANK_PHOTO, MELANOMA, Decision

HOSPITALS_URL = "/hospitals"  # the web page with the map; its data comes from /api/v1/hospitals


def message(decision: Decision, lang: str) -> str:
    """What the user is told, in whole percent ("about 55%"), with the alerts' advice appended."""
    if decision.status == "ok":
        assert decision.label is not None and decision.probability is not None
        said = texts.say_percent(lang, decision.probability)
        if decision.label == MELANOMA:
            said_text = texts.text(lang, "ok_melanoma", percent=said)
        else:
            said_text = texts.text(lang, "ok", label=texts.label_name(lang, decision.label), percent=said)
    else:
        said_text = texts.text(lang, retake_text_key(decision.retake_reason))
    if decision.melanoma_alert and decision.label != MELANOMA:
        mel = texts.say_percent(lang, decision.probabilities[MELANOMA])
        said_text += " " + texts.text(lang, "melanoma_alert", percent=mel)
    if decision.carcinoma_alert:
        said_text += " " + texts.text(lang, "carcinoma_alert")
        if not decision.melanoma_alert:  # the melanoma texts already point at the map
            said_text += " " + texts.text(lang, "hospitals_on_map")
    return said_text


def retake_text_key(reason: str | None) -> str:
    """The tips for one retake reason: `retake_<reason>` when the texts have it, else the general tips."""
    key = "retake_blank" if reason == BLANK_PHOTO else f"retake_{reason}"
    return key if key in texts.EN else "retake"


def answer(decision: Decision, spec: ModelSpec, lang: str) -> dict[str, Any]:
    """status, label, probability, probabilities, melanoma_alert, carcinoma_alert, retake_reason, advice, message,
    disclaimer, model and hospitals_url (the API adds screening_id, the CLI path)."""
    alert = decision.melanoma_alert or decision.carcinoma_alert
    return {
        "status": decision.status,
        "label": decision.label,
        "probability": decision.probability,
        "probabilities": decision.probabilities,
        "melanoma_alert": decision.melanoma_alert,
        "carcinoma_alert": decision.carcinoma_alert,
        "retake_reason": decision.retake_reason,
        "advice": decision.advice,
        "message": message(decision, lang),
        "disclaimer": texts.text(lang, "disclaimer"),
        "model": {"name": spec.name, "version": spec.version},
        "hospitals_url": HOSPITALS_URL if alert else None,
    }
