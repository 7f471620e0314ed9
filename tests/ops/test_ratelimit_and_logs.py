"""Abuse limits and structured logs on the real app (in-process, Flask test client, real model)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from live_server import free_port
from melanoscan.api import create_app
from melanoscan.api.request_log import ACCESS_LOGGER, JsonFormatter

SCREENINGS = "/api/v1/screenings"
TINY = sorted((Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny").glob("*.jpg"))
CLIENT_IP = "203.0.113.77"  # TEST-NET-3: must never show up in a log line


def upload(client, data: bytes, query: str = "", environ: dict | None = None, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        SCREENINGS + query,
        data={"image": (io.BytesIO(data), "photo.jpg")},
        headers=headers,
        environ_base={"REMOTE_ADDR": CLIENT_IP, **(environ or {})},
    )


@pytest.fixture
def limited_app(tmp_path):  # type: ignore[no-untyped-def]
    return create_app(
        data_dir=str(tmp_path),
        ort_threads=1,
        ratelimit_enabled=True,
        ratelimit_screenings="3/minute",
        trusted_proxies=0,
    )


@pytest.fixture
def captured():  # type: ignore[no-untyped-def]
    """Everything the access and app loggers write, as the JSON the service emits."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in (ACCESS_LOGGER, "melanoscan", "melanoscan.api")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def test_screenings_are_limited_per_client_with_a_json_429(limited_app):  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    photo = TINY[0].read_bytes()
    for _ in range(3):
        assert upload(client, photo).status_code == 200
    response = upload(client, photo)
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"]
    assert set(body) == {"error"}
    assert int(response.headers["Retry-After"]) >= 1
    # Korean on request, like every other error.
    ko = upload(client, photo, "?lang=ko")
    assert ko.status_code == 429 and "다시 시도" in ko.get_json()["error"]["message"]
    # Another client is not affected.
    assert upload(client, photo, environ={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200
    # Health, readiness, metrics and the OpenAPI document are never limited.
    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"):
        for _ in range(5):
            assert client.get(path, environ_base={"REMOTE_ADDR": CLIENT_IP}).status_code == 200, path
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'status="429"' in metrics  # rate-limited requests are visible to ops


def test_forwarded_for_is_ignored_without_trusted_proxies(limited_app):  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    photo = TINY[1].read_bytes()
    statuses = [upload(client, photo, **{"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]  # a forged header does not buy a fresh bucket


def test_forwarded_for_is_the_client_behind_a_trusted_proxy(tmp_path):  # type: ignore[no-untyped-def]
    settings = {"ratelimit_enabled": True, "ratelimit_screenings": "2/minute", "trusted_proxies": 1}
    client = create_app(data_dir=str(tmp_path), ort_threads=1, **settings).test_client()
    photo = TINY[2].read_bytes()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    a = [upload(client, photo, environ=proxy, **{"X-Forwarded-For": "192.0.2.1"}).status_code for _ in range(3)]
    b = upload(client, photo, environ=proxy, **{"X-Forwarded-For": "192.0.2.2"}).status_code
    assert a == [200, 200, 429] and b == 200


def test_limits_can_be_turned_off(tmp_path):  # type: ignore[no-untyped-def]
    settings = {"ratelimit_enabled": False, "ratelimit_screenings": "1/minute"}
    client = create_app(data_dir=str(tmp_path), ort_threads=1, **settings).test_client()
    assert [upload(client, TINY[0].read_bytes()).status_code for _ in range(3)] == [200, 200, 200]


def test_request_id_is_echoed_or_generated(limited_app):  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123.XYZ"})
    assert given.headers["X-Request-ID"] == "abc-123.XYZ"
    for bad in ("has space", "x" * 65, "<script>", "a\tb"):
        generated = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert generated != bad and len(generated) == 32
    one, two = client.get("/healthz"), client.get("/healthz")
    assert one.headers["X-Request-ID"] != two.headers["X-Request-ID"]
    # Errors carry it too (the 404 handler, a rejected upload).
    assert client.get("/nope").headers.get("X-Request-ID")
    assert upload(client, b"not an image").headers.get("X-Request-ID")


def test_access_log_is_one_json_line_without_ip_image_or_query(limited_app, captured):  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    photo = TINY[3].read_bytes()
    response = upload(client, photo, "?lang=ko&email=someone@example.org", **{"X-Request-ID": "req-42"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in captured.getvalue().splitlines() if line.strip()]
    access = [e for e in lines if e["logger"] == ACCESS_LOGGER]
    assert len(access) == 1
    entry = access[0]
    assert entry["request_id"] == "req-42"
    assert entry["method"] == "POST" and entry["path"] == SCREENINGS and entry["status"] == 200
    assert entry["bytes_in"] > len(photo) and entry["duration_ms"] > 0 and entry["lang"] == "ko"
    assert {"ts", "level", "request_id", "method", "path", "status", "duration_ms", "bytes_in"} <= set(entry)
    text = captured.getvalue()
    assert CLIENT_IP not in text and "127.0.0.1" not in text
    assert "someone@example.org" not in text and "email" not in text
    assert "JFIF" not in text and len(text) < 2000  # no image bytes, not even a fragment


def test_rate_limited_requests_are_logged_with_their_id(limited_app, captured):  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    for _ in range(4):
        last = upload(client, TINY[4].read_bytes(), **{"X-Request-ID": "burst-1"})
    assert last.status_code == 429 and last.headers["X-Request-ID"] == "burst-1"
    entries = [json.loads(x) for x in captured.getvalue().splitlines() if x.strip()]
    assert [e["status"] for e in entries if e["logger"] == ACCESS_LOGGER][-1] == 429


# ------------------------------------------------------------------------------------ database down
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_database_down_screening_still_answers(kind, tmp_path, captured):  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a file where the database's folder should be")
        url = f"sqlite:///{blocker}/melanoscan.db"
    else:
        pytest.importorskip("psycopg")
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/melanoscan?connect_timeout=2"
    app = create_app(data_dir=str(tmp_path), database_url=url, ort_threads=1, ratelimit_enabled=False)  # starts anyway
    client = app.test_client()
    response = upload(client, TINY[5].read_bytes())
    assert response.status_code == 200
    assert response.get_json()["status"] in ("ok", "retake")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"model": True, "database": False}
    assert ready.get_json()["error"]["code"] == "not_ready"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "melanoscan_screening_record_failures_total 1.0" in metrics
    assert client.get("/healthz").status_code == 200
    # Someone just told to see a dermatologist still gets the nearest hospitals, from the shipped table
    nearest = client.get("/api/v1/hospitals?lat=37.5663&lon=126.9779&limit=3&order=distance")
    assert nearest.status_code == 200
    assert nearest.get_json()["hospitals"][0]["name"] == "서울적십자병원"
    assert nearest.headers["Cache-Control"].startswith("private")
    logged = captured.getvalue()
    assert "could not record screening" in logged and CLIENT_IP not in logged
    assert "answering from the shipped CSV" in logged


@pytest.mark.parametrize(
    "parts",
    [
        [b'Content-Disposition: form-data; filename="a.jpg"'],
        [b'Content-Disposition: form-data; filename="a.jpg"', b'Content-Disposition: form-data; name="x"'],
        [b"Content-Disposition: form-data", b'Content-Disposition: form-data; name="photo"; filename="p.jpg"'],
    ],
)
def test_multipart_parts_without_a_name_are_a_400_not_a_500(parts, tmp_path):  # type: ignore[no-untyped-def]
    """Found by the Schemathesis test: unnamed parts made the missing-field message crash (500)."""
    client = create_app(data_dir=str(tmp_path), ort_threads=1, ratelimit_enabled=False).test_client()
    body = b"".join(b"--XX\r\n" + head + b"\r\n\r\nabc\r\n" for head in parts) + b"--XX--\r\n"
    response = client.post(SCREENINGS, data=body, content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "missing_image"
