"""Training's image cache and serving resize a raw photo the same way (issue 11, one preprocessing).

Training caches each image with its shorter side at resize_size and later centre-crops (evaluation) or
randomly crops it; serving resizes and crops in one step. On raw photos of several sizes and aspect ratios
(upscaled HAM-like 200x150, ISIC-like squares, phone photos in both orientations, a panorama), the
cache's centre crop must be the picture serving feeds the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from melanoscan.imaging.preprocess import resize_and_crop, resize_shorter_side
from melanoscan.inference.spec import ModelSpec

LESION = Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny" / "ISIC_0012258.jpg"
SPEC = ModelSpec(name="t", version="t", input_size=224, resize_size=256)


def raw_photo(width: int, height: int) -> Image.Image:
    with Image.open(LESION) as image:
        return image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)


def centre_crop(pixels: np.ndarray, size: int) -> np.ndarray:
    top, left = (pixels.shape[0] - size) // 2, (pixels.shape[1] - size) // 2
    return pixels[top : top + size, left : left + size]


@pytest.mark.parametrize(
    "size", [(200, 150), (150, 200), (256, 256), (600, 450), (4000, 3000), (3000, 4000), (1600, 1200), (2400, 600)]
)
def test_training_cache_crop_is_what_serving_feeds_the_model(size):
    photo = raw_photo(*size)
    cached = np.asarray(resize_shorter_side(photo, SPEC.resize_size))
    assert min(cached.shape[:2]) == SPEC.resize_size
    served = np.asarray(resize_and_crop(photo, SPEC)).astype(np.int16)
    trained = centre_crop(cached, SPEC.input_size).astype(np.int16)
    assert trained.shape == served.shape == (224, 224, 3)
    # Serving resamples only the crop's region (the filter still reads the same neighbours at its edge), so
    # the two agree up to rounding: one grey level at most (measured: mean 0 to 0.11).
    difference = np.abs(trained - served)
    assert difference.mean() < 0.2 and difference.max() <= 1, (difference.mean(), difference.max())


def test_a_shifted_crop_would_be_caught():
    """The comparison above can fail: the same pictures one pixel apart differ clearly."""
    photo = raw_photo(600, 450)
    cached = np.asarray(resize_shorter_side(photo, SPEC.resize_size)).astype(np.int16)
    served = np.asarray(resize_and_crop(photo, SPEC)).astype(np.int16)
    top, left = (cached.shape[0] - 224) // 2, (cached.shape[1] - 224) // 2 + 1
    assert np.abs(cached[top : top + 224, left : left + 224] - served).mean() > 0.5
