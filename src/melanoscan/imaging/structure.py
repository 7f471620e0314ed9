"""Refuse files whose decoding cost is not bounded by their size, before any decoder runs.

A normal photo costs about 30 ms to decode. Some legal file structures make Pillow loop in Python once per
structural unit: one-pixel runs of an RLE BMP, strips or tiles of a TIFF, chunks of a PNG, extension
sub-blocks of a GIF, segments and fill bytes of a JPEG header, and a progressive JPEG decodes every scan
over all its pixels. A 20 MB upload of such units holds a worker for 5-20 s. Each check here walks the
file's structure with C-speed searches or a loop capped at its limit, so it costs milliseconds, and the
limits sit far above what cameras, phones and image editors write.

JPEG structure is read up to the primary image's end-of-image marker only: Samsung and Google motion
photos append an MP4 (whose bytes hold many FF DA pairs) and MPO files append more JPEGs; neither is part
of the picture that is classified.
"""

from __future__ import annotations

import re
import struct

from melanoscan.imaging.errors import ImageRejected

# A progressive JPEG is decoded once per scan over all its pixels: encoders write about 10 scans.
MAX_JPEG_SCANS = 40
MAX_JPEG_SCAN_PIXELS = 10 * 50_000_000
MAX_JPEG_SEGMENTS = 2_000  # markers of the primary image; phones write 10-30
MAX_JPEG_FILL_BYTES = 65_536  # 0xFF padding between segments (Pillow skips it one byte per Python call)
MAX_PNG_CHUNKS = 16_384  # libpng writes 8 KB IDAT chunks: 2,560 for a 20 MB file
MAX_GIF_SUBBLOCKS = 10_000  # sub-blocks before the first frame (comments, XMP); a real file has a few dozen
MAX_BMP_RLE_BYTES = 2**20  # Pillow's RLE decoder is pure Python: about 0.7 s per MB here
MAX_TIFF_SEGMENTS = 32_768  # strips or tiles; 20 MB uncompressed in 8 KB strips is 2,560

# Any marker except stuffed 0xFF00, fill 0xFFFF and restart markers (which carry no length).
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
_STANDALONE = frozenset({0x01, 0xD8})
_EOI, _SOS = 0xD9, 0xDA


def too_complex(what: str) -> ImageRejected:
    return ImageRejected(
        "image_too_complex",
        f"The image's file structure would take too long to decode ({what}). "
        "Send the photo as a JPEG, PNG or HEIC straight from the camera.",
        422,
    )


def check_structure(data: bytes) -> None:
    """Raise ImageRejected (422) when the file's structure makes decoding cost unbounded. Cheap: milliseconds."""
    head = data[:16]
    if head.startswith(b"\xff\xd8"):
        check_jpeg_scans(data, None)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        _check_png(data)
    elif head.startswith((b"GIF87a", b"GIF89a")):
        _check_gif(data)
    elif head.startswith(b"BM"):
        _check_bmp(data)
    elif head.startswith((b"II*\x00", b"MM\x00*")):
        _check_tiff(data)


def jpeg_primary_scans(data: bytes) -> int:
    """Walk the primary JPEG's markers up to its end of image; return its number of scans (SOS markers)."""
    pos, segments, scans, fill = 2, 0, 0, 0
    in_scan = False
    while True:
        match = _JPEG_MARKER.search(data, pos)
        if match is None:  # truncated: Pillow reports it
            return scans
        if not in_scan:
            fill += match.start() - pos
            if fill > MAX_JPEG_FILL_BYTES:
                raise too_complex(f"more than {MAX_JPEG_FILL_BYTES:,} padding bytes between JPEG segments")
        segments += 1
        if segments - scans > MAX_JPEG_SEGMENTS:
            raise too_complex(f"more than {MAX_JPEG_SEGMENTS:,} JPEG segments")
        marker = data[match.start() + 1]
        if marker == _EOI:
            return scans
        if marker in _STANDALONE:
            pos, in_scan = match.end(), False
            continue
        if match.end() + 2 > len(data):
            return scans
        (length,) = struct.unpack_from(">H", data, match.end())
        if length < 2:  # malformed: Pillow reports it
            return scans
        pos = match.end() + length
        in_scan = marker == _SOS
        scans += in_scan
        if scans > MAX_JPEG_SCANS:  # a scan bomb: enough counted
            return scans


def check_jpeg_scans(data: bytes, size: tuple[int, int] | None) -> None:
    """A progressive "scan bomb" repeats scans, each decoded over every pixel: refuse too many
    (size None: before the frame header is read, the scan count alone)."""
    scans = jpeg_primary_scans(data)
    pixels = size[0] * size[1] if size else 0
    if scans > MAX_JPEG_SCANS or scans * pixels > MAX_JPEG_SCAN_PIXELS:
        dims = f" for {size[0]}x{size[1]} pixels" if size else ""
        raise ImageRejected(
            "corrupt_image",
            f"The JPEG has {scans if scans <= MAX_JPEG_SCANS else f'over {MAX_JPEG_SCANS}'} scans{dims}; "
            "a photo has about 10. It looks malformed or made to slow the server down.",
            422,
        )


def _check_png(data: bytes) -> None:
    pos, end = 8, len(data)
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 8 > end:
            return
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"IEND":
            return
        pos += 12 + length
    raise too_complex(f"more than {MAX_PNG_CHUNKS:,} PNG chunks")


def _check_gif(data: bytes) -> None:
    """Count the sub-blocks Pillow reads in Python before the first frame's pixels."""
    if len(data) < 13:
        return
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    blocks = 0
    while pos < len(data):
        introducer = data[pos]
        if introducer != 0x21:  # an image descriptor, the trailer or garbage: Pillow takes it from here
            return
        pos += 2  # introducer and label
        while pos < len(data):
            size = data[pos]
            pos += 1 + size
            blocks += 1
            if blocks > MAX_GIF_SUBBLOCKS:
                raise too_complex(f"more than {MAX_GIF_SUBBLOCKS:,} GIF extension blocks before the picture")
            if size == 0:
                break


def _check_bmp(data: bytes) -> None:
    if len(data) < 34:
        return
    (offset,) = struct.unpack_from("<I", data, 10)
    (header_size,) = struct.unpack_from("<I", data, 14)
    if header_size < 40:  # OS/2 1.x headers have no compression field
        return
    (compression,) = struct.unpack_from("<I", data, 30)
    if compression in (1, 2) and len(data) - offset > MAX_BMP_RLE_BYTES:
        raise too_complex(f"run-length encoded BMP data over {MAX_BMP_RLE_BYTES // 2**20} MB")


_TIFF_TYPES = {3: "H", 4: "I", 16: "Q"}


def _check_tiff(data: bytes) -> None:
    """Count the first image's strips or tiles from its IFD (Pillow makes a Python tile of each)."""
    order = "<" if data[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", data, 4)
        (entries,) = struct.unpack_from(order + "H", data, ifd)
        for index in range(min(entries, 4096)):
            tag, _kind, count = struct.unpack_from(order + "HHI", data, ifd + 2 + 12 * index)
            if tag in (273, 324) and count > MAX_TIFF_SEGMENTS:  # StripOffsets, TileOffsets
                raise too_complex(f"{count:,} TIFF strips or tiles; at most {MAX_TIFF_SEGMENTS:,} are accepted")
    except struct.error:  # malformed: Pillow reports it
        return
