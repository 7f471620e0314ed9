"""Any decoded Pillow image -> 8-bit RGB, shrunk by a whole factor on the way, in bounded memory.

Converting a 50-MP picture whole makes full-size copies: float64 arrays for 16-bit and float pixels
(400 MB each), RGBA and white backgrounds for alpha (200 MB each). Here the picture is converted one band
of rows at a time (BAND_PIXELS at most), each band is shrunk by the box filter (Image.reduce) right away,
and only the small result is kept: the extra memory is one band plus the output, whatever the input size.
Shrinking after converting each band gives the same pixels as converting everything first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

BAND_PIXELS = 1 << 21  # 2 MP per band: at most 16 MB of float32 temporaries
_NUMERIC = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_ALPHA = ("RGBA", "LA", "PA", "RGBa", "La")
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class _Scale:
    """How numeric (16-bit, 32-bit, float) grey values map onto 0..255: value * 255 / peak."""

    peak: float


def reduce_factor(size: tuple[int, int], target_short_side: int | None) -> int:
    """The largest whole factor that keeps the shorter side at or above the target (1: no shrinking)."""
    if not target_short_side:
        return 1
    return max(1, min(size) // target_short_side)


def to_rgb(image: Image.Image, factor: int = 1) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB shrunk by `factor` (box filter). Transparency goes over white."""
    if image.mode == "RGB":
        return image.reduce(factor) if factor > 1 else image
    if image.mode in ("L", "I", "F") and factor > 1:
        # Box-filter 8-bit grey, 32-bit integer and float pixels natively first (one pass in C, no copies):
        # the grey scale is then found on the small picture. A NaN or infinity blacks out its block only.
        return to_rgb(image.reduce(factor))
    scale = _numeric_scale(image) if image.mode in _NUMERIC else None
    width, height = image.size
    if width * height <= BAND_PIXELS:
        rgb = _band_to_rgb(image, scale)
        return rgb.reduce(factor) if factor > 1 else rgb
    rows = max(1, BAND_PIXELS // width // factor) * factor  # whole blocks of the box filter per band
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        band = _band_to_rgb(image.crop((0, top, width, min(height, top + rows))), scale)
        out.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return out


def _band_to_rgb(band: Image.Image, scale: _Scale | None) -> Image.Image:
    mode = band.mode
    if scale is not None:
        pixels = _finite(np.array(band, dtype=np.float32))
        gray = np.clip(pixels * np.float32(255.0 / scale.peak), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if mode == "P" and "transparency" in band.info:
        band, mode = band.convert("RGBA"), "RGBA"
    if mode == "La":  # premultiplied; Pillow converts it only to LA
        band, mode = band.convert("LA"), "LA"
    if mode in _ALPHA:
        rgba = band.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if mode == "LAB":
        return _lab_to_rgb(band)
    return band.convert("RGB")


def _finite(pixels: np.ndarray) -> np.ndarray:
    finite: np.ndarray = np.nan_to_num(pixels, nan=0.0, posinf=0.0, neginf=0.0, copy=False)
    return finite


def _numeric_scale(image: Image.Image) -> _Scale:
    """16-bit grey spans 0..65535; float images usually 0..1; 32-bit integers 0..255 unless brighter."""
    if image.mode.startswith("I;16"):
        return _Scale(65535.0)
    width, height = image.size
    rows = max(1, BAND_PIXELS // width)
    brightest = 0.0
    for top in range(0, height, rows):
        band = np.array(image.crop((0, top, width, min(height, top + rows))), dtype=np.float32)
        brightest = max(brightest, float(_finite(band).max(initial=0)))
    if brightest > 255:
        return _Scale(65535.0)
    if image.mode == "F" and brightest <= 1.0:
        return _Scale(1.0)
    return _Scale(255.0)


def _lab_to_rgb(image: Image.Image) -> Image.Image:
    from PIL import ImageCms

    lab, srgb = ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB")
    transform = ImageCms.buildTransform(lab, srgb, "LAB", "RGB")
    return ImageCms.applyTransform(image, transform)  # type: ignore[return-value]  # None only when inPlace
