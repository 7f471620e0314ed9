"""One screening, step by step: decode -> model -> suitability gates -> decide.

    screener = Screener(Classifier(path), threshold=0.5)
    outcome = screener.screen(upload_bytes)          # raises ImageRejected for an unusable upload
    outcomes = screener.screen_decoded(decoded_list) # a batch (the CLI, the evaluation)

A gate looks at the decoded photo and names a retake reason (or None); the first one that speaks sends
the photo back whatever the model said. Today: the blank-photo check. A photo-suitability gate
(not_a_lesion, blurry, too_dark, overexposed) is one more entry in `gates`; a heat map fills
`Outcome.heatmap`. Neither needs the API or the CLI to change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from melanoscan.imaging.budget import DEFAULT_MEMORY_BUDGET
from melanoscan.imaging.decode import DEFAULT_MAX_PIXELS, DecodedImage, decode_upload
from melanoscan.imaging.quality import is_blank
from melanoscan.inference.engine import Classifier
from melanoscan.inference.spec import ModelSpec
from melanoscan.screening.decision import BLANK_PHOTO, DEFAULT_THRESHOLD, Decision, decide

Gate = Callable[[Image.Image], str | None]  # a retake reason, or None: the photo may be screened


def blank_photo_gate(image: Image.Image) -> str | None:
    """A nearly uniform frame (covered lens, a wall): nothing to screen."""
    return BLANK_PHOTO if is_blank(image) else None


DEFAULT_GATES: tuple[Gate, ...] = (blank_photo_gate,)


@dataclass(frozen=True)
class Outcome:
    """Everything one screening found. `heatmap` (where the model looked) stays None until a model gives one."""

    decision: Decision
    spec: ModelSpec
    original_size: tuple[int, int]  # the upload as shown upright, before any downscaling
    heatmap: np.ndarray | None = None


class Screener:
    """The model plus the service's rules; one per process, shared by every request."""

    def __init__(
        self,
        classifier: Classifier,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        gates: Sequence[Gate] = DEFAULT_GATES,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.classifier = classifier
        self.threshold = threshold
        self.max_pixels = max_pixels
        self.memory_budget = memory_budget  # decoded bytes one upload may take (imaging.budget)
        self.gates = tuple(gates)

    @property
    def spec(self) -> ModelSpec:
        return self.classifier.spec

    def decode(self, data: bytes) -> DecodedImage:
        """Untrusted bytes -> upright RGB, decoded at the smallest scale the model still needs and within the
        memory budget (an upload over it is refused with 413 before its picture is decoded)."""
        return decode_upload(
            data, max_pixels=self.max_pixels, draft_size=self.spec.resize_size, memory_budget=self.memory_budget
        )

    def probabilities(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(N, C) calibrated probabilities over every output of the model."""
        return self.classifier.predict_proba(images)

    def gate(self, image: Image.Image) -> str | None:
        for check in self.gates:
            reason = check(image)
            if reason is not None:
                return reason
        return None

    def decide(self, probabilities: Sequence[float] | np.ndarray, retake_reason: str | None = None) -> Decision:
        """The service's rule and alerts for one row of model probabilities."""
        spec = self.spec
        return decide(
            probabilities,
            spec.classes,
            self.threshold,
            spec.melanoma_alert_threshold,
            carcinoma_alert_threshold=spec.carcinoma_alert_threshold,
            retake_reason=retake_reason,
        )

    def screen_decoded(self, decoded: Sequence[DecodedImage]) -> list[Outcome]:
        images = [item.image for item in decoded]
        probabilities = self.probabilities(images)
        return [
            Outcome(self.decide(row, self.gate(item.image)), self.spec, item.original_size)
            for item, row in zip(decoded, probabilities, strict=True)
        ]

    def screen(self, data: bytes) -> Outcome:
        """One upload, start to end."""
        return self.screen_decoded([self.decode(data)])[0]
