"""Memory and CPU bombs, phone trailers and bounded conversions: decode_upload against bomb_corpus.

The budgets themselves (peak memory growth, CPU seconds) are printed by bench/hostile.py; here each case
must end as its expected answer, the checks must refuse before a decoder runs, and the bounded conversion
must give the same pixels as converting the whole picture at once.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from bomb_corpus import BOMB_IDS, BOMBS, Bomb, google_motion_photo, mp4_trailer, samsung_motion_photo, ultra_hdr_mpo
from hostile_corpus import exif_jpeg, lesion, lesion_jpeg, save
from PIL import Image

from melanoscan.imaging import convert, structure
from melanoscan.imaging.budget import decoded_bytes, webp_canvas
from melanoscan.imaging.decode import decode_upload
from melanoscan.imaging.errors import ImageRejected

UPLOAD_LIMIT = 20 * 1024 * 1024


@pytest.mark.parametrize("bomb", BOMBS, ids=BOMB_IDS)
def test_bomb_corpus(bomb: Bomb):
    data = bomb.make()
    assert len(data) <= UPLOAD_LIMIT
    if bomb.status == 200:
        decoded = decode_upload(data, draft_size=256)
        assert decoded.image.mode == "RGB"
        assert 256 <= min(decoded.image.size) < 512  # shrunk while decoding, not after
    else:
        with pytest.raises(ImageRejected) as caught:
            decode_upload(data, draft_size=256)
        assert (caught.value.status, caught.value.code) == (bomb.status, bomb.code)
        assert caught.value.message


@pytest.mark.parametrize(
    "name", ["png_million_chunks", "tiff_million_strips", "bmp_rle8_runs", "jpeg_many_segments", "gif_many_subblocks"]
)
def test_cpu_bombs_are_refused_before_pillow_opens_them(name: str, monkeypatch):
    """The structure check must refuse on its own: Pillow's opener is never reached."""
    data = next(b for b in BOMBS if b.name == name).make()

    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("Image.open ran on a file the structure check should refuse")

    monkeypatch.setattr(Image, "open", never)
    with pytest.raises(ImageRejected) as caught:
        decode_upload(data)
    assert caught.value.code == "image_too_complex"


def test_an_animated_webp_canvas_is_checked_from_its_header():
    data = next(b for b in BOMBS if b.name == "webp_anim_7000_canvas").make()
    assert webp_canvas(data) == (7000, 7000)
    assert webp_canvas(save(lesion(), "WEBP")) == (256, 256)
    assert webp_canvas(save(lesion(), "WEBP", lossless=True)) == (256, 256)
    # A small animated WebP (the hostile corpus has one) is decoded: its first frame.
    frames = [lesion(), lesion().rotate(90)]
    small = save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50)
    first = np.asarray(decode_upload(small).image, dtype=np.int16)
    assert np.abs(first - np.asarray(lesion(), dtype=np.int16)).mean() < 8


def test_the_memory_budget_refuses_with_413_before_decoding():
    data = save(lesion().resize((1000, 1000)), "PNG")
    assert decoded_bytes("PNG", "RGB", (1000, 1000)) == 4_000_000
    with pytest.raises(ImageRejected) as caught:
        decode_upload(data, memory_budget=3_000_000)
    assert (caught.value.status, caught.value.code) == (413, "image_too_large")
    assert decode_upload(data, memory_budget=4_000_000).image.size == (1000, 1000)


def test_a_jpeg_is_budgeted_at_its_draft_size():
    """A 12-MP JPEG decoded at 1/8 scale needs 1/64 of the memory: the budget applies after the draft."""
    data = save(lesion().resize((4000, 3000)), "JPEG", quality=85)
    with pytest.raises(ImageRejected):
        decode_upload(data, memory_budget=10_000_000)  # 48 MB at full size
    assert decode_upload(data, draft_size=256, memory_budget=10_000_000).image.size == (500, 375)


