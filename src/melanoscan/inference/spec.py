"""The model's metadata file: the one source of truth for preprocessing and class order.

Training writes it next to the ONNX file on export; evaluation, the CLI and the server all read it,
so that a model and the way images are prepared for it can never drift apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The three answers the service gives, in this order. A model may know more classes (its `classes` start with
# or contain these); the screening core reports these three, renormalised, and reads the rest for alerts.
SERVICE_CLASSES: tuple[str, ...] = ("melanoma", "nevus", "seborrheic_keratosis")
# Outputs that raise the carcinoma alert when a model has them (p(bcc) + p(ak) >= carcinoma_alert_threshold).
CARCINOMA_CLASSES: tuple[str, ...] = ("basal_cell_carcinoma", "actinic_keratosis")
CLASSES: tuple[str, ...] = SERVICE_CLASSES  # the default class order of a model


@dataclass(frozen=True)
class ModelSpec:
    """How to feed a model and read its output."""

    name: str
    version: str
    classes: tuple[str, ...] = CLASSES
    input_size: int = 224
    # The image's shorter side is resized to this, then the centre input_size square is cropped.
    resize_size: int = 256
    interpolation: str = "bicubic"
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    # Logits are divided by this before the softmax (temperature scaling, fitted on validation).
    temperature: float = 1.0
    # Melanoma probability at or above which the user is told melanoma cannot be ruled out, chosen on
    # validation for a target sensitivity (how: extra["melanoma_alert_choice"]). None: only a melanoma label.
    melanoma_alert_threshold: float | None = None
    # p(basal cell carcinoma) + p(actinic keratosis), from the full softmax, at or above which the user is told
    # it may be another skin cancer or a pre-cancer. None (and for models without those outputs): never.
    carcinoma_alert_threshold: float | None = None
    backbone: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.resize_size < self.input_size:
            raise ValueError("resize_size must be >= input_size")
        if self.temperature <= 0:
            raise ValueError("temperature must be > 0")
        if self.melanoma_alert_threshold is not None and not 0.0 < self.melanoma_alert_threshold <= 1.0:
            raise ValueError("melanoma_alert_threshold must be in (0, 1]")
        if self.carcinoma_alert_threshold is not None and not 0.0 < self.carcinoma_alert_threshold <= 1.0:
            raise ValueError("carcinoma_alert_threshold must be in (0, 1]")
        missing = [name for name in SERVICE_CLASSES if name not in self.classes]
        if missing or len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes must name each of {SERVICE_CLASSES} once, got {self.classes}")
        if self.interpolation not in ("bicubic", "bilinear"):
            raise ValueError(f"unknown interpolation {self.interpolation!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("classes", "mean", "std"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**kwargs, extra=extra)

    @classmethod
    def load(cls, path: str | Path) -> ModelSpec:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data.update(extra)
        return data

    @property
    def members(self) -> list[dict[str, Any]]:
        """The trained networks inside the ONNX graph, as export recorded them (checkpoint, training config)."""
        members: list[dict[str, Any]] = self.extra.get("training", {}).get("members", [])
        return members

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def spec_path_for(model_path: str | Path) -> Path:
    """The metadata file that belongs to a model file: same name, `.json`."""
    return Path(model_path).with_suffix(".json")
