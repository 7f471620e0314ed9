"""Many views of each non-lesion photo for FITTING the not_a_lesion background Gaussian (`melanoscan fit-gate
--views N`).

A few hundred non-lesion images make a narrow Gaussian: a cat, room or landscape that none of them resembles can
fall nearer the lesions than the background. Each fitting photo therefore also enters as `N` seeded variants of
what a phone could make of it: a random crop from a tenth of the frame to all of it (any aspect from 1:2 to
2:1), mirrored, brighter or darker, more or less contrast and colour, sometimes blurred, sometimes JPEG-coded.
The variants are only for fitting; every figure is measured on the untouched images of the other split.
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageEnhance, ImageFilter

VIEWS_VERSION = "1"  # part of the feature cache key: change it when view() changes


def view(image: Image.Image, rng: random.Random) -> Image.Image:
    """One random phone-like variant of `image` (RGB)."""
    width, height = image.size
    area = width * height * rng.uniform(0.1, 1.0)
    aspect = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
    crop_w = max(16, min(width, round(math.sqrt(area * aspect))))
    crop_h = max(16, min(height, round(math.sqrt(area / aspect))))
    left, top = rng.randint(0, width - crop_w), rng.randint(0, height - crop_h)
    out = image.convert("RGB").crop((left, top, left + crop_w, top + crop_h))
    if rng.random() < 0.5:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.6, 1.4))
    out = ImageEnhance.Contrast(out).enhance(rng.uniform(0.6, 1.4))
    out = ImageEnhance.Color(out).enhance(rng.uniform(0.4, 1.6))
    if rng.random() < 0.3:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=rng.randint(30, 95))
        buffer.seek(0)
        out = Image.open(buffer).convert("RGB")
    return out


def views(image: Image.Image, count: int, seed: str) -> list[Image.Image]:
    """`count` variants, the same for the same `seed` (the file's name) on every run."""
    rng = random.Random(f"{VIEWS_VERSION}:{seed}")
    return [view(image, rng) for _ in range(count)]
