"""Where the model looked: the class activation map of one answer, as a small grid aligned to the photo.

The graph gives exact class activation maps over the centre crop it saw (inference/graph.py). The client gets
the map of the class the answer is about (melanoma whenever the melanoma alert fires, else the reported label,
else the most likely service class), scaled to 0..1, plus the box of the photo that the grid covers, in
fractions of the upright photo's width and height. The client paints it over its own preview: the photo
never comes back and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from melanoscan.imaging.preprocess import scaled_size
from melanoscan.inference.spec import SERVICE_CLASSES, ModelSpec
from melanoscan.screening.decision import MELANOMA, Decision


@dataclass(frozen=True)
class Heatmap:
    label: str  # the class whose map this is
    grid: np.ndarray  # (h, w) in 0..1, row 0 at the top of the crop
    crop: tuple[float, float, float, float]  # left, top, width, height as fractions of the photo

    def to_dict(self) -> dict[str, Any]:
        left, top, width, height = self.crop
        return {
            "label": self.label,
            "grid": [[round(float(v), 3) for v in row] for row in self.grid],
            "crop": {
                "left": round(left, 5),
                "top": round(top, 5),
                "width": round(width, 5),
                "height": round(height, 5),
            },
        }


def crop_box(size: tuple[int, int], spec: ModelSpec) -> tuple[float, float, float, float]:
    """The centre crop the model sees (preprocess.resize_and_crop), in fractions of the photo."""
    new_width, new_height = scaled_size(size, spec.resize_size)
    left = (new_width - spec.input_size) // 2
    top = (new_height - spec.input_size) // 2
    return left / new_width, top / new_height, spec.input_size / new_width, spec.input_size / new_height


def explained_class(decision: Decision) -> str:
    if decision.melanoma_alert:
        return MELANOMA
    if decision.label is not None:
        return decision.label
    return max(SERVICE_CLASSES, key=lambda name: decision.probabilities[name])


def heatmap(cam: np.ndarray, decision: Decision, spec: ModelSpec, size: tuple[int, int]) -> Heatmap:
    """cam: (C, h, w) for one image, in the model's class order."""
    if cam.shape[0] != len(spec.classes):
        raise ValueError(f"the map has {cam.shape[0]} classes, the model {len(spec.classes)}")
    label = explained_class(decision)
    values = cam[spec.classes.index(label)].astype(np.float64)
    values = values - values.min()
    top = values.max()
    grid = values / top if top > 0 else values
    return Heatmap(label, grid, crop_box(size, spec))
