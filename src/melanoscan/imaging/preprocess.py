"""Turn an upright RGB image into the model's input tensor, exactly as the model's metadata says.

Training, evaluation, the CLI and the server all call these functions, so preprocessing exists once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from PIL import Image


class Preparation(Protocol):
    """What preprocessing reads from a model's metadata (melanoscan.inference.spec.ModelSpec has it all).

    A protocol, not an import: imaging stays below inference, which calls it."""

    @property
    def input_size(self) -> int: ...
    @property
    def resize_size(self) -> int: ...
    @property
    def interpolation(self) -> str: ...
    @property
    def mean(self) -> tuple[float, float, float]: ...
    @property
    def std(self) -> tuple[float, float, float]: ...


_RESAMPLE = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


def scaled_size(size: tuple[int, int], shorter_side: int) -> tuple[int, int]:
    """(width, height) with the shorter side scaled to `shorter_side`, aspect ratio kept."""
    width, height = size
    scale = shorter_side / min(width, height)
    return max(shorter_side, round(width * scale)), max(shorter_side, round(height * scale))


def resize_shorter_side(image: Image.Image, shorter_side: int) -> Image.Image:
    """The whole image with its shorter side at `shorter_side` (training's image cache): the same size and
    filter as resize_and_crop, so a centre crop of it is what serving feeds the model."""
    size = scaled_size(image.size, shorter_side)
    return image if size == image.size else image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def resize_and_crop(image: Image.Image, spec: Preparation) -> Image.Image:
    """Resize the shorter side to spec.resize_size, then take the centre spec.input_size square.

    Done in one step: only the source region that becomes the crop is resampled (Pillow's `box`, whose
    filter still reads the pixels around it), so a 300000x32 strip costs a 224 px square, not a
    2.4-gigapixel resize, and the result is the same as resizing everything first.
    """
    width, height = image.size
    new_size = scaled_size(image.size, spec.resize_size)
    left = (new_size[0] - spec.input_size) // 2
    top = (new_size[1] - spec.input_size) // 2
    crop = (left, top, left + spec.input_size, top + spec.input_size)
    if new_size == image.size:
        return image.crop(crop)
    sx, sy = width / new_size[0], height / new_size[1]
    box = (crop[0] * sx, crop[1] * sy, crop[2] * sx, crop[3] * sy)
    # reducing_gap makes huge phone photos cheap to shrink with little quality loss.
    size = (spec.input_size, spec.input_size)
    return image.resize(size, _RESAMPLE[spec.interpolation], box=box, reducing_gap=3.0)


def normalize(pixels: np.ndarray, spec: Preparation) -> np.ndarray:
    """HWC uint8 RGB -> CHW float32 normalised with the model's mean/std."""
    mean = np.asarray(spec.mean, dtype=np.float32) * 255.0
    std = np.asarray(spec.std, dtype=np.float32) * 255.0
    chw = (pixels.astype(np.float32) - mean) / std
    return np.ascontiguousarray(chw.transpose(2, 0, 1))


def preprocess(image: Image.Image, spec: Preparation) -> np.ndarray:
    """One RGB PIL image -> one (3, S, S) float32 array."""
    if image.mode != "RGB":
        raise ValueError(f"expected an RGB image, got mode {image.mode}")
    return normalize(np.asarray(resize_and_crop(image, spec)), spec)


def preprocess_batch(images: Sequence[Image.Image], spec: Preparation) -> np.ndarray:
    """Several RGB images -> one (N, 3, S, S) float32 batch."""
    if not images:
        return np.zeros((0, 3, spec.input_size, spec.input_size), dtype=np.float32)
    return np.stack([preprocess(image, spec) for image in images])
