"""One screening, step by step: decode -> model -> suitability gates -> decide (-> where it looked).

    screener = Screener(Classifier(path), threshold=0.5)
    outcome = screener.screen(upload_bytes)          # raises ImageRejected for an unusable upload
    outcomes = screener.screen_decoded(decoded_list) # a batch (the CLI, the evaluation)
    outcome = screener.screen(upload_bytes, explain=True)  # outcome.heatmap: the class activation map

A gate looks at the decoded photo and the model's pooled features and names a retake reason (or None); the
first one that speaks sends the photo back whatever the model said (screening/gates.py: blank_photo, too_dark,
overexposed, not_a_lesion, blurry). API, CLI and evaluation all get them from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from melanoscan.imaging.budget import DEFAULT_MEMORY_BUDGET
from melanoscan.imaging.decode import DEFAULT_MAX_PIXELS, DecodedImage, decode_upload
from melanoscan.inference.engine import Classifier, Prediction
from melanoscan.inference.spec import ModelSpec
from melanoscan.screening.decision import DEFAULT_THRESHOLD, UNCERTAIN, Decision, decide
from melanoscan.screening.explain import Heatmap, heatmap
from melanoscan.screening.gates import Evidence, Gate, NotALesionGate, default_gates, first_reason


@dataclass(frozen=True)
class Outcome:
    """Everything one screening found. `heatmap` (where the model looked): only when asked for, the model has
    class activation maps, and the photo was not sent back by a gate."""

    decision: Decision
    spec: ModelSpec
    original_size: tuple[int, int]  # the upload as shown upright, before any downscaling
    heatmap: Heatmap | None = None


class Screener:
    """The model plus the service's rules; one per process, shared by every request."""

    def __init__(
        self,
        classifier: Classifier,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        gates: Sequence[Gate] | None = None,
    ) -> None:
        """`gates`: None for every gate (screening/gates.py), the not_a_lesion one when the model's metadata
        names its statistics and the graph gives features."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.classifier = classifier
        self.threshold = threshold
        self.max_pixels = max_pixels
        self.memory_budget = memory_budget  # decoded bytes one upload may take (imaging.budget)
        if gates is None:
            not_a_lesion = NotALesionGate.for_model(classifier.model_path, classifier.spec)
            gates = default_gates(not_a_lesion if classifier.has_features else None)
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

    def predict(self, decoded: Sequence[DecodedImage]) -> Prediction:
        """Calibrated probabilities over every output of the model, with its maps and features when it has them."""
        return self.classifier.predict([item.image for item in decoded])

    def gate(self, evidence: Evidence) -> str | None:
        return first_reason(self.gates, evidence)

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

    def screen_decoded(self, decoded: Sequence[DecodedImage], *, explain: bool = False) -> list[Outcome]:
        prediction = self.predict(decoded)
        outcomes = []
        for i, item in enumerate(decoded):
            features = prediction.features[i] if prediction.features is not None else None
            decision = self.decide(prediction.probabilities[i], self.gate(Evidence(item.image, features)))
            where = None
            if explain and prediction.cam is not None and decision.retake_reason in (None, UNCERTAIN):
                where = heatmap(prediction.cam[i], decision, self.spec, item.original_size)
            outcomes.append(Outcome(decision, self.spec, item.original_size, where))
        return outcomes

    def screen(self, data: bytes, *, explain: bool = False) -> Outcome:
        """One upload, start to end; `explain`: also where the model looked."""
        return self.screen_decoded([self.decode(data)], explain=explain)[0]
