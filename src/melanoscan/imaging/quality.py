"""Is there anything in the photo to screen? A check before the model, because the model always answers.

A covered lens, a photo of a blank wall or a frame lost to darkness or glare gives the network nothing,
yet it still spreads probability over its three classes, often as a confident "mole". Such photos are
nearly uniform: their brightness barely varies. Every real image we have varies far more (ISIC 2017
and PAD-UFES-20, 3162 images: lowest spread 5.2 grey levels; `python bench/photo_check.py` measures
it), so a photo below BLANK_SPREAD is sent back as blank with no risk to a real one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

BLANK_SPREAD = 2.5  # standard deviation of grey levels (0-255) on a 64 px thumbnail
_THUMBNAIL = (64, 64)


def brightness_spread(image: Image.Image) -> float:
    """Standard deviation of the grey levels of a small thumbnail (cheap, and blind to sensor noise)."""
    thumbnail = image.convert("L").resize(_THUMBNAIL, Image.Resampling.BOX)
    return float(np.asarray(thumbnail, dtype=np.float64).std())


def is_blank(image: Image.Image) -> bool:
    return brightness_spread(image) < BLANK_SPREAD


# Photo statistics for the suitability gates (screening/gates.py): exposure and focus, measured on the region the
# model sees, at the size it sees it. The thresholds there were chosen on real lesion photos (bench/suitability.py).
_FOCUS_VIEW = 128  # the centre square is measured at this size (half the model's resize)
CLIPPED_LEVEL = 250  # grey level at or above which a pixel counts as washed out


@dataclass(frozen=True)
class PhotoStats:
    bright_level: float  # 95th percentile of grey levels: even the brightest part of a too-dark photo is dark
    clipped_fraction: float  # share of pixels at or above CLIPPED_LEVEL: glare, a washed-out frame
    sharpness: float  # standard deviation of the Laplacian of the grey centre crop (0-255 scale): focus and detail


def photo_stats(image: Image.Image) -> PhotoStats:
    """Exposure on a 128 px thumbnail of the whole photo; focus on the centre square, in floating point (integer
    grey levels alone leave a Laplacian of about 1 on a perfectly smooth photo) at half the model's scale, where
    sensor noise and JPEG blocks average out but a sharp lesion's edges and texture remain."""
    thumbnail = np.asarray(image.convert("L").resize((128, 128), Image.Resampling.BOX), dtype=np.float64)
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    rgb = image.crop((left, top, left + side, top + side))
    if side > 4 * _FOCUS_VIEW:
        rgb = rgb.reduce(side // (2 * _FOCUS_VIEW))
    grey = Image.fromarray(np.asarray(rgb, dtype=np.float32).mean(axis=2), mode="F")
    pixels = np.asarray(grey.resize((_FOCUS_VIEW, _FOCUS_VIEW), Image.Resampling.BOX), dtype=np.float64)
    laplacian = pixels[:-2, 1:-1] + pixels[2:, 1:-1] + pixels[1:-1, :-2] + pixels[1:-1, 2:] - 4.0 * pixels[1:-1, 1:-1]
    return PhotoStats(
        bright_level=float(np.percentile(thumbnail, 95)),
        clipped_fraction=float((thumbnail >= CLIPPED_LEVEL).mean()),
        sharpness=float(laplacian.std()),
    )
