"""The reporting rule of the original service: name a class only when the model is sure enough.

If the top class has probability >= threshold (0.5 by default) it is reported; otherwise the
user is asked to take the photo again (다시 찍어 주세요). This is a product rule, not a diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Decision:
    status: str  # "ok" or "retake"
    label: str | None
    probability: float | None
    probabilities: dict[str, float]


def decide(
    probabilities: Sequence[float] | np.ndarray, classes: Sequence[str], threshold: float = DEFAULT_THRESHOLD
) -> Decision:
    """Apply the threshold rule to one image's probabilities."""
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.shape != (len(classes),):
        raise ValueError(f"expected {len(classes)} probabilities, got shape {probs.shape}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    as_dict = {name: float(p) for name, p in zip(classes, probs, strict=True)}
    top = int(np.argmax(probs))
    if probs[top] >= threshold:
        return Decision("ok", classes[top], float(probs[top]), as_dict)
    return Decision("retake", None, None, as_dict)
