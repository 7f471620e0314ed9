"""Small files that cost a decoder far more memory or CPU than their size says, and phone files with trailers.

Each is built byte by byte here (nothing big is committed). tests/imaging checks that decode_upload refuses or
decodes them within its budgets; bench/hostile.py prints the peak memory growth and CPU time of each.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from hostile_corpus import lesion, lesion_jpeg, png_chunk, save
from PIL import Image


@dataclass(frozen=True)
class Bomb:
    name: str
    make: Callable[[], bytes]
    status: int  # 200: decodes (within budget); else the 4xx it is refused with
    code: str | None = None


def _zlib_rows(row: bytes, height: int) -> bytes:
    """zlib stream of `height` copies of a filter-0 PNG row, without building them all in memory."""
    compressor = zlib.compressobj(9)
    chunks: list[bytes] = []
    block = (b"\x00" + row) * 64
    for _ in range(height // 64):
        chunks.append(compressor.compress(block))
    chunks.append(compressor.compress((b"\x00" + row) * (height % 64)))
    chunks.append(compressor.flush())
    return b"".join(chunks)


def png_raw(width: int, height: int, bit_depth: int, color_type: int, row: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    idat = _zlib_rows(row, height)
    chunks = [png_chunk(b"IDAT", idat[i : i + 1 << 20]) for i in range(0, len(idat), 1 << 20)]
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + b"".join(chunks) + png_chunk(b"IEND", b"")


def png16_gray_7000() -> bytes:
    """7000x7000 16-bit grey (49 MP): a few hundred KB; an old path made float64 copies of it (400 MB each)."""
    return png_raw(7000, 7000, 16, 0, bytes(range(256)) * (14000 // 256) + b"\x10" * (14000 % 256))


def png_rgba_7000() -> bytes:
    """7000x7000 RGBA: full-size composites over white cost several 200 MB copies."""
    return png_raw(7000, 7000, 8, 6, bytes([200, 120, 90, 128]) * 7000)


def png_rgba16_5000() -> bytes:
    """5000x5000 16-bit RGBA (64 bits per pixel)."""
    return png_raw(5000, 5000, 16, 6, bytes([200, 0, 120, 0, 90, 0, 255, 255]) * 5000)


def png_palette_7000() -> bytes:
    """7000x7000 palette image with a tRNS chunk: converting it whole to RGBA takes 200 MB."""
    ihdr = struct.pack(">IIBBBBB", 7000, 7000, 8, 3, 0, 0, 0)
    palette = bytes(c for i in range(256) for c in (i, 255 - i, i // 2))
    trns = bytes(range(256))
    idat = _zlib_rows(bytes(range(256)) * (7000 // 256) + b"\x07" * (7000 % 256), 7000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"PLTE", palette)
        + png_chunk(b"tRNS", trns)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png_million_chunks() -> bytes:
    """19 MB of empty private chunks before the image: Pillow walks chunks one by one in Python."""
    good = save(lesion(), "PNG")
    ihdr_end = 8 + 25
    empty = png_chunk(b"prVt", b"")
    count = (19 * 2**20) // len(empty)
    return good[:ihdr_end] + empty * count + good[ihdr_end:]


def tiff_float_7000() -> bytes:
    """7000x7000 32-bit float TIFF (deflate, so the file is small)."""
    image = Image.new("F", (7000, 7000), 0.25)
    return save(image, "TIFF", compression="tiff_adobe_deflate")


def tiff_million_strips() -> bytes:
    """An 8 MB TIFF whose 1,000,000 one-row strips all point at the same bytes: one tile per strip in Pillow."""
    width, height, strips = 32, 1_000_000, 1_000_000
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, strips, None),  # StripOffsets -> array
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, 1),  # RowsPerStrip
        (279, 4, strips, None),  # StripByteCounts -> array
    ]
    header_size = 8 + 2 + 12 * len(entries) + 4
    pixels_at = header_size
    offsets_at = pixels_at + width
    counts_at = offsets_at + 4 * strips
    ifd = struct.pack("<2sHI", b"II", 42, 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            ifd += struct.pack("<HHII", tag, kind, count, offsets_at)
        elif tag == 279:
            ifd += struct.pack("<HHII", tag, kind, count, counts_at)
        elif kind == 3:
            ifd += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, kind, count, value)
    ifd += struct.pack("<I", 0)
    assert len(ifd) == header_size
    offsets = struct.pack("<I", pixels_at) * strips
    counts = struct.pack("<I", width) * strips
    return ifd + bytes(range(width)) + offsets + counts


def tiff_tiled_many() -> bytes:
    """A tiled TIFF of 16x16 tiles (Pillow writes no tiles; libtiff-style tiling built by hand): 6.25 MP, 24k tiles."""
    width = height = 2500
    tiles_x, tiles_y = -(-width // 16), -(-height // 16)
    tiles = tiles_x * tiles_y
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (277, 3, 1, 1),
        (322, 3, 1, 16),  # TileWidth
        (323, 3, 1, 16),  # TileLength
        (324, 4, tiles, None),  # TileOffsets
        (325, 4, tiles, None),  # TileByteCounts
    ]
    header_size = 8 + 2 + 12 * len(entries) + 4
    pixels_at = header_size
    offsets_at = pixels_at + 256
    counts_at = offsets_at + 4 * tiles
    ifd = struct.pack("<2sHI", b"II", 42, 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 324:
            ifd += struct.pack("<HHII", tag, kind, count, offsets_at)
        elif tag == 325:
            ifd += struct.pack("<HHII", tag, kind, count, counts_at)
        elif kind == 3:
            ifd += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, kind, count, value)
    ifd += struct.pack("<I", 0)
    return ifd + bytes(range(256)) + struct.pack("<I", pixels_at) * tiles + struct.pack("<I", 256) * tiles


def bmp_rle(bits: int, width: int, height: int, size: int = 19 * 2**20) -> bytes:
    """An RLE8 (bits=8) or RLE4 (bits=4) BMP made of one-pixel runs: Pillow decodes RLE in Python."""
    compression = 1 if bits == 8 else 2
    run = b"\x01\x05" if bits == 8 else b"\x01\x12"
    row = run * width + b"\x00\x00"  # end of line
    rows = max(1, min(height, (size - 1078) // len(row)))
    body = row * rows + b"\x00\x01"  # end of bitmap
    colors = 256 if bits == 8 else 16
    palette = bytes(c for i in range(colors) for c in (i, i, i, 0))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(body), 2835, 2835, colors, 0)
    offset = 14 + len(info) + len(palette)
    header = struct.pack("<2sIHHI", b"BM", offset + len(body), 0, 0, offset)
    return header + info + palette + body


def webp_anim_canvas(canvas: tuple[int, int] = (7000, 7000), frames: int = 200) -> bytes:
    """An animated WebP: a 7000x7000 canvas and 200 tiny 32x32 frames (a few KB in all)."""
    tiny = save(lesion().resize((32, 32)), "WEBP", lossless=True)
    bitstream = tiny[12:]  # the VP8L chunk (fourcc, size, payload)

    def chunk(fourcc: bytes, payload: bytes) -> bytes:
        return fourcc + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")

    def u24(value: int) -> bytes:
        return struct.pack("<I", value)[:3]

    vp8x = bytes([0x02 | 0x10, 0, 0, 0]) + u24(canvas[0] - 1) + u24(canvas[1] - 1)
    anim = struct.pack("<IH", 0xFFFFFFFF, 0)
    body = chunk(b"VP8X", vp8x) + chunk(b"ANIM", anim)
    for index in range(frames):
        x, y = (index * 64) % (canvas[0] - 32), (index * 32) % (canvas[1] - 32)
        header = u24(x // 2) + u24(y // 2) + u24(31) + u24(31) + u24(50) + b"\x00"
        body += chunk(b"ANMF", header + bitstream)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def jpeg_fill_bytes() -> bytes:
    """A JPEG header followed by 19 MB of 0xFF fill bytes: Pillow skips them one Python call at a time."""
    data = lesion_jpeg()
    return data[:2] + b"\xff" * (19 * 2**20) + data[2:]


def jpeg_many_segments() -> bytes:
    """19 MB of empty comment segments before the frame header: millions of Python loop turns in Pillow."""
    data = lesion_jpeg()
    return data[:2] + b"\xff\xfe\x00\x02" * (19 * 2**20 // 4) + data[2:]


def gif_many_subblocks() -> bytes:
    """A GIF whose comment extension is 19 MB of one-byte sub-blocks, read one by one in Python."""
    good = save(lesion().convert("P", palette=Image.Palette.ADAPTIVE), "GIF")
    header_end = 13 + 3 * 256
    comment = b"\x21\xfe" + b"\x01x" * (19 * 2**20 // 2) + b"\x00"
    return good[:header_end] + comment + good[header_end:]


# ------------------------------------------------------------------------------------------- phone trailers
def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_trailer(size: int = 3 * 2**20) -> bytes:
    """MP4 boxes as phones append them (ftyp, moov, mdat) whose media bytes hold many FF DA pairs."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    moov = _box(b"moov", _box(b"mvhd", bytes(100)))
    media = (b"\x00\x00\x01\x65\xff\xda\x12\x34" * (size // 8))[:size]
    return ftyp + moov + _box(b"mdat", media)


def _xmp_app1(xmp: str) -> bytes:
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def google_motion_photo() -> bytes:
    """A Pixel motion photo: JPEG with GCamera/Container XMP saying where the MP4 starts, then the MP4."""
    photo = save(lesion().resize((1024, 768)), "JPEG", quality=95)
    video = mp4_trailer()
    xmp = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
 xmlns:Container="http://ns.google.com/photos/1.0/container/" xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
 GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1" GCamera:MotionPhotoPresentationTimestampUs="968644">
<Container:Directory><rdf:Seq>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"
 Item:Length="0"/></rdf:li>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto"
 Item:Length="{len(video)}"/></rdf:li>
</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"""
    return photo[:2] + _xmp_app1(xmp) + photo[2:] + video


def samsung_motion_photo() -> bytes:
    """A Samsung motion photo: JPEG (EXIF orientation 6), the MP4, then the SEF trailer naming MotionPhoto_Data."""
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = save(lesion().resize((1024, 768)), "JPEG", quality=95, subsampling="4:2:0", exif=exif.tobytes())
    xmp = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1"
 GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="3145800" GCamera:MicroVideoPresentationTimestampUs="-1"/>
</rdf:RDF></x:xmpmeta>"""
    marker = b"\x00\x00\x30\x0aMotionPhoto_Data"
    video = mp4_trailer()
    sef_entry = struct.pack("<HHII", 0, 0x0A30, len(marker) + len(video) + 8, len(marker) + len(video))
    sef = b"SEFH" + struct.pack("<II", 107, 1) + sef_entry + struct.pack("<I", 4 + 8 + len(sef_entry)) + b"SEFT"
    return photo[:2] + _xmp_app1(xmp) + photo[2:] + marker + video + sef


def ultra_hdr_mpo() -> bytes:
    """A multi-picture JPEG (MPO, as Ultra HDR photos are) followed by an MP4 trailer."""
    return save(lesion(), "MPO", save_all=True, append_images=[lesion().resize((128, 128))]) + mp4_trailer(2**20)


BOMBS: list[Bomb] = [
    Bomb("png16_gray_7000", png16_gray_7000, 200),
    Bomb("png_rgba_7000", png_rgba_7000, 200),
    Bomb("png_rgba16_5000", png_rgba16_5000, 200),
    Bomb("png_palette_trns_7000", png_palette_7000, 200),
    Bomb("tiff_float_7000", tiff_float_7000, 200),
    Bomb("webp_anim_7000_canvas", webp_anim_canvas, 413, "image_too_large"),
    Bomb("png_million_chunks", png_million_chunks, 422, "image_too_complex"),
    Bomb("tiff_million_strips", tiff_million_strips, 422, "image_too_complex"),
    Bomb("tiff_tiled_24k_tiles", tiff_tiled_many, 200),
    Bomb("bmp_rle8_runs", lambda: bmp_rle(8, 3000, 3300), 422, "image_too_complex"),
    Bomb("bmp_rle4_runs", lambda: bmp_rle(4, 3000, 3300), 422, "image_too_complex"),
    Bomb("jpeg_fill_bytes", jpeg_fill_bytes, 422, "image_too_complex"),
    Bomb("jpeg_many_segments", jpeg_many_segments, 422, "image_too_complex"),
    Bomb("gif_many_subblocks", gif_many_subblocks, 422, "image_too_complex"),
    Bomb("google_motion_photo", google_motion_photo, 200),
    Bomb("samsung_motion_photo", samsung_motion_photo, 200),
    Bomb("ultra_hdr_mpo_trailer", ultra_hdr_mpo, 200),
]
BOMB_IDS = [bomb.name for bomb in BOMBS]
