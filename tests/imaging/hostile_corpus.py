"""A corpus of hostile or awkward uploads, generated on the fly (nothing big is committed).

Each case is the bytes of one file, the name it is uploaded under, and what the service must answer:
200 (a valid screening) or a 4xx with a given error code. tests/imaging checks decode_image against
it in-process; tests/api sends every case to a real server process.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

TINY = Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny"


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    filename: str
    status: int  # 200, or the 4xx the API answers
    code: str | None = None  # the error code when status is 4xx


@cache
def lesion() -> Image.Image:
    """A real ISIC lesion photo, 256 px."""
    with Image.open(sorted(TINY.glob("*.jpg"))[0]) as image:
        return image.convert("RGB")


@cache
def lesion_jpeg() -> bytes:
    return sorted(TINY.glob("*.jpg"))[0].read_bytes()


def save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid PNG header claiming width x height pixels (1.2 GB as RGB) with a tiny, well-formed
    but incomplete zlib stream of zeros: must be refused at the header, never decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (3 * width + 1) * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_with_huge_sof(width: int = 60000, height: int = 60000) -> bytes:
    """A real JPEG whose SOF0 frame header is patched to claim an enormous size."""
    data = bytearray(lesion_jpeg())
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def gif_bomb() -> bytes:
    """A GIF whose logical screen and first frame claim 65535 x 65535."""
    data = bytearray(save(lesion().resize((64, 64)).convert("P"), "GIF"))
    struct.pack_into("<HH", data, 6, 65535, 65535)
    descriptor = data.find(b"\x2c", 13 + 3 * 256)
    struct.pack_into("<HH", data, descriptor + 5, 65535, 65535)
    return bytes(data)


def bmp_bomb() -> bytes:
    data = bytearray(save(lesion().resize((64, 64)), "BMP"))
    struct.pack_into("<ii", data, 18, 30000, 30000)
    return bytes(data)


def exif_jpeg(orientation: int, image: Image.Image | None = None) -> bytes:
    image = image or lesion()
    exif = Image.Exif()
    exif[0x0112] = orientation
    return save(image, "JPEG", quality=92, exif=exif.tobytes())


def cmyk_jpeg() -> bytes:
    return save(lesion().convert("CMYK"), "JPEG", quality=90)


def png16_gray() -> bytes:
    gray = np.asarray(lesion().convert("L"), dtype=np.uint16) * 257
    return save(Image.fromarray(gray), "PNG")


def tiff_mode_i() -> bytes:
    values = np.asarray(lesion().convert("L"), dtype=np.int32) * 100
    return save(Image.fromarray(values), "TIFF")


def tiff_mode_f() -> bytes:
    values = np.asarray(lesion().convert("L"), dtype=np.float32) / 255.0
    return save(Image.fromarray(values), "TIFF")


def rgba_png() -> bytes:
    rgba = lesion().convert("RGBA")
    alpha = Image.new("L", rgba.size, 0)
    alpha.paste(255, (32, 32, 224, 224))
    rgba.putalpha(alpha)
    return save(rgba, "PNG")


def la_png() -> bytes:
    return save(lesion().convert("LA"), "PNG")


def palette_gif_transparent() -> bytes:
    pal = lesion().convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    return save(pal, "GIF", transparency=0)


def animated_gif() -> bytes:
    frames = [lesion().rotate(angle).convert("P", palette=Image.Palette.ADAPTIVE) for angle in (0, 10, 20)]
    return save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def animated_webp() -> bytes:
    frames = [lesion().rotate(angle) for angle in (0, 15)]
    return save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return save(lesion(), "HEIF", quality=80)


def mpo() -> bytes:
    return save(lesion(), "MPO", save_all=True, append_images=[lesion().rotate(5)])


def truncated_jpeg() -> bytes:
    data = lesion_jpeg()
    return data[: len(data) * 6 // 10]


def truncated_png() -> bytes:
    data = save(lesion(), "PNG")
    return data[: len(data) // 2]


def random_bytes() -> bytes:
    return np.random.default_rng(0).integers(0, 256, 40_000, dtype=np.uint8).tobytes()


SVG = b"""<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="512" height="512">
<circle cx="256" cy="256" r="100" fill="brown"/><script>alert(1)</script></svg>"""
PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""
# An EPS header: Pillow would hand this to Ghostscript. It must be refused before any decoder runs.
EPS = b"""%!PS-Adobe-3.0 EPSF-3.0
%%BoundingBox: 0 0 512 512
%%EndComments
/Times-Roman findfont 12 scalefont setfont 10 10 moveto (hello) show
(/etc/passwd) (r) file
showpage
%%EOF
"""


def polyglot_jpeg_html() -> bytes:
    """A valid JPEG with an HTML/JS payload appended after EOI: decodes as the JPEG."""
    return lesion_jpeg() + b"<html><script>alert(document.cookie)</script></html>"


def polyglot_gif_js() -> bytes:
    """A GIFAR-style header followed by JavaScript: not a decodable GIF."""
    return b"GIF89a/*\x10\x00\x10\x00\x00\x00\x00*/=1;alert(1);//" + b"\x00" * 64


def zip_file() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("photo.jpg", lesion_jpeg())
    return buf.getvalue()


def jpeg_bad_exif() -> bytes:
    data = bytearray(exif_jpeg(6))
    start = data.find(b"Exif\x00\x00")
    data[start + 6 : start + 20] = b"\xff" * 14  # mangle the TIFF header inside the EXIF block
    return bytes(data)


def jpeg_scan_bomb() -> bytes:
    """148 KB: one progressive scan repeated 8000 times; each is decoded over all 4 MP (minutes of CPU)."""
    data = save(Image.new("RGB", (2000, 2000)), "JPEG", progressive=True)
    last_scan = data.rfind(b"\xff\xda")
    return data[:last_scan] + data[last_scan:-2] * 8000 + b"\xff\xd9"


def webp_alpha_lossless() -> bytes:
    rgba = lesion().convert("RGBA")
    rgba.putalpha(200)
    return save(rgba, "WEBP", lossless=True)


CASES: list[Case] = [
    # valid but awkward: every one must give a 200 screening
    Case("jpeg_real", lesion_jpeg, "lesion.jpg", 200),
    Case("jpeg_progressive", lambda: save(lesion(), "JPEG", quality=85, progressive=True), "p.jpg", 200),
    Case("jpeg_grayscale_L", lambda: save(lesion().convert("L"), "JPEG"), "gray.jpg", 200),
    Case("jpeg_cmyk", cmyk_jpeg, "cmyk.jpg", 200),
    Case("jpeg_exif_rotated_6", lambda: exif_jpeg(6), "rotated.jpg", 200),
    Case("jpeg_exif_mirrored_5", lambda: exif_jpeg(5), "mirrored.jpg", 200),
    Case("jpeg_malformed_exif", jpeg_bad_exif, "badexif.jpg", 200),
    Case("jpeg_named_png", lesion_jpeg, "photo.png", 200),
    Case("jpeg_panorama_wide", lambda: save(lesion().resize((1600, 120)), "JPEG"), "wide.jpg", 200),
    # 28 KB, 9.6 MP: resizing all of it to a 256 px short side would take 2.4 gigapixels of memory
    Case("png_strip_300000x32", lambda: save(lesion().resize((300000, 32)), "PNG"), "strip.png", 200),
    Case("mpo_multi_picture", mpo, "phone.jpg", 200),
    Case("png_rgb", lambda: save(lesion(), "PNG"), "rgb.png", 200),
    Case("png_rgba", rgba_png, "rgba.png", 200),
    Case("png_la", la_png, "la.png", 200),
    Case("png_16bit_gray", png16_gray, "gray16.png", 200),
    Case("png_palette", lambda: save(lesion().convert("P"), "PNG"), "p.png", 200),
    Case("png_1bit", lambda: save(lesion().convert("1"), "PNG"), "bw.png", 200),
    Case("gif_palette_transparent", palette_gif_transparent, "t.gif", 200),
    Case("gif_animated", animated_gif, "anim.gif", 200),
    Case("webp_lossy", lambda: save(lesion(), "WEBP", quality=80), "a.webp", 200),
    Case("webp_lossless_alpha", webp_alpha_lossless, "alpha.webp", 200),
    Case("webp_animated", animated_webp, "anim.webp", 200),
    Case("heic", heic, "IMG_0001.HEIC", 200),
    Case("bmp", lambda: save(lesion(), "BMP"), "a.bmp", 200),
    Case("tiff_rgb", lambda: save(lesion(), "TIFF"), "a.tiff", 200),
    Case("tiff_mode_I", tiff_mode_i, "i32.tiff", 200),
    Case("tiff_mode_I16", lambda: save(Image.open(io.BytesIO(png16_gray())), "TIFF"), "i16.tiff", 200),
    Case("tiff_mode_F", tiff_mode_f, "f.tiff", 200),
    Case("tiff_cmyk", lambda: save(lesion().convert("CMYK"), "TIFF"), "cmyk.tiff", 200),
    Case("polyglot_jpeg_html", polyglot_jpeg_html, "poly.jpg", 200),
    # refused: each with its documented status and code
    Case("zero_bytes", lambda: b"", "empty.jpg", 400, "empty_file"),
    Case("truncated_jpeg", truncated_jpeg, "cut.jpg", 422, "corrupt_image"),
    Case("truncated_png", truncated_png, "cut.png", 422, "corrupt_image"),
    Case("jpeg_scan_bomb", jpeg_scan_bomb, "scans.jpg", 422, "corrupt_image"),
    Case("one_by_one", lambda: save(Image.new("RGB", (1, 1), "red"), "PNG"), "1x1.png", 422, "image_too_small"),
    Case("too_thin_31px", lambda: save(lesion().resize((400, 31)), "JPEG"), "thin.jpg", 422, "image_too_small"),
    Case("png_bomb_20000", png_bomb, "bomb.png", 413, "image_too_large"),
    Case("jpeg_huge_sof_60000", jpeg_with_huge_sof, "huge.jpg", 413, "image_too_large"),
    Case("gif_bomb_65535", gif_bomb, "bomb.gif", 413, "image_too_large"),
    Case("bmp_bomb_30000", bmp_bomb, "bomb.bmp", 413, "image_too_large"),
    Case("random_bytes", random_bytes, "photo.jpg", 415, "unsupported_media_type"),
    Case("text", lambda: b"this is not a photo\n" * 20, "notes.txt", 415, "unsupported_media_type"),
    Case(
        "html_named_png", lambda: b"<!doctype html><html><body>hi</body></html>", "x.png", 415, "unsupported_media_type"
    ),
    Case("svg", lambda: SVG, "lesion.svg", 415, "unsupported_media_type"),
    Case("pdf", lambda: PDF, "scan.pdf", 415, "unsupported_media_type"),
    Case("eps", lambda: EPS, "figure.eps", 415, "unsupported_media_type"),
    Case("ico", lambda: save(lesion().resize((64, 64)), "ICO"), "favicon.ico", 415, "unsupported_media_type"),
    Case("tga", lambda: save(lesion(), "TGA"), "a.tga", 415, "unsupported_media_type"),
    Case("jpeg2000", lambda: save(lesion(), "JPEG2000"), "a.jp2", 415, "unsupported_media_type"),
    Case("gzip_of_jpeg", lambda: gzip.compress(lesion_jpeg()), "photo.jpg.gz", 415, "unsupported_media_type"),
    Case("zip_of_jpeg", zip_file, "photos.zip", 415, "unsupported_media_type"),
    Case("polyglot_gif_js", polyglot_gif_js, "poly.gif", 415, "unsupported_media_type"),
]

CASE_IDS = [case.name for case in CASES]
