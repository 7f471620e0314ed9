"""Decode untrusted bytes into an upright 8-bit RGB image, or refuse with a clear reason.

Phone photos arrive in every shape: huge JPEGs, HEIC, EXIF-rotated, with alpha, 16-bit, CMYK,
palette or animated. Hostile files arrive too: truncated, zero bytes, bombs, other formats
wearing an image's name. Everything here happens in memory; nothing is written to disk.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from melanoscan.imaging.errors import ImageRejected

try:  # HEIC/HEIF is what iPhones send by default.
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF: tuple[str, ...] = ("HEIF",)
except ImportError:  # pragma: no cover - pillow-heif is a hard dependency, but serve without it
    _HEIF = ()

# Only raster formats that phones and browsers produce. Anything else (EPS via Ghostscript, PDF,
# ICO, PSD, ...) is refused before a decoder runs. MPO (multi-picture JPEG from some phones) is not
# an opener of its own: Pillow's JPEG opener returns it, so it is accepted through "JPEG".
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", *_HEIF)
_JPEG_FAMILY = ("JPEG", "MPO")
# EXIF Orientation values that swap width and height.
_TRANSPOSED_ORIENTATIONS = (5, 6, 7, 8)
DEFAULT_MAX_PIXELS = 50_000_000  # a 48-MP phone photo fits; a 20000x20000 bomb does not
MIN_SIDE = 32
# A progressive JPEG is decoded once per scan over all its pixels, and a tiny file can repeat scans
# thousands of times (a "scan bomb": 150 KB that holds a worker for minutes). Encoders write about
# 10 scans; refuse files whose scans x pixels exceed what a 50-MP photo with 10 scans needs (~3 s here).
MAX_JPEG_SCANS = 40
MAX_JPEG_SCAN_PIXELS = 10 * 50_000_000

ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class DecodedImage:
    """A decoded upload: the upright RGB image plus what the file said about itself."""

    image: Image.Image
    format: str
    # Size of the uploaded picture as shown upright (EXIF applied), before any draft downscaling.
    original_size: tuple[int, int]


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
    return decode_upload(data, max_pixels=max_pixels, draft_size=draft_size).image


def decode_upload(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_size: int | None = None,
) -> DecodedImage:
    """Like decode_image, but also returns the file's format and its upright size before downscaling."""
    if not data:
        raise ImageRejected("empty_file", "The uploaded file is empty.", 400)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
            fmt = str(image.format)
            _check_dimensions(image.size, max_pixels)
            if fmt in _JPEG_FAMILY:
                _check_jpeg_scans(data, image.size)
            original_size = image.size
            if draft_size and fmt in _JPEG_FAMILY:
                _draft(image, draft_size)
            image.load()
            upright = _upright(image)
            if _orientation(image) in _TRANSPOSED_ORIENTATIONS:
                original_size = (original_size[1], original_size[0])
            rgb = to_rgb(upright)
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
    except MemoryError as exc:
        raise ImageRejected("image_too_large", "The image is too large to decode.", 413) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise ImageRejected(
            "corrupt_image", f"The image could not be decoded (truncated or corrupt): {exc}", 422
        ) from exc
    except Exception as exc:  # a malformed file can make a Pillow plugin raise almost anything
        raise ImageRejected("corrupt_image", "The image could not be decoded (malformed file).", 422) from exc
    return DecodedImage(rgb, fmt, original_size)


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:
        return 1


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


def _check_jpeg_scans(data: bytes, size: tuple[int, int]) -> None:
    # 0xFFDA (start of scan) cannot occur inside entropy-coded data, where 0xFF is always stuffed.
    scans = data.count(b"\xff\xda")
    if scans > MAX_JPEG_SCANS or scans * size[0] * size[1] > MAX_JPEG_SCAN_PIXELS:
        raise ImageRejected(
            "corrupt_image",
            f"The JPEG has {scans} scans for {size[0]}x{size[1]} pixels; a photo has about 10. "
            "It looks malformed or made to slow the server down.",
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
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        pixels = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        brightest = pixels.max(initial=0)
        if mode.startswith("I;16") or brightest > 255:
            peak = 65535.0
        elif mode == "F" and brightest <= 1.0:  # float images usually hold 0..1, not 0..255
            peak = 1.0
        else:
            peak = 255.0
        gray = np.clip(pixels * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode == "La":  # premultiplied; Pillow converts it only to LA
        image = image.convert("LA")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode in ("LAB", "HSV"):  # no direct conversion to RGB in Pillow
        return image.convert("RGB") if mode == "HSV" else _lab_to_rgb(image)
    return image.convert("RGB")


def _lab_to_rgb(image: Image.Image) -> Image.Image:
    from PIL import ImageCms

    lab, srgb = ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB")
    transform = ImageCms.buildTransform(lab, srgb, "LAB", "RGB")
    return ImageCms.applyTransform(image, transform)  # type: ignore[return-value]  # None only when inPlace
