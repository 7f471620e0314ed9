"""Photo-suitability gates: is this a photo of a skin spot that the model can judge? Checked before any class is
shown; the first gate that names a reason sends the photo back with advice for that reason.

In order:
- blank_photo: a nearly uniform frame (imaging/quality.py).
- not_a_lesion: the network's own pooled features lie far from every class of training lesions and near
  non-lesion images (inference/ood.py; the threshold and the statistics travel with the model, `melanoscan
  fit-gate`). Before the exposure checks, so a rendered white page of text is "not a lesion", not "overexposed";
  its advice also says how to frame and light a real spot.
- too_dark / overexposed: even the brightest part is dark; most of the frame is clipped white.
- blurry: almost no fine detail left in the centre of the frame.

Thresholds were chosen on a choosing part of the real lesion photos (ISIC 2017 val, half of PAD-UFES-20 by
patient, part of HAM10000 by lesion) so that all gates together send back <= 2% of them, and reported on the
rest: `python bench/suitability.py` (docs/suitability.md). A lesion crop that is too small or cut off is not
gated: nothing we measured told it apart reliably from a real close-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from melanoscan.imaging.quality import is_blank, photo_stats
from melanoscan.inference.ood import NotALesionScore
from melanoscan.inference.spec import ModelSpec
from melanoscan.screening.decision import BLANK_PHOTO, BLURRY, NOT_A_LESION, OVEREXPOSED, TOO_DARK

log = logging.getLogger("melanoscan.gates")
GATE_REASONS: tuple[str, ...] = (BLANK_PHOTO, NOT_A_LESION, TOO_DARK, OVEREXPOSED, BLURRY)

# Chosen on the choosing part of the lesion photos (bench/suitability.py --choose prints the percentiles).
TOO_DARK_LEVEL = 40.0  # 95th percentile grey level below this: too dark
OVEREXPOSED_FRACTION = 0.5  # at least this share of the frame clipped white
BLURRY_SHARPNESS = 2.0  # Laplacian standard deviation (grey levels, 128 px centre) below this: blurry


@dataclass(frozen=True)
class Evidence:
    """What a gate may look at: the upright photo and, when the model gives them, its pooled features."""

    image: Image.Image
    features: np.ndarray | None = None  # (D,)


Gate = Callable[[Evidence], str | None]  # a retake reason, or None: the photo may be screened


def blank_photo_gate(evidence: Evidence) -> str | None:
    """A nearly uniform frame (covered lens, a wall): nothing to screen."""
    return BLANK_PHOTO if is_blank(evidence.image) else None


def exposure_gate(evidence: Evidence) -> str | None:
    stats = photo_stats(evidence.image)
    if stats.bright_level < TOO_DARK_LEVEL:
        return TOO_DARK
    if stats.clipped_fraction >= OVEREXPOSED_FRACTION:
        return OVEREXPOSED
    return None


def blur_gate(evidence: Evidence) -> str | None:
    return BLURRY if photo_stats(evidence.image).sharpness < BLURRY_SHARPNESS else None


class NotALesionGate:
    """Far from every training lesion class in the model's own feature space."""

    def __init__(self, score: NotALesionScore, threshold: float) -> None:
        self.score = score
        self.threshold = threshold

    def __call__(self, evidence: Evidence) -> str | None:
        if evidence.features is None:
            return None
        return NOT_A_LESION if float(self.score(evidence.features)[0]) > self.threshold else None

    @classmethod
    def for_model(cls, model_path: str | Path, spec: ModelSpec) -> NotALesionGate | None:
        """The gate a model's metadata names (`suitability.gate_file` beside the model), or None without one."""
        config = spec.extra.get("suitability")
        if not config:
            return None
        path = Path(model_path).parent / config["gate_file"]
        if not path.exists():
            log.warning("model metadata names %s but it is missing: the not_a_lesion gate is OFF", path)
            return None
        return cls(NotALesionScore.load(path), float(config["not_a_lesion_threshold"]))


def default_gates(not_a_lesion: NotALesionGate | None) -> tuple[Gate, ...]:
    """Every gate, in order; the model-feature gate only when the model has one."""
    gates: list[Gate] = [blank_photo_gate]
    if not_a_lesion is not None:
        gates.append(not_a_lesion)
    return (*gates, exposure_gate, blur_gate)


def first_reason(gates: Sequence[Gate], evidence: Evidence) -> str | None:
    for gate in gates:
        reason = gate(evidence)
        if reason is not None:
            return reason
    return None
