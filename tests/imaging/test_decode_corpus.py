"""decode_image against the generated corpus, EXIF orientation, draft decoding and pixel modes."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from hostile_corpus import CASE_IDS, CASES, Case, exif_jpeg, lesion, png_bomb, save, tiff_mode_f
from PIL import Image

from melanoscan.imaging.decode import DEFAULT_MAX_PIXELS, MIN_SIDE, decode_image, decode_upload, to_rgb
from melanoscan.imaging.errors import ImageRejected


def test_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len(set(CASE_IDS)) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_decode_corpus(case: Case):
    data = case.make()
    if case.status == 200:
        image = decode_image(data, draft_size=256)
        assert image.mode == "RGB"
        assert min(image.size) >= MIN_SIDE
        assert np.asarray(image).dtype == np.uint8
    else:
        with pytest.raises(ImageRejected) as caught:
            decode_image(data, draft_size=256)
        assert (caught.value.status, caught.value.code) == (case.status, case.code)
        assert caught.value.message


# Stored pixels for each EXIF orientation, such that a viewer applying the tag shows `upright`.
_STORE = {
    1: [],
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_90],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_270],
}
# What a viewer does to the stored pixels for each tag (the inverse of _STORE).
_SHOW = {
    1: [],
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def _apply(image: Image.Image, ops: list[Image.Transpose]) -> Image.Image:
    for op in ops:
        image = image.transpose(op)
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_exactly(orientation: int):
    upright = lesion().resize((288, 224))  # not square, so a wrong rotation changes the size too
    data = exif_jpeg(orientation, _apply(upright, _STORE[orientation]))
    with Image.open(io.BytesIO(data)) as raw:
        stored = raw.convert("RGB")  # the JPEG's own pixels, no orientation applied
    expected = _apply(stored, _SHOW[orientation])
    decoded = decode_upload(data)
    assert decoded.image.size == (288, 224) == decoded.original_size
    assert np.array_equal(np.asarray(decoded.image), np.asarray(expected))


def test_draft_decodes_a_12_megapixel_jpeg_small_but_not_too_small():
    rng = np.random.default_rng(0)
    big = np.asarray(lesion().resize((4000, 3000), Image.Resampling.BILINEAR), dtype=np.int16)
    big = np.clip(big + rng.integers(-8, 9, big.shape), 0, 255).astype(np.uint8)
    data = save(Image.fromarray(big), "JPEG", quality=90)
    decoded = decode_upload(data, draft_size=256)
    assert decoded.original_size == (4000, 3000)
    assert 256 <= min(decoded.image.size) < 512  # 1/8 scale: 500x375
    assert decode_image(data).size == (4000, 3000)  # without draft_size: full size


def test_a_png_bomb_is_refused_at_the_header_quickly():
    data = png_bomb(20000, 20000)
    assert len(data) < 100_000
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        decode_image(data)
    assert caught.value.status == 413
    assert time.perf_counter() - started < 1.0


def test_max_pixels_is_enforced_below_pillows_own_limit():
    data = save(lesion().resize((400, 300)), "PNG")
    with pytest.raises(ImageRejected) as caught:
        decode_image(data, max_pixels=100_000)
    assert caught.value.code == "image_too_large"
    assert decode_image(data, max_pixels=120_000).size == (400, 300)
    assert DEFAULT_MAX_PIXELS >= 48_000_000  # a 48-MP phone photo fits


def test_every_non_jpeg_format_opens():
    """Regression: "MPO" in the opener list raised KeyError for every non-JPEG upload (a 500)."""
    for fmt in ("PNG", "WEBP", "GIF", "BMP", "TIFF"):
        assert decode_image(save(lesion(), fmt)).size == (256, 256)


@pytest.mark.parametrize(
    "mode", ["1", "L", "P", "RGB", "RGBA", "LA", "PA", "CMYK", "YCbCr", "LAB", "HSV", "I", "I;16", "F", "RGBa", "La"]
)
def test_to_rgb_handles_every_mode(mode: str):
    image = to_rgb(
        lesion().convert("RGBA").convert(mode)
        if mode not in ("I;16", "LAB", "HSV", "PA")
        else Image.new(mode, (40, 40))
    )
    assert image.mode == "RGB"


def test_transparency_is_composited_over_white():
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    assert to_rgb(rgba).getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_gray_keeps_its_range():
    gray = Image.fromarray(np.full((40, 40), 65535, dtype=np.uint16))
    assert to_rgb(gray).getpixel((0, 0)) == (255, 255, 255)
    assert to_rgb(Image.fromarray(np.full((40, 40), np.nan, dtype=np.float32))).getpixel((0, 0)) == (0, 0, 0)


def test_float_images_in_0_1_keep_their_picture():
    """A float TIFF holding 0..1 must not come out black (the model would screen a black square)."""
    gray = np.asarray(lesion().convert("L"))
    decoded = np.asarray(decode_image(tiff_mode_f()).convert("L"), dtype=np.int16)
    assert np.abs(decoded - gray).max() <= 1


def test_preprocessing_a_long_strip_resamples_only_the_crop():
    """Same pixels as resizing the whole image first (the reference here), within rounding."""
    from melanoscan.imaging.preprocess import resize_and_crop
    from melanoscan.inference.spec import ModelSpec

    spec = ModelSpec(name="t", version="t")
    strip = lesion().resize((2000, 300))
    whole = strip.resize((round(2000 * 256 / 300), 256), Image.Resampling.BICUBIC, reducing_gap=3.0)
    left = (whole.width - 224) // 2
    reference = np.asarray(whole.crop((left, 16, left + 224, 240)), dtype=np.int16)
    assert np.abs(np.asarray(resize_and_crop(strip, spec), dtype=np.int16) - reference).max() <= 2
