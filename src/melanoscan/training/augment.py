"""Training augmentation: dermoscopy invariances plus degradations that phone photos show.

Dermoscopy has no up or down, so flips and 90-degree turns are free. Colour and brightness vary
with the camera and the light. Phone photos add blur, JPEG recompression and uneven lighting, so
some of that is simulated to narrow the gap between the training data and the real use case.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter


@dataclass(frozen=True)
class AugmentConfig:
    strength: float = 1.0  # 0 disables everything but the crop; 1 is the default recipe
    min_scale: float = 0.35
    phone_prob: float = 0.25


def random_resized_crop(image: Image.Image, size: int, rng: np.random.Generator, min_scale: float) -> Image.Image:
    """Crop a random area (min_scale..1 of the image, aspect 3/4..4/3) and resize it to size x size."""
    width, height = image.size
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(min_scale, 1.0)
        ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w = round(math.sqrt(target * ratio))
        h = round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            left = int(rng.integers(0, width - w + 1))
            top = int(rng.integers(0, height - h + 1))
            return image.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + w, top + h))
    return image.resize((size, size), Image.Resampling.BICUBIC)


def augment(pixels: np.ndarray, size: int, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """uint8 HWC image -> augmented uint8 (size, size, 3)."""
    image = Image.fromarray(pixels)
    image = random_resized_crop(image, size, rng, config.min_scale if config.strength > 0 else 1.0)
    s = config.strength
    if s > 0:
        if rng.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if rng.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        turns = int(rng.integers(0, 4))
        if turns:
            image = image.rotate(90 * turns)
        image = ImageEnhance.Brightness(image).enhance(1 + rng.uniform(-0.25, 0.25) * s)
        image = ImageEnhance.Contrast(image).enhance(1 + rng.uniform(-0.25, 0.25) * s)
        image = ImageEnhance.Color(image).enhance(1 + rng.uniform(-0.25, 0.25) * s)
        if rng.random() < config.phone_prob * s:
            image = image.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 1.5)))
        if rng.random() < config.phone_prob * s:
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=int(rng.integers(30, 90)))
            image = Image.open(buffer).convert("RGB")
        if rng.random() < config.phone_prob * s:
            image = _uneven_light(image, rng)
    return np.asarray(image)


def _uneven_light(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A linear brightness gradient across the frame, like a phone photo lit from one side."""
    size = image.size[0]
    angle = rng.uniform(0, 2 * math.pi)
    ramp = np.linspace(-1, 1, size, dtype=np.float32)
    xx, yy = np.meshgrid(ramp, ramp)
    gain = 1 + 0.3 * (math.cos(angle) * xx + math.sin(angle) * yy)
    pixels = np.asarray(image, dtype=np.float32) * gain[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
