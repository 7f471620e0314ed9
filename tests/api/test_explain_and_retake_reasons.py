"""The API side of the suitability gates and of the heat map, over a real server process: `?explain=1` gives a
0..1 grid over the crop the model saw and never the photo; a non-lesion comes back `retake` / `not_a_lesion`
with its advice; /metrics counts retakes by reason; a bad `explain` is a 400."""

from __future__ import annotations

import io

import numpy as np
import requests
from PIL import Image, ImageDraw, ImageFont

from melanoscan.screening.decision import RETAKE_REASONS

SCREENINGS = "/api/v1/screenings"


def text_page_png() -> bytes:
    page = Image.new("RGB", (600, 800), (240, 238, 232))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 20)
    for row in range(26):
        draw.text(
            (24, 24 + row * 29),
            "The quick brown fox jumps over the lazy dog, page 12. " * 2,
            fill=(10, 10, 10),
            font=font,
        )
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()


def post(server, data: bytes, query: str = "", name: str = "photo.jpg") -> requests.Response:  # type: ignore[no-untyped-def]
    return requests.post(server.url + SCREENINGS + query, files={"image": (name, data)}, timeout=60)


def test_explain_returns_a_grid_over_the_crop_and_never_the_photo(live_server, tiny_images):
    data = tiny_images[1].read_bytes()
    body = post(live_server, data, "?explain=1").json()
    assert body["retake_reason"] in (None, "uncertain")
    heat = body["heatmap"]
    grid = np.asarray(heat["grid"])
    assert grid.shape == (7, 7) and grid.min() == 0.0 and grid.max() == 1.0
    assert heat["label"] in ("melanoma", "nevus", "seborrheic_keratosis")
    if body["melanoma_alert"]:
        assert heat["label"] == "melanoma"
    crop = heat["crop"]
    assert abs(crop["width"] - 224 / 256) < 1e-4 and abs(crop["left"] - 16 / 256) < 1e-4  # a 256 px square photo
    assert len(str(body)) < 4000  # a grid of numbers, not an image
    assert "heatmap" not in post(live_server, data).json()


def test_a_page_of_text_is_sent_back_as_not_a_lesion_and_counted(live_server):
    response = post(live_server, text_page_png(), "?explain=1&lang=ko", name="page.png")
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["retake_reason"], body["advice"], body["label"]) == (
        "retake",
        "not_a_lesion",
        "retake",
        None,
    )
    assert body["heatmap"] is None
    assert "피부의 점" in body["message"]
    metrics = requests.get(live_server.url + "/metrics", timeout=10).text
    assert 'melanoscan_retakes_total{reason="not_a_lesion"}' in metrics


def test_a_bad_explain_value_is_a_clear_400(live_server, tiny_images):
    response = post(live_server, tiny_images[0].read_bytes(), "?explain=maybe")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_explain"


def test_openapi_lists_the_new_reasons_and_the_heatmap(live_server):
    spec = requests.get(live_server.url + "/api/v1/openapi.json", timeout=10).json()
    screening = spec["components"]["schemas"]["Screening"]["properties"]
    assert (
        {value for option in screening["retake_reason"]["anyOf"] for value in option.get("enum", [])}
        >= set(RETAKE_REASONS)  # the document also reserves lesion_too_small
        >= {"not_a_lesion", "blurry", "too_dark", "overexposed"}
    )
    assert "heatmap" in screening
    params = {p["name"] for p in spec["paths"][SCREENINGS]["post"]["parameters"]}
    assert "explain" in params
