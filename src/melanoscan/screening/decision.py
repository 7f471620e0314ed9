"""The reporting rule of the original service, the alerts that guard its blind spots, and the advice.

If the top class has probability >= threshold (0.5 by default) it is reported; otherwise the
user is asked to take the photo again (다시 찍어 주세요). This is a product rule, not a diagnosis.

The rule alone misses melanomas that the model ranks second: a photo scored "nevus 60%, melanoma 35%"
would read as a mole. So, independently of the rule, a melanoma probability at or above the model's
alert threshold (chosen on validation for a target melanoma sensitivity, stored in the model's metadata)
raises `melanoma_alert`: melanoma cannot be ruled out, see a dermatologist.

A model may know more classes than the service's three answers (SERVICE_CLASSES). The rule and the
melanoma alert read the three, renormalised to sum to 1 (a three-class model's probabilities are used
as they are, so it behaves exactly as before). When the model has basal cell carcinoma / actinic keratosis
outputs, their summed probability from the full softmax raises `carcinoma_alert` at the model's threshold:
another skin cancer or a pre-cancer that the service cannot name.

A photo that a suitability gate sends back (a blank frame, imaging/quality.py) is sent back whatever the
probabilities say, and raises no alert: the model's answer about such a photo means nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from melanoscan.inference.spec import CARCINOMA_CLASSES, SERVICE_CLASSES

DEFAULT_THRESHOLD = 0.5
MELANOMA = "melanoma"
UNCERTAIN, BLANK_PHOTO = "uncertain", "blank_photo"  # why a photo is sent back
RETAKE_REASONS: tuple[str, ...] = (UNCERTAIN, BLANK_PHOTO)  # a new suitability gate adds its reason here
SEE_DERMATOLOGIST, RETAKE, MONITOR = "see_dermatologist", "retake", "monitor"  # the advice every client gives
ADVICE: tuple[str, ...] = (SEE_DERMATOLOGIST, RETAKE, MONITOR)


@dataclass(frozen=True)
class Decision:
    status: str  # "ok" or "retake"
    label: str | None
    probability: float | None
    probabilities: dict[str, float]  # the service's three classes, summing to 1
    melanoma_alert: bool = False  # melanoma is the label, or its probability reached the alert threshold
    retake_reason: str | None = None  # one of RETAKE_REASONS when status is "retake"
    carcinoma_alert: bool = False  # p(bcc) + p(ak) reached the model's carcinoma alert threshold
    all_probabilities: dict[str, float] = field(default_factory=dict)  # every output of the model

    @property
    def advice(self) -> str:
        """see_dermatologist (melanoma, or an alert), retake (sent back, no alert) or monitor (a confident
        nevus or seborrheic keratosis, no alert)."""
        if self.label == MELANOMA or self.melanoma_alert or self.carcinoma_alert:
            return SEE_DERMATOLOGIST
        if self.status == "retake":
            return RETAKE
        return MONITOR


def service_probabilities(probs: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """The three service classes' probabilities, in SERVICE_CLASSES order, summing to 1.

    A model with exactly those classes keeps its numbers untouched; a larger one is renormalised."""
    index = [list(classes).index(name) for name in SERVICE_CLASSES]
    service = probs[index]
    if len(classes) == len(SERVICE_CLASSES):
        return service
    total = float(service.sum())
    if total <= 0.0:
        return np.full(len(SERVICE_CLASSES), 1.0 / len(SERVICE_CLASSES))
    return service / total


def decide(
    probabilities: Sequence[float] | np.ndarray,
    classes: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    alert_threshold: float | None = None,
    blank: bool = False,
    *,
    carcinoma_alert_threshold: float | None = None,
    retake_reason: str | None = None,
) -> Decision:
    """Apply the threshold rule, the melanoma alert and the carcinoma alert to one image's probabilities.

    `probabilities` are the model's, in its `classes` order. Without an alert threshold (older models) the
    melanoma alert is raised only when melanoma is the reported label. `retake_reason`: a suitability gate
    sent the photo back (`blank=True` is the blank-photo gate), so it is sent back whatever the model said.
    """
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.shape != (len(classes),):
        raise ValueError(f"expected {len(classes)} probabilities, got shape {probs.shape}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    for name, value in (("alert_threshold", alert_threshold), ("carcinoma_alert_threshold", carcinoma_alert_threshold)):
        if value is not None and not 0.0 < value <= 1.0:
            raise ValueError(f"{name} must be in (0, 1]")
    all_probabilities = {name: float(p) for name, p in zip(classes, probs, strict=True)}
    service = service_probabilities(probs, classes)
    as_dict = {name: float(p) for name, p in zip(SERVICE_CLASSES, service, strict=True)}
    gated = BLANK_PHOTO if blank else retake_reason
    if gated is not None:
        return Decision("retake", None, None, as_dict, False, gated, False, all_probabilities)
    carcinoma = sum(all_probabilities.get(name, 0.0) for name in CARCINOMA_CLASSES)
    carcinoma_alert = (
        carcinoma_alert_threshold is not None
        and any(name in all_probabilities for name in CARCINOMA_CLASSES)
        and carcinoma >= carcinoma_alert_threshold
    )
    top = int(np.argmax(service))
    reported = service[top] >= threshold
    label = SERVICE_CLASSES[top] if reported else None
    alert = label == MELANOMA or (alert_threshold is not None and as_dict[MELANOMA] >= alert_threshold)
    if reported:
        return Decision("ok", label, float(service[top]), as_dict, alert, None, carcinoma_alert, all_probabilities)
    return Decision("retake", None, None, as_dict, alert, UNCERTAIN, carcinoma_alert, all_probabilities)
