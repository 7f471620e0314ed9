"""The photo a phone takes, through photo.js, in a real Chromium against a real `melanoscan serve`: a 12-MP photo
stored sideways with an EXIF orientation tag reaches the server upright and shrunk, the preview is that same
upright picture (so the heat map lies over what the model saw), history's thumbnail is drawn from it, and a small
photo is sent byte for byte. Both of photo.js's paths: WebCodecs' ImageDecoder (DCT-scaled decoding) and, where a
browser lacks it, createImageBitmap and a canvas.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_web_browser import TINY, _open, _pick

pytestmark = pytest.mark.browser

RED = (255, 0, 0)
# Without WebCodecs (Safari, older browsers): photo.js decodes the whole photo and scales it on a canvas.
NO_IMAGE_DECODER = "delete window.ImageDecoder;"


def sideways_phone_photo(lesion: Path, path: Path) -> None:
    """A 4000x3000 JPEG stored sideways, as many phones store a portrait photo: EXIF orientation 6 (turn 90 degrees
    clockwise to view). A red block in the stored top-left corner is in the top-right corner once upright."""
    rng = np.random.default_rng(0)
    big = np.asarray(Image.open(lesion).convert("RGB").resize((4000, 3000)), dtype=np.int16)
    pixels = np.clip(big + rng.integers(-6, 7, big.shape), 0, 255).astype(np.uint8)
    pixels[:600, :800] = RED
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(path, "JPEG", quality=92, exif=exif.tobytes())


def last_upload(server) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """The size of the last photo the server received, as it records it (never the photo)."""
    with sqlite3.connect(server.database) as db:
        return db.execute(
            "SELECT image_width, image_height, image_bytes FROM screenings ORDER BY created_at DESC LIMIT 1"
        ).fetchone()


# The preview's pixels near each corner (the preview is a same-origin blob: the canvas can read it back).
PREVIEW_CORNERS = """img => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const x = c.getContext('2d');
    x.drawImage(img, 0, 0);
    const at = (px, py) => Array.from(x.getImageData(px, py, 1, 1).data.slice(0, 3));
    return {tl: at(20, 20), tr: at(c.width - 20, 20), bl: at(20, c.height - 20)};
}"""


def _is_red(rgb: list[int]) -> bool:
    return rgb[0] > 200 and rgb[1] < 60 and rgb[2] < 60


@pytest.mark.parametrize(
    ("path", "sent"),
    [("image-decoder", (750, 1000)), ("canvas", (768, 1024))],
)
def test_sideways_12mp_photo_is_sent_upright_and_small(new_context, server_ok, lesion, tmp_path, path, sent):
    """ImageDecoder decodes at 2/8 scale (the largest n/8 whose longest side fits 1024 px: 750x1000); the canvas
    path scales the whole picture to 1024 px. Either way: upright, no orientation tag left to apply twice."""
    photo = tmp_path / "sideways.jpg"
    sideways_phone_photo(lesion, photo)
    context = new_context()
    if path == "canvas":
        context.add_init_script(NO_IMAGE_DECODER)
    page = _open(context, server_ok.url + "/")
    assert page.evaluate("typeof ImageDecoder") == ("function" if path == "image-decoder" else "undefined")
    _pick(page, photo)
    page.wait_for_function("document.getElementById('preview-img').naturalWidth > 0")
    preview = page.locator("#preview-img")
    # The preview is the shrunk, upright picture that will be sent, not the 12-MP file.
    assert tuple(preview.evaluate("img => [img.naturalWidth, img.naturalHeight]")) == sent
    corners = preview.evaluate(PREVIEW_CORNERS)
    assert _is_red(corners["tr"]) and not _is_red(corners["tl"]) and not _is_red(corners["bl"]), corners
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url) as answer:
        page.click("#send-btn")
    body = answer.value.json()
    assert answer.value.status == 200 and body["status"] == "ok"
    page.locator("#result [data-status='ok']").wait_for()
    width, height, size = last_upload(server_ok)
    assert (width, height) == sent  # the server read it upright too: the orientation was drawn in, not tagged
    assert size < 200_000 < photo.stat().st_size

    # History's thumbnail comes from the same upright picture: portrait, 128 px high.
    page.wait_for_function("(i => i && i.naturalWidth > 0)(document.getElementById('keep-thumb'))")
    assert page.locator("#keep-thumb").evaluate("img => [img.naturalWidth, img.naturalHeight]") == [96, 128]

    # The heat map is drawn over the preview's pixels (where.js: inside its border), now the picture the model saw.
    page.click("#where-toggle")
    canvas = page.locator("#where-canvas")
    assert canvas.is_visible()
    pixels = preview.evaluate("""img => { const r = img.getBoundingClientRect();
        return {x: r.x + img.clientLeft, y: r.y + img.clientTop,
                width: img.clientWidth, height: img.clientHeight}; }""")
    drawn = canvas.bounding_box()
    assert drawn
    for key in ("x", "y", "width", "height"):
        assert drawn[key] == pytest.approx(pixels[key], abs=0.5), (drawn, pixels)
    assert page.js_errors == []


@pytest.mark.parametrize("path", ["image-decoder", "canvas"])
def test_small_photo_is_sent_as_it_is(new_context, server_ok, path):
    """A JPEG already within 1024 px and 1.5 MB is neither decoded to be redrawn nor re-encoded: the server gets
    the very bytes picked (re-encoding alone moves the model's answers; docs/performance.md)."""
    photo = TINY / "ISIC_0012134.jpg"
    context = new_context()
    if path == "canvas":
        context.add_init_script(NO_IMAGE_DECODER)
    page = _open(context, server_ok.url + "/")
    _pick(page, photo)
    page.wait_for_function("document.getElementById('preview-img').naturalWidth > 0")
    with page.expect_response(lambda r: "/api/v1/screenings" in r.url):
        page.click("#send-btn")
    page.locator("#result [data-status]").wait_for()
    with Image.open(photo) as original:
        assert last_upload(server_ok) == (*original.size, photo.stat().st_size)
    assert page.js_errors == []
