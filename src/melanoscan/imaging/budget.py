"""How much memory decoding a file will take, known before the decoder allocates it; refuse what exceeds it.

The pixel limit bounds pixels, not bytes: Pillow keeps 4 bytes per pixel for RGB, RGBA, CMYK, I and F,
and some decoders hold a second copy (libwebp's animation decoder composes on two full canvases and hands
over a third; libheif decodes the whole picture before Pillow copies it). The estimate here is the decoded
picture plus those copies; the conversion to 8-bit RGB afterwards works in bounded bands (imaging.convert).
"""

from __future__ import annotations

import struct

from melanoscan.imaging.errors import ImageRejected

DEFAULT_MEMORY_BUDGET = 256 * 2**20  # decoded bytes one upload may take (a 50-MP RGB PNG is 200 MB)

# Bytes Pillow stores per pixel, by mode (every mode not listed takes 4).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Extra full-size copies a format's decoder makes, in bytes per pixel, on top of Pillow's image.
_DECODER_COPIES = {"WEBP": 16, "HEIF": 4}


def decoded_bytes(fmt: str, mode: str, size: tuple[int, int]) -> int:
    """Peak bytes to decode a `size` picture of `mode` in format `fmt` (before any conversion)."""
    pixels = size[0] * size[1]
    return pixels * (_BYTES_PER_PIXEL.get(mode, 4) + _DECODER_COPIES.get(fmt, 0))


def check_memory(fmt: str, mode: str, size: tuple[int, int], budget: int) -> None:
    needed = decoded_bytes(fmt, mode, size)
    if needed > budget:
        raise too_much_memory(fmt, size, needed, budget)


def too_much_memory(fmt: str, size: tuple[int, int], needed: int, budget: int) -> ImageRejected:
    return ImageRejected(
        "image_too_large",
        f"Decoding this {size[0]}x{size[1]} {fmt} would take {needed / 2**20:.0f} MB; "
        f"at most {budget / 2**20:.0f} MB per photo. Send a JPEG, or a smaller picture.",
        413,
    )


def webp_canvas(data: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP declares (VP8X, VP8 or VP8L header), read without libwebp, which
    allocates its canvases as soon as it is given the file."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None
