"""Is there anything in the photo to screen? A check before the model, because the model always answers.

A covered lens, a photo of a blank wall or a frame lost to darkness or glare gives the network nothing,
yet it still spreads probability over its three classes, often as a confident "mole". Such photos are
nearly uniform: their brightness barely varies. Every real image we have varies far more (ISIC 2017
and PAD-UFES-20, 3162 images: lowest spread 5.2 grey levels; `python bench/photo_check.py` measures
it), so a photo below BLANK_SPREAD is sent back as blank with no risk to a real one.
"""

from __future__ import annotations

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
