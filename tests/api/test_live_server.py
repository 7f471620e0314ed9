"""A real `melanoscan serve` process over real HTTP: the hostile corpus, request-level abuse, the
photo path end to end, and the server still healthy after each."""

from __future__ import annotations

import pytest
import requests
from contract import check_error, check_screening
from hostile_corpus import CASE_IDS, CASES, Case

SCREENINGS = "/api/v1/screenings"


def post_image(base: str, data: bytes, filename: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
    return requests.post(
        base + SCREENINGS, files={"image": (filename, data, "application/octet-stream")}, timeout=60, **kwargs
    )


def assert_healthy(base: str) -> None:
    assert requests.get(base + "/healthz", timeout=10).json() == {"status": "alive"}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_corpus_over_http(live_server, case: Case):
    response = post_image(live_server.url, case.make(), case.filename)
    assert response.status_code == case.status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    if case.status == 200:
        check_screening(response.json())
    else:
        check_error(response.json(), case.code)
    assert_healthy(live_server.url)


# Request-level cases: (id, method, kwargs, status, code)
BIG = b"\xff\xd8" + b"\x00" * (5 * 1024 * 1024)  # over the live servers' 4 MiB limit
REQUEST_CASES = [
    ("body_over_limit", "POST", {"files": {"image": ("big.jpg", BIG)}}, 413, "payload_too_large"),
    ("missing_field", "POST", {"files": {"other": ("a.txt", b"x")}}, 400, "missing_image"),
    ("wrong_field_name", "POST", {"files": {"file": ("a.jpg", b"\xff\xd8\xff")}}, 400, "missing_image"),
    (
        "image_as_text_field",
        "POST",
        {"data": {"image": "not a file"}, "files": {"x": ("x", b"")}},
        400,
        "missing_image",
    ),
    ("json_body", "POST", {"json": {"image": "aGVsbG8="}}, 415, "unsupported_content_type"),
    ("urlencoded_body", "POST", {"data": {"image": "x"}}, 415, "unsupported_content_type"),
    (
        "raw_jpeg_body",
        "POST",
        {"data": b"\xff\xd8\xff\xe0", "headers": {"Content-Type": "image/jpeg"}},
        415,
        "unsupported_content_type",
    ),
    ("no_body", "POST", {}, 415, "unsupported_content_type"),
    (
        "multipart_without_boundary",
        "POST",
        {"data": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data"}},
        400,
        None,
    ),
    ("get_on_post_route", "GET", {}, 405, "method_not_allowed"),
    ("put_on_post_route", "PUT", {"data": b"x"}, 405, "method_not_allowed"),
    ("delete_on_post_route", "DELETE", {}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "code"), [c[1:] for c in REQUEST_CASES], ids=[c[0] for c in REQUEST_CASES]
)
def test_request_abuse(live_server, method, kwargs, status, code):  # type: ignore[no-untyped-def]
    response = requests.request(method, live_server.url + SCREENINGS, timeout=60, **kwargs)
    assert response.status_code == status, response.text
    check_error(response.json(), code)
    if status == 405:
        assert "POST" in response.headers["Allow"]
    assert_healthy(live_server.url)


def test_unknown_url_is_a_json_404(live_server):
    response = requests.get(live_server.url + "/api/v1/nothing-here", timeout=10)
    assert response.status_code == 404
    check_error(response.json(), "not_found")


def test_real_lesions_at_the_shipped_threshold(live_server, tiny_images):
    for path in tiny_images:
        response = post_image(live_server.url, path.read_bytes(), path.name)
        assert response.status_code == 200, response.text
        check_screening(response.json(), threshold=0.5)


def test_real_lesions_with_a_low_threshold_are_reported(live_server_ok, tiny_images):
    """With threshold 0.34 the top class of three is always reported, whatever the model."""
    for path in tiny_images:
        response = post_image(live_server_ok.url, path.read_bytes(), path.name, params={"lang": "ko"})
        body = response.json()
        check_screening(body, threshold=0.34)
        assert body["status"] == "ok"
        assert response.headers["Content-Language"] == "ko"


def test_exif_rotated_jpeg_scores_like_the_upright_picture(live_server):
    """Same picture two ways: pixels stored sideways with Orientation=6, and the upright pixels as PNG."""
    import io

    from hostile_corpus import exif_jpeg, lesion, save
    from PIL import Image

    upright = lesion().resize((288, 224))
    sideways_jpeg = exif_jpeg(6, upright.transpose(Image.Transpose.ROTATE_90))
    with Image.open(io.BytesIO(sideways_jpeg)) as raw:  # the JPEG's decoded pixels, turned by hand
        upright_png = save(raw.convert("RGB").transpose(Image.Transpose.ROTATE_270), "PNG")
    rotated = post_image(live_server.url, sideways_jpeg, "rotated.jpg").json()["probabilities"]
    reference = post_image(live_server.url, upright_png, "upright.png").json()["probabilities"]
    for name in reference:
        assert rotated[name] == pytest.approx(reference[name], abs=1e-5)


def test_ready_and_metrics_after_traffic(live_server):
    ready = requests.get(live_server.url + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    post_image(live_server.url, b"", "empty.jpg")
    text = requests.get(live_server.url + "/metrics", timeout=10).text
    assert 'melanoscan_http_requests_total{method="POST",route="/api/v1/screenings",status="400"}' in text
    assert "melanoscan_http_request_duration_seconds_bucket" in text
    assert "melanoscan_screenings_total" in text
    assert "melanoscan_screening_record_failures_total 0.0" in text


def test_photos_are_not_written_to_the_data_dir(live_server, tiny_images):
    """Only the SQLite database (and its WAL files) lives in the data dir, and no upload is in it."""
    photo = tiny_images[-1].read_bytes()
    assert post_image(live_server.url, photo, "photo.jpg").status_code == 200
    files = list(live_server.data_dir.iterdir())
    assert {path.name for path in files} <= {"melanoscan.db", "melanoscan.db-wal", "melanoscan.db-shm"}
    probe = photo[len(photo) // 2 : len(photo) // 2 + 64]
    for path in files:
        assert probe not in path.read_bytes(), path