# ------------------------------------------------------------------------------------- motion photos, MPO
@pytest.mark.parametrize("make", [google_motion_photo, samsung_motion_photo, ultra_hdr_mpo])
def test_phone_trailers_are_accepted_and_the_primary_image_is_classified(make):  # type: ignore[no-untyped-def]
    data = make()
    assert data.count(b"\xff\xda") > 10 * structure.MAX_JPEG_SCANS  # the trailer alone would fail a whole-file count
    with Image.open(io.BytesIO(data)) as image:
        primary = image.convert("RGB")  # Pillow's own first frame (orientation not applied)
    decoded = decode_upload(data)
    if make is samsung_motion_photo:  # EXIF orientation 6: shown rotated
        primary = primary.transpose(Image.Transpose.ROTATE_270)
    assert decoded.image.size == primary.size
    assert np.array_equal(np.asarray(decoded.image), np.asarray(primary))


def test_scans_are_counted_up_to_the_end_of_the_primary_image_only():
    photo = lesion_jpeg()
    progressive = save(lesion(), "JPEG", progressive=True)
    scans = structure.jpeg_primary_scans(progressive)
    assert 2 <= scans <= structure.MAX_JPEG_SCANS
    assert structure.jpeg_primary_scans(progressive + mp4_trailer(2**20)) == scans
    assert structure.jpeg_primary_scans(photo + photo) == structure.jpeg_primary_scans(photo) == 1


def test_a_scan_bomb_before_the_end_of_image_is_still_refused():
    bomb = save(Image.new("RGB", (600, 600)), "JPEG", progressive=True)
    last = bomb.rfind(b"\xff\xda")
    bomb = bomb[:last] + bomb[last:-2] * 200 + b"\xff\xd9" + mp4_trailer(2**16)
    with pytest.raises(ImageRejected) as caught:
        decode_upload(bomb)
    assert caught.value.code == "corrupt_image"


def test_limits_leave_room_for_real_files():
    """Real structure is far below each limit: EXIF + XMP + ICC segments, a few restart markers."""
    exif = exif_jpeg(6)
    assert structure.jpeg_primary_scans(exif) == 1
    restart = save(lesion().resize((1024, 1024)), "JPEG", quality=90)
    structure.check_structure(restart)
    many_idat = save(lesion().resize((2000, 2000)), "PNG")
    structure.check_structure(many_idat)


# ------------------------------------------------------------------------------------- bounded conversion
def _modes() -> list[Image.Image]:
    base = lesion().resize((203, 157))
    gray16 = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
    floats = Image.fromarray(np.asarray(base.convert("L"), dtype=np.float32) / 255.0)
    with_nan = np.asarray(base.convert("L"), dtype=np.float32) / 255.0
    with_nan[::7, ::5] = np.nan
    ints = Image.fromarray(np.asarray(base.convert("L"), dtype=np.int32) * 100)
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(base.size))
    palette = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    palette.info["transparency"] = 3
    return [
        gray16,
        floats,
        Image.fromarray(with_nan),
        ints,
        rgba,
        rgba.convert("LA"),
        palette,
        base.convert("CMYK"),
        base.convert("1"),
        base.convert("L"),
        base,
    ]


@pytest.mark.parametrize("factor", [1, 2, 3])
@pytest.mark.parametrize("image", _modes(), ids=lambda im: im.mode)
def test_banded_conversion_equals_whole_conversion(image: Image.Image, factor: int, monkeypatch):
    whole = convert.to_rgb(image, factor)  # 32k pixels: one band
    monkeypatch.setattr(convert, "BAND_PIXELS", 2_000)  # about 10 rows per band
    banded = convert.to_rgb(image, factor)
    assert banded.mode == whole.mode == "RGB"
    assert banded.size == whole.size == (-(-image.width // factor), -(-image.height // factor))
    assert np.array_equal(np.asarray(banded), np.asarray(whole))


def test_reduce_factor_keeps_the_shorter_side_at_the_target():
    assert convert.reduce_factor((7000, 7000), 256) == 27
    assert convert.reduce_factor((300000, 32), 256) == 1
    assert convert.reduce_factor((4000, 3000), None) == 1
    assert 7000 // 27 >= 256
