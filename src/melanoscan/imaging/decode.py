"""Decode untrusted bytes into an upright 8-bit RGB image, or refuse with a clear reason.

Phone photos arrive in every shape: huge JPEGs, HEIC, EXIF-rotated, with alpha, 16-bit, CMYK,
palette or animated, motion photos with a video after the picture. Hostile files arrive too: truncated,
zero bytes, bombs by pixels, by bytes per pixel or by structure, other formats wearing an image's name.
Everything here happens in memory; nothing is written to disk.

Every upload is decoded within two budgets, checked before the decoder runs:
- CPU: structures whose decoding cost is not bounded by the file's size are refused (imaging.structure);
- memory: the decoded picture and its decoder's copies must fit `memory_budget` (imaging.budget). A JPEG
  is decoded already reduced (libjpeg DCT scaling), other formats are shrunk band by band while they are
  converted to RGB (imaging.convert), the EXIF rotation is applied to the small result, and only the
  first frame of an animation is decoded.
One decode runs at a time per process (threaded workers read uploads concurrently, decode one by one),
so a worker's memory grows by one upload's budget at most.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, PngImagePlugin, UnidentifiedImageError

from melanoscan.imaging.budget import DEFAULT_MEMORY_BUDGET, check_memory, too_much_memory, webp_canvas
from melanoscan.imaging.convert import reduce_factor, to_rgb
from melanoscan.imaging.errors import ImageRejected
from melanoscan.imaging.structure import MAX_JPEG_SCAN_PIXELS, MAX_JPEG_SCANS, check_jpeg_scans, check_structure

try:  # HEIC/HEIF is what iPhones send by default.
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF: tuple[str, ...] = ("HEIF",)
except ImportError:  # pragma: no cover - pillow-heif is a hard dependency, but serve without it
    _HEIF = ()

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_MAX_PIXELS",
    "MAX_JPEG_SCANS",
    "MAX_JPEG_SCAN_PIXELS",
    "MIN_SIDE",
    "DecodedImage",
    "decode_image",
    "decode_upload",
    "to_rgb",
]

# Only raster formats that phones and browsers produce. Anything else (EPS via Ghostscript, PDF,
# ICO, PSD, ...) is refused before a decoder runs. MPO (multi-picture JPEG from some phones) is not
# an opener of its own: Pillow's JPEG opener returns it, so it is accepted through "JPEG".
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", *_HEIF)
_JPEG_FAMILY = ("JPEG", "MPO")
# EXIF Orientation values that swap width and height, and what a viewer does for each value.
_TRANSPOSED_ORIENTATIONS = (5, 6, 7, 8)
_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
DEFAULT_MAX_PIXELS = 50_000_000  # a 48-MP phone photo fits; a 20000x20000 bomb does not
MIN_SIDE = 32

ImageFile.LOAD_TRUNCATED_IMAGES = False
# Compressed PNG text chunks may expand to 64 MB in all by default; a photo's metadata is kilobytes.
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 2**20
# One decode at a time per process: the memory budget is per process, not per thread.
_DECODE_SLOT = threading.Lock()


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
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> Image.Image:
    """Bytes -> upright RGB image. Raises ImageRejected with a 4xx status for anything unusable.

    draft_size: if given, the picture is decoded or shrunk by a whole factor whose result keeps the shorter
    side >= draft_size (a JPEG by libjpeg DCT scaling, others by a box filter), which makes a 12-MP photo
    several times cheaper. Without it the picture comes back at full size.
    """
    return decode_upload(data, max_pixels=max_pixels, draft_size=draft_size, memory_budget=memory_budget).image


def decode_upload(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_size: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> DecodedImage:
    """Like decode_image, but also returns the file's format and its upright size before downscaling."""
    if not data:
        raise ImageRejected("empty_file", "The uploaded file is empty.", 400)
    with _DECODE_SLOT:
        return _decode(data, max_pixels, draft_size, memory_budget)


def _decode(data: bytes, max_pixels: int, draft_size: int | None, memory_budget: int) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            check_structure(data)
            _check_webp_canvas(data, max_pixels, memory_budget)
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
            fmt = str(image.format)
            _check_dimensions(image.size, max_pixels)
            if fmt in _JPEG_FAMILY:
                check_jpeg_scans(data, image.size)
            original_size = image.size
            orientation = _orientation(image)
            if draft_size and fmt in _JPEG_FAMILY:
                _draft(image, draft_size)
            check_memory(fmt, image.mode, image.size, memory_budget)
            image.load()
            rgb = to_rgb(image, reduce_factor(image.size, draft_size))
            del image  # the full-size picture goes before the upright copy is made
            upright = _upright(rgb, orientation)
            if orientation in _TRANSPOSED_ORIENTATIONS:
                original_size = (original_size[1], original_size[0])
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
    return DecodedImage(upright, fmt, original_size)


def _check_webp_canvas(data: bytes, max_pixels: int, memory_budget: int) -> None:
    """libwebp allocates its canvases when the file is opened, so the WebP budget is checked on the header."""
    size = webp_canvas(data)
    if size is None:
        return
    _check_dimensions(size, max_pixels)
    try:
        check_memory("WEBP", "RGBA", size, memory_budget)
    except ImageRejected:
        raise too_much_memory("WebP", size, size[0] * size[1] * 20, memory_budget) from None


def _orientation(image: Image.Image) -> int:
    try:
        value = int(image.getexif().get(0x0112, 1))
    except Exception:  # a malformed EXIF block must not sink an otherwise good photo
        return 1
    return value if value in _ORIENT else 1


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


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """Apply the EXIF orientation tag (read from the file before conversion), as a phone gallery would."""
    method = _ORIENT.get(orientation)
    return image.transpose(method) if method is not None else image
