"""The reporting rule of the original service, and the melanoma alert that guards its blind spot.

If the top class has probability >= threshold (0.5 by default) it is reported; otherwise the
user is asked to take the photo again (다시 찍어 주세요). This is a product rule, not a diagnosis.

The rule alone misses melanomas that the model ranks second: a photo scored "nevus 60%, melanoma 35%"
would read as a mole. So, independently of the rule, a melanoma probability at or above the model's
alert threshold (chosen on validation for a target melanoma sensitivity, stored in the model's metadata)
raises `melanoma_alert`: melanoma cannot be ruled out, see a dermatologist.

A photo with nothing in it (imaging/quality.py) is sent back whatever the probabilities say, and raises
no alert: the model's answer about a blank frame means nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.5
MELANOMA = "melanoma"
UNCERTAIN, BLANK_PHOTO = "uncertain", "blank_photo"  # why a photo is sent back


@dataclass(frozen=True)
class Decision:
    status: str  # "ok" or "retake"
    label: str | None
    probability: float | None
    probabilities: dict[str, float]
    melanoma_alert: bool = False  # melanoma is the label, or its probability reached the alert threshold
    retake_reason: str | None = None  # UNCERTAIN or BLANK_PHOTO when status is "retake"


def decide(
    probabilities: Sequence[float] | np.ndarray,
    classes: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    alert_threshold: float | None = None,
    blank: bool = False,
) -> Decision:
    """Apply the threshold rule and the melanoma alert to one image's probabilities.

    Without an alert threshold (older models) the alert is raised only when melanoma is the reported label.
    `blank`: the photo failed the blank-photo check, so it is sent back whatever the model said.
    """
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.shape != (len(classes),):
        raise ValueError(f"expected {len(classes)} probabilities, got shape {probs.shape}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    if alert_threshold is not None and not 0.0 < alert_threshold <= 1.0:
        raise ValueError("alert_threshold must be in (0, 1]")
    as_dict = {name: float(p) for name, p in zip(classes, probs, strict=True)}
    if blank:
        return Decision("retake", None, None, as_dict, False, BLANK_PHOTO)
    top = int(np.argmax(probs))
    reported = probs[top] >= threshold
    label = classes[top] if reported else None
    alert = label == MELANOMA or (alert_threshold is not None and as_dict.get(MELANOMA, 0.0) >= alert_threshold)
    if reported:
        return Decision("ok", label, float(probs[top]), as_dict, alert)
    return Decision("retake", None, None, as_dict, alert, UNCERTAIN)
