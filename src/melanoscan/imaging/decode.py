"""Decode untrusted bytes into an upright 8-bit RGB image, or refuse with a clear reason.

Phone photos arrive in every shape: huge JPEGs, HEIC, EXIF-rotated, with alpha, 16-bit, CMYK,
palette or animated. Hostile files arrive too: truncated, zero bytes, bombs, other formats
wearing an image's name. Everything here happens in memory; nothing is written to disk.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from melanoscan.imaging.errors import ImageRejected

try:  # HEIC/HEIF is what iPhones send by default.
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF = ("HEIF",)
except ImportError:  # pragma: no cover - pillow-heif is a hard dependency, but serve without it
    _HEIF = ()

# Only raster formats that phones and browsers produce. Anything else (EPS via Ghostscript, PDF,
# ICO, PSD, ...) is refused before a decoder runs.
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF", *_HEIF)
DEFAULT_MAX_PIXELS = 50_000_000  # a 48-MP phone photo fits; a 20000x20000 bomb does not
MIN_SIDE = 32

ImageFile.LOAD_TRUNCATED_IMAGES = False


def decode_image(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_size: int | None = None,
) -> Image.Image:
    """Bytes -> upright RGB image. Raises ImageRejected with a 4xx status for anything unusable.

    draft_size: if given, a JPEG is decoded at the smallest power-of-two scale whose shorter side
    is still >= draft_size (libjpeg DCT scaling), which makes a 12-MP photo several times cheaper.
    """
    if not data:
        raise ImageRejected("empty_file", "The uploaded file is empty.", 400)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
            _check_dimensions(image.size, max_pixels)
            if draft_size and image.format in ("JPEG", "MPO"):
                _draft(image, draft_size)
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image_too_large", f"The image has too many pixels: {exc}", 413) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(
            "unsupported_media_type",
            "The file is not an image in a supported format (JPEG, PNG, WebP, HEIC, GIF, BMP, TIFF).",
            415,
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise ImageRejected("corrupt_image", f"The image could not be decoded (truncated or corrupt): {exc}", 422) from exc
    except MemoryError as exc:
        raise ImageRejected("image_too_large", "The image is too large to decode.", 413) from exc
    return to_rgb(_upright(image))


def _check_dimensions(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageRejected(
            "image_too_large",
            f"The image is {width}x{height} pixels; at most {max_pixels:,} pixels are accepted.",
            413,
        )
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(
            "image_too_small",
            f"The image is {width}x{height} pixels; each side must be at least {MIN_SIDE} pixels.",
            422,
        )


def _draft(image: Image.Image, draft_size: int) -> None:
    """Ask libjpeg to decode at a reduced scale, never below draft_size on the shorter side."""
    width, height = image.size
    # EXIF rotation may swap sides later, so use the shorter side, which rotation preserves.
    shorter = min(width, height)
    scale = max(1, shorter // draft_size)
    if scale > 1:
        image.draft("RGB", (width // scale, height // scale))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag, as a phone gallery would show the photo."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block must not sink an otherwise good photo
        return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB. Transparency is composited over white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if mode.startswith("I;16") or pixels.max(initial=0) > 255 else 255.0
        gray = np.clip(pixels * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
