"""The photo-suitability gates on real cases each way: committed ISIC test lesions (CC0) pass every gate;
a rendered text page, a screenshot, noise and a cat from scikit-image are refused as not_a_lesion; a dark,
a washed-out and a blurred lesion photo get their own reasons from the photo gates."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from melanoscan.screening.answer import answer
from melanoscan.screening.gates import Evidence, NotALesionGate, blur_gate, exposure_gate
from melanoscan.screening.pipeline import Screener

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def text_page() -> Image.Image:
    page = Image.new("RGB", (600, 800), (236, 234, 228))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 22)
    for row in range(24):
        draw.text(
            (30, 30 + row * 30),
            "Terms of service and privacy policy for your account " * 2,
            fill=(20, 20, 20),
            font=font,
        )
    return page


def screenshot() -> Image.Image:
    shot = Image.new("RGB", (720, 1280), (250, 250, 250))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, 720, 120), fill=(33, 99, 200))
    font = ImageFont.truetype(FONT, 28)
    for i in range(8):
        draw.rounded_rectangle((20, 160 + i * 140, 700, 280 + i * 140), radius=12, fill=(232, 236, 240))
        draw.text((40, 200 + i * 140), f"Settings item {i}: notifications, account", fill=(30, 30, 30), font=font)
    return shot


def noise() -> Image.Image:
    return Image.fromarray(np.random.default_rng(3).integers(0, 256, (400, 400, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def screener(classifier):  # type: ignore[no-untyped-def]
    screener = Screener(classifier)
    assert any(isinstance(g, NotALesionGate) for g in screener.gates), "the shipped model names its gate"
    return screener


def test_real_lesions_pass_every_gate(screener, tiny_images):
    for path in tiny_images:
        outcome = screener.screen(path.read_bytes())
        assert outcome.decision.retake_reason in (None, "uncertain"), (path.name, outcome.decision)


@pytest.mark.parametrize("make", [text_page, screenshot, noise], ids=["text_page", "screenshot", "noise"])
def test_rendered_non_lesions_are_not_a_lesion(screener, make):
    outcome = screener.screen(png(make()))
    assert outcome.decision.retake_reason == "not_a_lesion"
    said = answer(outcome.decision, outcome.spec, "ko")
    assert said["status"] == "retake" and said["advice"] == "retake" and said["label"] is None
    assert "피부의 점" in said["message"]


def test_a_cat_is_not_a_lesion(screener):
    skimage_data = pytest.importorskip("skimage.data")
    cat = Image.fromarray(skimage_data.chelsea())
    outcome = screener.screen(png(cat))
    assert outcome.decision.retake_reason == "not_a_lesion"
    assert "not look like a close-up" in answer(outcome.decision, outcome.spec, "en")["message"]


def test_photo_gates_name_dark_washed_out_and_blurry(tiny_images):
    lesion = Image.open(tiny_images[4]).convert("RGB")
    assert exposure_gate(Evidence(lesion)) is None and blur_gate(Evidence(lesion)) is None
    dark = Image.fromarray((np.asarray(lesion, dtype=np.float32) * 0.12).astype(np.uint8))
    assert exposure_gate(Evidence(dark)) == "too_dark"
    washed = Image.fromarray(np.clip(np.asarray(lesion, dtype=np.float32) * 2.5, 0, 255).astype(np.uint8))
    assert exposure_gate(Evidence(washed)) == "overexposed"
    blurred = lesion.filter(ImageFilter.GaussianBlur(6))
    assert blur_gate(Evidence(blurred)) == "blurry"
