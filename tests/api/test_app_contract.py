"""In-process checks of the app: languages, error shapes, OpenAPI document, metrics, readiness."""

from __future__ import annotations

import io
import re

import pytest
from contract import check_error, check_screening
from PIL import Image

from melanoscan.api import i18n

SCREENINGS = "/api/v1/screenings"


def upload(client, data: bytes, query: str = "", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(SCREENINGS + query, data={"image": (io.BytesIO(data), "photo.jpg")}, headers=headers)


# ---------------------------------------------------------------- languages


def test_language_dicts_have_the_same_keys():
    assert set(i18n.EN) == set(i18n.KO)
    for key in ("labels", "errors"):
        assert set(i18n.EN[key]) == set(i18n.KO[key])  # type: ignore[arg-type]
    for key in ("ok", "ok_melanoma", "retake", "disclaimer"):
        assert i18n.EN[key] != i18n.KO[key]


def test_english_and_korean_texts_say_the_right_things():
    assert "Please take the photo again" in i18n.text("en", "retake")
    for tip in ("focus", "light", "frame"):
        assert tip in i18n.text("en", "retake")
    assert "다시 찍어 주세요" in i18n.text("ko", "retake")
    for tip in ("초점", "빛", "화면"):
        assert tip in i18n.text("ko", "retake")
    en, ko = i18n.text("en", "disclaimer"), i18n.text("ko", "disclaimer")
    for phrase in ("screening aid", "not a diagnosis", "not a medical device", "doctor", "changes"):
        assert phrase in en
    for phrase in ("선별", "진단이 아니", "의료기기", "의사", "변하"):
        assert phrase in ko
    assert "흑색종" in i18n.text("ko", "ok_melanoma", percent="80")


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("", "", "en"),
        ("?lang=ko", "", "ko"),
        ("?lang=en", "ko-KR,ko;q=0.9", "en"),  # the query wins over the header
        ("", "ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
        ("", "fr-FR,fr;q=0.9", "en"),
        ("?lang=xx", "ko", "ko"),
    ],
)
def test_language_choice(client, tiny_images, query, accept, lang):  # type: ignore[no-untyped-def]
    response = upload(client, tiny_images[0].read_bytes(), query, **({"Accept-Language": accept} if accept else {}))
    body = response.get_json()
    check_screening(body)
    assert response.headers["Content-Language"] == lang
    assert body["disclaimer"] == i18n.text(lang, "disclaimer")
    if body["status"] == "retake":
        assert body["message"] == i18n.text(lang, "retake")


def test_errors_follow_the_language(client):
    en = upload(client, b"not an image").get_json()
    ko = upload(client, b"not an image", "?lang=ko").get_json()
    check_error(en, "unsupported_media_type")
    check_error(ko, "unsupported_media_type")
    assert en["error"]["message"] != ko["error"]["message"]
    assert "형식" in ko["error"]["message"]
    assert client.get("/nowhere?lang=ko").get_json()["error"]["message"] == i18n.KO["errors"]["not_found"]  # type: ignore[index]


# ---------------------------------------------------------------- errors


def test_unexpected_exceptions_become_a_json_500_without_a_trace(app_factory, tmp_path, caplog):
    app = app_factory(data_dir=str(tmp_path))

    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    check_error(response.get_json(), "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert "secret internal detail" in caplog.text  # logged on our side


# ---------------------------------------------------------------- metrics and readiness


def test_metrics_count_screenings_by_outcome(app_factory, tmp_path, tiny_images):
    app = app_factory(data_dir=str(tmp_path), threshold=0.34)
    client = app.test_client()
    answers = [upload(client, image.read_bytes()).get_json() for image in tiny_images]
    assert upload(client, b"").status_code == 400
    covered_lens = io.BytesIO()
    Image.new("RGB", (640, 480), (2, 2, 2)).save(covered_lens, "JPEG")
    assert upload(client, covered_lens.getvalue()).get_json()["retake_reason"] == "blank_photo"
    text = client.get("/metrics").get_data(as_text=True)
    assert 'melanoscan_retakes_total{reason="blank_photo"} 1.0' in text
    ok = sum(a["status"] == "ok" for a in answers)
    total_ok = sum(float(v) for v in re.findall(r'melanoscan_screenings_total\{label="\w+",status="ok"\} (\S+)', text))
    assert total_ok == ok == len(tiny_images)
    alerts = sum(a["melanoma_alert"] for a in answers)
    assert 0 < alerts < len(answers)  # the committed photos exercise both sides of the alert
    assert f"melanoscan_melanoma_alerts_total {float(alerts)}" in text
    assert 'melanoscan_images_rejected_total{code="empty_file"} 1.0' in text
    assert f'route="/api/v1/screenings",status="200"}} {float(len(answers) + 1)}' in text
    assert f"melanoscan_screening_seconds_count {float(len(answers) + 1)}" in text


def test_a_small_form_with_too_many_parts_is_not_called_too_large(client):
    fields = {f"f{i}": "x" for i in range(1200)}  # Werkzeug refuses more than 1000 parts
    photo = (io.BytesIO(b"\xff\xd8 tiny"), "a.jpg")
    response = client.post("/api/v1/screenings", data={**fields, "image": photo}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "too many parts" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/openapi.json", "/nowhere"])
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_percentages_never_claim_certainty():
    from melanoscan.texts import percent

    assert [percent(p) for p in (0.9976, 0.995, 0.9949, 0.5, 0.0051, 0.0049, 0.0)] == [
        ">99",
        ">99",
        "99",
        "50",
        "1",
        "<1",
        "<1",
    ]


def test_metrics_labels_stay_bounded_under_invented_methods(app_factory, tmp_path):
    client = app_factory(data_dir=str(tmp_path)).test_client()
    for i in range(20):
        client.open("/healthz", method=f"INVENTED{i}")
    response = client.get("/metrics")
    assert response.headers["Content-Type"].count("charset") == 1
    text = response.get_data(as_text=True)
    assert "INVENTED" not in text
    assert re.search(
        r'melanoscan_http_requests_total\{method="other",route="<unmatched>",status="405"\} 20\.0', text
    ), text


def test_apps_have_their_own_registries(app, app_factory, tmp_path):
    other = app_factory(data_dir=str(tmp_path))  # would raise "Duplicated timeseries" on a shared registry
    assert other.extensions["melanoscan"].metrics.registry is not app.extensions["melanoscan"].metrics.registry


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"model": True, "database": True}
